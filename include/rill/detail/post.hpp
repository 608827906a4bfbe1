// rill — how rill hands work to an executor: always by post, never inline.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/system_executor.hpp>

#include <type_traits>
#include <typeinfo>
#include <utility>

namespace rill::detail {

/// Posts `f` to `executor`. An any_io_executor holding an io_context's own
/// executor, which is what a coroutine's use_awaitable handler has, is
/// unwrapped first: a post through the type-erased executor builds three
/// more any_io_executors (for blocking.never, relationship.fork and the
/// allocator), which costs more instructions than the post itself.
template <class Executor, class Function>
void post_to(const Executor& executor, Function&& f) {
#if !defined(ASIO_NO_TYPEID)
  if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
    // Asio's target<T>() does not check that T is what it holds (a strand,
    // say): the type is compared first.
    if (executor.target_type() == typeid(asio::io_context::executor_type)) {
      asio::post(*executor.template target<asio::io_context::executor_type>(), std::forward<Function>(f));
      return;
    }
  }
#endif
  asio::post(executor, std::forward<Function>(f));
}

/// Invokes `handler(args...)` through a post to its associated executor:
/// the completion of an operation that finished in its initiating function.
template <class Handler, class... Args>
void post_completion(Handler&& handler, Args&&... args) {
  const auto executor = asio::get_associated_executor(handler, asio::system_executor());
  post_to(executor, [handler = std::forward<Handler>(handler), ... args = std::forward<Args>(args)]() mutable {
    std::move(handler)(std::move(args)...);
  });
}

}  // namespace rill::detail
