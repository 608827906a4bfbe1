// A network namespace of the test's own, joined to the test's namespace by
// a veth pair, so that a test can cut the network between a client and a
// server without stopping either: the link goes down, packets stop, and
// neither side gets a reset or an error; the client has to notice by
// itself. Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), as CI and
// scripts/test.sh run.
//
//   rill_test::network_namespace ns;               // 10.213.X.1 here, 10.213.X.2 there
//   rill_test::nats_server server({.address = ns.inside_address(), .launcher = ns.launcher()});
//   ns.cut();  ns.restore();
//
// The namespace and its veth pair are deleted with the object. Names and
// the /30 subnet are drawn from the test's pid, so tests in different
// processes at once do not meet.
//
// The path of ip comes from CMake (RILL_TEST_IP).
#pragma once

#include "nats/process.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RILL_TEST_IP
#error "RILL_TEST_IP (the path of ip, from iproute2) is set by tests/CMakeLists.txt"
#endif

namespace rill_test {

class network_namespace {
 public:
  network_namespace() {
    const auto pid = static_cast<unsigned>(::getpid());
    name_ = "rill-" + std::to_string(pid);
    outside_link_ = "rv" + std::to_string(pid) + "o";  // at most 15 bytes: pids stay below 2^22
    inside_link_ = "rv" + std::to_string(pid) + "i";
    const std::string subnet = "10.213." + std::to_string(pid % 256) + ".";
    const unsigned first = 4 * ((pid / 256) % 64);  // of a /30: network, here, there, broadcast
    outside_address_ = subnet + std::to_string(first + 1);
    inside_address_ = subnet + std::to_string(first + 2);

    remove();  // one left by a killed test whose pid this process now has
    ip({"netns", "add", name_});
    try {
      ip({"link", "add", outside_link_, "type", "veth", "peer", "name", inside_link_});
      ip({"link", "set", inside_link_, "netns", name_});
      ip({"addr", "add", outside_address_ + "/30", "dev", outside_link_});
      ip({"link", "set", outside_link_, "up"});
      ip({"-n", name_, "addr", "add", inside_address_ + "/30", "dev", inside_link_});
      ip({"-n", name_, "link", "set", inside_link_, "up"});
      ip({"-n", name_, "link", "set", "lo", "up"});
    } catch (...) {
      remove();
      throw;
    }
  }

  network_namespace(const network_namespace&) = delete;
  network_namespace& operator=(const network_namespace&) = delete;

  ~network_namespace() { remove(); }

  /// The address of the namespace's end of the link, where a server inside listens.
  [[nodiscard]] const std::string& inside_address() const { return inside_address_; }

  /// The command that runs a program inside the namespace (it execs it).
  [[nodiscard]] std::vector<std::string> launcher() const { return {RILL_TEST_IP, "netns", "exec", name_}; }

  /// Takes the link down: packets between the two sides stop, silently.
  void cut() { ip({"link", "set", outside_link_, "down"}); }

  /// Brings the link back up.
  void restore() { ip({"link", "set", outside_link_, "up"}); }

 private:
  // Runs ip with `args` and waits for it; throws if it fails.
  static void ip(std::vector<std::string> args) {
    if (run(std::move(args)) != 0) throw std::runtime_error("network_namespace: ip failed (is this run as root?)");
  }

  static int run(std::vector<std::string> args) {
    args.insert(args.begin(), RILL_TEST_IP);
    const int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    const pid_t pid = spawn(std::move(args), dev_null, dev_null, STDERR_FILENO);
    ::close(dev_null);
    const int status = wait_for_exit(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Deleting the namespace deletes the veth pair with it.
  void remove() noexcept {
    try {
      (void)run({"netns", "del", name_});
    } catch (...) {  // fork failed: nothing more can be done here
    }
  }

  std::string name_;
  std::string outside_link_;
  std::string inside_link_;
  std::string outside_address_;
  std::string inside_address_;
};

}  // namespace rill_test
