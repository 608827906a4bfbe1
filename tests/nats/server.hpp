// A nats-server with JetStream for one test: started on a free loopback port,
// with its own store in a fresh temporary directory, and gone (process and
// directory) when the object is.
//
//   rill_test::nats_server server;          // ready to accept clients
//   connect to server.url();
//   server.kill9();  server.restart();      // a crash, then the same port and store
//
// The server runs as
//   nats-server -a 127.0.0.1 -p -1 -js -sd <dir>/store --ports_file_dir <dir>/ports -l <dir>/log
// `-p -1` lets the kernel pick the port; the server writes it to
// nats-server_<pid>.ports once its listeners are up, and that file's
// appearance is the readiness signal (no fixed sleep, no port probing).
// restart() passes the port it had, so clients reconnect to the same URL.
// server_options puts it elsewhere: another address, and a launcher to run
// it with (netns.hpp runs it in a network namespace of its own).
//
// The server is started by spawn() (process.hpp), which asks the kernel
// (PR_SET_PDEATHSIG) to SIGKILL it when the thread that forked it dies, so a
// test binary killed by a timeout leaves no server behind. That signal
// follows the forking *thread*: create the fixture, and restart() it, on the
// test's own thread, as Catch2 runs it.
//
// The server's log is printed to stderr when the fixture is destroyed during
// an exception (a failed REQUIRE) or when the server could not start or died
// unexpectedly; print_log() prints it on demand.
//
// nats_cluster starts `size` such servers as one JetStream cluster on
// loopback: each also gets a server name, a cluster port and routes to the
// others' cluster ports. Cluster ports are chosen before the servers start
// (bound to port 0 and released), since every server must be told the
// others'; ready_jetstream() waits until the cluster has elected the leader
// that JetStream requests need.
//
// The path of nats-server comes from CMake (RILL_TEST_NATS_SERVER), resolved
// before fork(): between fork() and exec() in a threaded process only
// async-signal-safe calls are allowed, and a PATH search is not one.
#pragma once

#include "nats/process.hpp"

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RILL_TEST_NATS_SERVER
#error "RILL_TEST_NATS_SERVER (the path of nats-server) is set by tests/CMakeLists.txt"
#endif

namespace rill_test {

/// A loopback TCP port that was free a moment ago (bound to port 0, then
/// released).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("free_loopback_port: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("free_loopback_port: bind failed");
  return ntohs(addr.sin_port);
}

/// How a server joins a cluster (nats_cluster fills it in).
struct cluster_member {
  std::string cluster_name;
  std::string server_name;     // unique in the cluster: JetStream needs it
  int cluster_port = 0;        // where the other members route to
  std::vector<int> route_ports;  // the other members' cluster ports
};

/// Where and how a server runs; the defaults are a lone server on loopback.
struct server_options {
  /// The address it listens on (and clients connect to).
  std::string address = "127.0.0.1";
  /// A command that runs the server for the fixture (e.g. `ip netns exec
  /// <name>`, to run it in a network namespace); it must exec the server,
  /// so that the server keeps the pid the fixture signals.
  std::vector<std::string> launcher{};
  std::optional<cluster_member> cluster{};
  std::chrono::milliseconds ready_deadline = std::chrono::seconds(20);
};

