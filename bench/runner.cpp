#include "runner.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

// The child talks to the parent one line at a time:
//   calibrated <n> <rate>                  (for a reader of a trace; the parent skips it)
//   run <n> <seconds> <messages> <metric0> <metric1> <cpu seconds> <allocations>
namespace rill_bench {
namespace {

// ---- the child side --------------------------------------------------------------------

/// User + sys time of this process's threads and of the children it has
/// reaped. A cell measured in-process has no children; a cell of a peer in
/// another language (cells_external.cpp) runs that peer's program as a child
/// and reaps it before its run returns, so the program's CPU time counts.
double cpu_seconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  return total;
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

/// How long a cell may take before it is killed: a calibration and --runs
/// runs with room for a slow machine, unless --cell-timeout says.
double cell_timeout(const options& o) {
  if (o.cell_timeout > 0) return o.cell_timeout;
  if (o.quick) return 30.0;
  return std::max(60.0, 10.0 * o.seconds * (o.runs + 2));
}

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

/// Medians of the figures and of the costs per message over the runs.
void summarize_runs(cell_result& res) {
  if (res.runs.empty()) return;
  std::vector<double> v0, v1, cpu, allocs;
  for (const auto& r : res.runs) {
    v0.push_back(r.value(0));
    if (res.c->fixed_n) v1.push_back(r.value(1));
    cpu.push_back(r.cpu_seconds * 1e9 / static_cast<double>(std::max<u64>(1, r.messages)));
    allocs.push_back(static_cast<double>(r.allocations) / static_cast<double>(std::max<u64>(1, r.messages)));
  }
  res.value[0] = summarize(v0);
  res.value[1] = summarize(v1);
  res.cpu_ns_per_msg = summarize(cpu).median;
  res.allocs_per_msg = res.c->counts_allocations ? summarize(allocs).median : std::nan("");
}

}  // namespace

cell_result run_cell(const cell& c, const options& o) {
  const double timeout = cell_timeout(o);
  cell_result res;
  res.c = &c;
  int fds[2];
  if (pipe(fds) != 0) {
    res.status = "failed";
    res.detail = "pipe failed";
    return res;
  }
  // A child that flushes its copy of stdio's buffers would print them twice.
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
  // Linux fills wait4's rusage with the child's own and its reaped
  // children's (RUSAGE_BOTH): ru_maxrss is the larger peak of the two, so
  // an external peer's program (cells_external.cpp) counts.
  res.peak_rss_kib = usage.ru_maxrss;
  if (timed_out) {
    res.status = "timeout";
    res.detail = fmt::format("killed after {:.0f} s", timeout);
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || res.runs.size() != static_cast<std::size_t>(o.runs)) {
    res.status = "failed";
    res.detail = WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                                     : fmt::format("exit {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  summarize_runs(res);
  return res;
}

}  // namespace rill_bench
