// rill — broadcast_receiver<T>::async_recv, the asynchronous receive of a
// broadcast (documented at its declaration in broadcast.hpp), and its
// rill::task awaiter. Part of the Asio layer.
#pragma once

#include <rill/broadcast.hpp>
#include <rill/detail/async_recv_operation.hpp>  // async_recv_value
#include <rill/detail/async_wait_operation.hpp>
#include <rill/detail/broadcast_core.hpp>
#include <rill/detail/core_ref.hpp>
#include <rill/detail/task_channel_ops.hpp>
#include <rill/use_task.hpp>

#include <asio/async_result.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace rill {

namespace detail {

/// A broadcast receiver's position as its asynchronous receives see it:
/// the receiver's own fields, which outlive the operation (see async_recv).
struct broadcast_position {
  std::uint64_t* next;      ///< the next message to read
  std::uint64_t* last_lag;  ///< where a lag's count goes
};

/// A broadcast's receive as an async_wait_operation sees it: looks while
/// waiting, takes on the handler's executor.
template <class T>
class broadcast_wait {
 public:
  using values_type = std::tuple<async_recv_value<T>>;

  broadcast_wait(broadcast_core<T>& core, broadcast_position at) noexcept : core_(core), at_(at) {}
  // Copied and moved only before it starts, with nothing taken.
  broadcast_wait(const broadcast_wait& other) noexcept : core_(other.core_), at_(other.at_) {}
  broadcast_wait(broadcast_wait&& other) noexcept : core_(std::move(other.core_)), at_(other.at_) {}
  broadcast_wait& operator=(const broadcast_wait&) = delete;

  op_result look(waiter_base* w, const std::atomic<bool>* give_up) { return core_->look(*at_.next, w, give_up); }

  op_result take(waiter_base* w, const std::atomic<bool>* give_up) {
    const auto o = core_->recv(*at_.next, copy_or_move_into<T>(message_), w, give_up);
    if (o.missed != 0) *at_.last_lag = o.missed;
    lagged_ = o.missed != 0;
    return o.result;
  }

  bool abort(waiter_base& w) noexcept { return core_->abort(w); }

  /// A `done` without a message: a lag.
  std::error_code error_when_done() const noexcept { return lagged_ ? make_error_code(errc::lagged) : std::error_code(); }

  values_type values(op_result) {
    if (!message_) return values_type();
    return values_type(async_recv_value<T>(std::move(*message_)));
  }

 private:
  core_ref<T, broadcast_core<T>> core_;
  broadcast_position at_;
  std::optional<T> message_;
  bool lagged_ = false;
};

/// `co_await rx.async_recv(use_task)`: the message, or throws
/// std::system_error (errc::lagged, errc::disconnected); with
/// as_tuple(use_task), `tuple<error_code, async_recv_value<T>>`.
template <class T, bool Tuple>
class task_broadcast_recv_awaiter final : public task_channel_awaiter<task_broadcast_recv_awaiter<T, Tuple>> {
  using base = task_channel_awaiter<task_broadcast_recv_awaiter>;
  friend base;
  using value_type = async_recv_value<T>;

 public:
  task_broadcast_recv_awaiter(broadcast_core<T>& core, broadcast_position at) noexcept : core_(&core), at_(at) {}

  auto await_resume() {
    const op_result r = this->outcome();
    const std::error_code ec = r != op_result::done ? this->error()
                               : message_           ? std::error_code()
                                                    : make_error_code(errc::lagged);
    if constexpr (Tuple) {
      if (!ec) return std::tuple<std::error_code, value_type>(ec, value_type(std::move(*message_)));
      return std::tuple<std::error_code, value_type>(ec, value_type());
    } else {
      if (ec) throw std::system_error(ec);
      return T(std::move(*message_));
    }
  }

 private:
  op_result attempt(waiter<T>* w) {
    const auto o = core_->recv(*at_.next, copy_or_move_into<T>(message_), w);
    if (o.missed != 0) *at_.last_lag = o.missed;
    return o.result;
  }
  waiter<T>& wait_node() noexcept { return waiter_; }
  broadcast_core<T>& core() noexcept { return *core_; }

  broadcast_core<T>* core_;  ///< kept alive by the receiver, which outlives the co_await
  broadcast_position at_;
  std::optional<T> message_;
  waiter<T> waiter_;
};

}  // namespace detail

template <class T>
template <class CompletionToken>
auto broadcast_receiver<T>::async_recv(CompletionToken&& token) {
  constexpr detail::task_token for_task = detail::task_token_of<std::decay_t<CompletionToken>>;
  const detail::broadcast_position at{&next_, &last_lag_};
  if constexpr (for_task != detail::task_token::none)
    return detail::task_broadcast_recv_awaiter<T, for_task == detail::task_token::tuple>(core(), at);
  else
    return asio::async_initiate<CompletionToken, void(std::error_code, detail::async_recv_value<T>)>(
        detail::initiate_async_wait<detail::broadcast_wait<T>>{detail::broadcast_wait<T>(core(), at)}, token);
}

}  // namespace rill
