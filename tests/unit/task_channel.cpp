// Channel operations awaited inside rill::task with rill::use_task: ready
// operations, waiting ones woken by tasks, threads and Asio operations,
// errors as exceptions or tuples, cancellation, and an io_context destroyed
// with tasks waiting.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include "support/inline_budget_check.hpp"
#include "support/test_support.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <chrono>
#include <thread>
#include <tuple>

namespace {

using asio::experimental::as_tuple;

rill::task<void> ping(rill::sender<int> out, rill::receiver<int> in, int rounds, int& last) {
  for (int i = 0; i < rounds; ++i) {
    co_await out.async_send(i, rill::use_task);
    last = co_await in.async_recv(rill::use_task);
  }
}

rill::task<void> pong(rill::receiver<int> in, rill::sender<int> out) {
  for (;;) {
    auto [ec, v] = co_await in.async_recv(as_tuple(rill::use_task));
    if (ec) co_return;
    co_await out.async_send(v + 1, rill::use_task);
  }
}

rill::task<std::uint64_t> consume(rill::receiver<std::uint64_t> in) {
  std::uint64_t sum = 0;
  for (;;) {
    auto [ec, v] = co_await in.async_recv(as_tuple(rill::use_task));
    if (ec) co_return sum;
    sum += v;
  }
}

rill::task<void> produce(rill::sender<std::uint64_t> out, std::uint64_t n) {
  for (std::uint64_t i = 1; i <= n; ++i) co_await out.async_send(i, rill::use_task);
}

/// Spawns `t`, recording how it ended.
struct outcome {
  bool done = false;
  std::exception_ptr error;
};

template <class T>
void spawn_into(asio::io_context& io, rill::task<T> t, outcome& out) {
  if constexpr (std::is_void_v<T>) {
    rill::spawn(io, std::move(t), [&out](std::exception_ptr e) {
      out.done = true;
      out.error = e;
    });
  } else {
    rill::spawn(io, std::move(t), [&out](std::exception_ptr e, T) {
      out.done = true;
      out.error = e;
    });
  }
}

}  // namespace

TEST_CASE("task channel: two tasks ping-pong on a rendezvous and a bounded channel", "[task][channel]") {
  const std::size_t capacity = GENERATE(0u, 1u, 16u);
  asio::io_context io;
  auto [to_pong, from_ping] = rill::sync_channel<int>(capacity);
  auto [to_ping, from_pong] = rill::sync_channel<int>(capacity);
  int last = -1;
  outcome pinged, ponged;
  spawn_into(io, ping(std::move(to_pong), std::move(from_pong), 1000, last), pinged);
  spawn_into(io, pong(std::move(from_ping), std::move(to_ping)), ponged);
  io.run();
  CHECK(pinged.done);
  CHECK_FALSE(pinged.error);
  CHECK(ponged.done);
  CHECK_FALSE(ponged.error);
  CHECK(last == 1000);
}

TEST_CASE("task channel: a producer and a consumer task on one thread move every message", "[task][channel]") {
  const int capacity = GENERATE(0, 1, 1024, -1);  // -1: unbounded
  asio::io_context io;
  auto [tx, rx] = capacity < 0 ? rill::channel<std::uint64_t>()
                               : rill::sync_channel<std::uint64_t>(static_cast<std::size_t>(capacity));
  constexpr std::uint64_t n = 20'000;
  std::uint64_t sum = 0;
  rill::spawn(io, consume(std::move(rx)), [&](std::exception_ptr e, std::uint64_t s) {
    CHECK_FALSE(e);
    sum = s;
  });
  outcome produced;
  spawn_into(io, produce(std::move(tx), n), produced);
  io.run();
  CHECK(produced.done);
  CHECK(sum == n * (n + 1) / 2);
}

