// Parking, the platform layer under every blocked thread
// (detail/parking.hpp): first the layer itself, on whichever backend this
// build compiled (the futex on Linux, WaitOnAddress on Windows, the
// portable fallback elsewhere and in the RILL_PORTABLE_PARKING build), then
// that a thread blocked on a channel sleeps without using the CPU, which
// only Linux lets a test see.
#include <rill/channel.hpp>
#include <rill/detail/parking.hpp>
#include <rill/select.hpp>

#include <catch2/catch.hpp>

#if defined(__linux__)
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace {

using rill::detail::park_wait;
using rill::detail::park_wake_all;
using rill::detail::park_wake_one;
using word_t = std::atomic<std::uint32_t>;
using clock_type = std::chrono::steady_clock;

/// Parks on `word` while it holds `expected`, the way futex_mutex and
/// thread_token do: re-checking after every return, until the word changes
/// or `deadline` (if any) passes. Returns how often park_wait returned, so a
/// test can tell a thread that slept from one that spun.
int park_until_changed(word_t& word, std::uint32_t expected, const clock_type::time_point* deadline) {
  int returns = 0;
  while (word.load(std::memory_order_acquire) == expected) {
    if (deadline != nullptr && clock_type::now() >= *deadline) break;
    park_wait(word, expected, deadline);
    ++returns;
  }
  return returns;
}

/// Long enough that a waiter is asleep by then (it parks at once: no spin
/// in this layer), short enough to keep the tests quick.
constexpr auto settle = std::chrono::milliseconds(50);

}  // namespace

// Which backend parks the threads is decided at compile time; the build
// states which one it means to get (RILL_TEST_PARKING_BACKEND, from
// cmake/rill-parking.cmake), so that a define lost between CMake and the
// compiler fails here instead of quietly testing the default backend.
TEST_CASE("parking: the build parks threads with the backend it selects", "[parking]") {
  using rill::detail::parking_backend;
  using rill::detail::parking_kind;
  const std::string_view name = RILL_PARKING_BACKEND_NAME;
  INFO("parking backend: " << name);
#if defined(RILL_PORTABLE_PARKING)
  CHECK(parking_backend == parking_kind::portable);
#elif defined(__linux__)
  CHECK(parking_backend == parking_kind::futex);
#elif defined(_WIN32)
  CHECK(parking_backend == parking_kind::wait_on_address);
#else
  CHECK(parking_backend == parking_kind::portable);
#endif
  CHECK(name == (parking_backend == parking_kind::futex             ? "futex"
                 : parking_backend == parking_kind::wait_on_address ? "wait_on_address"
                                                                    : "portable"));
#if defined(RILL_TEST_PARKING_BACKEND)
  CHECK(name == RILL_TEST_PARKING_BACKEND);
#endif
}

TEST_CASE("parking: a wait on a word that no longer holds the expected value returns at once", "[parking]") {
  // The wake-before-wait case: the change and its wake came first, and the
  // wait that follows must not sleep (a lost wake-up otherwise).
  word_t word{1};
  park_wake_one(word);
  park_wake_all(word);
  const auto start = clock_type::now();
  park_wait(word, 0, nullptr);
  const auto in_an_hour = clock_type::now() + std::chrono::hours(1);
  park_wait(word, 0, &in_an_hour);
  CHECK(clock_type::now() - start < std::chrono::seconds(5));
}

TEST_CASE("parking: a parked thread sleeps until a wake after the word changes", "[parking]") {
  const bool timed = GENERATE(false, true);
  INFO((timed ? "with a deadline" : "without a deadline"));
  word_t word{0};
  std::atomic<int> returns{-1};
  std::thread waiter([&] {
    const auto in_an_hour = clock_type::now() + std::chrono::hours(1);
    returns = park_until_changed(word, 0, timed ? &in_an_hour : nullptr);
  });
  std::this_thread::sleep_for(settle);
  word.store(1, std::memory_order_release);
  park_wake_one(word);
  REQUIRE(rill_test::eventually([&] { return returns.load() >= 0; }));
  waiter.join();
  // It slept: a handful of spurious returns at most, not a spin.
  CHECK(returns.load() <= 3);
}

TEST_CASE("parking: wake_all wakes every thread parked on the word, timed or not", "[parking]") {
  // Some wait with a deadline, some without: one wake reaches both kinds.
  word_t word{0};
  constexpr int waiters = 4;
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < waiters; ++i)
    threads.emplace_back([&, i] {
      const auto in_an_hour = clock_type::now() + std::chrono::hours(1);
      park_until_changed(word, 0, i % 2 == 0 ? &in_an_hour : nullptr);
      finished.fetch_add(1);
    });
  std::this_thread::sleep_for(settle);
  CHECK(finished.load() == 0);
  word.store(1, std::memory_order_release);
  park_wake_all(word);
  CHECK(rill_test::eventually([&] { return finished.load() == waiters; }));
  if (finished.load() != waiters) {
    // Do not leave the threads behind on failure.
    word.store(2);
    for (int i = 0; i < 100; ++i) park_wake_all(word);
  }
  for (auto& t : threads) t.join();
}

