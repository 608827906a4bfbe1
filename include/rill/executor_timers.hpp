// rill — timer channels driven by an Asio executor: after, at and tick as
// in <rill/timers.hpp>, each costing one Asio timer on the executor (or
// execution context) given, instead of an entry in rill's timer thread.
// Part of the Asio layer.
//
//   asio::io_context io;
//   auto ticks = rill::tick(io, 100ms);       // sent by a timer run by io
//   ... co_await ticks.async_recv(rill::use_task) ...
//
// The channels behave as the thread-driven ones: plain receiver<instant>s,
// never disconnected, a tick holding at most one message and skipping the
// ticks nobody took. Their messages come only while the executor runs.
// Like any Asio timer, a pending one is work for its executor: a timer
// whose receivers are all gone ends at its next deadline, so an
// io_context::run() returns only after that deadline (one period for a
// tick). Destroying the execution context ends every timer at once.
#pragma once

#include <rill/channel.hpp>
#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/timer_service.hpp>
#include <rill/timers.hpp>

#include <asio/basic_waitable_timer.hpp>
#include <asio/execution/executor.hpp>
#include <asio/execution_context.hpp>
#include <asio/is_executor.hpp>

#include <chrono>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill {

namespace detail {

/// An Asio executor, or an execution context whose executor is meant.
template <class T>
concept executor_or_context =
    asio::is_executor<std::remove_cvref_t<T>>::value || asio::execution::is_executor<std::remove_cvref_t<T>>::value ||
    std::is_convertible_v<T&, asio::execution_context&>;

template <class T>
auto executor_of(T&& executor_or_context) {
  if constexpr (std::is_convertible_v<T&, asio::execution_context&>)
    return executor_or_context.get_executor();
  else
    return std::remove_cvref_t<T>(executor_or_context);
}

/// One timer channel driven by an Asio timer: at each expiry it fires
/// (fire_timer) and waits again for the next deadline, until the timer
/// ends. The pending wait's handler owns this state, so it lives exactly as
/// long as the timer; the timer is touched only at the start and in its
/// handler, one expiry after the other.
template <class Executor>
class executor_timer : public std::enable_shared_from_this<executor_timer<Executor>> {
 public:
  executor_timer(const Executor& executor, sender<instant> tx, instant first, instant::duration period)
      : timer_(executor), tx_(std::move(tx)), deadline_(first), period_(period) {}

  void wait() {
    timer_.expires_at(deadline_);
    timer_.async_wait([self = this->shared_from_this()](std::error_code ec) {
      if (ec) return;  // aborted: the context is shutting down
      const auto next = fire_timer(self->tx_, self->deadline_, self->period_);
      if (!next) return;
      self->deadline_ = *next;
      self->wait();
    });
  }

 private:
  asio::basic_waitable_timer<instant::clock, asio::wait_traits<instant::clock>, Executor> timer_;
  sender<instant> tx_;
  instant deadline_;
  instant::duration period_;
};

/// A timer channel due at `first`, repeating every `period` if nonzero,
/// driven by a timer on `executor`.
template <class Executor>
receiver<instant> make_executor_timer(const Executor& executor, instant first, instant::duration period) {
  return make_timer(first, period, [&](sender<instant> tx) {
    std::make_shared<executor_timer<Executor>>(executor, std::move(tx), first, period)->wait();
  });
}

}  // namespace detail

/// rill::after(delay), its message sent by a timer on `executor` (an
/// executor or an execution context).
template <detail::executor_or_context Executor, class Rep, class Period>
receiver<instant> after(Executor&& executor, const std::chrono::duration<Rep, Period>& delay) {
  return detail::make_executor_timer(detail::executor_of(executor), detail::deadline_after(delay),
                                     instant::duration::zero());
}

/// rill::at(when), its message sent by a timer on `executor`.
template <detail::executor_or_context Executor, class Clock, class Duration>
receiver<instant> at(Executor&& executor, const std::chrono::time_point<Clock, Duration>& when) {
  return detail::make_executor_timer(detail::executor_of(executor), detail::to_steady_deadline(when),
                                     instant::duration::zero());
}

/// rill::tick(period), its ticks sent by one timer on `executor`. Throws
/// std::invalid_argument for a period that is not positive.
template <detail::executor_or_context Executor, class Rep, class Period>
receiver<instant> tick(Executor&& executor, const std::chrono::duration<Rep, Period>& period) {
  const instant::duration steady_period = detail::tick_period(period);
  return detail::make_executor_timer(detail::executor_of(executor), instant::clock::now() + steady_period,
                                     steady_period);
}

}  // namespace rill