TEST_CASE("task channel: threads and tasks share a channel both ways", "[task][channel]") {
  asio::io_context io;
  constexpr std::uint64_t n = 20'000;
  auto [to_task, task_in] = rill::sync_channel<std::uint64_t>(64);
  auto [task_out, to_thread] = rill::sync_channel<std::uint64_t>(0);
  std::uint64_t task_sum = 0;
  rill::spawn(io, consume(std::move(task_in)), [&](std::exception_ptr, std::uint64_t s) { task_sum = s; });
  outcome produced;
  spawn_into(io, produce(std::move(task_out), n), produced);
  std::atomic<int> failed_sends{0};  // Catch's assertions are for the test thread
  std::thread producer([tx = std::move(to_task), &failed_sends] {
    for (std::uint64_t i = 1; i <= n; ++i) failed_sends += tx.send(i) ? 0 : 1;
  });
  std::uint64_t thread_sum = 0;
  std::thread consumer([rx = std::move(to_thread), &thread_sum] {
    for (std::uint64_t v : rx) thread_sum += v;
  });
  io.run();
  producer.join();
  consumer.join();
  CHECK(failed_sends == 0);
  CHECK(task_sum == n * (n + 1) / 2);
  CHECK(thread_sum == n * (n + 1) / 2);
}

TEST_CASE("task channel: the same channel serves a task, an awaitable, a callback and a thread", "[task][channel]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::uint64_t>(2);
  constexpr std::uint64_t per_sender = 3000;
  // Four senders of different kinds, one task receiving everything.
  outcome produced;
  spawn_into(io, produce(tx, per_sender), produced);
  asio::co_spawn(io, [tx = tx]() -> asio::awaitable<void> {
    for (std::uint64_t i = 1; i <= per_sender; ++i) co_await tx.async_send(i, asio::use_awaitable);
  }, asio::detached);
  std::atomic<int> failed_sends{0};
  struct callback_sender {
    using executor_type = asio::io_context::executor_type;
    rill::sender<std::uint64_t> tx;
    std::uint64_t next;
    std::atomic<int>* failed;
    executor_type executor;
    executor_type get_executor() const noexcept { return executor; }
    void operator()(std::error_code ec = {}, std::optional<std::uint64_t> = {}) {
      *failed += ec ? 1 : 0;
      if (ec || next > per_sender) return;
      tx.async_send(next++, std::move(*this));
    }
  };
  asio::post(io, callback_sender{tx, 1, &failed_sends, io.get_executor()});
  std::thread thread_sender([tx = tx, &failed_sends] {
    for (std::uint64_t i = 1; i <= per_sender; ++i) failed_sends += tx.send(i) ? 0 : 1;
  });
  tx = {};
  std::uint64_t sum = 0;
  rill::spawn(io, consume(std::move(rx)), [&](std::exception_ptr, std::uint64_t s) { sum = s; });
  io.run();
  thread_sender.join();
  CHECK(failed_sends == 0);
  CHECK(sum == 4 * per_sender * (per_sender + 1) / 2);
}

TEST_CASE("task channel: errors throw under use_task, and come back with the value under as_tuple",
          "[task][channel]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::string>(0);
  rx.close();
  std::string handed_back;
  std::error_code send_error, recv_error;
  bool threw = false;
  auto body = [&, tx = tx, rx = rx]() -> rill::task<void> {
    auto [ec, value] = co_await tx.async_send(std::string("kept"), as_tuple(rill::use_task));
    send_error = ec;
    if (value) handed_back = std::move(*value);
    auto [rec, message] = co_await rx.async_recv(as_tuple(rill::use_task));
    recv_error = rec;
    if (!message.empty()) recv_error = {};  // a failed receive gives an empty value
    try {
      co_await tx.async_send(std::string("lost"), rill::use_task);
    } catch (const std::system_error& e) {
      threw = e.code() == rill::errc::disconnected;
    }
  };
  outcome o;
  spawn_into(io, body(), o);
  io.run();
  CHECK(o.done);
  CHECK(send_error == rill::errc::disconnected);
  CHECK(handed_back == "kept");
  CHECK(recv_error == rill::errc::disconnected);
  CHECK(threw);
}

TEST_CASE("task channel: a cancelled receive that nobody claimed reports operation_aborted and leaves the channel",
          "[task][channel][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  asio::cancellation_signal signal;
  std::error_code ec;
  auto body = [&, rx = rx]() -> rill::task<void> {
    auto [e, v] = co_await rx.async_recv(as_tuple(rill::use_task));
    ec = e;
  };
  bool done = false;
  rill::spawn(io, body(), asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) { done = true; }));
  io.poll();  // the task now waits in the channel
  REQUIRE_FALSE(done);
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  CHECK(done);
  CHECK(ec == asio::error::operation_aborted);
  CHECK(tx.try_send(1).error().is_full());  // no receiver waits any more
}

