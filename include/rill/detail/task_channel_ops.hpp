// rill — a send or a receive awaited inside a rill::task with
// rill::use_task: an awaiter in the task's frame that is also the
// operation's waiter.
//
// await_ready completes a send or receive that needs no waiting, without
// suspending (within the budget of inline_budget.hpp: after that many in a
// row, one yields through a post). Otherwise await_suspend queues the
// awaiter's waiter in the channel, and whoever claims it wakes the task
// (task_context.hpp). A receive waiter is a direct one: the partner moves
// the message into the awaiter at claim time, so a receive that a partner
// has claimed returns its message even if a cancellation comes before the
// task resumes; only a receive withdrawn untouched reports the
// cancellation.
//
// The awaiter refers to the channel without counting a reference: the
// handle it was made from must outlive the co_await, as it does in
// `co_await tx.async_send(v, rill::use_task)` (a temporary handle lives to
// the end of the full expression, past the resumption); it is a select
// arm's rule too. Counting would cost two atomic read-modify-writes per
// operation, a fifth of a ready send's instructions.
//
// await_suspend is out of line and writes all it needs before it queues
// the waiter; once queued, another thread may resume the task and destroy
// the frame, so it touches nothing after (clang before 19 could otherwise
// keep its locals in the frame, see initiation.hpp).
#pragma once

#include <rill/detail/channel_core.hpp>
#include <rill/detail/config.hpp>
#include <rill/detail/inline_budget.hpp>
#include <rill/detail/receive_result.hpp>
#include <rill/detail/task_context.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <asio/error.hpp>

#include <coroutine>
#include <exception>
#include <optional>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace rill::detail {

class task_promise_base;

/// What the send and receive awaiters share: the wait, its queueing and
/// its resumption. `Operation` provides `attempt(waiter*)` (one try at the
/// operation, queueing the waiter if given and it would block) and
/// `wait_node()`.
template <class Operation>
class task_channel_awaiter : protected task_wait {
 public:
  task_channel_awaiter() noexcept {
    proceed = &proceed_after_wake;
    withdraw = &withdraw_waiter;
  }
  task_channel_awaiter(const task_channel_awaiter&) = delete;
  task_channel_awaiter& operator=(const task_channel_awaiter&) = delete;

  bool await_ready() {
    if (!take_inline_turn()) {
      must_yield_ = true;
      return false;
    }
    result_ = self().attempt(nullptr);
    return result_ != op_result::would_block;
  }

  template <class Promise>
  RILL_NOINLINE bool await_suspend(std::coroutine_handle<Promise> task) {
    static_assert(std::is_base_of_v<task_promise_base, Promise>,
                  "rill::use_task works only inside a rill::task; in an asio::awaitable use asio::use_awaitable");
    coroutine = task;
    return queue(task.promise().context());
  }

 protected:
  /// How the operation ended: done, disconnected, or would_block for one
  /// withdrawn by a cancellation.
  op_result outcome() const {
    if (failure_) std::rethrow_exception(failure_);
    return result_;
  }

  /// The error an outcome other than done reports.
  std::error_code error() const noexcept {
    return result_ == op_result::disconnected ? std::error_code(errc::disconnected)
                                              : std::error_code(asio::error::operation_aborted);
  }

 private:
  Operation& self() noexcept { return static_cast<Operation&>(*this); }

  /// Queues the waiter; true if the task is now suspended (queued, or
  /// posted to yield), false to resume it at once.
  bool queue(task_context& context) {
    context.begin_wait(*this);
    auto& w = self().wait_node();
    w = {};
    w.token = this;
    rearm();
    // Written before the waiter is published: once queued, a partner on
    // another thread may claim it and the task resume there (a
    // multi-threaded io_context) before attempt() has even returned here,
    // and proceed_after_wake must find `queued`. Nothing of the frame is
    // written after a queued attempt.
    result_ = op_result::queued;
    const op_result r = self().attempt(&w);
    if (r == op_result::queued) return true;
    result_ = r;
    context.end_wait_unqueued();
    if (!std::exchange(must_yield_, false)) return false;
    context.post_resume(*this);
    return true;
  }

