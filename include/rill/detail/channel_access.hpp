// rill — how the library reaches a channel's core through its handles: to
// make a channel, and for operations over several channels (select).
#pragma once

#include <rill/detail/channel_core.hpp>
#include <rill/receiver.hpp>
#include <rill/sender.hpp>

#include <cstddef>
#include <utility>

namespace rill::detail {

struct channel_access {
  template <class T>
  static std::pair<sender<T>, receiver<T>> make(std::size_t capacity, overflow policy = overflow::wait,
                                                undelivered_hook<T> hook = {}) {
    // Checked here rather than in the handle classes, where T may still be
    // incomplete (a message that carries a sender of its own channel).
    static_assert(check_message_type<T>());
    // The core starts with one sender, one receiver and a reference for
    // each; the two handles adopt them.
    auto* core = new channel_core<T>(capacity, policy, std::move(hook));
    return {sender<T>(core), receiver<T>(core)};
  }

  /// A channel that never disconnects for its receivers: one sender count
  /// belongs to no handle, so it is never dropped (timer channels, never()).
  /// Receivers that are all gone still close it for its senders.
  template <class T>
  static std::pair<sender<T>, receiver<T>> make_never_disconnected(std::size_t capacity) {
    auto ends = make<T>(capacity);
    ends.first.core().add_sender();
    return ends;
  }

  /// A sender adopting a sender count and a reference the caller holds.
  template <class T>
  static sender<T> adopt_sender(channel_core<T>* core) noexcept {
    return sender<T>(core);
  }

  /// The core behind a handle, for operations over several channels
  /// (select); throws std::logic_error for an empty handle.
  template <class T>
  static channel_core<T>* core(const sender<T>& tx) {
    return &tx.core();
  }
  template <class T>
  static channel_core<T>* core(const receiver<T>& rx) {
    return &rx.core();
  }

  /// The sender's handle, for what counts as one more sender (a permit a
  /// select's reserve arm wins).
  template <class T>
  static core_handle<T, channel_side::send> send_handle(const sender<T>& tx) {
    return tx.handle_;
  }
};

}  // namespace rill::detail
