// The report as gnuplot data: what bench/plot.gp draws latest.png from.
#pragma once

#include "report.hpp"

#include <filesystem>

namespace rill_bench {

/// Writes dir/latest.dat, W1-W13 throughput per peer (median, min, max in
/// millions per second; "-" when absent), and dir/latest-ratio.dat, rill /
/// best peer for every workload, size and producer count that has one.
void write_plot_data(const report& rep, const std::filesystem::path& dir);

}  // namespace rill_bench