TEST_CASE("task channel: a receive claimed before its cancellation returns the message", "[task][channel][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  asio::cancellation_signal signal;
  std::error_code ec;
  int received = 0;
  auto body = [&, rx = rx]() -> rill::task<void> {
    auto [e, v] = co_await rx.async_recv(as_tuple(rill::use_task));
    ec = e;
    received = v;
  };
  rill::spawn(io, body(), asio::bind_cancellation_slot(signal.slot(), asio::detached));
  io.poll();
  REQUIRE(tx.try_send(7));  // hands 7 to the waiting task; its resumption is posted
  signal.emit(asio::cancellation_type::terminal);  // too late: nothing to withdraw
  io.run();
  CHECK_FALSE(ec);
  CHECK(received == 7);
}

TEST_CASE("task channel: destroying the io_context destroys waiting tasks and withdraws their waiters",
          "[task][channel][shutdown]") {
  auto frame_alive = std::make_shared<int>(0);
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto [full_tx, full_rx] = rill::sync_channel<int>(0);
  bool handler_ran = false;
  {
    asio::io_context io;
    auto receiver_task = [](rill::receiver<int> rx, std::shared_ptr<int> keep) -> rill::task<void> {
      (void)keep;  // held by the frame until the task is destroyed
      (void)co_await rx.async_recv(as_tuple(rill::use_task));
    };
    auto sender_task = [](rill::sender<int> tx, std::shared_ptr<int> keep) -> rill::task<void> {
      (void)keep;
      (void)co_await tx.async_send(1, as_tuple(rill::use_task));
    };
    rill::spawn(io, receiver_task(rx, frame_alive), [&](std::exception_ptr) { handler_ran = true; });
    rill::spawn(io, sender_task(full_tx, frame_alive), [&](std::exception_ptr) { handler_ran = true; });
    io.poll();  // both wait now
    CHECK(frame_alive.use_count() == 3);
  }
  CHECK_FALSE(handler_ran);
  CHECK(frame_alive.use_count() == 1);
  CHECK(tx.try_send(1).error().is_full());                        // the receive was withdrawn
  CHECK(full_rx.try_recv().error() == rill::try_recv_error::empty);  // and the send
}

TEST_CASE("task channel: a task claimed but not yet resumed at shutdown is destroyed with its message",
          "[task][channel][shutdown]") {
  auto message = std::make_shared<int>(5);
  auto [tx, rx] = rill::sync_channel<std::shared_ptr<int>>(0);
  {
    asio::io_context io;
    auto body = [](rill::receiver<std::shared_ptr<int>> rx) -> rill::task<void> {
      (void)co_await rx.async_recv(rill::use_task);
    };
    rill::spawn(io, body(rx), asio::detached);
    io.poll();
    REQUIRE(tx.try_send(message));  // moved into the task's frame; its resumption is posted
    CHECK(message.use_count() == 2);
  }
  CHECK(message.use_count() == 1);
}

TEST_CASE("task channel: ready operations complete without suspending, within a budget", "[task][channel]") {
  const bool sending = GENERATE(true, false);
  constexpr int operations = 10 * static_cast<int>(rill::detail::inline_budget);
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  if (!sending)
    for (int i = 0; i < operations; ++i) REQUIRE(tx.send(i));
  bool finished = false;
  int in_order = 0;
  auto body = [&, tx = tx, rx = rx]() -> rill::task<void> {
    for (int i = 0; i < operations; ++i) {
      if (sending) {
        co_await tx.async_send(i, rill::use_task);
      } else {
        const int v = co_await rx.async_recv(rill::use_task);
        in_order += v == i ? 1 : 0;
      }
    }
    finished = true;
  };
  rill::spawn(io, body(), asio::detached);
  rill_test::run_and_check_inline_budget(io, finished, sending, rx, in_order, operations);
}

