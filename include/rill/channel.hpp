// rill — creating channels.
#pragma once

#include <rill/detail/channel_core.hpp>
#include <rill/receiver.hpp>
#include <rill/sender.hpp>

#include <cstddef>
#include <stdexcept>
#include <utility>

namespace rill {

namespace detail {

struct channel_access {
  template <class T>
  static std::pair<sender<T>, receiver<T>> make(std::size_t capacity) {
    // Checked here rather than in the handle classes, where T may still be
    // incomplete (a message that carries a sender of its own channel).
    static_assert(check_message_type<T>());
    // The core starts with one sender, one receiver and a reference for
    // each; the two handles adopt them.
    auto* core = new channel_core<T>(capacity);
    return {sender<T>(core), receiver<T>(core)};
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
};

}  // namespace detail

/// An unbounded channel: send never blocks; memory grows with what is
/// buffered and is given back as it drains.
template <class T>
std::pair<sender<T>, receiver<T>> channel() {
  return detail::channel_access::make<T>(detail::channel_core<T>::unbounded);
}

/// A bounded channel holding at most `capacity` messages; send blocks while
/// it is full. With `capacity` 0 it is a rendezvous channel: every send
/// waits until a receiver takes the message. The buffer is allocated here,
/// once.
template <class T>
std::pair<sender<T>, receiver<T>> sync_channel(std::size_t capacity) {
  if (capacity == detail::channel_core<T>::unbounded)
    throw std::length_error("rill::sync_channel: capacity too large; use rill::channel for an unbounded channel");
  return detail::channel_access::make<T>(capacity);
}

}  // namespace rill
