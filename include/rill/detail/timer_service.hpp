// rill — the one thread that sends the messages of timer channels
// (rill::after, rill::at, rill::tick), for the whole program.
#pragma once

#include <rill/detail/config.hpp>
#include <rill/sender.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

namespace rill::detail {

using timer_clock = std::chrono::steady_clock;

/// What every timer channel does at its deadline, whoever drives it (the
/// timer thread, or an Asio timer: executor_timers.hpp): try_sends the
/// deadline on `tx`, and returns the next deadline, or nothing once the
/// timer ends. A try_send takes the channel's lock, never waits, and wakes
/// its receiver after releasing it; a time_point's move cannot throw. It
/// fails with full when the last tick was not taken yet (skipped: the
/// channel's capacity of 1), and with disconnected once the receivers are
/// gone (the timer ends). The next deadline is the first on the period's
/// grid after now: deadlines missed while the driver was late are skipped,
/// as a full channel skips a tick nobody took.
inline std::optional<timer_clock::time_point> fire_timer(const sender<timer_clock::time_point>& tx,
                                                         timer_clock::time_point deadline,
                                                         timer_clock::duration period) {
  const auto sent = tx.try_send(deadline);
  const bool receivers_gone = !sent && sent.error().is_disconnected();
  if (receivers_gone || period == timer_clock::duration::zero()) return std::nullopt;
  const timer_clock::time_point now = timer_clock::now();
  deadline += period;
  if (deadline <= now) deadline += ((now - deadline) / period + 1) * period;
  return deadline;
}

/// A heap of deadlines served by one thread, started with the first timer:
/// at each deadline it try_sends the deadline on the timer's channel, whose
/// capacity of 1 is what makes a tick that nobody took skip rather than
/// queue. A timer ends when its one message is sent (after, at), or when
/// its receivers are gone: found at its next deadline, or by a sweep once
/// the heap has doubled since the last one, so that timers dropped early do
/// not pile up (Go's time.After kept them until they fired, before Go 1.23).
class timer_service {
 public:
  /// The program's service. Timers must not be made during the destruction
  /// of static objects, which stops its thread.
  RILL_DECL static timer_service& instance();

  /// Sends on `tx` at `first`, then, with a nonzero `period`, every
  /// `period` after it, skipping deadlines that passed while the channel
  /// was still full.
  RILL_DECL void add(sender<timer_clock::time_point> tx, timer_clock::time_point first, timer_clock::duration period);

  /// Timers in the heap now, ended ones not swept yet included (tests).
  RILL_DECL std::size_t pending();

  RILL_DECL ~timer_service();

 private:
  struct timer {
    timer_clock::time_point deadline;
    timer_clock::duration period;
    sender<timer_clock::time_point> tx;
  };
  struct later_first {
    bool operator()(const timer& a, const timer& b) const noexcept { return a.deadline > b.deadline; }
  };

  timer_service() = default;
  void run();
  void sweep_locked();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<timer, std::vector<timer>, later_first> heap_;
  std::size_t sweep_at_ = 64;  ///< heap size that triggers the next sweep
  bool stopping_ = false;
  std::thread thread_;  ///< last: started after the members it uses exist
};

}  // namespace rill::detail

#if defined(RILL_HEADER_ONLY)
#include <rill/detail/impl/timer_service.ipp>
#endif
