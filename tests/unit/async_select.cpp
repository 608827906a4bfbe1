// async_select: select as an Asio asynchronous operation. Deterministic
// cases first (start, check nothing completed before run, run, check), then
// cancellation racing every wait, counting every message.
#include <rill/rill.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "support/test_support.hpp"

using namespace asio::experimental::awaitable_operators;

namespace {

using two_receives = rill::select_result<rill::recv_arm<int>, rill::recv_arm<std::string>>;

struct select_outcome {
  bool done = false;
  std::error_code ec;
  std::optional<two_receives> result;
};

auto record_into(asio::io_context& io, select_outcome& out) {
  return asio::bind_executor(io, [&out](std::error_code ec, std::optional<two_receives> r) {
    out.done = true;
    out.ec = ec;
    out.result = std::move(r);
  });
}

}  // namespace

TEST_CASE("async_select: a ready arm wins when the executor runs, not before", "[async_select]") {
  asio::io_context io;
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<std::string>();
  REQUIRE(tx2.send("ready"));
  select_outcome out;
  rill::async_select(rill::recv(rx1), rill::recv(rx2), record_into(io, out));
  CHECK_FALSE(out.done);
  CHECK(rx2.size() == 1);  // nothing taken at initiation
  io.run();
  REQUIRE(out.result);
  REQUIRE(out.result->index() == 1);
  CHECK(std::get<1>(*out.result).value() == "ready");
}

TEST_CASE("async_select: a waiting select is completed by a thread's send", "[async_select]") {
  asio::io_context io;
  auto [tx1, rx1] = rill::sync_channel<int>(0);
  auto [tx2, rx2] = rill::channel<std::string>();
  select_outcome out;
  rill::async_select(rill::recv(rx1), rill::recv(rx2), record_into(io, out));
  io.poll();
  CHECK_FALSE(out.done);
  std::thread producer([tx1 = tx1] { tx1.send(5); });  // rendezvous: completes once the select holds it
  io.run();
  producer.join();
  REQUIRE(out.result);
  REQUIRE(out.result->index() == 0);
  CHECK(std::get<0>(*out.result).value() == 5);
  CHECK(rx2.size() == 0);
}

TEST_CASE("async_select: a send arm delivers to a thread receiver; the losing arm keeps nothing", "[async_select]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto [idle_tx, idle_rx] = rill::channel<int>();
  std::optional<std::size_t> winner;
  rill::async_select(rill::send(tx, 11), rill::recv(idle_rx),
                     asio::bind_executor(io, [&winner](std::error_code, auto r) { winner = r->index(); }));
  io.poll();
  CHECK(rx.recv().value() == 11);  // the thread meets the select's queued send arm
  io.run();
  CHECK(winner == 0u);
  REQUIRE(idle_tx.send(1));
  CHECK(idle_rx.try_recv().value() == 1);  // the losing receive arm took nothing
}

TEST_CASE("async_select: cancelling a waiting select takes nothing", "[async_select][cancel]") {
  asio::io_context io;
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<std::string>();
  asio::cancellation_signal signal;
  select_outcome out;
  rill::async_select(rill::recv(rx1), rill::recv(rx2),
                     asio::bind_cancellation_slot(signal.slot(), record_into(io, out)));
  io.poll();
  SECTION("while it waits") {
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    REQUIRE(tx1.send(1));
  }
  SECTION("after a message woke it, before it ran") {
    REQUIRE(tx1.send(1));
    signal.emit(asio::cancellation_type::terminal);
    io.run();
  }
  CHECK(out.ec == asio::error::operation_aborted);
  CHECK_FALSE(out.result.has_value());
  CHECK(rx1.try_recv().value() == 1);
}

