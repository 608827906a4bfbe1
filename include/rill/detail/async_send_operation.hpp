// rill — an asynchronous send on one channel: a waiter that completes an
// Asio handler on its associated executor.
//
// An operation is one allocation (through the handler's associated
// allocator; Asio's recycling allocator by default, so none in the steady
// state) holding the handler, outstanding work on its executor, a waiter and
// the value (async_operation_base.hpp). It never invokes the handler inside
// another thread's send or recv: whoever completes it posts `resume` to the
// handler's executor, and the handler runs there. (A coroutine's send that
// can complete at once skips all of this: awaitable_ops.hpp.)
//
// Cancel safety. A send's value is taken by whoever claims its waiter; once
// taken the send has completed, and it reports success even if a
// cancellation arrived meanwhile. A send cancelled before that hands its
// value back.
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

/// An asynchronous send that could not complete at once. Completes with
/// `(error_code, optional<T>)`: the optional holds the value handed back.
template <class T, class Handler>
class async_send_operation final
    : public async_operation_base<async_send_operation<T, Handler>, Handler, std::optional<T>> {
  using base = async_operation_base<async_send_operation, Handler, std::optional<T>>;
  friend base;

 public:
  template <class H>
  static void start(core_ref<T> core, H&& handler, T value) {
    base::start_or_destroy(base::create(std::forward<H>(handler), std::move(core), std::move(value)));
  }

  async_send_operation(const typename base::allocator_type& alloc, Handler handler, core_ref<T> core, T value)
      : base(alloc, std::move(handler)), core_(std::move(core)), value_(std::move(value)) {
    waiter_.token = this;
  }

 private:
  void begin() {
    this->connect_cancellation_slot();
    // Its initiation already found that the send cannot complete at once
    // (initiate_async_send): register and go straight to queueing.
    this->register_pending();
    attempt_send();
  }

  void cancel() {
    this->request_cancel();
    // Withdrawn untouched: complete it now. Otherwise a resume is on its way
    // (or running) and sees the request.
    if (core_->abort(waiter_)) this->post_resume();
  }

  /// Runs on the handler's executor.
  void resume() {
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

  bool withdraw_if_waiting() noexcept { return core_->abort(waiter_); }

  /// resume() threw; the value stayed where it was.
  void abandon() noexcept { this->destroy_uninvoked(); }

  core_ref<T> core_;
  std::optional<T> value_;  ///< the message, handed back on failure
  waiter<T> waiter_;
};

/// The initiation object of async_send for asio::async_initiate. It holds a
/// counted reference to the core, because a deferred operation may be
/// launched after the handle that created it is gone. Its call operators
/// may run inside a coroutine's await_suspend (initiation.hpp): out of line,
/// they take their arguments by reference and move them out before handing
/// the operation on.
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
    async_send_operation<T, std::decay_t<Handler>>::start(std::move(core), std::forward<Handler>(handler),
                                                           std::move(value));
  }
};

}  // namespace rill::detail
