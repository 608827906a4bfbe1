// Starting a program as a child of the test: fork and exec, with the child
// SIGKILLed by the kernel if the thread that started it dies
// (PR_SET_PDEATHSIG), so that a test killed by its timeout leaves nothing
// behind. That signal follows the forking *thread*: start children on the
// test's own thread.
//
// The argument vector is built before fork(): between fork() and exec() in a
// threaded process only async-signal-safe calls are allowed.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
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

}  // namespace rill_test
