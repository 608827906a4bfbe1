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

#include <rill/detail/channel_core.hpp>
#include <rill/detail/initiation.hpp>
#include <rill/detail/post.hpp>
#include <rill/detail/spin_lock.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
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

/// What an asynchronous receive completes with: T itself when it can be
/// default-constructed (for the error case), else std::optional<T>.
template <class T>
using async_recv_value = std::conditional_t<std::is_default_constructible_v<T>, T, std::optional<T>>;

// ---- teardown of execution contexts ------------------------------------------

/// An operation as its execution context's registry sees it.
struct pending_operation {
  pending_operation* prev = nullptr;
  pending_operation* next = nullptr;
  bool registered = false;
  /// Set by a shutdown, under the registry's lock, that found the
  /// operation claimed by a partner whose post_resume is still to come.
  bool orphaned = false;
  /// An orphan's memory is freed by whichever of the shutdown and the late
  /// post_resume finishes second with it.
  std::atomic<bool> orphan_half_released{false};
  /// Called under the registry's lock when the context shuts down: true if
  /// the operation was withdrawn from its channels (the shutdown now owns
  /// it), false if a partner has claimed it.
  bool (*withdraw_at_shutdown)(pending_operation&) noexcept = nullptr;
  /// Called after the lock is released: destroys the handler, and the
  /// operation too if it was withdrawn.
  void (*finish_shutdown)(pending_operation&, bool withdrawn) noexcept = nullptr;
};

/// The operations that have work on one execution context. Shared with the
/// operations, because a partner thread may still complete one after the
/// context (and its services) are gone.
struct pending_registry {
  /// Held for a few pointer updates (and, at shutdown, to withdraw
  /// operations from their channels): never while a handler is destroyed.
  spin_lock mutex;
  pending_operation* head = nullptr;
  std::atomic<bool> shut_down{false};

  void add_locked(pending_operation& op) noexcept {
    op.prev = nullptr;
    op.next = head;
    if (head != nullptr) head->prev = &op;
    head = &op;
    op.registered = true;
  }

  void remove_locked(pending_operation& op) noexcept {
    if (!op.registered) return;
    if (op.prev != nullptr)
      op.prev->next = op.next;
    else
      head = op.next;
    if (op.next != nullptr) op.next->prev = op.prev;
    op.prev = op.next = nullptr;
    op.registered = false;
  }
};

/// Registered with each execution context that a channel operation has
/// work on. A waiting operation sits in a channel, in no queue of the
/// context, so the context could not destroy it; this service does, on
/// shutdown, so that no handler outlives its io_context and nothing is
/// posted to a dead one.
class pending_operations final : public asio::execution_context::service {
 public:
  using key_type = pending_operations;
  static inline asio::execution_context::id id;

  explicit pending_operations(asio::execution_context& context)
      : asio::execution_context::service(context), registry_(std::make_shared<pending_registry>()) {}

  const std::shared_ptr<pending_registry>& registry() const noexcept { return registry_; }

 private:
  /// Decided under the lock, carried out after it: destroying a handler
  /// runs whatever destructors it owns (a coroutine's frame, the last sender
  /// of a channel), which may complete other operations of this context,
  /// and their post_resume takes this lock.
  void shutdown() override {
    pending_operation* doomed = nullptr;
    {
      std::lock_guard lock(registry_->mutex);
      registry_->shut_down.store(true, std::memory_order_relaxed);
      while (pending_operation* op = registry_->head) {
        registry_->remove_locked(*op);
        const bool withdrawn = op->withdraw_at_shutdown(*op);
        op->orphaned = !withdrawn;
        op->next = doomed;
        doomed = op;
      }
    }
    while (pending_operation* op = doomed) {
      doomed = op->next;
      op->finish_shutdown(*op, !op->orphaned);  // ours alone to read: no partner writes it
    }
  }

  std::shared_ptr<pending_registry> registry_;  ///< shared with the operations registered in it
};

/// The registry of `context`. The last one looked up is remembered per
/// thread: use_service locks the context's service list and searches it,
/// which would otherwise be paid by every operation that waits. A context
/// destroyed and another made at the same address is told apart by the old
/// registry's shut_down flag (a context is shut down before it is destroyed).
inline std::shared_ptr<pending_registry> registry_of(asio::execution_context& context) {
  thread_local asio::execution_context* cached_context = nullptr;
  thread_local std::shared_ptr<pending_registry> cached;
  if (cached_context != &context || cached->shut_down.load(std::memory_order_relaxed)) {
    cached = asio::use_service<pending_operations>(context).registry();
    cached_context = &context;
  }
  return cached;
}

// ---- the operation -----------------------------------------------------------

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

/// A counted reference to a core, for initiation objects (a deferred
/// operation may be launched after every handle is gone) and operations.
template <class T>
class core_ref {
 public:
  explicit core_ref(channel_core<T>& core) noexcept : core_(&core) { core_->retain(); }
  core_ref(const core_ref& other) noexcept : core_(other.core_) { core_->retain(); }
  /// Moves keep the count as it is: an initiation object is moved around
  /// several times on its way into an operation.
  core_ref(core_ref&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  core_ref& operator=(const core_ref&) = delete;
  ~core_ref() {
    if (core_ != nullptr) core_->release();
  }
  channel_core<T>& operator*() const noexcept { return *core_; }
  channel_core<T>* operator->() const noexcept { return core_; }

 private:
  channel_core<T>* core_;
};

/// What every asynchronous operation of rill does around its own logic:
/// it lives in one allocation made with the handler's allocator, holds the
/// handler and outstanding work on its executor, registers with the
/// executor's context (pending_operations), listens to the handler's
/// cancellation slot, is resumed by a post to the executor, and completes
/// by freeing itself and then invoking the handler.
///
/// `Derived` provides resume() (runs on the executor), cancel() (from the
/// cancellation slot), withdraw_if_waiting() (a shutdown found it: withdraw
/// its waiters if still queued and unclaimed; true if it did),
/// dequeue_all() (withdraw whatever waiter is still queued before the memory
/// goes), release_io_objects() (a shutdown found it: destroy the I/O
/// objects it owns, such as a timer, while their services still exist) and
/// abandon() (its resume threw: go without invoking the handler).
template <class Derived, class Handler, class Value>
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
      op->clear_cancellation_slot();
      op->destroy();
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
  void complete(std::error_code ec, Value value) {
    clear_cancellation_slot();
    Handler handler(std::move(*handler_));
    destroy();
    if (bool* completed = completed_in_resume()) *completed = true;  // what the handler throws is its own
    std::move(handler)(ec, std::move(value));
  }

  /// Destroys the operation without invoking its handler: what becomes of
  /// one that cannot go on (its resume threw, see resume_function).
  void destroy_uninvoked() noexcept {
    clear_cancellation_slot();
    destroy();
  }

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
    if (orphan_half_released.exchange(true, std::memory_order_acq_rel)) release_storage();
  }

  std::optional<Handler> handler_;  ///< destroyed early when orphaned by a shutdown
  std::optional<executor_type> executor_;  ///< the handler's, as associated; for posting
  std::optional<work_type> work_;  ///< taken before the operation first waits
  allocator_type alloc_;
  std::atomic<bool> cancel_requested_{false};
  std::shared_ptr<pending_registry> registry_;  ///< while registered with the executor's context
};

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
