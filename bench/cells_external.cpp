// rill_bench: the peers in other languages — crossbeam-channel, Rust's
// std::sync::mpsc, tokio's mpsc and flume (bench/external/rust), Go's
// channels (bench/external/go) — measured in the same run as rill, on the
// same rows (common.hpp's workload_rows) with the same counts.
//
// Their cells run like every other: in a forked child of the runner,
// calibrated, then --runs times. Only the run function differs: it starts
// the peer's program for one run of the workload and takes the seconds that
// program timed,
//
//   <program> --peer KEY --workload ID --n COUNT   prints "0.123456789\n"
//
// The program builds its channels outside the timing and times the part
// where the messages move, as workloads.hpp does; it checks the sum (or the
// count) itself and exits non-zero on a wrong one, which fails the cell.
//
// What the report's other columns mean for these cells:
// - CPU time: the runner's child takes getrusage(RUSAGE_SELF) plus
//   getrusage(RUSAGE_CHILDREN) around a run (runner.cpp). The program is a
//   child of that process, reaped (waitpid) before the run returns, so all of
//   its user + sys time counts: its threads' and also its start-up (the Go
//   runtime, the tokio runtime), as the set-up counts for the other peers.
// - peak RSS: the runner's wait4 of its child returns the rusage of the child
//   together with the children it reaped (Linux's RUSAGE_BOTH: ru_maxrss is
//   the larger of the two), so the figure is the larger of the forked
//   rill_bench and the program's peak.
// - allocations: n/a (counts_allocations = false): the program's heap is
//   not this binary's operator new.
#include "common.hpp"
#include "external.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace rill_bench {
namespace {

/// Runs `program --peer key --workload id --n n`, waits for it and returns
/// the seconds it printed. Anything else fails the cell.
measurement run_external(const char* program, const char* key, const char* id, u64 n) {
  const std::string count = std::to_string(n);
  const char* argv[] = {program, "--peer", key, "--workload", id, "--n", count.c_str(), nullptr};
  int out[2];
  check(pipe2(out, O_CLOEXEC) == 0, "pipe for an external peer");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  check(pid >= 0, "fork for an external peer");
  if (pid == 0) {
    // Async-signal-safe calls only. The program dies with this process: the
    // runner SIGKILLs a cell that overruns, and the program must not outlive it.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    if (dup2(out[1], STDOUT_FILENO) < 0) _exit(127);
    close_range(3, ~0U, 0);  // the runner's report pipe among them
    execv(program, const_cast<char* const*>(argv));
    _exit(127);
  }
  ::close(out[1]);
  std::string text;
  for (char buf[256];;) {
    const ssize_t got = ::read(out[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    text.append(buf, static_cast<std::size_t>(got));
  }
  ::close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string what = fmt::format("{} --peer {} --workload {} --n {}", program, key, id, n);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    check_failed((what + (WIFEXITED(status) ? fmt::format(": exit {}", WEXITSTATUS(status))
                                            : fmt::format(": signal {}", WTERMSIG(status))))
                     .c_str());
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(seconds >= 0)) check_failed((what + ": printed no seconds: " + text).c_str());
  return {seconds, n};
}

struct external_peer {
  const char* key;  ///< as in peers.cpp, and the program's --peer
  const external::program& program;
  std::vector<const char*> workloads;
};

}  // namespace

void add_external_cells(registry& r) {
  using external::go;
  using external::rust;
  const external_peer table[] = {
      // bounded(0) is a rendezvous; Receiver is Clone (W8); select! (W12, W13)
      {"crossbeam", rust, {"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W12", "W13"}},
      // sync_channel(0) is a rendezvous; no W8 (one consumer: Receiver is
      // neither Clone nor Sync), no select
      {"rust_std", rust, {"W1", "W2", "W3", "W4", "W5", "W6", "W7"}},
      // no W1, W2: no unbounded channel; goroutines for the threads and the
      // coroutines (main.go says how each row maps)
      {"go", go, {"W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11", "W12", "W13"}},
      // tasks on a current-thread tokio runtime; W11's thread sends with the blocking send
      {"tokio", rust, {"W9", "W10", "W11"}},
      {"flume", rust, {"W9", "W10", "W11"}},
  };
  for (const auto& p : table) {
    if (!p.program.built()) continue;
    for (const char* id : p.workloads) {
      cell c = make_workload_cell(
          id, p.key, [program = p.program.path, key = p.key, id](u64 n) { return run_external(program, key, id, n); });
      c.counts_allocations = false;
      r.push_back(std::move(c));
    }
  }
}

}  // namespace rill_bench
