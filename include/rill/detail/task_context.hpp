// rill — what the tasks of one spawn share, and how a task that waits in a
// channel is woken.
//
// A task waits in a channel as a waiter in its own frame (task_wait, the
// awaiter of the operation), claimed by partners through the same protocol
// as threads and selects. Whoever claims it calls `wake` after releasing the
// channel's lock. The task then resumes on its executor:
//   - next on this thread, if this thread is running a task of the same
//     executor (a run-next slot, as Go's scheduler has): a producer task
//     that wakes its consumer hands over without a post, and the consumer
//     runs as soon as the producer suspends. After `handoff_budget` of them
//     in a row, the next wake is posted, so the executor's other handlers
//     (I/O, timers) still get their turn;
//   - otherwise through a post to its executor.
//
// While a task waits, its spawn is registered with the execution context of
// its executor (pending_operations.hpp): a context destroyed then withdraws
// the wait and destroys every frame of the spawn and its handler, unrun.
#pragma once

#include <rill/detail/pending_operations.hpp>
#include <rill/detail/post.hpp>
#include <rill/detail/waiter.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/execution/context.hpp>
#include <asio/query.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace rill::detail {

class task_context;

/// A task waiting in a channel, as its context sees it: the awaiter of the
/// operation, which lives in the task's frame.
struct task_wait : claim_token {
  task_wait() noexcept : claim_token(&on_claimed) {}

  task_context* context = nullptr;
  std::coroutine_handle<> coroutine;
  /// Runs on the executor before the coroutine resumes: true to resume it,
  /// false if the operation queued again instead (a partner's move threw
  /// and the operation retries). Exceptions it meets it keeps for
  /// await_resume.
  bool (*proceed)(task_wait&) = nullptr;
  /// Withdraws the waiter if it is still queued and unclaimed; true if it
  /// did (then nobody else will complete it). Takes the channel's lock.
  bool (*withdraw)(task_wait&) noexcept = nullptr;

  /// The claim token's completion: a partner has claimed the wait.
  static void on_claimed(claim_token& token) noexcept;
};

/// The tasks of one spawn: the executor they run on, the cancellation slot
/// of the spawn's handler, and the registration with the executor's
/// context while one of them waits in a channel. The spawn's state derives
/// from it (task.hpp) and provides `finish` and `destroy`.
class task_context : public pending_operation {
 public:
  using finish_function = void (*)(task_context&) noexcept;

  /// Hands control on once the outermost task has finished.
  void finish() noexcept { finish_(*this); }
  /// Destroys every frame of the spawn, its handler and its state.
  void destroy() noexcept { destroy_(*this); }

  const asio::any_io_executor& executor() const noexcept { return executor_; }

  /// The cancellation slot of the spawn's handler, for the operation a
  /// task of the spawn waits on now.
  asio::cancellation_slot cancellation_slot() const noexcept { return cancellation_slot_; }

  /// Before a task of this spawn queues `wait`: registers the spawn with
  /// the executor's context, so that its shutdown can withdraw the wait, and
  /// connects the cancellation slot to it. On the task's thread.
  void begin_wait(task_wait& wait) {
    wait.context = this;
    waiting_ = &wait;
    if (!registry_) registry_ = registry_of(asio::query(executor_, asio::execution::context));
    {
      std::lock_guard lock(registry_->mutex);
      registry_->add_locked(*this);
    }
    if (cancellation_slot_.is_connected()) cancellation_slot_.template emplace<cancel_handler>(this);
  }

  /// The operation completed without queueing `wait` after all.
  void end_wait_unqueued() noexcept {
    clear_cancellation_slot();
    std::lock_guard lock(registry_->mutex);
    registry_->remove_locked(*this);
  }

  /// Resumes `wait`'s task through a post to the executor (to yield, or
  /// because the operation finished without queueing when it had to yield).
  void post_resume(task_wait& wait) noexcept { post_to(executor_, resume_function(this, &wait)); }

  /// Has this thread's driver resume `coroutine` once the running task has
  /// suspended: how a task starts the child it awaits, and how a finished
  /// child resumes its parent. A driver loop rather than symmetric transfer
  /// (returning the handle from await_suspend), which is only a jump where
  /// the compiler emits a tail call: not under ThreadSanitizer, for one,
  /// where a million nested awaits overflowed the stack.
  static void continue_with(std::coroutine_handle<> coroutine) noexcept;

