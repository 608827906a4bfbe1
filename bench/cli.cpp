#include "cli.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace rill_bench {
namespace {

[[noreturn]] void usage(int code) {
  std::fputs(
      "usage: rill_bench [options]\n"
      "  --quick           tiny message counts, 1 run (the CI smoke test)\n"
      "  --runs N          timed runs per cell (default 5); figures are median, min, max\n"
      "  --seconds S       target wall time of one run (default 0.3)\n"
      "  --filter A,B,...  only rows or sections named (W3, W12, size, scaling, select,\n"
      "                    timeout, shared, floor, size-64B, producers-8, ...) or peers (rill,\n"
      "                    mutex, boost_fiber, ...); a row filter and a peer filter combine with 'and'\n"
      "  --out DIR         write DIR/latest.json, latest.md, latest.dat, latest-ratio.dat\n"
      "  --cell-timeout S  kill a cell after S seconds (default: automatic)\n"
      "  --git REV         revision to record (default: git rev-parse --short HEAD)\n"
      "  --list            list the cells and exit\n",
      code == 0 ? stdout : stderr);
  std::exit(code);
}

}  // namespace

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--runs") {
      o.runs = std::max(1, std::stoi(value()));
    } else if (a == "--seconds") {
      o.seconds = std::max(0.001, std::stod(value()));
    } else if (a == "--cell-timeout") {
      o.cell_timeout = std::stod(value());
    } else if (a == "--filter") {
      std::stringstream ss(value());
      for (std::string f; std::getline(ss, f, ',');)
        if (!f.empty()) o.filters.push_back(f);
    } else if (a == "--out") {
      o.out_dir = value();
    } else if (a == "--git") {
      o.git = value();
    } else if (a == "--help" || a == "-h") {
      usage(0);
    } else {
      std::fprintf(stderr, "rill_bench: unknown option %s\n", a.c_str());
      usage(2);
    }
  }
  if (o.quick) o.runs = 1;
  return o;
}

}  // namespace rill_bench
