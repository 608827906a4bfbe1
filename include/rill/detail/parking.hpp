// rill — parks a thread on a 32-bit word: the one platform layer under
// futex_mutex (a contended core lock) and thread_token (a thread blocked on
// a channel operation).
//
// The contract is the Linux futex's, which every backend below provides:
//
//   - park_wait(word, expected, deadline) sleeps while `word` holds
//     `expected`, until a wake on the word or until `deadline` (absolute,
//     steady_clock; nullptr: none). It may return spuriously, early or with
//     the word unchanged: callers re-check their condition in a loop, and
//     re-check the deadline themselves.
//   - a wake that comes after the word's change is never lost: a waiter
//     either sees the new value before it sleeps, or is woken.
//   - park_wake_one / park_wake_all use the word's address only, never its
//     memory. A thread that has just published the store that lets a waiter
//     return (thread_token's `done`) calls wake afterwards, when the waiter
//     may have returned and its stack may be reused: waking an address whose
//     owner is gone must be harmless, at worst a spurious wake-up for
//     whatever lives there now.
//
// The backend is chosen at compile time (parking_backend says which):
//
//   futex            Linux: the futex system calls, as the contract above
//                    comes from.
//   wait_on_address  Windows 8 and later: WaitOnAddress / WakeByAddress*,
//                    the same primitive under another name (linked from
//                    the `synchronization` library).
//   portable         everything else (macOS, the BSDs, ...), and any build
//                    that defines RILL_PORTABLE_PARKING (the `portable`
//                    preset tests it on Linux): standard C++ only, a table
//                    of mutex + condition variable buckets hashed by the
//                    word's address, see impl/parking.ipp for why not
//                    std::atomic::wait.
//
// The definitions are in impl/parking.ipp: inline here in header-only mode,
// compiled once into the library (src/parking.cpp) otherwise.
#pragma once

#include <rill/detail/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

#if defined(RILL_PORTABLE_PARKING)
#define RILL_PARKING_BACKEND_PORTABLE 1
#define RILL_PARKING_BACKEND_NAME "portable"
#elif defined(__linux__)
#define RILL_PARKING_BACKEND_FUTEX 1
#define RILL_PARKING_BACKEND_NAME "futex"
#elif defined(_WIN32)
#define RILL_PARKING_BACKEND_WAIT_ON_ADDRESS 1
#define RILL_PARKING_BACKEND_NAME "wait_on_address"
#else
#define RILL_PARKING_BACKEND_PORTABLE 1
#define RILL_PARKING_BACKEND_NAME "portable"
#endif

namespace rill::detail {

enum class parking_kind { futex, wait_on_address, portable };

/// The backend this build parks threads with.
inline constexpr parking_kind parking_backend =
#if defined(RILL_PARKING_BACKEND_FUTEX)
    parking_kind::futex;
#elif defined(RILL_PARKING_BACKEND_WAIT_ON_ADDRESS)
    parking_kind::wait_on_address;
#else
    parking_kind::portable;
#endif

// Every backend waits on the word's own address, so it must be a plain
// 32-bit word with nothing beside it (no lock inside the atomic).
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "parking words must be plain lock-free 32-bit atomics");

/// Sleeps while `word` holds `expected`, until woken or until `deadline`
/// (nullptr: no deadline). Spurious returns are allowed.
RILL_DECL void park_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                         const std::chrono::steady_clock::time_point* deadline) noexcept;

/// Wakes at least one thread sleeping on `word`, if there is one. Uses the
/// address only: `word` may already have been destroyed.
RILL_DECL void park_wake_one(std::atomic<std::uint32_t>& word) noexcept;

/// Wakes every thread sleeping on `word`. Uses the address only.
RILL_DECL void park_wake_all(std::atomic<std::uint32_t>& word) noexcept;

}  // namespace rill::detail

#if defined(RILL_HEADER_ONLY)
#include <rill/detail/impl/parking.ipp>
#endif
