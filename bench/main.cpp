// rill_bench: runs every workload on every peer its API allows, in the same
// binary and run, and reports medians with min and max.
//
// Each cell (one workload on one peer) runs in a child process of its own
// (fork), so that its peak RSS (getrusage via wait4) is its own, a peer that
// hangs or crashes only loses its cell, and no peer's threads or allocator
// state leak into the next one. In the child, the message count is first
// calibrated so that one run takes about --seconds (that run is also the
// warm-up), then the cell runs --runs times. Per run the child reports the
// wall time, the CPU time (getrusage, user + sys, all threads) and the heap
// allocations (replaced global operator new); the parent prints a table,
// and writes JSON, a Markdown table and gnuplot data with --out.
//
//   rill_bench [--quick] [--runs N] [--seconds S] [--filter A,B] [--out DIR]
//              [--cell-timeout S] [--git REV] [--list]
#include "common.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef RILL_BENCH_SOURCE_DIR
#define RILL_BENCH_SOURCE_DIR "."
#endif

namespace rill_bench {
namespace {

// ---- peers ---------------------------------------------------------------------

struct peer_info {
  const char* key;
  const char* title;  // column heading
  bool built;
  const char* missing_reason;
};

const std::vector<peer_info>& peers() {
  static const std::vector<peer_info> all = {
      {"rill", "rill", true, ""},
#ifdef RILL_BENCH_HAVE_ASIO_CHANNELS
      {"asio_concurrent", "asio concurrent_channel", true, ""},
      {"asio_channel", "asio channel", true, ""},
#else
      {"asio_concurrent", "asio concurrent_channel", false, "asio/experimental/concurrent_channel.hpp not found"},
      {"asio_channel", "asio channel", false, "asio/experimental/channel.hpp not found"},
#endif
#ifdef RILL_BENCH_HAVE_MOODYCAMEL
      {"moodycamel", "moodycamel BlockingConcurrentQueue", true, ""},
#else
      {"moodycamel", "moodycamel BlockingConcurrentQueue", false,
       "concurrentqueue/blockingconcurrentqueue.h not found (libconcurrentqueue-dev)"},
#endif
#ifdef RILL_BENCH_HAVE_BOOST_FIBER
      {"boost_fiber", "boost.fiber buffered_channel", true, ""},
#else
      {"boost_fiber", "boost.fiber buffered_channel", false, "Boost.Fiber not found (libboost-fiber-dev)"},
#endif
      {"mutex", "mutex+condvar deque", true, ""},
  };
  return all;
}

std::vector<const peer_info*> built_peers() {
  std::vector<const peer_info*> out;
  for (const auto& p : peers())
    if (p.built) out.push_back(&p);
  return out;
}

// ---- options ---------------------------------------------------------------------

struct options {
  bool quick = false;
  bool list = false;
  int runs = 5;
  double seconds = 0.3;  // target wall time of one run
  double cell_timeout = 0;  // 0: automatic
  std::vector<std::string> filters;
  std::string out_dir;
  std::string git;
};

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

options parse(int argc, char** argv) {
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

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Keys of measurements that are no channel peer of rill's but a reference
/// beside it: the standard library's alternatives to a channel ("std") and
/// Asio's coroutines without a channel ("asio").
const std::vector<std::string> reference_keys = {"std", "asio"};

bool is_reference_key(const std::string& key) {
  return std::find(reference_keys.begin(), reference_keys.end(), key) != reference_keys.end();
}

/// Row filters (ids, sections) and peer filters; each kind, when given,
/// must match.
bool selected(const cell& c, const std::vector<std::string>& filters) {
  bool any_row = false, row_hit = false, any_peer = false, peer_hit = false;
  for (const auto& raw : filters) {
    const std::string f = lower(raw);
    bool is_peer = false;
    for (const auto& p : peers())
      if (f == p.key) is_peer = true;
    if (is_reference_key(f)) is_peer = true;
    if (is_peer) {
      any_peer = true;
      peer_hit |= f == lower(c.peer);
    } else {
      any_row = true;
      row_hit |= f == lower(c.id) || f == lower(c.section);
    }
  }
  return (!any_row || row_hit) && (!any_peer || peer_hit);
}

// ---- machine description -----------------------------------------------------------

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 1));
    }
  return "unknown";
}

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    pclose(f);
  }
  return trim(out);
}

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang++ {}", __clang_version__);
#elif defined(__GNUC__)
  return fmt::format("g++ {}", __VERSION__);
