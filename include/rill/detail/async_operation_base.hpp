// rill — what every asynchronous operation of rill does around its own
// logic: one allocation with the handler's allocator, outstanding work on
// its executor, the registry of its context, its cancellation slot, resuming
// through a post, and completing by freeing itself, then invoking the
// handler. The operations themselves: async_send_operation.hpp,
// async_recv_operation.hpp and async_select.hpp.
#pragma once

#include <rill/detail/channel_core.hpp>  // op_result
#include <rill/detail/pending_operations.hpp>
#include <rill/detail/post.hpp>
#include <rill/detail/waiter.hpp>

#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/execution_context.hpp>
#include <asio/prefer.hpp>
#include <asio/query.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/system_executor.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill::detail {

/// Whether `Handler` resumes a coroutine awaiting with asio::use_awaitable.
/// Such a coroutine runs inside co_spawn, which holds outstanding work on
/// its executor until the coroutine finishes: an operation it awaits need
/// not take work of its own. (Should Asio rename its handler, this says
/// false and the operation takes work as any other: slower, never wrong.)
template <class Handler>
inline constexpr bool resumes_spawned_coroutine = false;

#if defined(ASIO_HAS_CO_AWAIT)
template <class Executor, class... Args>
inline constexpr bool resumes_spawned_coroutine<asio::detail::awaitable_handler<Executor, Args...>> = true;
#endif

/// What every asynchronous operation of rill does around its own logic:
/// it lives in one allocation made with the handler's allocator, holds the
/// handler and outstanding work on its executor, registers with the
/// executor's context (pending_operations), listens to the handler's
/// cancellation slot, is resumed by a post to the executor, and completes
/// by freeing itself and then invoking the handler.
///
/// `Derived` provides resume() (runs on the executor), cancel() (from the
/// cancellation slot), withdraw_if_waiting() (a shutdown found it: withdraw
/// its waiters if still queued and unclaimed; true if it did) and abandon()
/// (its resume threw: go without invoking the handler). An operation with
/// several waiters or with I/O objects of its own (async_select) also hides
/// dequeue_all() and release_io_objects() below. These are compile-time
/// calls on Derived: the type-erased entry points are the claim token's
/// completion (on_claimed) and the registry's two shutdown steps, function
/// pointers rather than virtuals so that an operation carries no vtable.
/// `Value` is what the handler gets after its error code: one type, or
/// none for a handler of `void(std::error_code)` (a watch's changed()).
template <class Derived, class Handler, class... Value>
class async_operation_base : public claim_token, public pending_operation {
 protected:
  using executor_type = asio::associated_executor_t<Handler, asio::system_executor>;
  using work_type =
      std::decay_t<decltype(asio::prefer(std::declval<const executor_type&>(), asio::execution::outstanding_work.tracked))>;
  using allocator_type = typename std::allocator_traits<asio::associated_allocator_t<
      Handler, asio::recycling_allocator<void>>>::template rebind_alloc<Derived>;
  static constexpr bool has_context = asio::can_query<const executor_type&, asio::execution::context_t>::value;
  /// Outstanding work is already held for the handler's whole life. Not
  /// taking it again saves the type-erased executor's prefer, which made
  /// and destroyed a tracked copy per waiting operation (W9: CPU per round
  /// trip 846 -> 692 ns under perf; 1.13 -> 1.29 times Asio's channel).
  static constexpr bool work_held_elsewhere = resumes_spawned_coroutine<Handler> && has_context;

 public:
  /// Allocates and constructs the operation; the caller starts it.
  template <class H, class... Args>
  static Derived* create(H&& handler, Args&&... args) {
    allocator_type alloc(asio::get_associated_allocator(handler, asio::recycling_allocator<void>()));
    Derived* op = std::allocator_traits<allocator_type>::allocate(alloc, 1);
    try {
      std::allocator_traits<allocator_type>::construct(alloc, op, alloc, Handler(std::forward<H>(handler)),
                                                       std::forward<Args>(args)...);
    } catch (...) {
      std::allocator_traits<allocator_type>::deallocate(alloc, op, 1);
      throw;
    }
    return op;
  }

 protected:
  async_operation_base(const allocator_type& alloc, Handler handler)
      : claim_token(&on_claimed),
        handler_(std::move(handler)),
        executor_(asio::get_associated_executor(*handler_, asio::system_executor())),
        alloc_(alloc) {
    withdraw_at_shutdown = &withdraw_for_shutdown;
    finish_shutdown = &finish_after_shutdown;
  }

