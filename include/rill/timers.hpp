// rill — timer channels: receivers whose messages come from a clock, for
// select arms and loops (crossbeam's after, at, tick and never).
//
//   auto ticks = rill::tick(100ms);
//   auto give_up = rill::after(5s);
//   for (;;) {
//     auto r = rill::select(rill::recv(jobs), rill::recv(ticks), rill::recv(give_up));
//     if (r.index() == 1) report_progress();
//     if (r.index() == 2) break;
//     ...
//   }
//
// They are ordinary receiver<rill::instant>s: everything that takes a
// receiver takes them (recv, the timed and stop-token forms, select,
// dynamic_select, async_recv, async_select, rill::task). None of them ever
// disconnects: after its one message, an after() or at() channel stays
// silent, like a Go timer's channel. The messages are sent by one thread for
// the whole program (detail/timer_service.hpp), started with the first
// timer; a timer whose receivers are all gone is forgotten at its next
// deadline, or sooner when many were dropped. <rill/executor_timers.hpp>
// has the same timers driven by an Asio timer on an executor instead.
#pragma once

#include <rill/channel.hpp>
#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/channel_access.hpp>
#include <rill/detail/timer_service.hpp>

#include <chrono>
#include <stdexcept>

namespace rill {

/// What a timer channel carries: the instant its message was due.
using instant = std::chrono::steady_clock::time_point;

namespace detail {

/// A timer channel due at `first`, repeating every `period` if nonzero,
/// whose sender `start(sender<instant>)` hands to what drives the timer. A
/// single message due already (a zero or negative delay) is sent here
/// instead, with nothing to drive it.
template <class Start>
receiver<instant> make_timer(instant first, instant::duration period, Start&& start) {
  auto [tx, rx] = channel_access::make_never_disconnected<instant>(1);
  if (period == instant::duration::zero() && first <= instant::clock::now())
    (void)tx.try_send(first);
  else
    std::forward<Start>(start)(std::move(tx));
  return std::move(rx);
}

/// A timer channel driven by the timer thread.
inline receiver<instant> make_timer(instant first, instant::duration period) {
  return make_timer(first, period,
                    [&](sender<instant> tx) { timer_service::instance().add(std::move(tx), first, period); });
}

/// A tick's period on the steady clock; throws std::invalid_argument for
/// one that is not positive there.
template <class Rep, class Period>
instant::duration tick_period(const std::chrono::duration<Rep, Period>& period) {
  if (period <= std::chrono::duration<Rep, Period>::zero())
    throw std::invalid_argument("rill::tick: the period must be positive");
  const auto steady_period = std::chrono::duration_cast<instant::duration>(period);
  if (steady_period == instant::duration::zero())
    throw std::invalid_argument("rill::tick: the period is shorter than the steady clock's tick");
  return steady_period;
}

}  // namespace detail

/// A channel that receives one message, the instant it was due, once `delay`
/// has passed (at once for a zero or negative delay), and nothing after.
template <class Rep, class Period>
receiver<instant> after(const std::chrono::duration<Rep, Period>& delay) {
  return detail::make_timer(detail::deadline_after(delay), instant::duration::zero());
}

/// A channel that receives one message, the instant it was due, at `when`
/// (at once if `when` has passed), and nothing after. A deadline on another
/// clock is converted to the steady clock now, as the timed forms do.
template <class Clock, class Duration>
receiver<instant> at(const std::chrono::time_point<Clock, Duration>& when) {
  return detail::make_timer(detail::to_steady_deadline(when), instant::duration::zero());
}

/// A channel that receives the instant each tick was due, every `period`,
/// starting one period from now. Missed ticks are skipped, not queued: the
/// channel holds at most one tick, and a tick due while the last one was not
/// taken yet is dropped, so a slow loop sees the latest pace, never a burst.
/// Throws std::invalid_argument for a period that is not positive.
template <class Rep, class Period>
receiver<instant> tick(const std::chrono::duration<Rep, Period>& period) {
  const instant::duration steady_period = detail::tick_period(period);
  return detail::make_timer(instant::clock::now() + steady_period, steady_period);
}

/// A channel that never receives anything and never disconnects: a select
/// arm that is present but can never win (Go's nil channel; rill::recv(rx,
/// false) switches an existing arm off instead).
template <class T>
receiver<T> never() {
  return detail::channel_access::make_never_disconnected<T>(0).second;
}

}  // namespace rill
