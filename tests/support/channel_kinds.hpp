// The three buffer kinds, so that one test can run against each of them.
#pragma once

#include <rill/rill.hpp>

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>

namespace rill_test {

enum class channel_kind { unbounded, bounded, rendezvous };

inline std::string to_string(channel_kind k) {
  switch (k) {
    case channel_kind::unbounded:
      return "unbounded";
    case channel_kind::bounded:
      return "bounded";
    case channel_kind::rendezvous:
      return "rendezvous";
  }
  return "?";
}

/// A channel of the given kind; `bounded_capacity` sizes the bounded one
/// (bounded with capacity 0 is sync_channel(0), a rendezvous channel too).
/// `policy` and `hook` go to the bounded one (the hook to every kind).
template <class T>
std::pair<rill::sender<T>, rill::receiver<T>> make_channel(channel_kind k, std::size_t bounded_capacity = 4,
                                                           rill::overflow policy = rill::overflow::wait,
                                                           rill::undelivered_hook<T> hook = {}) {
  switch (k) {
    case channel_kind::unbounded:
      return rill::channel<T>(std::move(hook));
    case channel_kind::bounded:
      return rill::sync_channel<T>(bounded_capacity, policy, std::move(hook));
    case channel_kind::rendezvous:
      break;
  }
  return rill::sync_channel<T>(0, rill::overflow::wait, std::move(hook));
}

inline std::string to_string(rill::overflow policy) {
  switch (policy) {
    case rill::overflow::wait:
      return "wait";
    case rill::overflow::drop_oldest:
      return "drop_oldest";
    case rill::overflow::drop_newest:
      return "drop_newest";
    case rill::overflow::keep_latest:
      return "keep_latest";
  }
  return "?";
}

/// The channel a test body runs on, for a body that makes several channels
/// alike or is shared by tests of different kinds: a kind, and the capacity
/// it gets if it is bounded, and its overflow policy (the other kinds
/// ignore both).
struct channel_spec {
  channel_kind kind;
  std::size_t capacity = 0;
  rill::overflow policy = rill::overflow::wait;

  /// With `hook` as the channel's undelivered hook.
  template <class T>
  std::pair<rill::sender<T>, rill::receiver<T>> make(rill::undelivered_hook<T> hook = {}) const {
    return make_channel<T>(kind, capacity, policy, std::move(hook));
  }

  /// True when a send can complete with nobody receiving yet.
  bool buffers() const { return kind == channel_kind::unbounded || (kind == channel_kind::bounded && capacity > 0); }

  /// "unbounded", "bounded(16)", "rendezvous": how Catch prints a captured spec.
  friend std::ostream& operator<<(std::ostream& os, const channel_spec& c) {
    os << to_string(c.kind);
    if (c.kind == channel_kind::bounded)
      os << '(' << c.capacity << (c.policy == rill::overflow::wait ? "" : ", " + to_string(c.policy)) << ')';
    return os;
  }
};

}  // namespace rill_test
