#include "report_json.hpp"

#include "peers.hpp"

#include <fmt/format.h>

#include <cmath>

namespace rill_bench {
namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20)
          out += fmt::format("\\u{:04x}", ch);
        else
          out += ch;
    }
  }
  return out;
}

std::string json_number(double v) {  // JSON has no NaN nor infinity
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.6g}", v);
}

}  // namespace

std::string to_json(const report& rep) {
  const environment& env = rep.env;
  std::string j = "{\n  \"meta\": {\n";
  j += fmt::format("    \"date\": \"{}\",\n", json_escape(env.date));
  j += fmt::format("    \"machine\": {{\"nproc\": {}, \"cpu\": \"{}\", \"os\": \"Linux\"}},\n", env.nproc,
                   json_escape(env.cpu));
  j += fmt::format("    \"compiler\": \"{}\",\n", json_escape(env.compiler_name));
  j += fmt::format("    \"git\": \"{}\",\n    \"worktree_dirty\": {},\n", json_escape(env.git),
                   env.dirty ? "true" : "false");
  j += fmt::format("    \"runs\": {},\n    \"seconds_per_run\": {},\n    \"quick\": {},\n", rep.opt.runs,
                   json_number(rep.opt.seconds), rep.opt.quick ? "true" : "false");
  j += fmt::format("    \"baseline_rss_kib\": {},\n    \"total_seconds\": {},\n", env.baseline_rss,
                   json_number(rep.total_seconds));
  j += "    \"peers\": [";
  bool first = true;
  for (const auto& p : peers()) {
    j += fmt::format("{}{{\"key\": \"{}\", \"title\": \"{}\", \"built\": {}}}", first ? "" : ", ", p.key,
                     json_escape(p.title), p.built ? "true" : "false");
    first = false;
  }
  j += "]\n  },\n  \"rows\": [\n";
  for (std::size_t i = 0; i < rep.rows.size(); ++i) {
    const row& r = rep.rows[i];
    const auto ratio = r.ratio();
    const cell_result* best = r.best_peer();
    j += fmt::format("    {{\"section\": \"{}\", \"id\": \"{}\", \"label\": \"{}\", \"unit\": \"{}\", \"best_peer\": {}, "
                     "\"rill_over_best\": {}}}{}\n",
                     r.section, r.id, json_escape(r.label), r.unit,
                     best ? fmt::format("\"{}\"", best->c->peer) : "null", ratio ? json_number(*ratio) : "null",
                     i + 1 < rep.rows.size() ? "," : "");
  }
  j += "  ],\n  \"cells\": [\n";
  for (std::size_t i = 0; i < rep.results.size(); ++i) {
    const cell_result& r = rep.results[i];
    const cell& c = *r.c;
    j += fmt::format("    {{\"section\": \"{}\", \"id\": \"{}\", \"peer\": \"{}\", \"unit\": \"{}\", "
                     "\"higher_is_better\": {}, \"status\": \"{}\", \"detail\": \"{}\",\n",
                     c.section, c.id, c.peer, c.unit, c.higher_better ? "true" : "false", r.status,
                     json_escape(r.detail));
    for (int m = 0; m < r.metrics(); ++m) {
      const std::string name = c.fixed_n ? c.metric_names[static_cast<std::size_t>(m)] : "rate";
      std::string values;
      for (const auto& run : r.runs) values += (values.empty() ? "" : ", ") + json_number(run.value(m));
      j += fmt::format("     \"{}\": {{\"median\": {}, \"min\": {}, \"max\": {}, \"runs\": [{}]}},\n", name,
                       json_number(r.value[m].median), json_number(r.value[m].min), json_number(r.value[m].max),
                       values);
    }
    j += fmt::format("     \"messages_per_run\": {}, \"cpu_ns_per_message\": {}, \"allocations_per_message\": {}, "
                     "\"peak_rss_kib\": {}, \"wall_seconds\": {}}}{}\n",
                     r.runs.empty() ? 0 : r.runs.front().messages, json_number(r.cpu_ns_per_msg),
                     json_number(r.allocs_per_msg), r.peak_rss_kib, json_number(r.wall),
                     i + 1 < rep.results.size() ? "," : "");
  }
  j += "  ]\n}\n";
  return j;
}

}  // namespace rill_bench
