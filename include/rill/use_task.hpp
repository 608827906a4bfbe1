// rill — rill::use_task, the completion token of rill::task. Inside a task,
// `co_await op(..., rill::use_task)` awaits any Asio asynchronous operation
// (timers, sockets, asio::post, rill::async_select): the operation starts
// once the task has suspended, and completes on the task's executor, with
// the spawn's cancellation slot. rill's channel operations
// (`co_await rx.async_recv(rill::use_task)`,
// `co_await tx.async_send(v, rill::use_task)`) get awaiters of their own,
// with no operation object and no post when they can complete at once.
// Errors are thrown as std::system_error;
// asio::experimental::as_tuple(rill::use_task) gives the error code with
// the values instead.
#pragma once

#include <rill/detail/task_async_op.hpp>

#include <asio/async_result.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace rill {

/// The completion token for awaiting rill's channel operations inside a
/// rill::task (see the top of this header).
struct use_task_t {
  constexpr use_task_t() noexcept = default;
};

/// The completion token for awaiting rill's channel operations inside a
/// rill::task.
inline constexpr use_task_t use_task{};

namespace detail {

/// How a completion token asks for a task's awaiter: not at all, with
/// errors as exceptions (use_task), or as an (error_code, value) tuple
/// (as_tuple(use_task)).
enum class task_token { none, throws, tuple };

template <class Token>
inline constexpr task_token task_token_of = task_token::none;
template <>
inline constexpr task_token task_token_of<use_task_t> = task_token::throws;
template <>
inline constexpr task_token task_token_of<asio::experimental::as_tuple_t<use_task_t>> = task_token::tuple;

}  // namespace detail

}  // namespace rill

// A specialization of Asio's trait, outside rill's namespace: the reference
// (Doxygen) skips it; the comment at the top of this header is its doc.
/// @cond RILL_TRAIT_SPECIALIZATIONS
/// Any Asio operation awaited with rill::use_task (task_async_op.hpp).
template <class... Args>
class asio::async_result<rill::use_task_t, void(Args...)> {
 public:
  template <class Initiation, class... InitArgs>
  static auto initiate(Initiation&& initiation, rill::use_task_t, InitArgs&&... args) {
    return rill::detail::task_async_awaiter<std::decay_t<Initiation>, std::tuple<std::decay_t<InitArgs>...>, Args...>(
        std::forward<Initiation>(initiation), std::forward<InitArgs>(args)...);
  }
};
/// @endcond