#else
  return "unknown";
#endif
}

std::string now_iso() {
  char buf[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", std::localtime(&t));
  return buf;
}

// ---- the child side --------------------------------------------------------------------

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void write_line(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t w = ::write(fd, s.data() + done, s.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(3);
    }
    done += static_cast<std::size_t>(w);
  }
}

u64 round_to(u64 n, u64 granularity) { return std::max(granularity, n / granularity * granularity); }

/// In the child: calibrate, run, report one line per run on `fd`.
[[noreturn]] void child_main(const cell& c, const options& o, int fd) {
  u64 n = 0;
  if (c.fixed_n) {
    n = o.quick ? c.n_quick : c.n_fixed;
  } else if (o.quick) {
    n = round_to(c.n_quick, c.granularity);
  } else {
    // Calibration (also the warm-up): grow n until a run takes long enough
    // to time, then scale it to the target.
    n = round_to(c.n_start, c.granularity);
    double t = 0;
    for (;;) {
      t = c.run(n).seconds;
      if (t >= 0.04 || n >= c.n_max) break;
      const double grow = std::clamp(0.08 / std::max(t, 1e-6), 2.0, 20.0);
      n = std::min(c.n_max, round_to(static_cast<u64>(static_cast<double>(n) * grow), c.granularity));
    }
    // One more run of about a third of the target: on a shared machine one
    // run can be several times slower than the next, and sizing runs by the
    // fastest rate seen keeps them near the target instead of far beyond.
    double rate = static_cast<double>(n) / std::max(t, 1e-6);
    if (n < c.n_max) {
      const u64 n2 = round_to(static_cast<u64>(std::clamp(rate * o.seconds / 3, 1.0, static_cast<double>(c.n_max))),
                              c.granularity);
      rate = std::max(rate, static_cast<double>(n2) / std::max(c.run(n2).seconds, 1e-6));
    }
    n = round_to(static_cast<u64>(std::clamp(rate * o.seconds, 1.0, static_cast<double>(c.n_max))), c.granularity);
    write_line(fd, fmt::format("calibrated {} {:.1f}\n", n, rate));
  }
  for (int r = 0; r < o.runs; ++r) {
    const double cpu0 = cpu_seconds();
    const u64 alloc0 = allocation_count();
    measurement m = c.run(n);
    // If the calibration saw only slow runs, a run can end far below the
    // target: repeat it until the run covers at least half the target.
    while (!o.quick && !c.fixed_n && m.seconds < o.seconds / 2) {
      const measurement more = c.run(n);
      m.seconds += more.seconds;
      m.messages += more.messages;
    }
    const u64 allocs = allocation_count() - alloc0;
    const double cpu = cpu_seconds() - cpu0;
    write_line(fd, fmt::format("run {} {:.9f} {} {} {} {:.9f} {}\n", n, m.seconds, m.messages, m.metric[0],
                               m.metric[1], cpu, allocs));
    // And if the calibration saw only fast runs and this one was far slower
    // (on a loaded machine a run can drop into a mode ten times slower),
    // size the next runs down so that the cell keeps to its time budget.
    if (!o.quick && !c.fixed_n && m.seconds > 2 * o.seconds)
      n = round_to(static_cast<u64>(static_cast<double>(m.messages) * o.seconds / m.seconds), c.granularity);
  }
  ::close(fd);
  _exit(0);
}

