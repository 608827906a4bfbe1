// rill — parks a thread until its operation is completed, or a deadline.
#pragma once

#include <rill/detail/backoff.hpp>
#include <rill/detail/futex.hpp>
#include <rill/detail/waiter.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace rill::detail {

/// The claim token of an operation a thread blocks on. The claimer's
/// `complete` sets `done_` and wakes the futex; the thread spins briefly
/// first, because a partner that is already running usually answers within
/// the cost of one futex round trip.
class thread_token : public claim_token {
 public:
  thread_token() noexcept : claim_token(&on_complete) {}

  /// Waits for `complete`; false if `deadline` passed first (then the caller
  /// must try_abort, and wait_completed() if a partner won the race).
  bool wait_until(const std::chrono::steady_clock::time_point* deadline) noexcept {
    backoff spin;
    while (done_.load(std::memory_order_acquire) == 0) {
      if (spin.spin()) continue;
      if (deadline != nullptr && std::chrono::steady_clock::now() >= *deadline) return false;
      futex_wait(done_, 0, deadline);
    }
    return true;
  }

  /// After a failed try_abort: a partner has claimed us and is completing.
  void wait_completed() noexcept { wait_until(nullptr); }

 private:
  static void on_complete(claim_token& token) noexcept {
    auto& self = static_cast<thread_token&>(token);
    // release: the hand-off the claimer made (status, moved value) is
    // visible to the thread once it sees done_. After this store the owner
    // may return and reuse its stack; only the word's address reaches the
    // kernel below, see futex_wake.
    self.done_.store(1, std::memory_order_release);
    futex_wake(self.done_);
  }

  std::atomic<std::uint32_t> done_{0};
};

}  // namespace rill::detail
