// What a report says about the run: when, on what machine, built by which
// compiler from which revision.
#pragma once

#include <string>

namespace rill_bench {

struct environment {
  std::string date, cpu, compiler_name, git;
  bool dirty = false;  ///< the source tree has uncommitted changes
  unsigned nproc = 0;
  /// KiB: the peak RSS of a forked child that exits at once, the part of
  /// every cell's peak RSS that it inherits from rill_bench itself.
  long baseline_rss = 0;
};

/// Describes this run; `git` is --git, the revision to record (empty: ask
/// git for the source tree's HEAD).
environment describe_environment(const std::string& git);

}  // namespace rill_bench