// ---- the parent side -------------------------------------------------------------------

struct run_record {
  u64 n = 0;
  double seconds = 0;
  u64 messages = 0;
  double metric[2] = {0, 0};
  double cpu_seconds = 0;
  u64 allocations = 0;
  double value(int i) const {  // the figure reported for metric i
    if (!std::isnan(metric[i])) return metric[i];
    return static_cast<double>(messages) / seconds;
  }
};

struct stats {
  double median = 0, min = 0, max = 0;
};

stats summarize(std::vector<double> v) {
  stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size();
  s.median = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

struct cell_result {
  const cell* c = nullptr;
  std::string status = "ok";  // ok, failed, timeout
  std::string detail;
  std::vector<run_record> runs;
  long peak_rss_kib = 0;
  double wall = 0;
  stats value[2];
  double cpu_ns_per_msg = 0;
  double allocs_per_msg = 0;
  int metrics() const { return c->fixed_n ? 2 : 1; }
  bool ok() const { return status == "ok"; }
};

void parse_line(const std::string& line, cell_result& res) {
  std::istringstream in(line);
  std::string kind;
  in >> kind;
  if (kind != "run") return;
  run_record r;
  std::string m0, m1;
  in >> r.n >> r.seconds >> r.messages >> m0 >> m1 >> r.cpu_seconds >> r.allocations;
  r.metric[0] = m0 == "nan" ? std::nan("") : std::stod(m0);
  r.metric[1] = m1 == "nan" ? std::nan("") : std::stod(m1);
  res.runs.push_back(r);
}

/// Forks, runs the cell in the child and collects what it reports.
cell_result run_cell(const cell& c, const options& o, double timeout) {
  cell_result res;
  res.c = &c;
  int fds[2];
  if (pipe(fds) != 0) {
    res.status = "failed";
    res.detail = "pipe failed";
    return res;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const auto start = clock_type::now();
  const pid_t pid = fork();
  if (pid < 0) {
    res.status = "failed";
    res.detail = "fork failed";
    return res;
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(c, o, fds[1]);
  }
  ::close(fds[1]);
  std::string buffer;
  bool timed_out = false;
  for (;;) {
    const double left = timeout - seconds_since(start);
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min(left, 1.0) * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[4096];
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the child closed its end
    buffer.append(buf, static_cast<std::size_t>(got));
    for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      parse_line(buffer.substr(0, nl), res);
      buffer.erase(0, nl + 1);
    }
  }
  ::close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  res.wall = seconds_since(start);
  res.peak_rss_kib = usage.ru_maxrss;
  if (timed_out) {
    res.status = "timeout";
    res.detail = fmt::format("killed after {:.0f} s", timeout);
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || res.runs.size() != static_cast<std::size_t>(o.runs)) {
    res.status = "failed";
    res.detail = WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                                     : fmt::format("exit {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  if (!res.runs.empty()) {
    std::vector<double> v0, v1, cpu, allocs;
    for (const auto& r : res.runs) {
      v0.push_back(r.value(0));
      if (c.fixed_n) v1.push_back(r.value(1));
      cpu.push_back(r.cpu_seconds * 1e9 / static_cast<double>(std::max<u64>(1, r.messages)));
      allocs.push_back(static_cast<double>(r.allocations) / static_cast<double>(std::max<u64>(1, r.messages)));
    }
    res.value[0] = summarize(v0);
    res.value[1] = summarize(v1);
    res.cpu_ns_per_msg = summarize(cpu).median;
    res.allocs_per_msg = summarize(allocs).median;
  }
  return res;
}

long baseline_rss_kib() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  return usage.ru_maxrss;
}

// ---- formatting ------------------------------------------------------------------------

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
  if (v == 0) return "0";
  if (std::abs(v) >= 100) return fmt::format("{:.0f}", v);
  if (std::abs(v) >= 10) return fmt::format("{:.1f}", v);
  if (std::abs(v) >= 0.01) return fmt::format("{:.2f}", v);
  return fmt::format("{:.1e}", v);
}