class nats_server {
 public:
  /// Starts a server; throws std::runtime_error (with the log) if it does
  /// not become ready within the options' ready_deadline.
  explicit nats_server(server_options options = {}) : options_(std::move(options)) {
    std::string pattern = (std::filesystem::temp_directory_path() / "rill-nats-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("nats_server: mkdtemp failed");
    dir_ = pattern;
    std::filesystem::create_directories(dir_ / "ports");
    start();
  }

  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  ~nats_server() {
    if (std::uncaught_exceptions() > 0) print_log();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      reap();
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  /// The URL clients connect to: the same across restart().
  [[nodiscard]] std::string url() const { return "nats://" + options_.address + ":" + std::to_string(port_); }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running() const { return pid_ > 0; }

  /// A crash: SIGKILL, then waits for the process to be gone.
  void kill9() {
    require_running("kill9");
    ::kill(pid_, SIGKILL);
    reap();
  }

  /// A clean shutdown: SIGTERM, and waits for the server to exit (SIGKILL
  /// after the ready deadline, which counts as a failure).
  void stop() {
    require_running("stop");
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + options_.ready_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(pid_, SIGKILL);
    reap();
    fail("did not exit within the deadline after SIGTERM");
  }

  /// Starts the server again on the same port and store (after kill9 or stop).
  void restart() {
    if (pid_ > 0) throw std::logic_error("nats_server::restart: the server is still running");
    start();
  }

  void print_log() const {
    std::ifstream in(dir_ / "log");
    std::cerr << "---- nats-server log (" << (dir_ / "log").string() << ") ----\n"
              << std::string(std::istreambuf_iterator<char>(in), {}) << "---- end of log ----\n";
  }

 private:
  void start() {
    const std::string store = (dir_ / "store").string();
    const std::string ports = (dir_ / "ports").string();
    const std::string log = (dir_ / "log").string();
    const std::string port = port_ > 0 ? std::to_string(port_) : "-1";
    const int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (dev_null < 0) throw std::runtime_error("nats_server: cannot open /dev/null");
    std::vector<std::string> args = options_.launcher;
    args.insert(args.end(), {RILL_TEST_NATS_SERVER, "-a", options_.address, "-p", port, "-js", "-sd", store,
                             "--ports_file_dir", ports, "-l", log});
    if (const auto& cluster = options_.cluster) {
      std::string routes;
      for (const int route : cluster->route_ports) {
        routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(route);
      }
      args.insert(args.end(), {"-n", cluster->server_name, "--cluster_name", cluster->cluster_name, "--cluster",
                               "nats://127.0.0.1:" + std::to_string(cluster->cluster_port), "--routes", routes});
    }
    try {
      pid_ = spawn(std::move(args), dev_null, dev_null, dev_null);
    } catch (...) {
      ::close(dev_null);
      throw;
    }
    ::close(dev_null);
    wait_ready();
  }

  void wait_ready() {
    const auto ports_file = dir_ / "ports" / ("nats-server_" + std::to_string(pid_) + ".ports");
    const auto deadline = std::chrono::steady_clock::now() + options_.ready_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        fail("exited while starting (status " + std::to_string(status) + ")");
      }
      if (auto port = read_port(ports_file, options_.address)) {
        port_ = *port;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fail("wrote no ports file within the deadline");
  }

  // The ports file is JSON: {"nats":["nats://ADDRESS:PORT"],...}. It may
  // be seen half-written, in which case no port is found yet.
  static std::optional<int> read_port(const std::filesystem::path& file, const std::string& address) {
    std::ifstream in(file);
    if (!in) return std::nullopt;
    const std::string text(std::istreambuf_iterator<char>(in), {});
    const std::string prefix = "nats://" + address + ":";
    const auto at = text.find(prefix);
    if (at == std::string::npos) return std::nullopt;
    const auto digits = at + prefix.size();
    const auto end = text.find('"', digits);
    if (end == std::string::npos || end == digits) return std::nullopt;
    return std::stoi(text.substr(digits, end - digits));
  }

  void reap() {
    (void)wait_for_exit(pid_);
    pid_ = -1;
  }

  void require_running(const char* what) const {
    if (pid_ <= 0) throw std::logic_error(std::string("nats_server::") + what + ": the server is not running");
  }

  [[noreturn]] void fail(const std::string& why) const {
    print_log();
    throw std::runtime_error("nats_server: nats-server " + why + " (is it installed? scripts/setup.sh installs it)");
  }

  std::filesystem::path dir_;
  server_options options_;
  pid_t pid_ = -1;
  int port_ = -1;
};

/// `size` servers as one JetStream cluster (see the top of this file).
class nats_cluster {
 public:
  explicit nats_cluster(int size = 3) {
    std::vector<int> cluster_ports;
    for (int i = 0; i < size; ++i) cluster_ports.push_back(free_loopback_port());
    for (int i = 0; i < size; ++i) {
      cluster_member member{"rill", "rill-" + std::to_string(i), cluster_ports[static_cast<std::size_t>(i)], {}};
      for (int j = 0; j < size; ++j) {
        if (j != i) member.route_ports.push_back(cluster_ports[static_cast<std::size_t>(j)]);
      }
      members_.push_back(std::make_unique<nats_server>(server_options{.cluster = std::move(member)}));
    }
  }

  [[nodiscard]] nats_server& member(std::size_t i) { return *members_.at(i); }
  [[nodiscard]] std::size_t size() const { return members_.size(); }

  /// Every member's URL, comma-separated: a client tries them all.
  [[nodiscard]] std::string urls() const {
    std::string all;
    for (const auto& m : members_) all += (all.empty() ? "" : ",") + m->url();
    return all;
  }

  /// The member whose client URL is `url` (as natsConnection_GetConnectedUrl
  /// gives it), or size() if none.
  [[nodiscard]] std::size_t member_at(const std::string& url) const {
    for (std::size_t i = 0; i < members_.size(); ++i) {
      if (url == members_[i]->url() || url == "nats://localhost:" + std::to_string(members_[i]->port())) return i;
    }
    return members_.size();
  }

 private:
  std::vector<std::unique_ptr<nats_server>> members_;
};

}  // namespace rill_test
