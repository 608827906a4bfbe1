// rill — rill::task<T>: a lazy coroutine whose work runs on an Asio
// executor, and rill::spawn, which starts one.
//
// A task does nothing until it is awaited by another task (`co_await
// child()`, which starts the child as soon as the parent has suspended and
// resumes the parent once the child finishes) or started with rill::spawn
// on an executor. Every task started by one spawn shares that
// spawn's context: the executor its work runs on, and the outstanding work
// that keeps the executor's context running while a task waits.
//
// Control passes between tasks through the driver loop that runs them
// (task_context::run), so a chain of tasks that complete without waiting
// does not grow the stack: a loop awaiting a million trivial children runs
// in constant stack, whatever the compiler and its flags. Frames come from detail::frame_allocator, which
// recycles them per thread: no heap allocation per task in the steady state.
#pragma once

#include <rill/detail/frame_allocator.hpp>
#include <rill/detail/post.hpp>
#include <rill/detail/task_context.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/execution_context.hpp>
#include <asio/is_executor.hpp>
#include <asio/prefer.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace rill {

template <class T = void>
class task;

namespace detail {

class task_promise_base {
 public:
  static void* operator new(std::size_t size) { return frame_allocator::allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { frame_allocator::deallocate(frame, size); }

  std::suspend_always initial_suspend() const noexcept { return {}; }

  /// Hands control back to the awaiting task, or, for the outermost task
  /// of a spawn, to the spawn, which destroys this frame.
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    void await_suspend(std::coroutine_handle<Promise> self) noexcept {
      task_promise_base& promise = self.promise();
      if (promise.continuation_)
        task_context::continue_with(promise.continuation_);
      else
        promise.context_->finish();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  /// The context of the spawn this task runs under; set before it starts.
  task_context& context() const noexcept { return *context_; }

  /// Called by whoever starts the task: the awaiting task, which
  /// `continuation` resumes, or (without one) the spawn that `context` is.
  void start_under(task_context& context, std::coroutine_handle<> continuation = {}) noexcept {
    context_ = &context;
    continuation_ = continuation;
  }

  /// The exception the task ended with, if any, taken out.
  std::exception_ptr take_exception() noexcept { return std::exchange(exception_, nullptr); }

 protected:
  void rethrow_if_failed() const {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  task_context* context_ = nullptr;
  std::coroutine_handle<> continuation_;  ///< empty for the outermost task of a spawn
  std::exception_ptr exception_;
};

template <class T>
class task_promise final : public task_promise_base {
 public:
  task<T> get_return_object() noexcept;

  template <class U>
    requires std::is_constructible_v<T, U&&>
  void return_value(U&& value) {
    value_.emplace(std::forward<U>(value));
  }

  /// The task's value, or its exception rethrown.
  T result() {
    rethrow_if_failed();
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class task_promise<void> final : public task_promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void result() const { rethrow_if_failed(); }
};

/// What spawn's handler receives with the exception_ptr: T when it can be
/// default-constructed (for the failed case), else std::optional<T>.
template <class T>
using spawn_value = std::conditional_t<std::is_default_constructible_v<T>, T, std::optional<T>>;

template <class T>
struct spawn_signature {
  using type = void(std::exception_ptr, spawn_value<T>);
};
template <>
struct spawn_signature<void> {
  using type = void(std::exception_ptr);
};

/// What `co_await child` is inside a task: the child starts, with the
/// parent as its continuation, as soon as the parent has suspended.
template <class T>
struct task_awaiter {
  std::coroutine_handle<task_promise<T>> child;

  bool await_ready() const noexcept { return false; }
  template <class ParentPromise>
  void await_suspend(std::coroutine_handle<ParentPromise> parent) noexcept {
    static_assert(std::is_base_of_v<task_promise_base, ParentPromise>,
                  "a rill::task can be co_awaited only inside another rill::task; start one from "
                  "elsewhere with rill::spawn (with asio::use_awaitable inside an asio::awaitable)");
    child.promise().start_under(parent.promise().context(), parent);
    task_context::continue_with(child);
  }
  T await_resume() { return child.promise().result(); }
};

}  // namespace detail

/// A lazy coroutine of rill's own, run on an Asio executor (see the top of
/// this header). Await it from another task (`T v = co_await f();`), or
/// start it with rill::spawn. An exception the task does not catch reaches
/// whoever awaits it. Move-only; destroying a task that was never started
/// destroys its frame.
template <class T>
class [[nodiscard("a task does nothing until it is awaited or spawned")]] task {
  static_assert(!std::is_reference_v<T>, "rill::task<T&> is not supported: return a pointer or std::reference_wrapper");

 public:
  /// What makes a function returning task<T> a coroutine; not for
  /// direct use.
  using promise_type = detail::task_promise<T>;
  /// What `co_await` on the task gives (its co_return value).
  using value_type = T;

  /// Takes over `other`'s coroutine frame; `other` is left empty.
  task(task&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  /// Takes over `other`'s frame (move-assign: `other` is taken by value);
  /// the frame this task held, if any, is destroyed.
  task& operator=(task other) noexcept {
    std::swap(frame_, other.frame_);
    return *this;
  }
  ~task() {
    if (frame_) frame_.destroy();
  }

  /// Starts the task and resumes the awaiting task once it finishes, with
  /// its value or its exception.
  detail::task_awaiter<T> operator co_await() && noexcept { return detail::task_awaiter<T>{frame_}; }

  /// Takes the frame out of the task: the caller now destroys it.
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(frame_, {}); }

 private:
  friend promise_type;
  explicit task(std::coroutine_handle<promise_type> frame) noexcept : frame_(frame) {}

  std::coroutine_handle<promise_type> frame_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}

inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

/// The state of one spawn: the handler, the context its tasks share, the
/// work that keeps the executor's context running while they wait, and the
/// outermost task's frame. Allocated from frame_allocator, like the frames.
template <class T, class Handler>
class spawn_state final : public task_context {
  using frame_type = std::coroutine_handle<task_promise<T>>;
  using work_type = std::decay_t<decltype(asio::prefer(std::declval<const asio::any_io_executor&>(),
                                                       asio::execution::outstanding_work.tracked))>;

 public:
  static void start(const asio::any_io_executor& executor, Handler handler, frame_type frame) {
    void* memory = frame_allocator::allocate(sizeof(spawn_state));
    spawn_state* state;
    try {
      state = new (memory) spawn_state(executor, std::move(handler), frame);
    } catch (...) {
      frame_allocator::deallocate(memory, sizeof(spawn_state));
      frame.destroy();
      throw;
    }
    // The first step is posted: a context destroyed with it still queued
    // destroys the task unrun, and the handler with it (resume_function).
    post_to(executor, resume_function(state, nullptr, frame));
  }

 private:
  spawn_state(const asio::any_io_executor& executor, Handler handler, frame_type frame)
      : task_context(executor, asio::get_associated_cancellation_slot(handler), &finish_spawn, &destroy_spawn),
        handler_(std::move(handler)),
        work_(asio::prefer(executor, asio::execution::outstanding_work.tracked)),
        frame_(frame) {
    frame_.promise().start_under(*this);
  }

  /// The outermost task has finished (it is at its final suspend point):
  /// the frame and this state go, then the handler runs on its associated
  /// executor (dispatched: at once when that is the executor we are on).
  /// The exception_ptr moves into the handler's closure rather than being
  /// copied: its count is changed inside libstdc++, where ThreadSanitizer
  /// cannot see the atomics, so two threads each dropping a copy of it look
  /// like a race on the exception; one owner at a time, handed over through
  /// the executor, does not.
  static void finish_spawn(task_context& context) noexcept {
    auto& self = static_cast<spawn_state&>(context);
    std::exception_ptr error = self.frame_.promise().take_exception();
    Handler handler(std::move(self.handler_));
    const auto executor = asio::get_associated_executor(handler, self.executor());
    if constexpr (std::is_void_v<T>) {
      destroy_spawn(self);
      asio::dispatch(executor, [handler = std::move(handler), error = std::move(error)]() mutable {
        std::move(handler)(std::move(error));
      });
    } else {
      spawn_value<T> value{};
      if (!error) {
        try {
          value = spawn_value<T>(self.frame_.promise().result());
        } catch (...) {
          error = std::current_exception();
        }
      }
      destroy_spawn(self);
      asio::dispatch(executor, [handler = std::move(handler), error = std::move(error), value = std::move(value)]() mutable {
        std::move(handler)(std::move(error), std::move(value));
      });
    }
  }

  static void destroy_spawn(task_context& context) noexcept {
    auto& self = static_cast<spawn_state&>(context);
    self.frame_.destroy();
    self.~spawn_state();
    frame_allocator::deallocate(&self, sizeof(spawn_state));
  }

  Handler handler_;
  work_type work_;
  frame_type frame_;
};

struct initiate_spawn {
  asio::any_io_executor executor;

  template <class Handler, class T>
  void operator()(Handler&& handler, task<T> t) const {
    spawn_state<T, std::decay_t<Handler>>::start(executor, std::forward<Handler>(handler), t.release());
  }
};

}  // namespace detail

namespace this_task {

/// `co_await rill::this_task::executor` inside a task gives the executor
/// it runs on (asio::any_io_executor), as asio::this_coro::executor does in
/// an asio::awaitable. It does not suspend.
struct executor_t {
  constexpr executor_t() noexcept = default;
};
inline constexpr executor_t executor{};

}  // namespace this_task

namespace detail {

/// What `co_await rill::this_task::executor` is.
struct executor_awaiter {
  asio::any_io_executor executor;

  bool await_ready() const noexcept { return false; }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> task) noexcept {
    static_assert(std::is_base_of_v<task_promise_base, Promise>,
                  "rill::this_task::executor is for rill::task; in an asio::awaitable use asio::this_coro::executor");
    executor = task.promise().context().executor();
    return false;  // resumes at once
  }
  asio::any_io_executor await_resume() noexcept { return std::move(executor); }
};

}  // namespace detail

namespace this_task {
inline detail::executor_awaiter operator co_await(executor_t) noexcept { return {}; }
}  // namespace this_task

/// Starts `t` on `executor` (its first step is posted there, never run
/// inside this call) and completes with `void(std::exception_ptr, T)`
/// (`void(std::exception_ptr)` for task<void>) once it finishes, like
/// asio::co_spawn: any completion token works (asio::detached, a callback,
/// asio::use_future, asio::use_awaitable to await a task from an
/// asio::awaitable coroutine). While the task waits, the executor's context
/// has outstanding work; destroying the context before the task finishes
/// destroys its frames and the handler, unrun.
template <class Executor, class T, class CompletionToken>
  requires asio::is_executor<Executor>::value || asio::execution::is_executor<Executor>::value
auto spawn(const Executor& executor, task<T> t, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, typename detail::spawn_signature<T>::type>(
      detail::initiate_spawn{asio::any_io_executor(executor)}, token, std::move(t));
}

/// Starts `t` on the executor of `context` (an io_context, say).
template <class ExecutionContext, class T, class CompletionToken>
  requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
auto spawn(ExecutionContext& context, task<T> t, CompletionToken&& token) {
  return rill::spawn(context.get_executor(), std::move(t), std::forward<CompletionToken>(token));
}

}  // namespace rill
