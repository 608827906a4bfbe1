// rill::task and rill::spawn: lazy start, values and exceptions through
// co_await, chains of tasks in constant stack, every kind of completion
// token, and a context destroyed with a task still queued.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

rill::task<int> answer() { co_return 42; }

rill::task<int> add(int a, int b) { co_return co_await answer() - 42 + a + b; }

rill::task<void> fail() {
  throw std::runtime_error("task failed");
  co_return;
}

rill::task<std::string> catch_child() {
  try {
    co_await fail();
  } catch (const std::runtime_error& e) {
    co_return std::string("caught: ") + e.what();
  }
  co_return "not thrown";
}

rill::task<long> sum_of_children(long count) {
  long sum = 0;
  for (long i = 0; i < count; ++i) sum += co_await add(static_cast<int>(i % 7), 1);
  co_return sum;
}

/// A value that is not default-constructible.
struct only_explicit {
  explicit only_explicit(int v) : value(v) {}
  int value;
};

rill::task<only_explicit> make_only_explicit() { co_return only_explicit(5); }

}  // namespace

TEST_CASE("task: nothing runs before the executor does; the handler gets the value", "[task]") {
  asio::io_context io;
  bool started = false;
  auto body = [&]() -> rill::task<int> {
    started = true;
    co_return co_await add(1, 2);
  };
  std::exception_ptr error;
  int value = 0;
  rill::spawn(io, body(), [&](std::exception_ptr e, int v) {
    error = e;
    value = v;
  });
  CHECK_FALSE(started);
  io.run();
  CHECK(started);
  CHECK_FALSE(error);
  CHECK(value == 3);
}

TEST_CASE("task: an exception reaches the awaiting task, and the spawn's handler", "[task]") {
  asio::io_context io;
  std::string caught;
  rill::spawn(io, catch_child(), [&](std::exception_ptr e, std::string s) {
    CHECK_FALSE(e);
    caught = std::move(s);
  });
  std::exception_ptr error;
  rill::spawn(io, fail(), [&](std::exception_ptr e) { error = e; });
  io.run();
  CHECK(caught == "caught: task failed");
  REQUIRE(error);
  CHECK_THROWS_WITH(std::rethrow_exception(error), "task failed");
}

TEST_CASE("task: a million children that finish at once run in constant stack", "[task]") {
  // Each co_await of a child and each return to the parent goes through
  // the driver loop, not a nested call; nested, this overflows the stack
  // long before the end (as symmetric transfer did under ThreadSanitizer,
  // which keeps the compiler from emitting its tail calls).
  asio::io_context io;
  long sum = 0;
  constexpr long count = 1'000'000;
  rill::spawn(io, sum_of_children(count), [&](std::exception_ptr e, long s) {
    CHECK_FALSE(e);
    sum = s;
  });
  io.run();
  long expected = 0;
  for (long i = 0; i < count; ++i) expected += i % 7 + 1;
  CHECK(sum == expected);
}

TEST_CASE("task: spawn works with use_future, detached and use_awaitable", "[task]") {
  asio::io_context io;
  auto future = rill::spawn(io, add(20, 22), asio::use_future);
  bool detached_ran = false;
  auto detached_body = [&]() -> rill::task<void> {
    detached_ran = true;
    co_return;
  };
  rill::spawn(io.get_executor(), detached_body(), asio::detached);
  int from_awaitable = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> { from_awaitable = co_await rill::spawn(io, add(1, 1), asio::use_awaitable); },
      asio::detached);
  io.run();
  CHECK(future.get() == 42);
  CHECK(detached_ran);
  CHECK(from_awaitable == 2);
}

TEST_CASE("task: a value that cannot be default-constructed arrives in an optional", "[task]") {
  asio::io_context io;
  std::optional<only_explicit> result;
  rill::spawn(io, make_only_explicit(), [&](std::exception_ptr e, std::optional<only_explicit> v) {
    CHECK_FALSE(e);
    result = std::move(v);
  });
  io.run();
  REQUIRE(result);
  CHECK(result->value == 5);
}

TEST_CASE("task: a context destroyed before a spawned task ran destroys it and its handler, unrun", "[task]") {
  auto alive = std::make_shared<int>(0);
  bool ran = false;
  bool handler_ran = false;
  {
    asio::io_context io;
    auto body = [](std::shared_ptr<int> keep, bool& flag) -> rill::task<void> {
      (void)keep;  // held by the frame until the task is destroyed
      flag = true;
      co_return;
    };
    rill::spawn(io, body(alive, ran), [&, keep = alive](std::exception_ptr) { handler_ran = true; });
    CHECK(alive.use_count() == 3);  // held by the task's frame and by the handler
  }
  CHECK_FALSE(ran);
  CHECK_FALSE(handler_ran);
  CHECK(alive.use_count() == 1);
}

TEST_CASE("task: this_task::executor is the executor the task runs on", "[task]") {
  asio::io_context io;
  bool same = false;
  auto body = [&]() -> rill::task<void> {
    const asio::any_io_executor ex = co_await rill::this_task::executor;
    same = ex == asio::any_io_executor(io.get_executor());
  };
  rill::spawn(io, body(), asio::detached);
  io.run();
  CHECK(same);
}

TEST_CASE("task: a task awaits a task spawned on another executor with use_task", "[task]") {
  asio::io_context io, other;
  auto work_guard = asio::make_work_guard(other);
  std::thread other_thread([&other] { other.run(); });
  const std::thread::id other_id = other_thread.get_id();
  std::thread::id ran_on;
  auto on_other = [&]() -> rill::task<int> {
    ran_on = std::this_thread::get_id();
    co_return 6;
  };
  auto failing = []() -> rill::task<int> {
    throw std::runtime_error("on the other executor");
    co_return 0;
  };
  int value = 0;
  std::string error;
  auto body = [&]() -> rill::task<void> {
    value = co_await rill::spawn(other, on_other(), rill::use_task) * 7;
    try {
      (void)co_await rill::spawn(other, failing(), rill::use_task);
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  };
  rill::spawn(io, body(), asio::detached);
  io.run();
  work_guard.reset();
  other_thread.join();
  CHECK(value == 42);
  CHECK(ran_on == other_id);
  CHECK(error == "on the other executor");
}
