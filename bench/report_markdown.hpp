// The report as Markdown: what rill_bench prints on stdout and writes to
// latest.md (bench/plot.sh reads the chart's subtitle from its first lines).
#pragma once

#include "report.hpp"

#include <string>

namespace rill_bench {

/// Date, machine, revision, runs and skipped peers: the report's first
/// lines, printed on stderr as well when the run starts.
std::string header_lines(const report& rep);

/// The whole report: the header lines, a table per section, the resources
/// per cell and the total.
std::string markdown_report(const report& rep);

/// A cell's figure as the tables show it: median (min–max) in millions per
/// second or in microseconds, "t/o" or "fail".
std::string fmt_value(const cell_result& r, int metric);

}  // namespace rill_bench
