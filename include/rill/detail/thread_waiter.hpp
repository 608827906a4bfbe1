// rill — parks a thread until its operation is completed, or a deadline.
#pragma once

#include <rill/detail/backoff.hpp>
#include <rill/detail/parking.hpp>
#include <rill/detail/waiter.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

namespace rill::detail {

/// Set on a thread when it completes a blocked thread's operation, and
/// read and cleared when it next waits itself.
inline thread_local bool woke_a_thread = false;

/// The claim token of an operation a thread blocks on. The claimer's
/// `complete` marks it done and wakes the thread only if it has gone to
/// sleep: the thread spins briefly first, because a partner that is already
/// running usually answers within the cost of one park/wake round trip, and a
/// hand-off to a spinning thread then costs no system call on either side.
class thread_token : public claim_token {
 public:
  thread_token() noexcept : claim_token(&on_complete) {}

  /// Waits for `complete`; false if `deadline` passed first (then the caller
  /// must try_abort, and wait_completed() if a partner won the race).
  bool wait_until(const std::chrono::steady_clock::time_point* deadline) noexcept {
    // A thread that has just completed another thread's operation is most
    // likely in an exchange with it (ping-pong, a capacity-1 hand-off): the
    // answer comes within a round trip of a running partner, and
    // pause-spinning catches it without the 1.5 us system call a yield costs
    // on the 2-core VMs of bench/ (W5 1.10 -> 1.56 M/s, W7 0.36 -> 0.56 M
    // round trips/s, CPU per round trip 5.5 -> 3.7 us; 2, 5, 10 and 30 us of
    // pausing measured alike). Otherwise it waits for a partner that runs
    // at its own pace, and pausing would only take messages off it one at a
    // time: yields leave it the CPU to queue a batch (W1, W3 and W11 lose up
    // to 30 % when every wait pauses).
    //
    // Then 64 yields, 11 us on a Xeon and 100 us here, about what a wake-up
    // through the kernel takes: a thread that parks sooner makes its partner
    // park too, and the pair settles into paying a futex round trip per
    // message (W5 0.20 -> 3.3 M/s, W7 0.077 -> 1.0 M round trips/s against
    // 16 yields on the Xeon).
    const bool answer_expected = std::exchange(woke_a_thread, false);
    backoff spin(answer_expected ? answer_pause : backoff::clock::duration::zero(), 64);
    for (;;) {
      std::uint32_t s = state_.load(std::memory_order_acquire);
      if (s == done) return true;
      // Checked before each spin too: a deadline that has passed (a zero
      // timeout) must not wait out the spinning on a loaded machine.
      if (deadline != nullptr && std::chrono::steady_clock::now() >= *deadline) return false;
      if (s == waiting && spin.spin()) continue;
      // Announce the sleep before taking it; a completion that comes first
      // makes the CAS fail with `done` (acquire: its hand-off is visible).
      if (s == waiting && !state_.compare_exchange_strong(s, parked, std::memory_order_acquire)) continue;
      park_wait(state_, parked, deadline);
    }
  }

  /// After a failed try_abort: a partner has claimed us and is completing.
  void wait_completed() noexcept { wait_until(nullptr); }

 private:
  static constexpr std::uint32_t waiting = 0, done = 1, parked = 2;
  static constexpr std::chrono::microseconds answer_pause{2};

  static void on_complete(claim_token& token) noexcept {
    auto& self = static_cast<thread_token&>(token);
    woke_a_thread = true;
    // release: the hand-off the claimer made (status, moved value) is
    // visible to the thread once it sees `done`. After this exchange the
    // owner may return and reuse its stack; the wake below uses the word's
    // address only, see parking.hpp.
    if (self.state_.exchange(done, std::memory_order_acq_rel) == parked) park_wake_one(self.state_);
  }

  std::atomic<std::uint32_t> state_{waiting};
};

}  // namespace rill::detail
