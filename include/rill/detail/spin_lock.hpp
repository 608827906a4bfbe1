// rill — a lock for critical sections that are a few pointer updates long
// and seldom contended.
#pragma once

#include <rill/detail/backoff.hpp>

#include <atomic>
#include <thread>

namespace rill::detail {

/// A test-and-test-and-set lock whose unlock is a plain release store: one
/// atomic read-modify-write per lock and unlock, against futex_mutex's two
/// (its unlock must swap the word to learn whether anyone sleeps). For state
/// that one thread updates over and over and another thread touches now and
/// then, such as an execution context's registry of waiting operations. A
/// waiter pauses briefly and then yields, so a holder preempted on a busy
/// machine gets the CPU; it never sleeps in the kernel, which is why the
/// critical sections must stay short and must not block.
class spin_lock {
 public:
  spin_lock() = default;
  spin_lock(const spin_lock&) = delete;
  spin_lock& operator=(const spin_lock&) = delete;

  void lock() noexcept {
    // acquire: everything the previous holder wrote before unlock is visible.
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lock_contended();
  }

  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  void lock_contended() noexcept {
    for (unsigned round = 0;; ++round) {
      // Read before swapping: waiters spin on a shared copy of the line
      // instead of taking it from the holder over and over.
      if (!locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire)) return;
      if (round < pauses_before_yielding)
        cpu_relax();
      else
        std::this_thread::yield();
    }
  }

  static constexpr unsigned pauses_before_yielding = 64;

  std::atomic<bool> locked_{false};
};

}  // namespace rill::detail
