// rill — parks a thread until its operation is completed, or a deadline.
#pragma once

#include <rill/detail/backoff.hpp>
#include <rill/detail/parking.hpp>
#include <rill/detail/waiter.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <utility>

namespace rill::detail {

using steady_deadline = std::chrono::steady_clock::time_point;

/// When a blocking wait gives up before a partner completes it: at
/// `deadline`, once `stop` is requested, at whichever comes first, or never
/// (both null). The pointees outlive the wait.
struct wait_limit {
  const steady_deadline* deadline = nullptr;
  const std::stop_token* stop = nullptr;

  bool stop_requested() const noexcept { return stop != nullptr && stop->stop_requested(); }
};

/// How a thread's wait on its token ended.
enum class wait_end {
  completed,  ///< a partner completed the operation
  deadline,   ///< the deadline passed first
  stopped,    ///< a stop was requested first
};

/// Whether a stoppable wait polls its stop token instead of registering a
/// std::stop_callback. libstdc++ 12 without a futex to wait on (mingw-w64,
/// the BSDs; _GLIBCXX_HAVE_PLATFORM_WAIT unset) builds the wait that
/// std::stop_callback's destructor makes, when its callback is running on
/// the stopping thread at that moment, on a std::atomic::wait that can miss
/// its wake-up and sleep forever (GCC bug 106183, fixed in GCC 13): the
/// Windows build hung there. Polling sleeps at most `stop_poll_interval`
/// at a time, so a stop is seen within about that long.
#if defined(__GLIBCXX__) && !defined(_GLIBCXX_HAVE_PLATFORM_WAIT) && defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE < 13
inline constexpr bool stop_by_polling = true;
#else
inline constexpr bool stop_by_polling = false;
#endif
inline constexpr std::chrono::milliseconds stop_poll_interval{1};

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

  /// Waits for `complete`, or until `limit` gives up: then the caller must
  /// try_abort, and wait_completed() if a partner won the race.
  wait_end wait(wait_limit limit) noexcept {
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
    // Registered for the whole wait, so that a stop requested at any point
    // from here either is seen by the check below or interrupts the sleep.
    std::optional<std::stop_callback<stop_interrupt>> on_stop;
    if (limit.stop != nullptr && !stop_by_polling) on_stop.emplace(*limit.stop, stop_interrupt{this});
    for (;;) {
      std::uint32_t s = state_.load(std::memory_order_acquire);
      if (s == done) return wait_end::completed;
      // Checked before each spin too: a deadline that has passed (a zero
      // timeout) must not wait out the spinning on a loaded machine.
      if (limit.deadline != nullptr && std::chrono::steady_clock::now() >= *limit.deadline) return wait_end::deadline;
      if (limit.stop_requested()) return wait_end::stopped;
      if (s == waiting && spin.spin()) continue;
      // Announce the sleep before taking it; a completion that comes first
      // makes the CAS fail with `done` (acquire: its hand-off is visible).
      // An interrupted token that sleeps again (wait_completed after a stop)
      // announces it the same way.
      if (s != parked && !state_.compare_exchange_strong(s, parked, std::memory_order_acquire)) continue;
      steady_deadline next_poll;
      park_wait(state_, parked, sleep_limit(limit, next_poll));
    }
  }

  /// Until when one sleep may last: the deadline, or, when the stop is
  /// polled, a poll interval from now (written to `next_poll`) if that
  /// comes first.
  static const steady_deadline* sleep_limit(wait_limit limit, steady_deadline& next_poll) noexcept {
    if (!stop_by_polling || limit.stop == nullptr) return limit.deadline;
    next_poll = std::chrono::steady_clock::now() + stop_poll_interval;
    if (limit.deadline != nullptr && *limit.deadline < next_poll) return limit.deadline;
    return &next_poll;
  }

  /// After a failed try_abort: a partner has claimed us and is completing.
  void wait_completed() noexcept { (void)wait({}); }

 private:
  /// waiting -> parked -> done is the usual path; `interrupted` replaces
  /// waiting or parked when a stop is requested, so a sleeper wakes and a
  /// thread about to sleep finds the word changed and looks again.
  static constexpr std::uint32_t waiting = 0, done = 1, parked = 2, interrupted = 3;
  static constexpr std::chrono::microseconds answer_pause{2};

  /// Runs on the thread that requests the stop. std::stop_callback's
  /// destructor waits for a callback that is running, so the token is alive
  /// here even if its thread returns meanwhile.
  struct stop_interrupt {
    thread_token* self;
    void operator()() const noexcept {
      std::uint32_t s = self->state_.load(std::memory_order_relaxed);
      // Relaxed: the woken thread learns of the stop from the stop token,
      // which orders its own flag; the word only has to change so that a
      // sleep on `parked` ends. A `done` token needs nothing.
      while (s != done && s != interrupted &&
             !self->state_.compare_exchange_weak(s, interrupted, std::memory_order_relaxed)) {
      }
      if (s == parked) park_wake_one(self->state_);
    }
  };

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
