// The report as JSON (latest.json): every run of every cell, for tools that
// compare runs.
#pragma once

#include "report.hpp"

#include <string>

namespace rill_bench {

std::string to_json(const report& rep);

}  // namespace rill_bench
