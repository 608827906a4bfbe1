// Starting a program as a child of the test (spawn, and child_process for one
// that talks in lines): fork and exec, with the child
// SIGKILLed by the kernel if the thread that started it dies
// (PR_SET_PDEATHSIG), so that a test killed by its timeout leaves nothing
// behind. That signal follows the forking *thread*: start children on the
// test's own thread.
//
// The argument vector is built before fork(): between fork() and exec() in a
// threaded process only async-signal-safe calls are allowed.
#pragma once

#include <cerrno>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rill_test {

/// Starts `args[0]` (a path) with `args`, its stdin, stdout and stderr on the
/// given descriptors (which the child gets as 0, 1 and 2); returns its pid.
inline pid_t spawn(std::vector<std::string> args, int in, int out, int err) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("spawn: fork failed");
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return child;
}

/// Waits for the child `pid` to exit (through EINTR) and returns its
/// waitpid status.
inline int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/// A child that talks in lines: its stdin and stdout are pipes to the test,
/// which reads its lines with a deadline. Killed and reaped with the object.
class child_process {
 public:
  /// Starts `program` with `args`; the child's stderr is the test's.
  child_process(std::string program, std::vector<std::string> args) {
    args.insert(args.begin(), std::move(program));
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("child_process: pipe failed");
    pid_ = spawn(std::move(args), in[0], out[1], STDERR_FILENO);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    if (pid_ > 0) kill9();
    ::close(stdin_);
    ::close(stdout_);
  }

  /// The next line the peer printed, or nullopt at end of output or after `deadline`.
  std::optional<std::string> read_line(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (true) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Tells the peer to finish (its stdin closes) and returns its exit status.
  int finish() {
    ::close(stdin_);
    stdin_ = -1;
    return reap();
  }

  void kill9() {
    ::kill(pid_, SIGKILL);
    reap();
  }

 private:
  int reap() {
    const int status = wait_for_exit(pid_);
    pid_ = -1;
    return status;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

}  // namespace rill_test
