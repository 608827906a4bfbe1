// The three buffer kinds, so that one test can run against each of them.
#pragma once

#include <rill/rill.hpp>

#include <cstddef>
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

/// A channel of the given kind; `bounded_capacity` sizes the bounded one.
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

}  // namespace rill_test
