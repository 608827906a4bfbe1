// The report of a run: its options and environment, every cell's result,
// and the results gathered into rows (one workload, one result per peer)
// that the tables, the JSON and the chart show.
#pragma once

#include "cli.hpp"
#include "environment.hpp"
#include "runner.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rill_bench {

/// A row of the tables: one workload, one result per peer.
struct row {
  std::string section, id, label, unit;
  std::map<std::string, const cell_result*> by_peer;
  const cell_result* rill() const;
  /// The best peer other than rill on metric 0, if any ran.
  const cell_result* best_peer() const;
  /// How many times better rill is than the best peer (> 1: rill better).
  std::optional<double> ratio() const;
};

struct report {
  options opt;
  environment env;
  double total_seconds = 0;
  std::vector<cell_result> results;
  std::vector<row> rows;  ///< point into results
};

/// Gathers rep.results into rep.rows, in the order of the results.
void build_rows(report& rep);

}  // namespace rill_bench
