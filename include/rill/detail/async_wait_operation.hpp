// rill — an asynchronous wait on a core whose waiters are only told to
// look again (wait_list.hpp): a oneshot's receive, a watch's changed(), a
// broadcast's receive.
//
// Cancel safety, as for a channel's async_recv: the operation only looks
// when it starts and while it waits, and takes (the oneshot's value; the
// watch's new version, marked seen) in `resume`, on the handler's
// executor, immediately before invoking the handler. A cancellation that
// comes first finds nothing taken: the operation completes with
// operation_aborted and the value, or the change, is still there for the
// next wait.
#pragma once

#include <rill/detail/async_operation_base.hpp>
#include <rill/detail/channel_core.hpp>  // op_result
#include <rill/detail/initiation.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <asio/error.hpp>

#include <atomic>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace rill::detail {

/// What a `Wait` provides (oneshot_wait, watch_wait), holding a counted
/// reference to its core:
///   - `look(waiter_base*, give_up)`: takes nothing; `done` if a `take`
///     would not block, else queues the waiter (`queued`) or not
///     (`would_block`), as channel_core::recv does with `give_up`;
///   - `take(waiter_base*, give_up)`: `done` (what it took is kept for
///     `values`), `disconnected`, or as look;
///   - `abort(waiter_base&)`: withdraws the waiter if it is still queued;
///   - `values(op_result)`: what the handler gets after its error code, as
///     a std::tuple of the types in `Wait::values_type`;
///   - optionally `error_when_done()`: the error a `done` take reports
///     (a broadcast's lag: the take found something to report, and it is
///     not a value).
template <class Wait, class Handler, class Values = typename Wait::values_type>
class async_wait_operation;

template <class Wait, class Handler, class... Value>
class async_wait_operation<Wait, Handler, std::tuple<Value...>> final
    : public async_operation_base<async_wait_operation<Wait, Handler, std::tuple<Value...>>, Handler, Value...> {
  using base = async_operation_base<async_wait_operation, Handler, Value...>;
  friend base;

 public:
  template <class H>
  static void start(Wait wait, H&& handler) {
    base::start_or_destroy(base::create(std::forward<H>(handler), std::move(wait)));
  }

  async_wait_operation(const typename base::allocator_type& alloc, Handler handler, Wait wait)
      : base(alloc, std::move(handler)), wait_(std::move(wait)) {
    waiter_.token = this;
  }

 private:
  void begin() {
    this->connect_cancellation_slot();
    // Only look here: what a take found would sit in this operation until
    // the posted handler runs, where a cancellation could strand it.
    const op_result r = this->attempt_or_queue(
        [this](bool queue) { return wait_.look(queue ? &waiter_ : nullptr, this->cancel_flag()); });
    if (r != op_result::queued) this->post_resume();
  }

  void cancel() {
    this->request_cancel();
    // Withdrawn untouched: complete it now. Otherwise a resume is on its way
    // (or running) and sees the request.
    if (wait_.abort(waiter_)) this->post_resume();
  }

  /// Runs on the handler's executor.
  void resume() {
    if (this->cancel_requested()) return finish(op_result::would_block);
    this->rearm();
    const op_result r = this->attempt_or_queue(
        [this](bool queue) { return wait_.take(queue ? &waiter_ : nullptr, this->cancel_flag()); });
    // Queued: from here a notifier or cancel() completes us, possibly on
    // another thread at once, so `this` must not be touched again.
    if (r != op_result::queued) finish(r);
  }

  /// Completes with what `r` says: done, disconnected, or would_block for
  /// a cancellation that came before anything was taken.
  void finish(op_result r) {
    std::error_code ec = r == op_result::done           ? std::error_code()
                         : r == op_result::disconnected ? std::error_code(errc::disconnected)
                                                        : std::error_code(asio::error::operation_aborted);
    if constexpr (requires { wait_.error_when_done(); })
      if (r == op_result::done) ec = wait_.error_when_done();
    std::apply([&](auto&&... value) { this->complete(ec, std::move(value)...); }, wait_.values(r));
  }

  bool withdraw_if_waiting() noexcept { return wait_.abort(waiter_); }

  /// resume() threw (a move of T): nothing was taken, the value stays in
  /// the core.
  void abandon() noexcept { this->destroy_uninvoked(); }

  Wait wait_;
  waiter_base waiter_;
};

/// The initiation object of such a wait for asio::async_initiate; out of
/// line, see initiation.hpp. It holds the Wait, with its counted reference:
/// a deferred operation may be launched after the handle is gone.
template <class Wait>
struct initiate_async_wait {
  Wait wait;

  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler) && {
    async_wait_operation<Wait, std::decay_t<Handler>>::start(std::move(wait), std::forward<Handler>(handler));
  }
  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler) const& {
    async_wait_operation<Wait, std::decay_t<Handler>>::start(Wait(wait), std::forward<Handler>(handler));
  }
};

}  // namespace rill::detail
