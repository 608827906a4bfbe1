// rill tests — small helpers shared by the test files: the stress scale,
// threads that report failures back to the test thread, a one-shot event,
// timing and result checks, and readable result printing. Message types that
// account for their lifetime are in tracked.hpp; channels by kind are in
// channel_kinds.hpp.
#pragma once

#include <rill/channel.hpp>
#include <rill/fmt.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// Multiplies the iteration counts of stress tests; the build sets it (CMake
// option RILL_STRESS_SCALE), and a standalone compile gets 1.
#ifndef RILL_STRESS_SCALE
#define RILL_STRESS_SCALE 1
#endif

namespace rill_test {

inline constexpr std::size_t stress_scale = RILL_STRESS_SCALE;

/// How long a test waits for something that must happen before calling it
/// a failure. Generous on purpose: it bounds a broken run (a hang becomes a
/// failure), it is never what a passing run waits for.
inline constexpr std::chrono::seconds patience{10};

/// Thrown by RILL_EXPECT on a worker thread; scoped_threads records it.
struct check_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Checks a condition on a worker thread: Catch2 2.x assertions are not
/// thread-safe, so a failure is thrown, recorded by scoped_threads, and
/// asserted on by the test thread after joining. Throwing also ends the
/// worker, which destroys the handles it owns, so its peers see the channel
/// disconnect instead of waiting forever.
#define RILL_EXPECT(...)                                                                                       \
  do {                                                                                                         \
    if (!(__VA_ARGS__))                                                                                        \
      throw ::rill_test::check_failure(::fmt::format("{}:{}: RILL_EXPECT({}) failed", __FILE__, __LINE__, \
                                                     #__VA_ARGS__));                                          \
  } while (false)

/// Threads joined together: by join(), or when the group goes out of scope.
/// Workers may spawn more workers into the same group. Declare the group
/// before the channels a test uses, so that if the test thread fails first
/// its handles are destroyed (disconnecting the workers) before the join.
class scoped_threads {
 public:
  scoped_threads() = default;
  scoped_threads(const scoped_threads&) = delete;
  scoped_threads& operator=(const scoped_threads&) = delete;
  ~scoped_threads() { join(); }

  /// Runs `f` on a new thread. An exception escaping `f` is recorded.
  template <class F>
  void spawn(F&& f) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back([this, f = std::forward<F>(f)]() mutable {
      try {
        f();
      } catch (const std::exception& e) {
        record(e.what());
      } catch (...) {
        record("unknown exception");
      }
    });
  }

  /// Joins every thread (also those spawned meanwhile) and returns what
  /// failed, one line each; empty when all went well. Use it as
  /// `REQUIRE(threads.join() == "")`, so Catch prints the failures.
  std::string join() {
    for (;;) {
      std::vector<std::thread> batch;
      {
        std::lock_guard lock(mutex_);
        batch.swap(threads_);
      }
      if (batch.empty()) break;
      for (auto& t : batch) t.join();
    }
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  void record(const std::string& what) {
    std::lock_guard lock(mutex_);
    failures_ += what;
    failures_ += '\n';
  }

  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::string failures_;
};

/// A one-shot signal between threads, independent of the channel under
/// test. wait() throws after `patience`, so a peer that failed makes the
/// test fail instead of hang.
class event {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      set_ = true;
    }
    cv_.notify_all();
  }

  void wait() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, patience, [this] { return set_; }))
      throw check_failure("event not set within the patience bound");
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

/// Re-evaluates `done()`, yielding in between, until it holds; false if it
/// still does not after `patience`. For states a test must reach but cannot
/// be told about, e.g. "a sender is parked on the rendezvous channel".
template <class F>
bool eventually(F&& done) {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

/// Rust's drop(): destroys a handle's reference now, leaving it empty.
template <class Handle>
void drop(Handle& h) {
  Handle gone = std::move(h);
}

/// What failed receives compare equal to: `CHECK(rx.try_recv() == try_empty)`.
inline const auto try_empty = rill::unexpected(rill::try_recv_error::empty);
inline const auto try_disconnected = rill::unexpected(rill::try_recv_error::disconnected);
inline const auto timed_out = rill::unexpected(rill::recv_timeout_error::timeout);
inline const auto timeout_disconnected = rill::unexpected(rill::recv_timeout_error::disconnected);
inline const auto recv_disconnected = rill::unexpected(rill::recv_error{});

/// True when the timed receive `op(timeout)` failed with a timeout, and no
/// earlier than `timeout` (nor absurdly later: a loaded machine may delay
/// the thread, so the upper bound is generous).
template <class Op>
bool times_out_after(std::chrono::milliseconds timeout, Op op) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = op(timeout);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return r == timed_out && elapsed >= timeout && elapsed < std::chrono::seconds(5);
}

/// True when a send of any form failed with `why` and handed `value` back.
template <class Result, class V>
bool refused(const Result& r, rill::errc why, const V& value) {
  return !r && r.error().kind() == why && r.error().value == value;
}

}  // namespace rill_test

// Prints rill results in Catch's failure messages: "ok(7)", "error(channel
// empty)", "error(channel full, value 2)".
namespace Catch {
// A receiver is a range whose iteration blocks until the channel closes:
// without these, Catch would print one by receiving from it, and a failing
// CHECK(rx == other) (or any run with -s) would hang instead of reporting.
template <class T>
struct is_range<rill::receiver<T>> {
  static const bool value = false;
};
template <class T>
struct StringMaker<rill::receiver<T>> {
  static std::string convert(const rill::receiver<T>& rx) {
    return rx ? fmt::format("receiver({} buffered)", rx.size()) : "receiver(empty handle)";
  }
};
template <class T>
struct StringMaker<rill::sender<T>> {
  static std::string convert(const rill::sender<T>& tx) {
    return tx ? fmt::format("sender({} buffered)", tx.size()) : "sender(empty handle)";
  }
};

template <class T, class E>
struct StringMaker<tl::expected<T, E>> {
  static std::string convert(const tl::expected<T, E>& r) {
    if (r) {
      if constexpr (std::is_void_v<T>)
        return "ok";
      else
        return "ok(" + ::Catch::Detail::stringify(*r) + ")";
    }
    std::string text = "error(" + fmt::format("{}", r.error());
    if constexpr (requires { r.error().value; }) text += ", value " + ::Catch::Detail::stringify(r.error().value);
    return text + ")";
  }
};
}  // namespace Catch
