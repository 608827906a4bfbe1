// rill — receiver<T>::async_recv, the asynchronous receive (documented at
// its declaration in receiver.hpp). Part of the Asio layer.
#pragma once

#include <rill/detail/async_recv_operation.hpp>
#include <rill/detail/awaitable_ops.hpp>
#include <rill/detail/core_ref.hpp>
#include <rill/detail/task_channel_ops.hpp>
#include <rill/receiver.hpp>

#include <rill/use_task.hpp>

#include <asio/async_result.hpp>

#include <cstddef>
#include <stdexcept>
#include <system_error>
#include <type_traits>

namespace rill {

template <class T>
template <class CompletionToken>
auto receiver<T>::async_recv(CompletionToken&& token) const {
  constexpr detail::task_token for_task = detail::task_token_of<std::decay_t<CompletionToken>>;
  if constexpr (for_task != detail::task_token::none)
    return detail::task_recv_awaiter<T, for_task == detail::task_token::tuple>(core());
  else
#if defined(ASIO_HAS_CO_AWAIT)  // without it Asio has no use_awaitable
  if constexpr (detail::is_use_awaitable<std::decay_t<CompletionToken>>)
    return detail::awaitable_recv(detail::core_ref<T>(core()), token);
  else
#endif
    return asio::async_initiate<CompletionToken, void(std::error_code, detail::async_recv_value<T>)>(
        detail::initiate_async_recv<T>{detail::core_ref<T>(core())}, token);
}

template <class T>
template <class Container, class CompletionToken>
auto receiver<T>::async_recv_many(Container& out, std::size_t max, CompletionToken&& token) const {
  if (max == 0) throw std::invalid_argument("rill::receiver::async_recv_many: max must be at least 1");
  return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
      detail::initiate_async_recv_many<T, Container>{detail::core_ref<T>(core()), &out, max}, token);
}

}  // namespace rill