std::string fmt_value(const cell_result& r, int metric) {
  if (r.status == "timeout") return "t/o";
  if (!r.ok()) return "fail";
  const stats& s = r.value[metric];
  auto f = r.c->unit == "us" ? fmt_us : fmt_rate;
  if (r.runs.size() == 1) return f(s.median);
  return fmt::format("{} ({}–{})", f(s.median), f(s.min), f(s.max));
}

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

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.6g}", v);
}

/// A row of the tables: one workload, one result per peer.
struct row {
  std::string section, id, label, unit;
  std::map<std::string, const cell_result*> by_peer;
  const cell_result* rill() const {
    auto it = by_peer.find("rill");
    return it == by_peer.end() ? nullptr : it->second;
  }
  /// The best peer other than rill on metric 0, if any ran.
  const cell_result* best_peer() const {
    const cell_result* best = nullptr;
    for (const auto& [key, r] : by_peer) {
      if (key == "rill" || is_reference_key(key) || !r->ok()) continue;
      const bool better = !best || (r->c->higher_better ? r->value[0].median > best->value[0].median
                                                        : r->value[0].median < best->value[0].median);
      if (better) best = r;
    }
    return best;
  }
  /// How many times better rill is than the best peer (> 1: rill better).
  std::optional<double> ratio() const {
    const cell_result* a = rill();
    const cell_result* b = best_peer();
    if (!a || !b || !a->ok() || a->value[0].median <= 0 || b->value[0].median <= 0) return std::nullopt;
    return a->c->higher_better ? a->value[0].median / b->value[0].median : b->value[0].median / a->value[0].median;
  }
};

struct report {
  options opt;
  std::string date, cpu, compiler_name, git;
  bool dirty = false;
  unsigned nproc = 0;
  long baseline_rss = 0;
  double total_seconds = 0;
  std::vector<cell_result> results;
  std::vector<row> rows;
};

void build_rows(report& rep) {
  std::map<std::string, std::size_t> index;
  for (const auto& r : rep.results) {
    const std::string key = r.c->section + "/" + r.c->id;
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, rep.rows.size()).first;
      rep.rows.push_back(row{r.c->section, r.c->id, r.c->label, r.c->unit, {}});
    }
    rep.rows[it->second].by_peer[r.c->peer] = &r;
  }
}