TEST_CASE("parking: wake_one wakes the thread parked on its word, not those on other words", "[parking]") {
  // Words on the same cache line, and more of them than the portable
  // backend has buckets: some share a bucket with others, which may wake
  // them spuriously but must neither lose a wake nor return one whose word
  // did not change.
  constexpr int count = 80;
  const bool timed = GENERATE(false, true);
  INFO((timed ? "with a deadline" : "without a deadline"));
  auto words = std::make_unique<word_t[]>(count);
  std::vector<std::atomic<bool>> woke(count);
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i)
    threads.emplace_back([&, i] {
      const auto in_an_hour = clock_type::now() + std::chrono::hours(1);
      park_until_changed(words[i], 0, timed ? &in_an_hour : nullptr);
      woke[i] = true;
    });
  std::this_thread::sleep_for(settle);
  for (int i = 0; i < count; i += 2) {
    words[i].store(1, std::memory_order_release);
    park_wake_one(words[i]);
  }
  for (int i = 0; i < count; i += 2) CHECK(rill_test::eventually([&] { return woke[i].load(); }));
  std::this_thread::sleep_for(settle);
  int woken_unchanged = 0;
  for (int i = 1; i < count; i += 2) woken_unchanged += woke[i].load() ? 1 : 0;
  CHECK(woken_unchanged == 0);
  for (int i = 1; i < count; i += 2) {
    words[i].store(1, std::memory_order_release);
    park_wake_one(words[i]);
  }
  for (auto& t : threads) t.join();
}

TEST_CASE("parking: a timed wait nobody wakes ends at its deadline, having slept", "[parking]") {
  word_t word{0};
  const auto timeout = std::chrono::milliseconds(100);
  const auto start = clock_type::now();
  const auto deadline = start + timeout;
  const int returns = park_until_changed(word, 0, &deadline);
  const auto elapsed = clock_type::now() - start;
  CHECK(elapsed >= timeout);
  CHECK(elapsed < std::chrono::seconds(5));
  // One return at the deadline, give or take a few early or spurious ones
  // (WaitOnAddress counts whole milliseconds and its timer is coarse).
  CHECK(returns <= 5);

  // A deadline that has already passed does not sleep at all.
  const auto past = clock_type::now() - std::chrono::seconds(1);
  const auto before = clock_type::now();
  park_wait(word, 0, &past);
  CHECK(clock_type::now() - before < std::chrono::seconds(1));
}

TEST_CASE("parking: a wake on a word whose waiter has left is harmless", "[parking]") {
  // thread_token's completer wakes the word after the store that lets its
  // owner return, so the wake may reach the address when the owner is gone
  // and the memory holds something else: here, the next word a thread waits
  // on. That wait sees at most a spurious wake-up: it still lasts until its
  // own deadline, or its own change.
  const bool timed = GENERATE(false, true);
  INFO((timed ? "second wait with a deadline" : "second wait without a deadline"));
  alignas(word_t) unsigned char storage[sizeof(word_t)];
  word_t* first = ::new (storage) word_t{0};
  rill_test::event left, second_parked;
  std::atomic<bool> second_changed{false};
  std::chrono::nanoseconds second_wait{};
  const auto second_timeout = std::chrono::milliseconds(200);
  std::thread owner([&] {
    park_until_changed(*first, 0, nullptr);
    // The first word ends, and a new one takes its place at the same address.
    first->~word_t();
    word_t* second = ::new (storage) word_t{0};
    left.set();
    const auto start = clock_type::now();
    const auto deadline = start + second_timeout;
    second_parked.set();
    park_until_changed(*second, 0, timed ? &deadline : nullptr);
    second_wait = clock_type::now() - start;
    second_changed = second->load() != 0;
    second->~word_t();
  });
  first->store(1, std::memory_order_release);
  park_wake_one(*first);
  left.wait();
  second_parked.wait();
  // Late wakes of the first word's address: `first` now names the second
  // word (same type, same storage), which is all a stale wake ever names.
  for (int i = 0; i < 10; ++i) {
    park_wake_one(*std::launder(first));
    park_wake_all(*std::launder(first));
  }
  if (!timed) {
    std::this_thread::sleep_for(second_timeout);
    std::launder(first)->store(2, std::memory_order_release);
    park_wake_one(*std::launder(first));
  }
  owner.join();
  CHECK(second_wait >= second_timeout);
  CHECK(second_changed == !timed);
}

#if defined(__linux__)
// Whether a blocked thread sleeps in the kernel is read from
// /proc/self/task/<tid>/stat and from the thread's CPU clock: Linux only.
// The other platforms run the layer's tests above.
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

#endif  // defined(__linux__)
