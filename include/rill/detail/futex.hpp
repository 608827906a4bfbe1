// rill — the two futex calls every parked thread and the core mutex use.
#pragma once

#if !defined(__linux__)
#error "rill parks threads with Linux futexes; this platform is not supported yet"
#endif

#include <atomic>
#include <chrono>
#include <cstdint>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace rill::detail {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "futex words must be plain lock-free 32-bit atomics");

/// Sleeps while `word` holds `expected`, until woken or until `deadline`
/// (steady_clock is CLOCK_MONOTONIC on Linux, so the deadline is absolute
/// and an early wake-up never stretches the total wait). Spurious returns
/// are allowed: callers re-check their condition in a loop.
inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       const std::chrono::steady_clock::time_point* deadline = nullptr) noexcept {
  timespec ts{};
  if (deadline != nullptr) {
    const auto since_epoch = deadline->time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    ts.tv_sec = static_cast<time_t>(secs.count());
    ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count());
    if (ts.tv_sec < 0) ts = timespec{};
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_BITSET_PRIVATE, expected,
            deadline != nullptr ? &ts : nullptr, nullptr, FUTEX_BITSET_MATCH_ANY);
}

/// Wakes up to `count` threads sleeping on `word`. Only the address reaches
/// the kernel, so waking a word whose owner has already returned (and whose
/// memory may be reused) is harmless: at worst a spurious wake-up.
inline void futex_wake(std::atomic<std::uint32_t>& word, int count = 1) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count);
}

}  // namespace rill::detail
