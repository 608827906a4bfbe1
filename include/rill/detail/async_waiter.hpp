// rill — asynchronous send and receive: a waiter that completes an Asio
// handler on its associated executor.
//
// An operation is one allocation (through the handler's associated
// allocator; Asio's recycling allocator by default, so none in the steady
// state) holding the handler, outstanding work on its executor, a waiter and
// the value. It never invokes the handler inside another thread's send or
// recv: whoever completes it posts `resume` to the handler's executor, and
// the handler runs there. (A coroutine's operation that can complete at once
// skips all of this: awaitable_ops.hpp.)
//
// Cancel safety. A receive takes its message only in `resume`, on the
// handler's executor, immediately before invoking the handler; partners
// merely notify it (a notify-only waiter). A cancellation that arrives first
// therefore finds nothing taken: the receive completes with
// operation_aborted and passes its wake-up on. A send's value is taken by
// whoever claims it; once taken the send has completed, and it reports
// success even if a cancellation arrived meanwhile. A send cancelled before
// that hands its value back.
#pragma once

#include <rill/detail/async_operation_base.hpp>
#include <rill/detail/channel_core.hpp>
#include <rill/detail/core_ref.hpp>
#include <rill/detail/initiation.hpp>
#include <rill/detail/post.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <asio/error.hpp>

#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill::detail {

/// What an asynchronous receive completes with: T itself when it can be
/// default-constructed (for the error case), else std::optional<T>.
template <class T>
using async_recv_value = std::conditional_t<std::is_default_constructible_v<T>, T, std::optional<T>>;

enum class async_direction { send, receive };

/// An asynchronous send or receive on one channel.
template <class T, class Handler, async_direction Direction>
class async_operation final
    : public async_operation_base<async_operation<T, Handler, Direction>, Handler,
                                  std::conditional_t<Direction == async_direction::send, std::optional<T>,
                                                     async_recv_value<T>>> {
  static constexpr bool is_send = Direction == async_direction::send;
  /// The second argument of the completion signature.
  using completion_value = std::conditional_t<is_send, std::optional<T>, async_recv_value<T>>;
  using base = async_operation_base<async_operation, Handler, completion_value>;
  friend base;

 public:
  /// Starts an operation; `value` is the message for a send.
  template <class H>
  static void start(core_ref<T> core, H&& handler, std::optional<T> value = std::nullopt) {
    base::start_or_destroy(base::create(std::forward<H>(handler), std::move(core), std::move(value)));
  }

  async_operation(const typename base::allocator_type& alloc, Handler handler, core_ref<T> core,
                  std::optional<T> value)
      : base(alloc, std::move(handler)), core_(std::move(core)), value_(std::move(value)) {
    waiter_.token = this;
    waiter_.notify_only = !is_send;
  }

 private:
  void begin() {
    this->connect_cancellation_slot();
    if constexpr (is_send) {
      // Its initiation already found that the send cannot complete at once
      // (initiate_async_send): register and go straight to queueing.
      this->register_pending();
      attempt_send();
    } else {
      // Never take a message here: it would sit in this operation until the
      // posted handler runs, where a cancellation could strand it.
      if (core_->message_likely_buffered()) return this->post_resume();
      // A buffered channel's hint says empty, so a check that may not queue
      // would most likely find nothing: register, then check and queue under
      // one lock. A rendezvous channel has no buffer to hint at, and its
      // senders often wait: check before registering.
      if (core_->capacity() != std::size_t{0}) this->register_pending();
      const op_result r =
          this->attempt_or_queue([this](bool queue) {
            // The cancellation slot is connected: a cancel() from another
            // thread may come before we queue, find nothing to withdraw,
            // and rely on this check under the lock.
            return core_->wait_for_message(queue ? &waiter_ : nullptr, this->cancel_flag());
          });
      if (r != op_result::queued) this->post_resume();
    }
  }

  void cancel() {
    this->request_cancel();
    // Withdrawn untouched: complete it now. Otherwise a resume is on its way
    // (or running) and sees the request.
    if (core_->abort(waiter_)) this->post_resume();
  }

  /// Runs on the handler's executor.
  void resume() {
    if constexpr (is_send) {
      switch (waiter_.status) {
        case wait_status::done:
          return this->complete({}, std::nullopt);
        case wait_status::disconnected:
          return this->complete(errc::disconnected, std::move(value_));
        case wait_status::retry:
          return attempt_send();
        case wait_status::pending:
        case wait_status::notified:
          return this->complete(asio::error::operation_aborted, std::move(value_));
      }
    } else {
      if (this->cancel_requested()) {
        core_->pass_on();  // we may have been woken for a message we now leave
        return this->complete(asio::error::operation_aborted, completion_value());
      }
      attempt_receive();
    }
  }

  void attempt_send() {
    this->rearm();
    const op_result r = this->attempt_or_queue(
        [this](bool queue) { return core_->send(*value_, queue ? &waiter_ : nullptr, this->cancel_flag()); });
    switch (r) {
      case op_result::done:
        waiter_.status = wait_status::done;
        return this->post_resume();
      case op_result::disconnected:
        waiter_.status = wait_status::disconnected;
        return this->post_resume();
      case op_result::would_block:  // cancelled before it could queue
        waiter_.status = wait_status::pending;
        return this->post_resume();
      case op_result::queued:
        // From here a partner or cancel() completes us, possibly on another
        // thread at once: `this` must not be touched again.
        return;
    }
  }

  void attempt_receive() {
    std::optional<T> message;
    this->rearm();
    const auto sink = receive_slot<T>::into(message);
    const op_result r = this->attempt_or_queue(
        [&](bool queue) { return core_->recv(sink, queue ? &waiter_ : nullptr, {}, this->cancel_flag()); });
    switch (r) {
      case op_result::done:
        return this->complete({}, completion_value(std::move(*message)));
      case op_result::disconnected:
        return this->complete(errc::disconnected, completion_value());
      case op_result::would_block:  // cancelled before it could queue: took nothing
        return this->complete(asio::error::operation_aborted, completion_value());
      case op_result::queued:
        // From here a partner or cancel() completes us, possibly on another
        // thread at once: `this` must not be touched again.
        return;
    }
  }

  bool withdraw_if_waiting() noexcept { return core_->abort(waiter_); }

  /// resume() threw; the message or value stayed where it was. A receive
  /// may have been woken for a message it now leaves: the channel's other
  /// receivers are told, as a cancelled receive does.
  void abandon() noexcept {
    if constexpr (!is_send) {
      try {
        core_->pass_on();
      } catch (...) {
        // A direct receiver's hand-off threw there: that receiver retries
        // itself (invariant 5); the exception already on its way is ours.
      }
    }
    this->destroy_uninvoked();
  }

  /// A single waiter is never queued when the operation is freed: it was
  /// claimed, withdrawn, or never queued.
  void dequeue_all() noexcept {}

  void release_io_objects() noexcept {}

  core_ref<T> core_;
  std::optional<T> value_;  ///< a send's message, handed back on failure
  waiter<T> waiter_;
};