  /// Starts a created operation. If starting throws (Asio cannot allocate
  /// the cancellation handler or the context's service, or a move of T into
  /// the channel fails), nothing was queued: the operation is destroyed
  /// without invoking its handler, so it holds no work, no slot and no
  /// channel reference, and the exception goes to the initiating call.
  static void start_or_destroy(Derived* op) {
    try {
      op->begin();
    } catch (...) {
      op->destroy_uninvoked();
      throw;
    }
  }

  /// Registers with the executor's context and with the cancellation slot.
  void listen() {
    connect_cancellation_slot();
    register_pending();
  }

  void connect_cancellation_slot() {
    auto slot = asio::get_associated_cancellation_slot(*handler_);
    if (slot.is_connected()) slot.template emplace<cancel_handler>(self());
  }

  /// Takes outstanding work on the executor and registers with its
  /// context, so that the context's shutdown can destroy us: needed before
  /// the operation can wait in a channel, where no queue of the context
  /// holds it. An operation that completes without waiting is only ever
  /// held by a posted function, which the context owns and counts as work,
  /// and skips both. The work is kept until the operation is freed; the
  /// registration lasts until the next post_resume.
  void register_pending() {
    if constexpr (!work_held_elsewhere) {
      if (!work_) work_.emplace(asio::prefer(*executor_, asio::execution::outstanding_work.tracked));
    }
    // Executors without an execution context (use_future's, say) have no
    // context that could be destroyed under us.
    if constexpr (has_context) {
      if (registry_ != nullptr) return;
      registry_ = registry_of(asio::query(*executor_, asio::execution::context));
      std::lock_guard lock(registry_->mutex);
      registry_->add_locked(*this);
    }
  }

  /// One attempt at the operation: `attempt(false)` may not queue, and
  /// `attempt(true)` queues a waiter if it would block (or returns
  /// would_block if cancelled). The first try does not queue, so that an
  /// operation that can proceed at once never registers; the operation
  /// registers only before it queues.
  template <class Attempt>
  op_result attempt_or_queue(Attempt&& attempt) {
    if (registered()) return attempt(true);
    const op_result r = attempt(false);
    if (r != op_result::would_block) return r;
    register_pending();
    return attempt(true);
  }

  /// Hands the operation to its executor, leaving its context's registry
  /// as it does: from here the posted function holds it, and the context
  /// destroys that with its queue. Under the registry's lock, so that a
  /// context shutting down either finds it still registered (and orphans
  /// it: the shutdown and we each release half of it) or posted. A post
  /// that cannot allocate leaves no way to complete the handler, as in Asio.
  void post_resume() noexcept {
    // Posted through the executor as associated: posting through the
    // tracked one would copy it, and with it the work count, several times.
    if (registry_ == nullptr) return post_to(*executor_, resume_function(self()));
    const std::shared_ptr<pending_registry> registry = std::move(registry_);  // outlives `this` below
    std::lock_guard lock(registry->mutex);
    if (orphaned) {
      // The shutdown unregistered us and destroys (or has destroyed) the
      // handler and the work.
      self()->dequeue_all();
      release_orphan_half();
      return;
    }
    registry->remove_locked(*this);
    post_to(*executor_, resume_function(self()));
  }

  /// Frees the operation, then invokes the handler (so that the handler
  /// may start the next operation in the memory just released). Runs on
  /// the handler's executor, inside the function posted to it, which the
  /// executor counts as work until it returns: our own work can go first.
  void complete(std::error_code ec, Value... value) {
    clear_cancellation_slot();
    Handler handler(std::move(*handler_));
    destroy();
    if (bool* completed = completed_in_resume()) *completed = true;  // what the handler throws is its own
    std::move(handler)(ec, std::move(value)...);
  }

  /// Destroys the operation without invoking its handler: what becomes of
  /// one that cannot go on (its resume threw, see resume_function).
  void destroy_uninvoked() noexcept {
    clear_cancellation_slot();
    destroy();
  }

  /// Withdraws whatever waiter is still queued before the memory goes. An
  /// operation with one waiter has none left by then (it was claimed,
  /// withdrawn, or never queued); one with several hides this.
  void dequeue_all() noexcept {}

  /// A shutdown found the operation: destroy the I/O objects it owns (a
  /// timer, say) while their services still exist. None here.
  void release_io_objects() noexcept {}

  /// The executor the handler runs on, for I/O objects the operation owns.
  const executor_type& executor() const noexcept { return *executor_; }

  /// Ready to wait in a channel: registered, or holding work where there
  /// is no context to register with. Read on the operation's own thread
  /// only, where nobody else touches the registration.
  bool registered() const noexcept {
    if constexpr (has_context)
      return registry_ != nullptr;
    else
      return work_.has_value();
  }

