// rill_bench: the peers rill is measured against — which of them this binary
// was built with, their columns in the tables — and the cells they register.
#pragma once

#include "common.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace rill_bench {

struct peer_info {
  const char* key;    ///< as in cell::peer and --filter
  const char* title;  ///< column heading
  bool built;         ///< found at build time (RILL_BENCH_HAVE_*, external.hpp)
  const char* missing_reason;
};

/// Every peer, built or not, in the order of the tables' columns: the
/// report lists those not built as skipped.
const std::vector<peer_info>& peers();

/// The peers built in: the tables' columns.
std::vector<const peer_info*> built_peers();

/// Keys of measurements that are no channel peer of rill's but a reference
/// beside it: the standard library's alternatives to a channel ("std") and
/// Asio's coroutines without a channel ("asio").
inline const std::vector<std::string> reference_keys = {"std", "asio"};

inline bool is_reference_key(const std::string& key) {
  return std::find(reference_keys.begin(), reference_keys.end(), key) != reference_keys.end();
}

/// The cells of every peer built in, in the order they registered them.
registry all_cells();

}  // namespace rill_bench
