// rill — watch_receiver<T>::async_changed, waiting for a watch's change
// asynchronously (documented at its declaration in watch.hpp), and its
// rill::task awaiter. Part of the Asio layer.
#pragma once

#include <rill/detail/async_wait_operation.hpp>
#include <rill/detail/core_ref.hpp>
#include <rill/detail/task_channel_ops.hpp>
#include <rill/detail/watch_core.hpp>
#include <rill/use_task.hpp>
#include <rill/watch.hpp>

#include <asio/async_result.hpp>

#include <atomic>
#include <cstdint>
#include <system_error>
#include <tuple>
#include <type_traits>

namespace rill {

namespace detail {

/// A watch's changed() as an async_wait_operation sees it: looks for a
/// change while waiting, marks it seen on the handler's executor.
template <class T>
class watch_wait {
 public:
  using values_type = std::tuple<>;

  watch_wait(watch_core<T>& core, std::uint64_t& seen) noexcept : core_(core), seen_(&seen) {}

  op_result look(waiter_base* w, const std::atomic<bool>* give_up) {
    const op_result r = core_->changed(*seen_, false, w, give_up);
    return r == op_result::disconnected ? op_result::done : r;
  }

  op_result take(waiter_base* w, const std::atomic<bool>* give_up) { return core_->changed(*seen_, true, w, give_up); }

  bool abort(waiter_base& w) noexcept { return core_->abort(w); }

  values_type values(op_result) noexcept { return {}; }

 private:
  core_ref<T, watch_core<T>> core_;
  std::uint64_t* seen_;  ///< the receiver's, which outlives the operation
};

/// `co_await rx.async_changed(use_task)`: returns once a change is seen,
/// or throws std::system_error; with as_tuple(use_task),
/// `tuple<error_code>`.
template <class T, bool Tuple>
class task_changed_awaiter final : public task_channel_awaiter<task_changed_awaiter<T, Tuple>> {
  using base = task_channel_awaiter<task_changed_awaiter>;
  friend base;

 public:
  task_changed_awaiter(watch_core<T>& core, std::uint64_t& seen) noexcept : core_(&core), seen_(&seen) {}

  auto await_resume() {
    const op_result r = this->outcome();
    if constexpr (Tuple) {
      return std::tuple<std::error_code>(r == op_result::done ? std::error_code() : this->error());
    } else {
      if (r != op_result::done) throw std::system_error(this->error());
    }
  }

 private:
  op_result attempt(waiter<T>* w) { return core_->changed(*seen_, true, w); }
  waiter<T>& wait_node() noexcept { return waiter_; }
  watch_core<T>& core() noexcept { return *core_; }

  watch_core<T>* core_;  ///< kept alive by the receiver, which outlives the co_await
  std::uint64_t* seen_;
  waiter<T> waiter_;
};

}  // namespace detail

template <class T>
template <class CompletionToken>
auto watch_receiver<T>::async_changed(CompletionToken&& token) {
  constexpr detail::task_token for_task = detail::task_token_of<std::decay_t<CompletionToken>>;
  if constexpr (for_task != detail::task_token::none)
    return detail::task_changed_awaiter<T, for_task == detail::task_token::tuple>(core(), seen_);
  else
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        detail::initiate_async_wait<detail::watch_wait<T>>{detail::watch_wait<T>(core(), seen_)}, token);
}

}  // namespace rill
