// rill_bench: runs every workload on every peer its API allows, in the same
// binary and run, and reports medians with min and max.
//
// Each cell (one workload on one peer) runs in a forked child of its own
// (runner.hpp): the child calibrates the message count so that one run takes
// about --seconds, then runs the cell --runs times and reports the wall time,
// the CPU time and the heap allocations of each run. The parent prints the
// report as Markdown tables, and writes it as Markdown, JSON and gnuplot data
// with --out.
//
//   rill_bench [--quick] [--runs N] [--seconds S] [--filter A,B] [--out DIR]
//              [--cell-timeout S] [--git REV] [--list]
#include "cli.hpp"
#include "common.hpp"
#include "environment.hpp"
#include "peers.hpp"
#include "report.hpp"
#include "report_json.hpp"
#include "report_markdown.hpp"
#include "report_plot_data.hpp"
#include "runner.hpp"
#include "selection.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

int main(int argc, char** argv) {
  using namespace rill_bench;
  const options opt = parse_options(argc, argv);
  const registry all = all_cells();
  const std::vector<const cell*> cells = select_cells(all, opt.filters);

  if (opt.list) {
    for (const cell* c : cells) fmt::print("{:<10} {:<22} {:<16} {}\n", c->section, c->id, c->peer, c->label);
    return 0;
  }
  if (cells.empty()) {
    std::fprintf(stderr, "rill_bench: no cell matches the filter\n");
    return 2;
  }

  report rep;
  rep.opt = opt;
  rep.env = describe_environment(opt.git);
  std::fputs(header_lines(rep).c_str(), stderr);
  const auto start = clock_type::now();
  rep.results.reserve(cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const cell& c = *cells[i];
    std::fprintf(stderr, "[%3zu/%zu] %-10s %-20s %-16s ", i + 1, cells.size(), c.section.c_str(), c.id.c_str(),
                 c.peer.c_str());
    std::fflush(stderr);
    rep.results.push_back(run_cell(c, opt));
    const cell_result& r = rep.results.back();
    const std::string unit = c.unit == "us" ? " us" : " M" + c.unit;
    std::fprintf(stderr, "%-24s %6.1f s  (%.0f s total)%s%s\n", (fmt_value(r, 0) + (r.ok() ? unit : "")).c_str(),
                 r.wall, seconds_since(start), r.detail.empty() ? "" : "  ", r.detail.c_str());
  }
  rep.total_seconds = seconds_since(start);
  build_rows(rep);

  const std::string markdown = markdown_report(rep);
  fmt::print("{}", markdown);

  int failures = 0;
  for (const auto& r : rep.results)
    if (!r.ok()) ++failures;

  if (!opt.out_dir.empty()) {
    const std::filesystem::path dir(opt.out_dir);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "latest.json") << to_json(rep);
    std::ofstream(dir / "latest.md") << markdown;
    write_plot_data(rep, dir);
    std::fprintf(stderr, "rill_bench: wrote %s/latest.{json,md,dat}\n", opt.out_dir.c_str());
  }
  if (failures) std::fprintf(stderr, "rill_bench: %d cell(s) failed or timed out\n", failures);
  return failures ? 1 : 0;
}
