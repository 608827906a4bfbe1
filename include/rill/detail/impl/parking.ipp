// rill — the definitions of detail/parking.hpp, one backend per platform.
//
// Included by parking.hpp in header-only mode (the functions are then
// inline), and compiled once by src/parking.cpp otherwise.
#pragma once

#include <rill/detail/parking.hpp>

#if defined(RILL_PARKING_BACKEND_FUTEX)
#include <climits>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#elif defined(RILL_PARKING_BACKEND_WAIT_ON_ADDRESS)
// As Asio does: no winsock.h (it would clash with Asio's winsock2.h) and no
// min/max macros. windows.h is included once, so the settings hold for
// whoever includes it later; the macros themselves are not left behind.
#if !defined(WIN32_LEAN_AND_MEAN)
#define WIN32_LEAN_AND_MEAN
#define RILL_DETAIL_UNDEF_WIN32_LEAN_AND_MEAN
#endif
#if !defined(NOMINMAX)
#define NOMINMAX
#define RILL_DETAIL_UNDEF_NOMINMAX
#endif
#include <windows.h>
#if defined(RILL_DETAIL_UNDEF_WIN32_LEAN_AND_MEAN)
#undef WIN32_LEAN_AND_MEAN
#undef RILL_DETAIL_UNDEF_WIN32_LEAN_AND_MEAN
#endif
#if defined(RILL_DETAIL_UNDEF_NOMINMAX)
#undef NOMINMAX
#undef RILL_DETAIL_UNDEF_NOMINMAX
#endif
#if _WIN32_WINNT < 0x0602
#error "rill parks threads with WaitOnAddress (Windows 8): define _WIN32_WINNT as 0x0602 or newer (Asio wants 0x0A00 on Windows 10), or define RILL_PORTABLE_PARKING"
#endif
#if defined(_MSC_VER)
#pragma comment(lib, "synchronization")
#endif
#else
#include <condition_variable>
#include <cstddef>
#include <mutex>
#endif

namespace rill::detail {

#if defined(RILL_PARKING_BACKEND_FUTEX)

// ------------------------------------------------------------ Linux futex ---

RILL_DECL void park_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                         const std::chrono::steady_clock::time_point* deadline) noexcept {
  // steady_clock is CLOCK_MONOTONIC on Linux, so the deadline is absolute
  // and an early wake-up never stretches the total wait.
  timespec ts{};
  if (deadline != nullptr) {
    const auto since_epoch = deadline->time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    ts.tv_sec = static_cast<time_t>(secs.count());
    ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count());
    if (ts.tv_sec < 0) ts = timespec{};
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. The kernel
  // compares the word with `expected` under its own lock on the address's
  // wait queue, so a wake after the word's change is never lost.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_BITSET_PRIVATE, expected,
            deadline != nullptr ? &ts : nullptr, nullptr, FUTEX_BITSET_MATCH_ANY);
}

// Only the address reaches the kernel, so waking a word whose owner has
// already returned (and whose memory may be reused) is harmless: at worst a
// spurious wake-up.
RILL_DECL void park_wake_one(std::atomic<std::uint32_t>& word) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1);
}

RILL_DECL void park_wake_all(std::atomic<std::uint32_t>& word) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX);
}

#elif defined(RILL_PARKING_BACKEND_WAIT_ON_ADDRESS)

// -------------------------------------------------- Windows WaitOnAddress ---
// WaitOnAddress is the futex of Windows 8 and later: it compares the word
// with `expected` and sleeps on the address, and WakeByAddress* wake the
// sleepers of an address. It takes a relative timeout in milliseconds only.

RILL_DECL void park_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                         const std::chrono::steady_clock::time_point* deadline) noexcept {
  DWORD timeout_ms = INFINITE;
  if (deadline != nullptr) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= *deadline) return;
    // Rounded up: a wait that still ends early (the timer ticks coarsely)
    // returns to the caller, which re-checks its deadline and parks again
    // for what is left; rounded down, the last millisecond would be spent
    // in zero-length waits, a spin.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now).count();
    timeout_ms = left >= static_cast<long long>(INFINITE) ? INFINITE - 1 : static_cast<DWORD>(left);
  }
  // The atomic is a plain 32-bit word (static_assert in parking.hpp).
  ::WaitOnAddress(&word, &expected, sizeof expected, timeout_ms);
}

