// rill — an asynchronous receive on one channel: a waiter that completes an
// Asio handler on its associated executor.
//
// An operation is one allocation (through the handler's associated
// allocator; Asio's recycling allocator by default, so none in the steady
// state) holding the handler, outstanding work on its executor and a
// waiter (async_operation_base.hpp). It never invokes the handler inside
// another thread's send or recv: whoever completes it posts `resume` to the
// handler's executor, and the handler runs there. (A coroutine's receive
// that can complete at once skips all of this: awaitable_ops.hpp.)
//
// Cancel safety. A receive takes its message only in `resume`, on the
// handler's executor, immediately before invoking the handler; partners
// merely notify it (a notify-only waiter). A cancellation that arrives first
// therefore finds nothing taken: the receive completes with
// operation_aborted and passes its wake-up on.
#pragma once

#include <rill/detail/async_operation_base.hpp>
#include <rill/detail/channel_core.hpp>
#include <rill/detail/core_ref.hpp>
#include <rill/detail/initiation.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <asio/error.hpp>

#include <cstddef>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill::detail {

/// What an asynchronous receive completes with: T itself when it can be
/// default-constructed (for the error case), else std::optional<T>.
template <class T>
using async_recv_value = std::conditional_t<std::is_default_constructible_v<T>, T, std::optional<T>>;

/// An asynchronous receive. Completes with `(error_code, async_recv_value<T>)`.
template <class T, class Handler>
class async_recv_operation final
    : public async_operation_base<async_recv_operation<T, Handler>, Handler, async_recv_value<T>> {
  using completion_value = async_recv_value<T>;
  using base = async_operation_base<async_recv_operation, Handler, completion_value>;
  friend base;

 public:
  template <class H>
  static void start(core_ref<T> core, H&& handler) {
    base::start_or_destroy(base::create(std::forward<H>(handler), std::move(core)));
  }

  async_recv_operation(const typename base::allocator_type& alloc, Handler handler, core_ref<T> core)
      : base(alloc, std::move(handler)), core_(std::move(core)) {
    waiter_.token = this;
    waiter_.notify_only = true;
  }

 private:
  void begin() {
    this->connect_cancellation_slot();
    // Never take a message here: it would sit in this operation until the
    // posted handler runs, where a cancellation could strand it.
    if (core_->message_likely_buffered()) return this->post_resume();
    // A buffered channel's hint says empty, so a check that may not queue
    // would most likely find nothing: register, then check and queue under
    // one lock. A rendezvous channel has no buffer to hint at, and its
    // senders often wait: check before registering.
    if (core_->capacity() != std::size_t{0}) this->register_pending();
    const op_result r = this->attempt_or_queue([this](bool queue) {
      // The cancellation slot is connected: a cancel() from another thread
      // may come before we queue, find nothing to withdraw, and rely on
      // this check under the lock.
      return core_->wait_for_message(queue ? &waiter_ : nullptr, this->cancel_flag());
    });
    if (r != op_result::queued) this->post_resume();
  }

  void cancel() {
    this->request_cancel();
    // Withdrawn untouched: complete it now. Otherwise a resume is on its way
    // (or running) and sees the request.
    if (core_->abort(waiter_)) this->post_resume();
  }

  /// Runs on the handler's executor.
  void resume() {
    if (this->cancel_requested()) {
      core_->pass_on();  // we may have been woken for a message we now leave
      return this->complete(asio::error::operation_aborted, completion_value());
    }
    attempt_receive();
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

  /// resume() threw; the message stayed in the channel. We may have been
  /// woken for it: the channel's other receivers are told, as a cancelled
  /// receive does.
  void abandon() noexcept {
    try {
      core_->pass_on();
    } catch (...) {
      // A direct receiver's hand-off threw there: that receiver retries
      // itself (invariant 5); the exception already on its way is ours.
    }
    this->destroy_uninvoked();
  }

  core_ref<T> core_;
  waiter<T> waiter_;
};

/// The initiation object of async_recv for asio::async_initiate (see
/// initiate_async_send for why it holds a counted reference and is out of
/// line).
template <class T>
struct initiate_async_recv {
  core_ref<T> core;

  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler) && {
    async_recv_operation<T, std::decay_t<Handler>>::start(std::move(core), std::forward<Handler>(handler));
  }
  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler) const& {
    async_recv_operation<T, std::decay_t<Handler>>::start(core_ref<T>(core), std::forward<Handler>(handler));
  }
};

}  // namespace rill::detail
