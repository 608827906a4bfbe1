// rill — a sender that does not keep its channel open.
//
//   auto [tx, rx] = rill::channel<Event>();
//   rill::weak_sender<Event> weak = tx.downgrade();
//   ...
//   if (auto tx = weak.upgrade()) tx->send(e);   // only while a sender lives
//
// For whoever must reach a channel without owning its producing side: a
// registry of subscribers, a cache, a callback that outlives its producers.
#pragma once

#include <rill/detail/channel_access.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/sender.hpp>

#include <cstddef>
#include <optional>

namespace rill {

/// A weak reference to a channel's sending side. Cheap to copy; holding one
/// keeps the channel's memory, not the channel open: once the last sender
/// is gone the receivers drain and disconnect as usual, and upgrade() fails
/// from then on, whatever weak senders remain.
template <class T>
class weak_sender {
 public:
  /// An empty handle: upgrade() returns std::nullopt.
  weak_sender() noexcept = default;

  /// A sender of the channel while one exists (the channel may be closed
  /// explicitly meanwhile: that sender's sends then fail as any would), or
  /// std::nullopt once every sender is gone or for an empty handle. Never
  /// revives a channel: the count it adds to is never back above zero once
  /// it reached zero.
  [[nodiscard]] std::optional<sender<T>> upgrade() const {
    detail::channel_core<T>* core = handle_.get();
    if (core == nullptr || !core->try_add_sender()) return std::nullopt;
    core->retain();
    return detail::channel_access::adopt_sender(core);
  }

  /// Senders of the channel now: 0 means upgrade() will fail from now on.
  /// Throws std::logic_error on an empty handle.
  [[nodiscard]] std::size_t sender_count() const { return handle_.checked().sender_count(); }
  /// Weak senders of the channel now, this one included. Throws
  /// std::logic_error on an empty handle.
  [[nodiscard]] std::size_t weak_sender_count() const { return handle_.checked().weak_sender_count(); }

  /// False for a default-constructed or moved-from handle.
  explicit operator bool() const noexcept { return handle_.valid(); }

 private:
  friend class sender<T>;

  /// Adopts a weak count and a reference the caller already holds.
  explicit weak_sender(detail::channel_core<T>* core) noexcept : handle_(core) {}

  detail::core_handle<T, detail::channel_side::weak_send> handle_;
};

template <class T>
weak_sender<T> sender<T>::downgrade() const {
  detail::channel_core<T>& c = core();
  c.retain();
  c.add_weak_sender();
  return weak_sender<T>(&c);
}

}  // namespace rill
