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
#include <rill/detail/receive_result.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <asio/error.hpp>

#include <atomic>
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

/// What async_recv takes: one message, completing with it.
template <class T>
class take_one {
 public:
  using completion_value = async_recv_value<T>;

  /// One receive attempt (see channel_core::recv), `w` notify-only.
  op_result attempt(channel_core<T>& core, waiter<T>* w, const std::atomic<bool>* give_up) {
    return core.recv(receive_slot<T>::into(message_), w, {}, give_up);
  }
  completion_value taken() { return completion_value(std::move(*message_)); }
  static completion_value nothing() { return completion_value(); }

 private:
  std::optional<T> message_;
};

/// What async_recv_many takes: up to `max` messages appended to a
/// container the caller keeps alive, completing with how many.
template <class T, class Container>
class take_many {
 public:
  using completion_value = std::size_t;

  take_many(Container& out, std::size_t max) noexcept : out_(&out), max_(max) {}

  op_result attempt(channel_core<T>& core, waiter<T>* w, const std::atomic<bool>* give_up) {
    appender<Container> destination{*out_};
    return core.recv_batch(receive_slot<T>::into(destination), max_, taken_, w, give_up);
  }
  completion_value taken() const noexcept { return taken_; }
  static completion_value nothing() noexcept { return 0; }

 private:
  Container* out_;
  std::size_t max_;
  std::size_t taken_ = 0;
};

/// An asynchronous receive of what `Take` takes (take_one, take_many).
/// Completes with `(error_code, Take::completion_value)`.
template <class T, class Handler, class Take = take_one<T>>
class async_recv_operation final
    : public async_operation_base<async_recv_operation<T, Handler, Take>, Handler, typename Take::completion_value> {
  using completion_value = typename Take::completion_value;
  using base = async_operation_base<async_recv_operation, Handler, completion_value>;
  friend base;

 public:
  template <class H>
  static void start(core_ref<T> core, H&& handler, Take take = Take()) {
    base::start_or_destroy(base::create(std::forward<H>(handler), std::move(core), std::move(take)));
  }

  async_recv_operation(const typename base::allocator_type& alloc, Handler handler, core_ref<T> core, Take take)
      : base(alloc, std::move(handler)), core_(std::move(core)), take_(std::move(take)) {
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
      return this->complete(asio::error::operation_aborted, Take::nothing());
    }
    attempt_receive();
  }

  void attempt_receive() {
    this->rearm();
    const op_result r = this->attempt_or_queue(
        [&](bool queue) { return take_.attempt(*core_, queue ? &waiter_ : nullptr, this->cancel_flag()); });
    switch (r) {
      case op_result::done:
        return this->complete({}, take_.taken());
      case op_result::disconnected:
        return this->complete(errc::disconnected, Take::nothing());
      case op_result::would_block:  // cancelled before it could queue: took nothing
        return this->complete(asio::error::operation_aborted, Take::nothing());
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
  Take take_;
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

/// The initiation object of async_recv_many.
template <class T, class Container>
struct initiate_async_recv_many {
  core_ref<T> core;
  Container* out;
  std::size_t max;

  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler) const {
    async_recv_operation<T, std::decay_t<Handler>, take_many<T, Container>>::start(
        core_ref<T>(core), std::forward<Handler>(handler), take_many<T, Container>(*out, max));
  }
};

}  // namespace rill::detail
