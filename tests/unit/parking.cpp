// A thread that blocks stops using the CPU: after a bounded spin it sleeps
// in the kernel until a partner wakes it, and while it sleeps its CPU clock
// stands still. Linux-specific: the thread's scheduler state is read from
// /proc.
#include <rill/channel.hpp>
#include <rill/select.hpp>

#include <catch2/catch.hpp>

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace {

/// The scheduler state letter of thread `tid` of this process ('R' running
/// or runnable, 'S' sleeping, ...); '?' if it cannot be read.
char thread_state(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(stat, line);
  // The command name in parentheses may contain spaces: the state follows
  // the last ')'.
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

std::chrono::nanoseconds cpu_time(std::thread& t) {
  clockid_t clock{};
  REQUIRE(pthread_getcpuclockid(t.native_handle(), &clock) == 0);
  timespec ts{};
  REQUIRE(clock_gettime(clock, &ts) == 0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// Runs `block` on a thread, waits until that thread sleeps in the kernel,
/// checks that it uses no CPU over `quiet`, then `release`s it and joins.
void check_blocked_thread_sleeps(const std::function<void()>& block, const std::function<void()>& release) {
  std::atomic<pid_t> tid{0};
  std::thread blocked([&] {
    tid.store(static_cast<pid_t>(::syscall(SYS_gettid)));
    block();
  });
  REQUIRE(rill_test::eventually([&] { return tid.load() != 0; }));
  // Spinning and yielding show as 'R': 'S' means the thread has parked.
  const bool parked = rill_test::eventually([&] { return thread_state(tid.load()) == 'S'; });
  if (parked) {
    const auto before = cpu_time(blocked);
    std::this_thread::sleep_for(100ms);
    const auto used = cpu_time(blocked) - before;
    // Zero unless something wakes the thread; a periodic wake-up would cost
    // microseconds each time.
    CHECK(used <= 20us);
    CHECK(thread_state(tid.load()) == 'S');
  }
  release();
  blocked.join();
  REQUIRE(parked);
}

}  // namespace

TEST_CASE("parking: a receiver blocked on an empty channel sleeps without using the CPU", "[parking]") {
  auto [tx, rx] = rill::channel<int>();
  int got = 0;
  check_blocked_thread_sleeps([&, &rx = rx] { got = rx.recv().value_or(-1); }, [&, &tx = tx] { REQUIRE(tx.send(7)); });
  CHECK(got == 7);
}

TEST_CASE("parking: a sender blocked on a full channel sleeps without using the CPU", "[parking]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  REQUIRE(tx.send(1));
  bool sent = false;
  check_blocked_thread_sleeps([&, &tx = tx] { sent = tx.send(2).has_value(); }, [&, &rx = rx] { REQUIRE(rx.recv() == 1); });
  CHECK(sent);
  CHECK(rx.recv() == 2);
}

TEST_CASE("parking: a select over empty channels sleeps without using the CPU", "[parking]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<int>();
  std::size_t winner = 99;
  check_blocked_thread_sleeps([&, &rx1 = rx1, &rx2 = rx2] { winner = rill::select(rill::recv(rx1), rill::recv(rx2)).index(); },
                              [&, &tx2 = tx2] { REQUIRE(tx2.send(5)); });
  CHECK(winner == 1);
}
