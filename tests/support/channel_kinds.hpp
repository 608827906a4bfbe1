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
template <class T>
std::pair<rill::sender<T>, rill::receiver<T>> make_channel(channel_kind k, std::size_t bounded_capacity = 4) {
  switch (k) {
    case channel_kind::unbounded:
      return rill::channel<T>();
    case channel_kind::bounded:
      return rill::sync_channel<T>(bounded_capacity);
    case channel_kind::rendezvous:
      break;
  }
  return rill::sync_channel<T>(0);
}

/// The channel a test body runs on, for a body that makes several channels
/// alike or is shared by tests of different kinds: a kind, and the capacity
/// it gets if it is bounded (the other kinds ignore it).
struct channel_spec {
  channel_kind kind;
  std::size_t capacity = 0;

  template <class T>
  std::pair<rill::sender<T>, rill::receiver<T>> make() const {
    return make_channel<T>(kind, capacity);
  }

  /// True when a send can complete with nobody receiving yet.
  bool buffers() const { return kind == channel_kind::unbounded || (kind == channel_kind::bounded && capacity > 0); }

  /// "unbounded", "bounded(16)", "rendezvous": how Catch prints a captured spec.
  friend std::ostream& operator<<(std::ostream& os, const channel_spec& c) {
    os << to_string(c.kind);
    if (c.kind == channel_kind::bounded) os << '(' << c.capacity << ')';
    return os;
  }
};

}  // namespace rill_test