  /// Has this thread's driver call `start(wait)` once the running task has
  /// suspended (task_async_op.hpp). `start` returns true if the task is to
  /// resume at once (the operation could not be started).
  static void launch_after_suspend(task_wait& wait, bool (*start)(task_wait&) noexcept) noexcept;

  /// The operation `wait`'s task awaits has completed, on the task's
  /// executor: the task resumes on this thread, next if a task runs here
  /// now.
  void resume_here(task_wait& wait);

  /// Runs a task of this spawn on this thread: `coroutine` (or, with
  /// `wait`, the task waiting there, once its operation agrees), then what
  /// it woke into this thread's run-next slot.
  static void run(task_context& context, task_wait* wait, std::coroutine_handle<> coroutine);

 protected:
  task_context(asio::any_io_executor executor, asio::cancellation_slot slot, finish_function finish,
               finish_function destroy) noexcept
      : executor_(std::move(executor)), cancellation_slot_(slot), finish_(finish), destroy_(destroy) {
    withdraw_at_shutdown = &withdraw_for_shutdown;
    finish_shutdown = &finish_after_shutdown;
  }

  ~task_context() = default;

  /// Owns a posted resumption: if the executor's context is destroyed with
  /// it still queued, the spawn's tasks are destroyed with it.
  struct resume_function {
    task_context* context;
    task_wait* wait;
    std::coroutine_handle<> coroutine;

    resume_function(task_context* c, task_wait* w, std::coroutine_handle<> h = {}) noexcept
        : context(c), wait(w), coroutine(h) {}
    resume_function(resume_function&& other) noexcept
        : context(std::exchange(other.context, nullptr)), wait(other.wait), coroutine(other.coroutine) {}
    resume_function& operator=(resume_function&&) = delete;
    ~resume_function() {
      if (context != nullptr) context->destroy();
    }
    void operator()() { run(*std::exchange(context, nullptr), wait, coroutine); }
  };

 private:
  friend struct task_wait;
  class driver;

  /// The claim token's completion for a wait of this spawn; runs on the
  /// partner's thread after it released the channel's lock.
  void wake(task_wait& wait) noexcept;

  /// Puts `wait`'s task in this thread's run-next slot if this thread runs
  /// a task of the same executor and the hand-off budget allows, else posts
  /// it. Called under the registry's lock (see wake).
  void schedule(task_wait& wait) noexcept;

  class cancel_handler {
   public:
    explicit cancel_handler(task_context* context) noexcept : context_(context) {}
    void operator()(asio::cancellation_type_t type) {
      if (type != asio::cancellation_type::none) context_->cancel();
    }

   private:
    task_context* context_;
  };

  /// From the cancellation slot, on the thread that emits the signal:
  /// withdraws the waiting operation if nobody has claimed it; it then
  /// resumes and reports the cancellation. One claimed already completes as
  /// it was claimed (a receive that was handed its message returns it).
  void cancel() noexcept {
    // A wait withdrawn untouched resumes with its status still `pending`,
    // which the awaiter reports as the cancellation.
    task_wait& wait = *waiting_;
    if (wait.withdraw(wait)) wake(wait);
  }

  void clear_cancellation_slot() noexcept {
    if (cancellation_slot_.is_connected()) cancellation_slot_.clear();
  }

  /// The context shuts down; under the registry's lock. A wait still
  /// queued is withdrawn: nobody can complete it any more.
  static bool withdraw_for_shutdown(pending_operation& entry) noexcept {
    auto& self = static_cast<task_context&>(entry);
    return self.waiting_->withdraw(*self.waiting_);
  }

  /// After the registry's lock is released. A wait that a partner has
  /// claimed may still be written to (the message moved into the frame,
  /// the token completed) until its late wake has run: it runs within the
  /// partner's short section after the claim and takes no lock we hold, so
  /// it is awaited here. Then the frames and the handler go, while the
  /// context and its services still exist.
  static void finish_after_shutdown(pending_operation& entry, bool withdrawn) noexcept {
    auto& self = static_cast<task_context&>(entry);
    if (!withdrawn)
      while (!self.late_wake_done_.load(std::memory_order_acquire)) std::this_thread::yield();
    self.clear_cancellation_slot();
    self.destroy();
  }

  asio::any_io_executor executor_;
  asio::cancellation_slot cancellation_slot_;
  finish_function finish_;
  finish_function destroy_;
  task_wait* waiting_ = nullptr;                 ///< the wait of the task waiting now
  std::shared_ptr<pending_registry> registry_;  ///< while registered with the executor's context
  /// Set by a wake that found the spawn orphaned by a shutdown: the last
  /// time anybody but the shutdown touches it.
  std::atomic<bool> late_wake_done_{false};
};