TEST_CASE("task: any Asio operation can be awaited with use_task", "[task][asio]") {
  asio::io_context io;
  asio::steady_timer timer(io, std::chrono::milliseconds(1));
  int posts = 0;
  auto body = [&]() -> rill::task<void> {
    co_await timer.async_wait(rill::use_task);
    // Completions that come at once, a long chain of them: constant stack.
    for (int i = 0; i < 100'000; ++i) {
      co_await asio::post(io, rill::use_task);
      ++posts;
    }
  };
  outcome o;
  spawn_into(io, body(), o);
  io.run();
  CHECK(o.done);
  CHECK_FALSE(o.error);
  CHECK(posts == 100'000);
}

TEST_CASE("task: an Asio operation awaited with use_task is cancelled through the spawn's slot", "[task][asio][cancel]") {
  asio::io_context io;
  asio::cancellation_signal signal;
  std::error_code ec;
  bool threw = false;
  auto body = [&]() -> rill::task<void> {
    asio::steady_timer hour(io, std::chrono::hours(1));
    std::tie(ec) = co_await hour.async_wait(as_tuple(rill::use_task));
    hour.expires_after(std::chrono::hours(1));
    try {
      co_await hour.async_wait(rill::use_task);
    } catch (const std::system_error& e) {
      threw = e.code() == asio::error::operation_aborted;
    }
  };
  bool done = false;
  rill::spawn(io, body(), asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) { done = true; }));
  io.poll();
  signal.emit(asio::cancellation_type::terminal);
  io.poll();
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  CHECK(done);
  CHECK(ec == asio::error::operation_aborted);
  CHECK(threw);
}

TEST_CASE("task: async_select with use_task, a channel arm and a timeout arm", "[task][asio][select]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(1);
  std::atomic<std::size_t> first{99};  // read by the sending thread
  std::size_t second = 99;
  int value = 0;
  auto body = [&, rx = rx]() -> rill::task<void> {
    auto r = co_await rill::async_select(rill::recv(rx), rill::timeout(std::chrono::milliseconds(5)), rill::use_task);
    first = r->index();
    r = co_await rill::async_select(rill::recv(rx), rill::timeout(std::chrono::seconds(10)), rill::use_task);
    second = r->index();
    if (second == 0) value = *std::get<0>(*r);
  };
  outcome o;
  spawn_into(io, body(), o);
  bool sent = false;
  std::thread sender([&, tx = tx] {
    while (first == 99) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    sent = tx.send(3).has_value();
  });
  io.run();
  sender.join();
  CHECK(sent);
  CHECK(o.done);
  CHECK(first == 1);  // the timeout: nothing was sent yet
  CHECK(second == 0);
  CHECK(value == 3);
}

TEST_CASE("task: destroying the io_context destroys a task waiting on an Asio operation", "[task][asio][shutdown]") {
  auto frame_alive = std::make_shared<int>(0);
  bool handler_ran = false;
  {
    asio::io_context io;
    auto body = [&io](std::shared_ptr<int> keep) -> rill::task<void> {
      (void)keep;
      asio::steady_timer hour(io, std::chrono::hours(1));
      co_await hour.async_wait(rill::use_task);
    };
    rill::spawn(io, body(frame_alive), [&](std::exception_ptr) { handler_ran = true; });
    io.poll();
    CHECK(frame_alive.use_count() == 2);
  }
  CHECK_FALSE(handler_ran);
  CHECK(frame_alive.use_count() == 1);
}

TEST_CASE("task: a permit won in async_select sends the value built after the room was there",
          "[task][asio][select][permit]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::string>(1);
  auto [control_tx, control_rx] = rill::channel<int>();
  REQUIRE(tx.send("first"));
  int builds = 0;
  auto body = [&, tx = tx, control_rx = control_rx]() -> rill::task<void> {
    for (;;) {
      auto r = co_await rill::async_select(rill::reserve(tx), rill::recv(control_rx), rill::use_task);
      if (r->index() == 1) co_return;
      auto& p = std::get<0>(*r);
      if (!p) co_return;
      ++builds;  // the value is made only once it can go
      (void)p->send("built " + std::to_string(builds));
    }
  };
  outcome o;
  spawn_into(io, body(), o);
  std::thread consumer([rx = rx, control_tx = control_tx] {
    for (int i = 0; i < 3; ++i) (void)rx.recv();
    // The stop goes once the third value is buffered: the channel is full
    // then, so only the stop arm can win the task's next select.
    // Bounded: should the value never come, the checks below fail.
    (void)rill_test::eventually([&] { return rx.size() == 1; });
    (void)control_tx.send(0);
  });
  io.run();
  consumer.join();
  CHECK(o.done);
  // Room came three times, each freed by the consumer, and the third value
  // is still buffered: the stop found the channel full, so nothing else
  // was reserved or built.
  CHECK(builds == 3);
  CHECK(rx.try_recv() == "built 3");
}
