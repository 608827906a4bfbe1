// rill — any Asio asynchronous operation awaited inside a rill::task with
// rill::use_task (asio::async_result<use_task_t, Signature>).
//
// The operation is started only after the task has suspended: await_suspend
// leaves the start to the task's driver, which runs it once the task's
// resume() has returned (the pattern Asio adopted in 1.23). So nothing of
// the task's frame is touched by the suspending code after the operation
// may complete on another thread.
//
// The handler carries the task's executor and the cancellation slot of its
// spawn as its associated executor and slot, so the operation completes on
// the task's executor and can be cancelled through the spawn's slot. A
// handler destroyed without being invoked (its execution context shut
// down) destroys the spawn's tasks with it.
#pragma once

#include <rill/detail/task_context.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_signal.hpp>
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

/// The wait whose operation this thread is starting now, if any: a handler
/// that the initiation destroys unrun (it threw) is not a shut-down
/// context's, and must not destroy the task, which resumes with the
/// exception.
inline task_wait*& wait_being_launched() noexcept {
  thread_local task_wait* launching = nullptr;
  return launching;
}

/// What `co_await op(use_task)` returns for a completion signature
/// void(Args...): nothing for void() and void(error_code) (an error is
/// thrown as std::system_error, an exception_ptr rethrown), the value for
/// void([error_code,] T), a tuple for several values.
template <class... Args>
struct task_async_result;

template <class... Args>
struct task_async_result {
  using stored = std::tuple<Args...>;
  static auto take(stored&& s) {
    if constexpr (sizeof...(Args) == 1)
      return std::get<0>(std::move(s));
    else
      return std::move(s);
  }
};

template <class... Args>
struct task_async_result<std::error_code, Args...> {
  using stored = std::tuple<std::error_code, Args...>;
  static auto take(stored&& s) {
    if (std::get<0>(s)) throw std::system_error(std::get<0>(s));
    return std::apply([](std::error_code, auto&&... rest) { return task_async_result<Args...>::take(std::tuple<Args...>(std::move(rest)...)); },
                      std::move(s));
  }
};

template <class... Args>
struct task_async_result<std::exception_ptr, Args...> {
  using stored = std::tuple<std::exception_ptr, Args...>;
  static auto take(stored&& s) {
    if (std::get<0>(s)) std::rethrow_exception(std::get<0>(s));
    return std::apply([](std::exception_ptr, auto&&... rest) { return task_async_result<Args...>::take(std::tuple<Args...>(std::move(rest)...)); },
                      std::move(s));
  }
};

template <>
struct task_async_result<> {
  using stored = std::tuple<>;
  static void take(stored&&) noexcept {}
};

/// The awaiter of one Asio operation; holds the initiation and its
/// arguments until the driver starts it, then the completion's arguments.
template <class Initiation, class InitArgs, class... Args>
class task_async_awaiter final : private task_wait {
  using result = task_async_result<std::decay_t<Args>...>;

 public:
  template <class I, class... A>
  explicit task_async_awaiter(I&& initiation, A&&... args)
      : initiation_(std::forward<I>(initiation)), init_args_(std::forward<A>(args)...) {
    proceed = [](task_wait&) { return true; };
    withdraw = [](task_wait&) noexcept { return false; };
  }
  task_async_awaiter(const task_async_awaiter&) = delete;
  task_async_awaiter& operator=(const task_async_awaiter&) = delete;

  bool await_ready() const noexcept { return false; }

  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> task) noexcept {
    static_assert(std::is_base_of_v<task_promise_base, Promise>,
                  "rill::use_task works only inside a rill::task; in an asio::awaitable use asio::use_awaitable");
    coroutine = task;
    context = &task.promise().context();
    task_context::launch_after_suspend(*this, &launch);
  }

  auto await_resume() {
    if (failure_) std::rethrow_exception(failure_);
    return result::take(std::move(*results_));
  }

 private:
  /// The handler Asio completes; owns the task until invoked.
  class handler {
   public:
    using executor_type = asio::any_io_executor;
    using cancellation_slot_type = asio::cancellation_slot;

    explicit handler(task_async_awaiter* awaiter) noexcept : awaiter_(awaiter) {}
    handler(handler&& other) noexcept : awaiter_(std::exchange(other.awaiter_, nullptr)) {}
    handler& operator=(handler&&) = delete;
    ~handler() {
      // Never invoked: its execution context is gone, and the task with it.
      if (awaiter_ != nullptr && awaiter_ != wait_being_launched()) awaiter_->context->destroy();
    }

    executor_type get_executor() const noexcept { return awaiter_->context->executor(); }
    cancellation_slot_type get_cancellation_slot() const noexcept { return awaiter_->context->cancellation_slot(); }

    template <class... Values>
    void operator()(Values&&... values) {
      task_async_awaiter* awaiter = std::exchange(awaiter_, nullptr);
      awaiter->results_.emplace(std::forward<Values>(values)...);
      awaiter->context->resume_here(*awaiter);
    }

   private:
    task_async_awaiter* awaiter_;
  };

  /// Run by the driver once the task has suspended. An initiation that
  /// throws did not start the operation: the task resumes and gets the
  /// exception.
  static bool launch(task_wait& wait) noexcept {
    auto& self = static_cast<task_async_awaiter&>(wait);
    task_wait* const outer = std::exchange(wait_being_launched(), &wait);
    try {
      std::apply([&](auto&... args) { std::move(self.initiation_)(handler(&self), std::move(args)...); },
                 self.init_args_);
    } catch (...) {
      wait_being_launched() = outer;
      self.failure_ = std::current_exception();
      return true;
    }
    // The operation may have completed on another thread already, and the
    // task gone with it: `self` is not touched again.
    wait_being_launched() = outer;
    return false;
  }

  Initiation initiation_;
  InitArgs init_args_;
  std::optional<typename result::stored> results_;
  std::exception_ptr failure_;
};

}  // namespace rill::detail