// WakeByAddress* look the address up among the sleepers and never read the
// memory behind it: waking a word whose owner has returned is harmless.
RILL_DECL void park_wake_one(std::atomic<std::uint32_t>& word) noexcept { ::WakeByAddressSingle(&word); }

RILL_DECL void park_wake_all(std::atomic<std::uint32_t>& word) noexcept { ::WakeByAddressAll(&word); }

#else

// ---------------------------------------------------- portable (C++20) ---
// Standard C++ only: a fixed table of buckets, each a mutex and a condition
// variable, that words hash to by address. A waiter re-checks its word under
// the bucket's lock and sleeps on the bucket's condition variable; a waker,
// which has changed the word before it calls, takes and releases the same
// lock and then notifies. The table is ours and never destroyed, and a wake
// touches only the bucket its address hashes to, never the word.
//
// Not std::atomic::wait/notify, for three reasons. libstdc++ 12 on targets
// without a futex (mingw-w64; GCC on macOS or the BSDs) waits on a mutex and
// condition variable, but compares the word before it takes the mutex and
// notifies without it, so a notify that falls between the waiter's compare
// and its sleep is lost (bits/atomic_wait.h, _M_do_wait and _M_notify): a
// loop of std::latch rounds built with mingw-w64 GCC 12 hangs now and then
// under wine. Notify is a member of the atomic, called after the store that
// may let the word's owner return: the libraries use only the address, but
// the standard does not promise it yet (P2616). And C++20 has no timed
// atomic wait (P2643), which a deadline needs.

namespace parking_portable {

/// A lock and a condition variable shared by every word whose address
/// hashes here. Cache-line sized, so that buckets do not share lines.
struct alignas(64) bucket {
  std::mutex mutex;
  std::condition_variable wakeup;
};

/// Enough that unrelated waits seldom share one; a collision costs a
/// spurious wake-up, never a lost one.
inline constexpr std::size_t bucket_count = 64;

inline bucket& bucket_for(const void* address) noexcept {
  // Built on first use and never destroyed (a union member is not): a
  // thread may still be parked, or waking one, while static destructors run.
  union table {
    bucket buckets[bucket_count];
    table() : buckets{} {}
    ~table() {}
  };
  static table all;
  // Fibonacci hashing: the top bits of the product mix every bit of the
  // address, whose low bits are equal for aligned words.
  const auto h = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(address)) * 0x9E3779B97F4A7C15ull;
  return all.buckets[h >> 58];
}
static_assert(bucket_count == 64, "bucket_for takes the top 6 bits of the hash");

/// Wakes every sleeper of `address`'s bucket.
inline void wake_bucket(const void* address) noexcept {
  bucket& b = bucket_for(address);
  // An empty critical section: a waiter holds the lock from its re-check of
  // the word until its wait has released it, and the word changed before we
  // got here. So either it re-checked after our change and does not sleep,
  // or it is asleep by the time we have taken and released the lock, and
  // the notify below reaches it.
  { std::lock_guard<std::mutex> lock(b.mutex); }
  // All of them, for wake_one too: other words share the bucket, and
  // notify_one could wake one of theirs instead. Each re-checks its own
  // word; the ones still to wait go back to sleep.
  b.wakeup.notify_all();
}

}  // namespace parking_portable

RILL_DECL void park_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                         const std::chrono::steady_clock::time_point* deadline) noexcept {
  parking_portable::bucket& b = parking_portable::bucket_for(&word);
  std::unique_lock<std::mutex> lock(b.mutex);
  // Under the bucket's lock: see wake_bucket.
  if (word.load(std::memory_order_acquire) != expected) return;
  if (deadline == nullptr)
    b.wakeup.wait(lock);
  else
    b.wakeup.wait_until(lock, *deadline);
}

RILL_DECL void park_wake_one(std::atomic<std::uint32_t>& word) noexcept { parking_portable::wake_bucket(&word); }

RILL_DECL void park_wake_all(std::atomic<std::uint32_t>& word) noexcept { parking_portable::wake_bucket(&word); }

#endif

}  // namespace rill::detail
