// Which cells a run measures, and in what order.
#pragma once

#include "common.hpp"

#include <string>
#include <vector>

namespace rill_bench {

/// The cells of `all` that `filters` (--filter) select, in the order of the
/// tables: section, then row (W1 < W2 < ... < W13, else as registered),
/// then peer (column order). A filter naming a peer or a reference selects
/// by peer, any other by row id or section; each kind, when given, must
/// match.
std::vector<const cell*> select_cells(const registry& all, const std::vector<std::string>& filters);

}  // namespace rill_bench
