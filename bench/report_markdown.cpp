#include "report_markdown.hpp"

#include "peers.hpp"

#include <fmt/format.h>

#include <cmath>

namespace rill_bench {
namespace {

std::string fmt_rate(double per_second) {  // in millions
  const double m = per_second / 1e6;
  if (m >= 100) return fmt::format("{:.0f}", m);
  if (m >= 10) return fmt::format("{:.1f}", m);
  if (m >= 1) return fmt::format("{:.2f}", m);
  return fmt::format("{:.3f}", m);
}

std::string fmt_us(double us) {
  if (std::abs(us) >= 100) return fmt::format("{:.0f}", us);
  if (std::abs(us) >= 10) return fmt::format("{:.1f}", us);
  return fmt::format("{:.2f}", us);
}

std::string fmt_num(double v) {
  if (std::isnan(v)) return "n/a";
  if (v == 0) return "0";
  if (std::abs(v) >= 100) return fmt::format("{:.0f}", v);
  if (std::abs(v) >= 10) return fmt::format("{:.1f}", v);
  if (std::abs(v) >= 0.01) return fmt::format("{:.2f}", v);
  return fmt::format("{:.1e}", v);
}

std::string markdown_tables(const report& rep) {
  std::string out;
  const auto cols = built_peers();
  auto matrix = [&](const std::string& section, const std::string& title) {
    std::vector<const row*> rows;
    for (const auto& r : rep.rows)
      if (r.section == section) rows.push_back(&r);
    if (rows.empty()) return;
    out += fmt::format("\n{}\n\n| id | workload |", title);
    for (auto* p : cols) out += fmt::format(" {} |", p->title);
    out += " best peer | rill / best |\n|---|---|";
    for (std::size_t i = 0; i < cols.size(); ++i) out += "---:|";
    out += "---|---:|\n";
    for (const row* r : rows) {
      out += fmt::format("| {} | {} |", r->id, r->label);
      for (auto* p : cols) {
        auto it = r->by_peer.find(p->key);
        out += fmt::format(" {} |", it == r->by_peer.end() ? "-" : fmt_value(*it->second, 0));
      }
      const cell_result* best = r->best_peer();
      const auto ratio = r->ratio();
      out += fmt::format(" {} | {} |\n", best ? best->c->peer : "-", ratio ? fmt::format("{:.2f}", *ratio) : "-");
    }
  };
  const std::string runs_note =
      rep.opt.runs == 1 ? "one run" : fmt::format("median (min–max) of {} runs", rep.opt.runs);
  auto unit = [&](const char* what) { return fmt::format("millions of {} per second, {}", what, runs_note); };
  matrix("workloads", fmt::format("**Workloads W1–W13** (bench/README.md), u64 messages: {} (W7, W9: round trips). "
                                  "rill / best > 1: rill is faster. \"-\": the peer's API has no such operation "
                                  "(W12, W13 need a select).",
                                  unit("messages")));
  matrix("size", fmt::format("**Message size sweep**, spsc bounded(1024): {}.", unit("messages")));
  matrix("scaling", fmt::format("**Producer scaling**, mpsc bounded(1024): {}.", unit("messages")));

  // select vs recv
  {
    const row *recv = nullptr, *sel = nullptr;
    for (const auto& r : rep.rows) {
      if (r.section == "select" && r.id == "recv") recv = &r;
      if (r.section == "select" && r.id == "select-2") sel = &r;
    }
    if (recv || sel) {
      out += fmt::format("\n**Two-arm select vs plain recv** (rill), spsc bounded(1024): {}.\n\n", unit("messages"));
      out += "| consumer | rill | CPU ns/msg | select / recv |\n|---|---:|---:|---:|\n";
      for (const row* r : {recv, sel}) {
        if (!r || !r->rill()) continue;
        std::string rel = "-";
        if (r == sel && recv && recv->rill() && recv->rill()->ok() && sel->rill()->ok())
          rel = fmt::format("{:.2f}", sel->rill()->value[0].median / recv->rill()->value[0].median);
        out += fmt::format("| {} | {} | {} | {} |\n", r->label, fmt_value(*r->rill(), 0),
                           fmt_num(r->rill()->cpu_ns_per_msg), rel);
      }
    }
  }
  // timeout overshoot
  for (const auto& r : rep.rows) {
    if (r.section != "timeout") continue;
    out += fmt::format("\n**recv_timeout overshoot**: {} samples of a 1 ms timed receive on an empty channel; "
                       "actual wait minus 1 ms, microseconds (lower is better){}.\n\n",
                       rep.opt.quick ? 5 : 200, rep.opt.runs == 1 ? "" : ", " + runs_note);
    out += "| peer | median overshoot µs | p99 overshoot µs |\n|---|---:|---:|\n";
    for (auto* p : cols) {
      auto it = r.by_peer.find(p->key);
      if (it == r.by_peer.end()) {
        out += fmt::format("| {} | - | - |\n", p->title);
        continue;
      }
      out += fmt::format("| {} | {} | {} |\n", p->title, fmt_value(*it->second, 0), fmt_value(*it->second, 1));
    }
  }
  // Sections of single-peer rows: one row per approach, with its costs.
  auto approaches = [&](const std::string& section, const std::string& title, const char* per) {
    std::vector<const row*> rows;
    for (const auto& r : rep.rows)
      if (r.section == section) rows.push_back(&r);
    if (rows.empty()) return;
    out += "\n" + title + "\n\n";
    out += fmt::format("| approach | rate | CPU ns/{0} | allocs/{0} | peak RSS MiB |\n|---|---:|---:|---:|---:|\n", per);
    for (const row* r : rows)
      for (const auto& [key, res] : r->by_peer)
        out += fmt::format("| {} | {} | {} | {} | {:.1f} |\n", r->label, fmt_value(*res, 0),
                           fmt_num(res->cpu_ns_per_msg), fmt_num(res->allocs_per_msg),
                           static_cast<double>(res->peak_rss_kib) / 1024.0);
  };
  approaches("batch",
             fmt::format("**Batches**: send_many / recv_many (async_recv_many for the coroutine) against one "
                         "message per call, on the shapes of W1, W3 and W11: {}.",
                         unit("messages")),
             "msg");
  approaches("shared",
             fmt::format("**Channels vs shared memory**: 4 producer threads hand over the numbers 0..n-1 to be "
                         "summed: {}.",
                         unit("numbers")),
             "number");
  approaches("floor",
             fmt::format("**Asio's coroutines alone**, no channel, one io_context: {}. The floor under W9–W11: a "
                         "W10 message needs a ready co_await on each side, a W9 round trip two suspensions and two "
                         "ready co_awaits.",
                         unit("co_awaits")),
             "co_await");
  approaches("oneshot",
             fmt::format("**oneshot**: create a one-value channel, send one u64, receive it; on one thread, and as "
                         "the reply to a request sent to a worker thread over a rill channel: {}.",
                         unit("values or round trips")),
             "value");
  approaches("watch",
             fmt::format("**watch**: one writer sets a u64 to 1..n, four reader threads follow it until they "
                         "have seen n: {}.",
                         unit("updates")),
             "update");
  approaches("broadcast",
             fmt::format("**broadcast**: one producer thread sends the u64s 1..n to 1, 4 or 16 receiver threads, "
                         "each of which receives all n; none may be lost, so the producer waits for the slowest: "
                         "{}, counting each message once however many receive it.",
                         unit("messages")),
             "msg");
  return out;
}

std::string resource_table(const report& rep) {
  std::string out = "\n**Resources per cell**: CPU time per message (user + sys of all threads, so spinning shows), "
                    "heap allocations per message (global operator new, plus moodycamel's Traits::malloc; n/a for "
                    "the peers in other languages), peak RSS of the cell's process (includes the forked baseline). "
                    "The peers in other languages run in a program of their own per run, a child of the cell's "
                    "process: its CPU time and peak RSS count.\n\n";
  out += "| id | peer | median rate M/s | CPU ns/msg | allocs/msg | peak RSS MiB | n per run |\n"
         "|---|---|---:|---:|---:|---:|---:|\n";
  std::vector<std::string> keys;  // the peers' columns, then the references
  for (auto* p : built_peers()) keys.push_back(p->key);
  keys.insert(keys.end(), reference_keys.begin(), reference_keys.end());
  for (const auto& r : rep.rows) {
    if (r.section == "timeout") continue;
    for (const auto& key : keys) {
      auto it = r.by_peer.find(key);
      if (it == r.by_peer.end()) continue;
      const cell_result& c = *it->second;
      out += fmt::format("| {} | {} | {} | {} | {} | {:.1f} | {} |\n", r.id, key,
                         c.ok() ? fmt_rate(c.value[0].median) : c.status, fmt_num(c.cpu_ns_per_msg),
                         fmt_num(c.allocs_per_msg), static_cast<double>(c.peak_rss_kib) / 1024.0,
                         c.runs.empty() ? 0 : c.runs.front().n);
    }
  }
  return out;
}

}  // namespace

std::string fmt_value(const cell_result& r, int metric) {
  if (r.status == "timeout") return "t/o";
  if (!r.ok()) return "fail";
  const stats& s = r.value[metric];
  auto f = r.c->unit == "us" ? fmt_us : fmt_rate;
  if (r.runs.size() == 1) return f(s.median);
  return fmt::format("{} ({}–{})", f(s.median), f(s.min), f(s.max));
}

std::string header_lines(const report& rep) {
  const environment& env = rep.env;
  std::string s;
  s += fmt::format("rill_bench — {}\n", env.date);
  s += fmt::format("machine: {} ({} hardware threads), {}, Linux\n", env.cpu, env.nproc, env.compiler_name);
  s += fmt::format("git {}{}; {} run{} per figure{}; a forked child per cell (baseline RSS {:.1f} MiB)\n", env.git,
                   env.dirty ? " (working tree has uncommitted changes)" : "", rep.opt.runs,
                   rep.opt.runs == 1 ? "" : "s",
                   rep.opt.quick ? ", --quick (smoke test: tiny counts, figures meaningless)"
                                 : fmt::format(", about {:.2f} s each", rep.opt.seconds),
                   static_cast<double>(env.baseline_rss) / 1024.0);
  std::string skipped;
  for (const auto& p : peers())
    if (!p.built) skipped += fmt::format("{}{} ({})", skipped.empty() ? "" : "; ", p.key, p.missing_reason);
  if (!skipped.empty()) s += fmt::format("skipped peers (not found at build time): {}\n", skipped);
  return s;
}

std::string markdown_report(const report& rep) {
  return header_lines(rep) + markdown_tables(rep) + resource_table(rep) +
         fmt::format("\ntotal: {} cells in {:.0f} s\n", rep.results.size(), rep.total_seconds);
}

}  // namespace rill_bench
