// rill — sender<T>::async_send, the asynchronous send (documented at its
// declaration in sender.hpp). Part of the Asio layer.
#pragma once

#include <rill/detail/async_send_operation.hpp>
#include <rill/detail/awaitable_ops.hpp>
#include <rill/detail/core_ref.hpp>
#include <rill/detail/task_channel_ops.hpp>
#include <rill/sender.hpp>

#include <rill/use_task.hpp>

#include <asio/async_result.hpp>

#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill {

template <class T>
template <class CompletionToken>
auto sender<T>::async_send(T value, CompletionToken&& token) const {
  constexpr detail::task_token for_task = detail::task_token_of<std::decay_t<CompletionToken>>;
  if constexpr (for_task != detail::task_token::none)
    return detail::task_send_awaiter<T, for_task == detail::task_token::tuple>(core(), std::move(value));
  else
#if defined(ASIO_HAS_CO_AWAIT)  // without it Asio has no use_awaitable
  if constexpr (detail::is_use_awaitable<std::decay_t<CompletionToken>>)
    return detail::awaitable_send(detail::core_ref<T>(core()), std::move(value), token);
  else
#endif
    return asio::async_initiate<CompletionToken, void(std::error_code, std::optional<T>)>(
        detail::initiate_async_send<T>{detail::core_ref<T>(core())}, token, std::move(value));
}

}  // namespace rill
