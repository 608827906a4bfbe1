// rill — what a send on a full bounded channel does, and the hook that sees
// every message a channel destroys undelivered.
//
//   auto [tx, rx] = rill::sync_channel<sample>(64, rill::overflow::drop_oldest,
//                                              [](sample&& s) { lost.fetch_add(1); });
//   (void)tx.send(s);   // never waits: on a full channel the oldest sample goes to the hook
//
// No message is ever dropped silently: each one dropped goes to the hook,
// and each one is counted (sender::undelivered_count()), hook or not.
#pragma once

#include <cstdint>
#include <functional>

namespace rill {

/// What a send does when a bounded channel is full.
enum class overflow : std::uint8_t {
  /// Waits for room (try_send fails with errc::full): the default, and the
  /// only policy that keeps every message.
  wait,
  /// Drops the oldest buffered message to make room for the new one.
  drop_oldest,
  /// Drops the new message; what is buffered stays.
  drop_newest,
  /// Drops every buffered message and keeps the new one: after a burst, a
  /// receiver sees only the latest (with capacity 1, the same as
  /// drop_oldest: a conflated channel).
  keep_latest,
};

/// Called with each message the channel destroys without delivering it:
/// dropped by its overflow policy, or still buffered when the last receiver
/// went. The hook may keep the message (it is handed over by rvalue).
///
/// When it runs: on the thread of an operation that dropped messages (which
/// may hand over one another thread dropped at the same moment) or
/// destroyed the last receiver, after that operation has taken effect and
/// with no channel lock held, so the hook may use any channel, this one
/// included (a hook that sends to the same full channel may drop, and so
/// run, again). Several threads may run it at once. It must not throw: an
/// exception leaving it calls std::terminate, as one leaving a destructor
/// does, since the operation that dropped the message has already
/// succeeded and cannot report it.
template <class T>
using undelivered_hook = std::function<void(T&&)>;

}  // namespace rill
