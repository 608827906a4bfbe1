// rill_bench's command line.
#pragma once

#include <string>
#include <vector>

namespace rill_bench {

struct options {
  bool quick = false;
  bool list = false;
  int runs = 5;
  double seconds = 0.3;     // target wall time of one run
  double cell_timeout = 0;  // 0: automatic
  std::vector<std::string> filters;
  std::string out_dir;
  std::string git;
};

/// Parses the command line; prints the usage and exits on --help (0) and on
/// an unknown option or a missing value (2).
options parse_options(int argc, char** argv);

}  // namespace rill_bench
