// rill — the lock that guards one channel core.
#pragma once

#include <rill/detail/backoff.hpp>
#include <rill/detail/parking.hpp>

#include <atomic>
#include <cstdint>

namespace rill::detail {

/// A three-state futex mutex (unlocked / locked / locked with sleepers),
/// after Drepper's "Futexes Are Tricky"; it sleeps through parking.hpp, on
/// a futex where there is one.
/// Critical sections in the core are a few dozen instructions, so a
/// contended lock is usually free again within a short spin; only then do
/// we sleep. Unlike std::mutex it never makes a system call on unlock when
/// nobody sleeps, and it spins before sleeping.
class futex_mutex {
 public:
  futex_mutex() = default;
  futex_mutex(const futex_mutex&) = delete;
  futex_mutex& operator=(const futex_mutex&) = delete;

  void lock() noexcept {
    std::uint32_t expected = unlocked;
    // acquire: everything the previous holder wrote before unlock is visible.
    if (state_.compare_exchange_strong(expected, locked, std::memory_order_acquire, std::memory_order_relaxed))
      return;
    lock_contended();
  }

  bool try_lock() noexcept {
    std::uint32_t expected = unlocked;
    return state_.compare_exchange_strong(expected, locked, std::memory_order_acquire, std::memory_order_relaxed);
  }

  void unlock() noexcept {
    // release: publishes the critical section to the next holder.
    if (state_.exchange(unlocked, std::memory_order_release) == contended) park_wake_one(state_);
  }

 private:
  static constexpr std::uint32_t unlocked = 0, locked = 1, contended = 2;

  void lock_contended() noexcept {
    // Spinning on the lock's cache line slows the holder down: both threads
    // of an spsc pair hammer the line, and sleeping at once lets the holder
    // run a batch of operations uncontended (bench/ W1: 9.8 -> 17.9 M/s).
    // One yield first, though: with more threads than cores the holder may
    // have been preempted, and the yield hands it the CPU (W4 and W8 stay
    // within 12 % of 2 pause rounds + 8 yields; no yield at all halves them).
    backoff spin(backoff::clock::duration::zero(), 1);
    do {
      std::uint32_t expected = unlocked;
      if (state_.load(std::memory_order_relaxed) == unlocked &&
          state_.compare_exchange_weak(expected, locked, std::memory_order_acquire, std::memory_order_relaxed))
        return;
    } while (spin.spin());
    // Marking the lock contended makes the holder wake us on unlock; we keep
    // the contended mark when we take it, since other sleepers may remain.
    while (state_.exchange(contended, std::memory_order_acquire) != unlocked) park_wait(state_, contended, nullptr);
  }

  std::atomic<std::uint32_t> state_{unlocked};
};

}  // namespace rill::detail
