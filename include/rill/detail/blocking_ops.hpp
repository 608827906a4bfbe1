// rill — the blocking and timed forms of send and recv: one attempt, then
// park the calling thread on a waiter until a partner completes it.
#pragma once

#include <rill/detail/channel_core.hpp>
#include <rill/detail/thread_waiter.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <chrono>
#include <optional>
#include <stop_token>
#include <utility>

namespace rill::detail {

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

/// How a blocking operation ended.
enum class blocking_result {
  done,          ///< the message moved
  disconnected,  ///< closed: a send keeps its value; a recv found nothing left
  timed_out,     ///< the deadline passed; nothing moved
  stopped,       ///< a stop was requested; nothing moved
};

/// Why a blocking operation that did not complete gave up.
inline errc reason_of(blocking_result r) noexcept {
  switch (r) {
    case blocking_result::timed_out:
      return errc::timeout;
    case blocking_result::stopped:
      return errc::stopped;
    case blocking_result::done:
    case blocking_result::disconnected:
      break;
  }
  return errc::disconnected;
}

/// The stop token a wait watches: none for a token that can never be
/// stopped (a default-constructed one), which spares the wait registering a
/// callback.
inline const std::stop_token* stop_pointer(const std::stop_token& stop) noexcept {
  return stop.stop_possible() ? &stop : nullptr;
}

/// The message type `T` of a core: channel_core<T>, oneshot_core<T>.
template <class Core>
struct message_type_of;
template <template <class> class Core, class T>
struct message_type_of<Core<T>> {
  using type = T;
};

/// Parks until `token` completes or `limit` gives up. Returns how the wait
/// ended: given up only if the waiter was withdrawn untouched; a partner
/// that won the race is awaited, and the wait counts as completed. `Core`
/// is any core that withdraws a queued waiter with `abort(w)`.
template <class Core, class Waiter>
wait_end park(Core& core, Waiter& w, thread_token& token, wait_limit limit) noexcept {
  const wait_end end = token.wait(limit);
  if (end == wait_end::completed || core.abort(w)) return end;
  token.wait_completed();
  return wait_end::completed;
}

/// Runs `attempt(waiter)` and, if it queued the waiter, parks until a
/// partner completes it or `limit` gives up. A stop requested before the
/// call returns `stopped` without an attempt, so that a loop of waits ends
/// even on a channel that is always ready. A `retry` completion (a
/// partner's move of T threw, nothing was transferred; or, on a core whose
/// waiters are only told to look again, a change) starts over.
template <class Core, class Attempt>
blocking_result attempt_then_park(Core& core, wait_limit limit, Attempt&& attempt) {
  if (limit.stop_requested()) return blocking_result::stopped;
  for (;;) {
    thread_token token;
    waiter<typename message_type_of<Core>::type> w;
    w.token = &token;
    const op_result r = attempt(w);
    if (r == op_result::done) return blocking_result::done;
    if (r == op_result::disconnected) return blocking_result::disconnected;
    const wait_end end = park(core, w, token, limit);
    if (end == wait_end::deadline) return blocking_result::timed_out;
    if (end == wait_end::stopped) return blocking_result::stopped;
    if (w.status == wait_status::done) return blocking_result::done;
    if (w.status == wait_status::disconnected) return blocking_result::disconnected;
  }
}

/// Sends `value`, parking while the channel is full; on anything but done,
/// `value` is untouched.
template <class T>
blocking_result blocking_send(channel_core<T>& core, T& value, wait_limit limit) {
  return attempt_then_park(core, limit, [&](waiter<T>& w) { return core.send(value, &w); });
}

/// Receives into `destination` (see receive_slot), parking while the
/// channel is empty: the message moves once, from the buffer or the sender
/// straight into it. `Core` is a channel_core<T> or a core with the same
/// `recv` (oneshot_core<T>).
template <class Core, class Destination>
blocking_result blocking_recv(Core& core, Destination& destination, wait_limit limit) {
  using T = typename message_type_of<Core>::type;
  const auto slot = receive_slot<T>::into(destination);
  return attempt_then_park(core, limit, [&](waiter<T>& w) { return core.recv(slot, &w, slot); });
}

}  // namespace rill::detail