TEST_CASE("async_select: destroying the io_context destroys a waiting select's handler", "[async_select][teardown]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<std::string>();
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    rill::async_select(rill::recv(rx1), rill::recv(rx2),
                       asio::bind_executor(io, [alive](std::error_code, std::optional<two_receives>) {}));
    io.poll();
    CHECK(alive.use_count() == 2);
  }
  CHECK(alive.use_count() == 1);
  REQUIRE(tx1.send(3));
  CHECK(rx1.try_recv().value() == 3);  // the withdrawn select took nothing
}

TEST_CASE("async_select: raced by a timer, no message is lost", "[async_select][cancel][stress]") {
  const std::size_t capacity = GENERATE(as<std::size_t>{}, 0u, 4u);
  const int per_channel = 1500 * static_cast<int>(rill_test::stress_scale);
  auto [tx1, rx1] = rill::sync_channel<int>(capacity);
  auto [tx2, rx2] = rill::sync_channel<int>(capacity);
  std::vector<int> got;
  int timeouts = 0;
  asio::io_context io;
  asio::co_spawn(io, [&got, &timeouts, rx1 = rx1, rx2 = rx2]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::mt19937 rng(11);
    bool open1 = true, open2 = true;
    while (open1 || open2) {
      timer.expires_after(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 30)(rng)));
      auto r = co_await (rill::async_select(rill::recv(rx1, open1), rill::recv(rx2, open2), asio::use_awaitable) ||
                         timer.async_wait(asio::use_awaitable));
      if (r.index() == 1) {
        ++timeouts;
        continue;
      }
      auto& selected = *std::get<0>(r);
      auto& result = selected.index() == 0 ? std::get<0>(selected) : std::get<1>(selected);
      if (result)
        got.push_back(*result);
      else
        (selected.index() == 0 ? open1 : open2) = false;
    }
  }, asio::detached);
  rx1 = {};
  rx2 = {};
  rill_test::scoped_threads threads;
  threads.spawn([per_channel, tx = std::move(tx1)] {
    for (int i = 0; i < per_channel; ++i) RILL_EXPECT(tx.send(i));
  });
  threads.spawn([per_channel, tx = std::move(tx2)] {
    for (int i = 0; i < per_channel; ++i) RILL_EXPECT(tx.send(per_channel + i));
  });
  io.run();
  REQUIRE(threads.join() == "");
  INFO(timeouts << " selects lost the race to the timer");
  std::vector<int> seen(static_cast<std::size_t>(2 * per_channel), 0);
  for (int v : got) ++seen[static_cast<std::size_t>(v)];
  for (std::size_t v = 0; v < seen.size(); ++v) REQUIRE(seen[v] == 1);
}

TEST_CASE("async_select: a select woken for one channel that takes another passes the wake-up on", "[async_select]") {
  // Regression: the select was woken for A's message, then its random poll
  // took B's; the receive queued behind it on A was never told about the
  // message, which sat in A until the next one arrived.
  for (int round = 0; round < 20; ++round) {
    asio::io_context io;
    auto [tx_a, rx_a] = rill::channel<int>();
    auto [tx_b, rx_b] = rill::channel<std::string>();
    select_outcome selected;
    rill::async_select(rill::recv(rx_a), rill::recv(rx_b), record_into(io, selected));
    io.poll();  // the select waits on both
    std::optional<int> other;
    rx_a.async_recv(asio::bind_executor(io, [&other](std::error_code, int v) { other = v; }));
    io.poll();  // queued on A behind the select
    REQUIRE(tx_a.send(2));      // wakes the select (its arm on A is first)
    REQUIRE(tx_b.send("one"));  // the select is already woken: B just buffers it
    io.poll();
    REQUIRE(selected.result);
    if (selected.result->index() == 1) {
      CHECK(other == 2);  // the select took B: A's message went to the other receiver
    } else {
      CHECK(std::get<0>(*selected.result).value() == 2);
      CHECK_FALSE(other.has_value());
      tx_a.close();
      io.run();  // the other receiver completes with disconnected
    }
  }
}
