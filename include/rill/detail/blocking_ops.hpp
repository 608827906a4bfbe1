// rill — the blocking and timed forms of send and recv: one attempt, then
// park the calling thread on a waiter until a partner completes it.
#pragma once

#include <rill/detail/channel_core.hpp>
#include <rill/detail/thread_waiter.hpp>
#include <rill/detail/waiter.hpp>

#include <chrono>
#include <optional>
#include <utility>

namespace rill::detail {

using steady_deadline = std::chrono::steady_clock::time_point;

/// Converts a deadline on any clock to the steady clock the parker sleeps
/// on; a system_clock deadline therefore does not follow later wall-clock
/// jumps, which is what a timeout measured from now means.
template <class Clock, class Duration>
steady_deadline to_steady_deadline(const std::chrono::time_point<Clock, Duration>& deadline) {
  if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>) {
    return std::chrono::time_point_cast<steady_deadline::duration>(deadline);
  } else {
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<steady_deadline::duration>(deadline - Clock::now());
  }
}

/// Saturating now + timeout, so `recv_timeout(hours::max())` waits forever
/// instead of overflowing into the past.
template <class Rep, class Period>
steady_deadline deadline_after(const std::chrono::duration<Rep, Period>& timeout) {
  const auto now = std::chrono::steady_clock::now();
  const auto left = steady_deadline::max() - now;
  if (timeout <= std::chrono::duration<Rep, Period>::zero()) return now;
  if (std::chrono::duration_cast<std::chrono::duration<double>>(timeout) >=
      std::chrono::duration_cast<std::chrono::duration<double>>(left))
    return steady_deadline::max();
  return now + std::chrono::duration_cast<steady_deadline::duration>(timeout);
}

/// The message type `T` of a core: channel_core<T>, oneshot_core<T>.
template <class Core>
struct message_type_of;
template <template <class> class Core, class T>
struct message_type_of<Core<T>> {
  using type = T;
};

/// Parks until `token` completes or `deadline` passes. False only if the
/// waiter was withdrawn untouched; a partner that won the race is awaited.
/// `Core` is any core that withdraws a queued waiter with `abort(w)`.
template <class Core, class Waiter>
bool park(Core& core, Waiter& w, thread_token& token, const steady_deadline* deadline) noexcept {
  if (token.wait_until(deadline)) return true;
  if (core.abort(w)) return false;
  token.wait_completed();
  return true;
}

/// Runs `attempt(waiter)` and, if it queued the waiter, parks until a
/// partner completes it or `deadline` passes. Returns done, disconnected, or
/// would_block for a timeout. A `retry` completion (a partner's move of T
/// threw, nothing was transferred; or, on a core whose waiters are only
/// told to look again, a change) starts over.
template <class Core, class Attempt>
op_result attempt_then_park(Core& core, const steady_deadline* deadline, Attempt&& attempt) {
  for (;;) {
    thread_token token;
    waiter<typename message_type_of<Core>::type> w;
    w.token = &token;
    const op_result r = attempt(w);
    if (r != op_result::queued) return r;
    if (!park(core, w, token, deadline)) return op_result::would_block;
    if (w.status == wait_status::done) return op_result::done;
    if (w.status == wait_status::disconnected) return op_result::disconnected;
  }
}

/// Sends `value`, parking while the channel is full; on anything but done,
/// `value` is untouched.
template <class T>
op_result blocking_send(channel_core<T>& core, T& value, const steady_deadline* deadline) {
  return attempt_then_park(core, deadline, [&](waiter<T>& w) { return core.send(value, &w); });
}

/// Receives into `destination` (see receive_slot), parking while the
/// channel is empty: the message moves once, from the buffer or the sender
/// straight into it. `Core` is a channel_core<T> or a core with the same
/// `recv` (oneshot_core<T>).
template <class Core, class Destination>
op_result blocking_recv(Core& core, Destination& destination, const steady_deadline* deadline) {
  using T = typename message_type_of<Core>::type;
  const auto slot = receive_slot<T>::into(destination);
  return attempt_then_park(core, deadline, [&](waiter<T>& w) { return core.recv(slot, &w, slot); });
}

}  // namespace rill::detail