  /// On the executor, when the task is to resume: reads how the wait
  /// ended; a partner's failed move (retry) queues it again.
  static bool proceed_after_wake(task_wait& wait) {
    auto& self = static_cast<task_channel_awaiter&>(wait);
    if (self.result_ != op_result::queued) return true;  // posted to yield: finished already
    switch (self.self().wait_node().status) {
      case wait_status::done:
        self.result_ = op_result::done;
        return true;
      case wait_status::disconnected:
        self.result_ = op_result::disconnected;
        return true;
      case wait_status::retry:
        try {
          return !self.queue(*self.context);
        } catch (...) {
          self.failure_ = std::current_exception();
          return true;
        }
      case wait_status::pending:  // withdrawn by a cancellation
      case wait_status::notified:
        break;
    }
    self.result_ = op_result::would_block;
    return true;
  }

  static bool withdraw_waiter(task_wait& wait) noexcept {
    auto& self = static_cast<task_channel_awaiter&>(wait);
    return self.self().core().abort(self.self().wait_node());
  }

  op_result result_ = op_result::would_block;
  bool must_yield_ = false;
  std::exception_ptr failure_;  ///< a retry's move threw on the executor
};

/// `co_await tx.async_send(value, use_task)`: void, or throws
/// std::system_error (the value is destroyed with it); with
/// as_tuple(use_task), `tuple<error_code, optional<T>>` with the value
/// handed back on failure.
template <class T, bool Tuple>
class task_send_awaiter final : public task_channel_awaiter<task_send_awaiter<T, Tuple>> {
  using base = task_channel_awaiter<task_send_awaiter>;
  friend base;

 public:
  task_send_awaiter(channel_core<T>& core, T value) : core_(&core), value_(std::move(value)) {}

  auto await_resume() {
    const op_result r = this->outcome();
    if constexpr (Tuple) {
      if (r == op_result::done) return std::tuple<std::error_code, std::optional<T>>();
      return std::tuple<std::error_code, std::optional<T>>(this->error(), std::move(value_));
    } else {
      if (r != op_result::done) throw std::system_error(this->error());
    }
  }

 private:
  op_result attempt(waiter<T>* w) { return core_->send(value_, w); }
  waiter<T>& wait_node() noexcept { return waiter_; }
  channel_core<T>& core() noexcept { return *core_; }

  channel_core<T>* core_;  ///< kept alive by the handle, see the top of this header
  T value_;
  detail::waiter<T> waiter_;
};

/// `co_await rx.async_recv(use_task)`: the message, or throws
/// std::system_error; with as_tuple(use_task),
/// `tuple<error_code, async_recv_value<T>>`. `Core` is a channel's, or a
/// core with the same `recv` and `abort` (a oneshot's).
template <class T, bool Tuple, class Core = channel_core<T>>
class task_recv_awaiter final : public task_channel_awaiter<task_recv_awaiter<T, Tuple, Core>> {
  using base = task_channel_awaiter<task_recv_awaiter>;
  friend base;
  using value_type = std::conditional_t<std::is_default_constructible_v<T>, T, std::optional<T>>;

 public:
  explicit task_recv_awaiter(Core& core) : core_(&core) {}

  auto await_resume() {
    const op_result r = this->outcome();
    if constexpr (Tuple) {
      if (r == op_result::done) return std::tuple<std::error_code, value_type>(std::error_code(), value_type(std::move(*message_)));
      return std::tuple<std::error_code, value_type>(this->error(), value_type());
    } else {
      if (r != op_result::done) throw std::system_error(this->error());
      return T(std::move(*message_));
    }
  }

 private:
  op_result attempt(waiter<T>* w) {
    const auto slot = receive_slot<T>::into(message_);
    return core_->recv(slot, w, slot);
  }
  waiter<T>& wait_node() noexcept { return waiter_; }
  Core& core() noexcept { return *core_; }

  Core* core_;  ///< kept alive by the handle, see the top of this header
  std::optional<T> message_;
  detail::waiter<T> waiter_;
};

}  // namespace rill::detail
