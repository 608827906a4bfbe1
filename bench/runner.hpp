// Runs one cell (one workload on one peer) in a forked child process of its
// own, so that its peak RSS (getrusage via wait4) is its own, a peer that
// hangs or crashes only loses its cell, and no peer's threads or allocator
// state leak into the next one. The child calibrates the message count,
// runs the cell --runs times and reports each run to the parent through a
// pipe; the parent turns the runs into medians, min and max.
#pragma once

#include "cli.hpp"
#include "common.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace rill_bench {

/// One timed run as the child reported it.
struct run_record {
  u64 n = 0;
  double seconds = 0;
  u64 messages = 0;
  double metric[2] = {0, 0};
  double cpu_seconds = 0;
  u64 allocations = 0;
  /// The figure reported for metric i: the workload's own statistic, or
  /// the rate when it has none.
  double value(int i) const {
    if (!std::isnan(metric[i])) return metric[i];
    return static_cast<double>(messages) / seconds;
  }
};

struct stats {
  double median = 0, min = 0, max = 0;
};

struct cell_result {
  const cell* c = nullptr;
  std::string status = "ok";  // ok, failed, timeout
  std::string detail;
  std::vector<run_record> runs;
  long peak_rss_kib = 0;
  double wall = 0;
  stats value[2];
  double cpu_ns_per_msg = 0;
  double allocs_per_msg = 0;
  int metrics() const { return c->fixed_n ? 2 : 1; }
  bool ok() const { return status == "ok"; }
};

/// Forks, runs `c` in the child and collects what it reports; kills the
/// child after --cell-timeout (or a limit derived from --seconds and --runs).
cell_result run_cell(const cell& c, const options& o);

}  // namespace rill_bench