/// This thread's task driver: the spawn whose task runs here now, and the
/// run-next slot its wakes fill.
class task_context::driver {
 public:
  /// Wakes in a row that skip the executor's queue; then one is posted.
  static constexpr unsigned handoff_budget = 64;

  explicit driver(task_context& context) noexcept : context_(&context), outer_(current()) { current() = this; }
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;
  ~driver() { current() = outer_; }

  static driver*& current() noexcept {
    thread_local driver* running = nullptr;
    return running;
  }

  /// Whether a task of `context` may run next on this thread: the same
  /// executor (a strand stays a strand), budget left, slot free.
  bool accepts(const task_context& context) const noexcept {
    if (next_wait_ != nullptr || handoffs_left_ == 0) return false;
    return &context == context_ || context.executor() == context_->executor();
  }

  void set_next(task_wait& wait) noexcept {
    next_wait_ = &wait;
    --handoffs_left_;
  }

  task_wait* take_next() noexcept { return std::exchange(next_wait_, nullptr); }

  void set_continuation(std::coroutine_handle<> coroutine) noexcept { continuation_ = coroutine; }
  std::coroutine_handle<> take_continuation() noexcept { return std::exchange(continuation_, {}); }

  void set_launch(task_wait& wait, bool (*start)(task_wait&) noexcept) noexcept {
    launch_wait_ = &wait;
    launch_ = start;
  }

  /// Starts the operation left by set_launch, if any; returns the wait
  /// whose task must resume because its start failed.
  task_wait* launch() noexcept {
    task_wait* wait = std::exchange(launch_wait_, nullptr);
    if (wait == nullptr || !launch_(*wait)) return nullptr;
    return wait;
  }

 private:
  task_context* context_;
  driver* outer_;
  task_wait* next_wait_ = nullptr;
  std::coroutine_handle<> continuation_;
  task_wait* launch_wait_ = nullptr;
  bool (*launch_)(task_wait&) noexcept = nullptr;
  unsigned handoffs_left_ = handoff_budget;
};

inline void task_wait::on_claimed(claim_token& token) noexcept {
  auto& wait = static_cast<task_wait&>(token);
  wait.context->wake(wait);
}

inline void task_context::wake(task_wait& wait) noexcept {
  // The registry outlives `this` below: a shutdown may free us as soon as
  // it sees late_wake_done_.
  const std::shared_ptr<pending_registry> registry = std::move(registry_);
  std::lock_guard lock(registry->mutex);
  if (orphaned) {
    // release: the shutdown, which destroys the frame next, sees every
    // write the claimer made to it.
    late_wake_done_.store(true, std::memory_order_release);
    return;
  }
  registry->remove_locked(*this);
  schedule(wait);
}

inline void task_context::schedule(task_wait& wait) noexcept {
  if (driver* here = driver::current(); here != nullptr && here->accepts(*this)) return here->set_next(wait);
  post_to(executor_, resume_function(this, &wait));
}

inline void task_context::continue_with(std::coroutine_handle<> coroutine) noexcept {
  driver::current()->set_continuation(coroutine);
}

inline void task_context::launch_after_suspend(task_wait& wait, bool (*start)(task_wait&) noexcept) noexcept {
  // Every task runs under a driver (run), so one is there.
  driver::current()->set_launch(wait, start);
}

inline void task_context::resume_here(task_wait& wait) {
  if (driver* here = driver::current(); here != nullptr && here->accepts(*this)) return here->set_next(wait);
  run(*this, &wait, {});
}

inline void task_context::run(task_context& context, task_wait* wait, std::coroutine_handle<> coroutine) {
  driver here(context);
  for (;;) {
    if (wait != nullptr) {
      wait->context->clear_cancellation_slot();
      if (wait->proceed(*wait)) wait->coroutine.resume();
    } else {
      coroutine.resume();
    }
    // The task that ran has suspended or finished: continue with the task
    // it handed over to, or start what it awaits, then run what it woke.
    wait = nullptr;
    coroutine = here.take_continuation();
    if (coroutine) continue;
    wait = here.launch();
    if (wait == nullptr) wait = here.take_next();
    if (wait == nullptr) return;
  }
}

}  // namespace rill::detail