/// Initiation objects for asio::async_initiate. They hold a counted
/// reference to the core, because a deferred operation may be launched
/// after the handle that created it is gone. Their call operators may run
/// inside a coroutine's await_suspend (initiation.hpp): out of line, they
/// take their arguments by reference and move them out before handing the
/// operation on.
template <class T>
struct initiate_async_send {
  core_ref<T> core;
  /// False when the caller has just tried and found the channel full
  /// (awaitable_send): the operation then goes straight to queueing.
  bool try_first = true;

  template <class Handler, class Value>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler, Value&& value) && {
    start(std::move(core), try_first, std::forward<Handler>(handler), T(std::forward<Value>(value)));
  }
  template <class Handler, class Value>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler, Value&& value) const& {
    start(core_ref<T>(core), try_first, std::forward<Handler>(handler), T(std::forward<Value>(value)));
  }

 private:
  template <class Handler>
  static void start(core_ref<T> core, bool try_first, Handler&& handler, T value) {
    // A send that completes at once needs no operation: its value is in
    // the channel (or refused) before the handler runs, which only learns
    // the outcome, so neither cancellation nor the context's shutdown can
    // concern it any more.
    switch (try_first ? core->send(value, nullptr) : op_result::would_block) {
      case op_result::done:
        return post_completion(std::forward<Handler>(handler), std::error_code(), std::optional<T>());
      case op_result::disconnected:
        return post_completion(std::forward<Handler>(handler), std::error_code(errc::disconnected),
                               std::optional<T>(std::move(value)));
      default:
        break;
    }
    using op = async_operation<T, std::decay_t<Handler>, async_direction::send>;
    op::start(std::move(core), std::forward<Handler>(handler), std::optional<T>(std::move(value)));
  }
};

template <class T>
struct initiate_async_recv {
  core_ref<T> core;

  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler) && {
    start(std::move(core), std::forward<Handler>(handler));
  }
  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler) const& {
    start(core_ref<T>(core), std::forward<Handler>(handler));
  }

 private:
  template <class Handler>
  static void start(core_ref<T> core, Handler&& handler) {
    async_operation<T, std::decay_t<Handler>, async_direction::receive>::start(std::move(core),
                                                                                std::forward<Handler>(handler));
  }
};

}  // namespace rill::detail
