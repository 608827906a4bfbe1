// The test's side of rill_nats_peer (peer_main.cpp): starts it, reads its
// lines with a deadline, kills it. Gone (killed and reaped) with the object.
#pragma once

#include "nats/process.hpp"

#include <cerrno>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RILL_TEST_NATS_PEER
#error "RILL_TEST_NATS_PEER (the path of rill_nats_peer) is set by tests/CMakeLists.txt"
#endif

namespace rill_test {

class nats_peer {
 public:
  explicit nats_peer(std::vector<std::string> args) {
    args.insert(args.begin(), RILL_TEST_NATS_PEER);
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("nats_peer: pipe failed");
    pid_ = spawn(std::move(args), in[0], out[1], STDERR_FILENO);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }

  nats_peer(const nats_peer&) = delete;
  nats_peer& operator=(const nats_peer&) = delete;

  ~nats_peer() {
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
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

}  // namespace rill_test
