// rill — how a receive form builds what it returns: the message moves
// into the returned object (or a container) in one move, so that a move
// that throws leaves it in the channel or with its sender.
#pragma once

#include <rill/error.hpp>

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace rill::detail {

/// A receive's result as the destination of its message: an expected that
/// holds an error until the message is moved into it (tl::expected's own
/// emplace would need T to be move-assignable).
template <class T, class E>
struct result_destination {
  expected<T, E>& result;

  void emplace(T&& message) {
    const E failure = result.error();
    std::destroy_at(&result);
    try {
      std::construct_at(&result, tl::in_place, std::move(message));
    } catch (...) {
      std::construct_at(&result, tl::unexpect, failure);
      throw;
    }
  }
};

/// The result of a receive whose message may throw when moved, built in
/// place: one return statement of one named object, so that GCC too
/// constructs it in the caller's storage (it does not when a function has
/// other return statements, even in a discarded `if constexpr` branch).
template <class T, class E, class Receive>
expected<T, E> receive_in_place(E placeholder, Receive& receive) {
  expected<T, E> result(tl::unexpect, placeholder);
  result_destination<T, E> destination{result};
  const E failure = receive(destination);
  if (!result) result = unexpected(failure);
  return result;
}

/// The result of a receive form. `receive(destination)` moves the message,
/// if any, into `destination` and returns the error to report otherwise.
///
/// A message whose move may throw moves once: from the channel or its
/// sender straight into the object returned (receive_in_place;
/// tests/unit/throwing_move.cpp counts the moves), so a move that throws
/// leaves it in the channel or with its sender. A message whose move cannot
/// throw goes through an optional, which costs a move that cannot fail and
/// keeps tl::expected's move constructor out of it (ill-formed there for
/// trivially movable, non-copyable types).
template <class T, class E, class Receive>
expected<T, E> receive_result(E placeholder, Receive&& receive) {
  if constexpr (std::is_nothrow_move_constructible_v<T>) {
    std::optional<T> message;
    const E failure = receive(message);
    if (message) return std::move(*message);
    return unexpected(failure);
  } else {
    return receive_in_place<T>(placeholder, receive);
  }
}

/// A receive destination that appends to a container (recv_many).
template <class Container>
struct appender {
  Container& out;
  template <class M>
  void emplace(M&& message) {
    out.push_back(std::forward<M>(message));
  }
};

}  // namespace rill::detail