std::string header_lines(const report& rep) {
  std::string s;
  s += fmt::format("rill_bench — {}\n", rep.date);
  s += fmt::format("machine: {} ({} hardware threads), {}, Linux\n", rep.cpu, rep.nproc, rep.compiler_name);
  s += fmt::format("git {}{}; {} run{} per figure{}; a forked child per cell (baseline RSS {:.1f} MiB)\n", rep.git,
                   rep.dirty ? " (working tree has uncommitted changes)" : "", rep.opt.runs,
                   rep.opt.runs == 1 ? "" : "s",
                   rep.opt.quick ? ", --quick (smoke test: tiny counts, figures meaningless)"
                                 : fmt::format(", about {:.2f} s each", rep.opt.seconds),
                   static_cast<double>(rep.baseline_rss) / 1024.0);
  std::string skipped;
  for (const auto& p : peers())
    if (!p.built) skipped += fmt::format("{}{} ({})", skipped.empty() ? "" : "; ", p.key, p.missing_reason);
  if (!skipped.empty()) s += fmt::format("skipped peers (not found at build time): {}\n", skipped);
  return s;
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
  matrix("workloads", fmt::format("**Workloads W1–W13** (DESIGN.md), u64 messages: {} (W7, W9: round trips). "
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
  return out;
}

std::string resource_table(const report& rep) {
  std::string out = "\n**Resources per cell**: CPU time per message (user + sys of all threads, so spinning shows), "
                    "heap allocations per message (global operator new, plus moodycamel's Traits::malloc), peak RSS "
                    "of the cell's process (includes the forked baseline).\n\n";
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

std::string to_json(const report& rep) {
  std::string j = "{\n  \"meta\": {\n";
  j += fmt::format("    \"date\": \"{}\",\n", json_escape(rep.date));
  j += fmt::format("    \"machine\": {{\"nproc\": {}, \"cpu\": \"{}\", \"os\": \"Linux\"}},\n", rep.nproc,
                   json_escape(rep.cpu));
  j += fmt::format("    \"compiler\": \"{}\",\n", json_escape(rep.compiler_name));
  j += fmt::format("    \"git\": \"{}\",\n    \"worktree_dirty\": {},\n", json_escape(rep.git),
                   rep.dirty ? "true" : "false");
  j += fmt::format("    \"runs\": {},\n    \"seconds_per_run\": {},\n    \"quick\": {},\n", rep.opt.runs,
                   json_number(rep.opt.seconds), rep.opt.quick ? "true" : "false");
  j += fmt::format("    \"baseline_rss_kib\": {},\n    \"total_seconds\": {},\n", rep.baseline_rss,
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

/// gnuplot data: W1-W13 throughput per peer (median, min, max in millions
/// per second; "-" when absent), and rill / best peer for every row that has
/// one.
void write_plot_data(const report& rep, const std::filesystem::path& dir) {
  const auto cols = built_peers();
  std::ofstream t(dir / "latest.dat");
  t << "id";
  for (auto* p : cols) t << ' ' << p->key << ' ' << p->key << "_min " << p->key << "_max";
  t << '\n';
  for (const auto& r : rep.rows) {
    if (r.section != "workloads") continue;
    t << r.id;
    for (auto* p : cols) {
      auto it = r.by_peer.find(p->key);
      if (it == r.by_peer.end() || !it->second->ok()) {
        t << " - - -";
      } else {
        const stats& s = it->second->value[0];
        t << fmt::format(" {:.6g} {:.6g} {:.6g}", s.median / 1e6, s.min / 1e6, s.max / 1e6);
      }
    }
    t << '\n';
  }
  std::ofstream q(dir / "latest-ratio.dat");
  q << "id ratio best_peer\n";
  for (const auto& r : rep.rows) {
    if (r.section != "workloads" && r.section != "size" && r.section != "scaling") continue;
    const auto ratio = r.ratio();
    if (!ratio) continue;
    std::string id = r.id;
    if (id.rfind("producers-", 0) == 0) id = id.substr(10) + "prod";
    if (id.rfind("size-", 0) == 0) id = id.substr(5);
    q << id << ' ' << fmt::format("{:.4g}", *ratio) << ' ' << r.best_peer()->c->peer << '\n';
  }
}

int main_impl(int argc, char** argv) {
  const options opt = parse(argc, argv);
  registry all;
  add_rill_cells(all);
#ifdef RILL_BENCH_HAVE_ASIO_CHANNELS
  add_asio_cells(all);
#endif
#ifdef RILL_BENCH_HAVE_MOODYCAMEL
  add_moodycamel_cells(all);
#endif
#ifdef RILL_BENCH_HAVE_BOOST_FIBER
  add_boost_fiber_cells(all);
#endif
  add_mutex_cells(all);

  // Canonical order: section, then row as rill registered it, then peer.
  const std::vector<std::string> sections = {"workloads", "size", "scaling", "select", "timeout", "shared", "floor"};
  std::map<std::string, std::size_t> row_order;
  for (const auto& c : all) row_order.emplace(c.section + "/" + c.id, row_order.size());
  auto section_rank = [&](const std::string& s) {
    return static_cast<std::size_t>(std::find(sections.begin(), sections.end(), s) - sections.begin());
  };
  auto peer_rank = [&](const std::string& key) {
    for (std::size_t i = 0; i < peers().size(); ++i)
      if (key == peers()[i].key) return i;
    return peers().size();
  };
  auto id_rank = [](const std::string& id) {  // W1 < W2 < ... < W13
    if (id.size() > 1 && id[0] == 'W' && std::isdigit(static_cast<unsigned char>(id[1]))) return std::stoul(id.substr(1));
    return 1000ul;
  };
  std::vector<const cell*> cells;
  for (const auto& c : all)
    if (selected(c, opt.filters)) cells.push_back(&c);
  std::stable_sort(cells.begin(), cells.end(), [&](const cell* a, const cell* b) {
    const auto ka = std::make_tuple(section_rank(a->section), id_rank(a->id), row_order[a->section + "/" + a->id],
                                    peer_rank(a->peer));
    const auto kb = std::make_tuple(section_rank(b->section), id_rank(b->id), row_order[b->section + "/" + b->id],
                                    peer_rank(b->peer));
    return ka < kb;
  });

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
  rep.date = now_iso();
  rep.cpu = cpu_model();
  rep.nproc = std::thread::hardware_concurrency();
  rep.compiler_name = compiler();
  rep.git = opt.git;
  const std::string src = RILL_BENCH_SOURCE_DIR;
  if (rep.git.empty()) rep.git = run_command("git -C '" + src + "' rev-parse --short HEAD 2>/dev/null");
  if (rep.git.empty()) rep.git = "unknown";
  // bench/results is this program's output (run.sh's tee has rewritten
  // latest.txt by now), not source: it does not make the tree dirty.
  rep.dirty = !run_command("git -C '" + src +
                           "' status --porcelain --untracked-files=no -- . ':!bench/results' 2>/dev/null")
                   .empty();
  rep.baseline_rss = baseline_rss_kib();

  std::fputs(header_lines(rep).c_str(), stderr);
  const double timeout = opt.cell_timeout > 0 ? opt.cell_timeout
                         : opt.quick          ? 30.0
                                              : std::max(60.0, 10.0 * opt.seconds * (opt.runs + 2));
  const auto start = clock_type::now();
  rep.results.reserve(cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const cell& c = *cells[i];
    std::fprintf(stderr, "[%3zu/%zu] %-10s %-20s %-16s ", i + 1, cells.size(), c.section.c_str(), c.id.c_str(),
                 c.peer.c_str());
    std::fflush(stderr);
    rep.results.push_back(run_cell(c, opt, timeout));
    const cell_result& r = rep.results.back();
    const std::string unit = c.unit == "us" ? " us" : " M" + c.unit;
    std::fprintf(stderr, "%-24s %6.1f s  (%.0f s total)%s%s\n", (fmt_value(r, 0) + (r.ok() ? unit : "")).c_str(),
                 r.wall, seconds_since(start), r.detail.empty() ? "" : "  ", r.detail.c_str());
  }
  rep.total_seconds = seconds_since(start);
  build_rows(rep);

  const std::string tables = markdown_tables(rep);
  const std::string resources = resource_table(rep);
  fmt::print("{}{}{}\ntotal: {} cells in {:.0f} s\n", header_lines(rep), tables, resources, rep.results.size(),
             rep.total_seconds);

  int failures = 0;
  for (const auto& r : rep.results)
    if (!r.ok()) ++failures;

  if (!opt.out_dir.empty()) {
    const std::filesystem::path dir(opt.out_dir);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "latest.json") << to_json(rep);
    std::ofstream(dir / "latest.md") << header_lines(rep) << tables << resources
                                     << fmt::format("\ntotal: {} cells in {:.0f} s\n", rep.results.size(),
                                                    rep.total_seconds);
    write_plot_data(rep, dir);
    std::fprintf(stderr, "rill_bench: wrote %s/latest.{json,md,dat}\n", opt.out_dir.c_str());
  }
  if (failures) std::fprintf(stderr, "rill_bench: %d cell(s) failed or timed out\n", failures);
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace rill_bench

int main(int argc, char** argv) { return rill_bench::main_impl(argc, argv); }