  bool cancel_requested() const noexcept { return cancel_requested_.load(std::memory_order_acquire); }
  void request_cancel() noexcept { cancel_requested_.store(true, std::memory_order_release); }
  /// For channel_core's `give_up`: an operation being cancelled does not queue.
  const std::atomic<bool>* cancel_flag() const noexcept { return &cancel_requested_; }

 private:
  Derived* self() noexcept { return static_cast<Derived*>(this); }

  /// Owns an operation posted to its executor: runs it, or destroys it if
  /// the context is destroyed with the function still queued.
  struct resume_function {
    Derived* op;
    explicit resume_function(Derived* o) noexcept : op(o) {}
    resume_function(resume_function&& other) noexcept : op(std::exchange(other.op, nullptr)) {}
    resume_function& operator=(resume_function&&) = delete;
    ~resume_function() {
      if (op != nullptr) op->destroy();
    }
    /// Runs the operation. If resume() throws before the operation
    /// completed (a move of T or an allocation failed here), the operation
    /// cannot go on and nobody else will touch it: it is abandoned, as one
    /// whose start threw is (Derived::abandon: destroyed without running its
    /// handler), and the exception leaves the executor's run().
    void operator()() {
      Derived* resumed = std::exchange(op, nullptr);
      bool completed = false;
      bool* const outer = std::exchange(completed_in_resume(), &completed);
      try {
        resumed->resume();
      } catch (...) {
        completed_in_resume() = outer;
        if (!completed) resumed->abandon();
        throw;
      }
      completed_in_resume() = outer;
    }
  };

  /// Set while this thread runs a resume_function: where complete() records
  /// that the operation is gone (its handler's exceptions are the handler's).
  static bool*& completed_in_resume() noexcept {
    thread_local bool* completed = nullptr;
    return completed;
  }

  class cancel_handler {
   public:
    explicit cancel_handler(Derived* op) noexcept : op_(op) {}
    void operator()(asio::cancellation_type_t type) {
      if (type != asio::cancellation_type::none) op_->cancel();
    }

   private:
    Derived* op_;
  };

  /// Claim-token completion: a partner claimed a waiter of ours (took the
  /// value, notified us, or closed the channel). Runs on the partner's
  /// thread after it released the channel lock.
  static void on_claimed(claim_token& token) noexcept { static_cast<Derived&>(token).post_resume(); }

  void clear_cancellation_slot() noexcept {
    auto slot = asio::get_associated_cancellation_slot(*handler_);
    if (slot.is_connected()) slot.clear();
  }

  /// Destroys the operation without invoking the handler.
  void destroy() noexcept {
    self()->dequeue_all();
    if (registry_ != nullptr) {
      std::lock_guard lock(registry_->mutex);
      registry_->remove_locked(*this);
    }
    release_storage();
  }

  void release_storage() noexcept {
    allocator_type alloc(alloc_);
    Derived* op = self();
    std::allocator_traits<allocator_type>::destroy(alloc, op);
    std::allocator_traits<allocator_type>::deallocate(alloc, op, 1);
  }

  /// The execution context shuts down (its destructor runs); called under
  /// the registry's lock. Still waiting in its channels: withdraw now, so
  /// no partner can claim it. Otherwise a partner has claimed it and its
  /// post_resume is still to come, which will find it orphaned. (A posted
  /// operation is not registered: the context destroys the posted function
  /// with its queue.)
  static bool withdraw_for_shutdown(pending_operation& entry) noexcept {
    return static_cast<Derived&>(entry).withdraw_if_waiting();
  }

  /// After the registry's lock is released: the handler, the work and the
  /// I/O objects go now, while the context and its services exist. A
  /// withdrawn operation goes with them; an orphan's memory waits for its
  /// late post_resume as well.
  static void finish_after_shutdown(pending_operation& entry, bool withdrawn) noexcept {
    auto& op = static_cast<Derived&>(entry);
    op.clear_cancellation_slot();
    op.release_io_objects();
    if (withdrawn) return op.release_storage();
    op.handler_.reset();
    op.work_.reset();
    op.executor_.reset();
    op.release_orphan_half();
  }

  /// The shutdown and the late post_resume each call this once for an
  /// orphan; the second frees it.
  void release_orphan_half() noexcept {
    if (orphan_halves.finish()) release_storage();
  }

  std::optional<Handler> handler_;  ///< destroyed early when orphaned by a shutdown
  std::optional<executor_type> executor_;  ///< the handler's, as associated; for posting
  std::optional<work_type> work_;  ///< taken before the operation first waits
  allocator_type alloc_;
  std::atomic<bool> cancel_requested_{false};
  std::shared_ptr<pending_registry> registry_;  ///< while registered with the executor's context
};

}  // namespace rill::detail
