// What the coroutine forms in the chapters use: Asio's coroutines and
// rill::task, and as_tuple so that a failed operation is a value to look at
// rather than an exception.
#pragma once

#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace tour {

/// `co_await rx.async_recv(as_tuple_awaitable)` gives `[error_code, message]`
/// and never throws: the way to loop until a channel is disconnected.
inline constexpr auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// The coroutine form of `for (T& message : rx) f(message);`: receives until
/// the channel is disconnected (every sender gone) and drained.
template <class T, class F>
asio::awaitable<void> async_for_each(rill::receiver<T> rx, F f) {
  for (;;) {
    auto [ec, message] = co_await rx.async_recv(as_tuple_awaitable);
    if (ec) co_return;  // rill::errc::disconnected: nothing more will come
    f(message);
  }
}

/// The same with rill::task: `co_await rx.async_recv(as_tuple_task)` is a
/// plain awaiter over the channel, no Asio operation behind it.
inline constexpr auto as_tuple_task = asio::experimental::as_tuple(rill::use_task);

template <class T, class F>
rill::task<void> task_for_each(rill::receiver<T> rx, F f) {
  for (;;) {
    auto [ec, message] = co_await rx.async_recv(as_tuple_task);
    if (ec) co_return;
    f(message);
  }
}

}  // namespace tour
