// A pipeline stage: receive, transform, send on, until the input ends.
//
// Stages own their handles. When a stage's input is disconnected and
// drained, the stage returns and its sender is destroyed, which disconnects
// the next stage's input: the end of the stream flows down the pipeline
// with no extra "done" message. A transform that returns std::optional
// filters: an empty result sends nothing.
#pragma once

#include <rill/rill.hpp>

#include "coroutines.hpp"

#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace tour {

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

/// What a transform returned, as "maybe a message to send on".
template <class R>
auto as_optional(R&& result) {
  if constexpr (is_optional<std::decay_t<R>>)
    return std::forward<R>(result);
  else
    return std::optional<std::decay_t<R>>(std::forward<R>(result));
}

/// A stage on its own thread.
template <class In, class Out, class F>
std::jthread stage(rill::receiver<In> in, rill::sender<Out> out, F transform) {
  return std::jthread([in = std::move(in), out = std::move(out), transform = std::move(transform)]() mutable {
    for (In& message : in) {
      auto next = as_optional(transform(std::move(message)));
      if (next && !out.send(std::move(*next))) return;  // downstream is gone: stop early
    }
  });
}

/// The same stage as a coroutine: many stages can share one thread.
template <class In, class Out, class F>
asio::awaitable<void> async_stage(rill::receiver<In> in, rill::sender<Out> out, F transform) {
  for (;;) {
    auto [ec, message] = co_await in.async_recv(as_tuple_awaitable);
    if (ec) co_return;
    auto next = as_optional(transform(std::move(message)));
    if (!next) continue;
    auto [send_ec, unsent] = co_await out.async_send(std::move(*next), as_tuple_awaitable);
    if (send_ec) co_return;  // downstream is gone
  }
}

}  // namespace tour
