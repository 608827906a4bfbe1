// rill — oneshot_receiver<T>::async_recv, the asynchronous receive of a
// oneshot (documented at its declaration in oneshot.hpp). Part of the Asio
// layer.
#pragma once

#include <rill/detail/async_recv_operation.hpp>  // async_recv_value
#include <rill/detail/async_wait_operation.hpp>
#include <rill/detail/core_ref.hpp>
#include <rill/detail/oneshot_core.hpp>
#include <rill/detail/task_channel_ops.hpp>
#include <rill/oneshot.hpp>
#include <rill/use_task.hpp>

#include <asio/async_result.hpp>

#include <optional>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace rill {

namespace detail {

/// A oneshot's receive as an async_wait_operation sees it: looks for the
/// value while waiting, takes it on the handler's executor.
template <class T>
class oneshot_wait {
 public:
  using values_type = std::tuple<async_recv_value<T>>;

  explicit oneshot_wait(oneshot_core<T>& core) noexcept : core_(core) {}
  // A wait is copied and moved only before it starts, with nothing taken:
  // the copy shares the core and holds no value (so T need not be copyable).
  oneshot_wait(const oneshot_wait& other) noexcept : core_(other.core_) {}
  oneshot_wait(oneshot_wait&& other) noexcept : core_(std::move(other.core_)) {}
  oneshot_wait& operator=(const oneshot_wait&) = delete;

  op_result look(waiter_base* w, const std::atomic<bool>* give_up) { return core_->look(w, give_up); }

  op_result take(waiter_base* w, const std::atomic<bool>* give_up) {
    return core_->recv(receive_slot<T>::into(message_), w, {}, give_up);
  }

  bool abort(waiter_base& w) noexcept { return core_->abort(w); }

  values_type values(op_result r) {
    if (r != op_result::done) return values_type();
    return values_type(async_recv_value<T>(std::move(*message_)));
  }

 private:
  core_ref<T, oneshot_core<T>> core_;
  std::optional<T> message_;
};

}  // namespace detail

template <class T>
template <class CompletionToken>
auto oneshot_receiver<T>::async_recv(CompletionToken&& token) {
  constexpr detail::task_token for_task = detail::task_token_of<std::decay_t<CompletionToken>>;
  if constexpr (for_task != detail::task_token::none)
    return detail::task_recv_awaiter<T, for_task == detail::task_token::tuple, detail::oneshot_core<T>>(core());
  else
    return asio::async_initiate<CompletionToken, void(std::error_code, detail::async_recv_value<T>)>(
        detail::initiate_async_wait<detail::oneshot_wait<T>>{detail::oneshot_wait<T>(core())}, token);
}

}  // namespace rill
