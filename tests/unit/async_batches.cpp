// async_recv_many: an asynchronous receive of a batch, with any completion
// token, cancel-safe like async_recv.
#include <rill/rill.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <thread>
#include <tuple>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/test_support.hpp"

namespace {

/// What the batch receive's handler saw.
struct batch_outcome {
  bool done = false;
  std::error_code ec;
  std::size_t count = 0;
};

auto record_into(asio::io_context& io, batch_outcome& out) {
  return asio::bind_executor(io, [&out](std::error_code ec, std::size_t count) {
    out.done = true;
    out.ec = ec;
    out.count = count;
  });
}

}  // namespace

TEST_CASE("async_recv_many takes what is ready, up to max, when the executor runs", "[async][batch]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  for (int i = 0; i < 5; ++i) REQUIRE(tx.send(i));
  std::vector<int> out;
  batch_outcome got;
  rx.async_recv_many(out, 3, record_into(io, got));
  CHECK_FALSE(got.done);
  CHECK(out.empty());  // nothing taken before the handler's executor runs
  io.run();
  CHECK(got.done);
  CHECK_FALSE(got.ec);
  CHECK(got.count == 3);
  CHECK(out == std::vector<int>{0, 1, 2});
  CHECK(rx.size() == 2);
}

TEST_CASE("async_recv_many waits for at least one message", "[async][batch]") {
  const auto kind = GENERATE(rill_test::channel_kind::unbounded, rill_test::channel_kind::bounded,
                             rill_test::channel_kind::rendezvous);
  asio::io_context io;
  auto [tx, rx] = rill_test::make_channel<int>(kind);
  std::deque<int> out;
  batch_outcome got;
  rx.async_recv_many(out, 16, record_into(io, got));
  io.poll();
  CHECK_FALSE(got.done);
  std::thread producer([tx = tx] {
    for (int i = 0; i < 3; ++i) (void)tx.send(i);
  });
  io.run();
  // A rendezvous producer still waits for its other messages to be taken.
  for (std::size_t left = 3 - out.size(); left != 0; --left) CHECK(rx.recv().has_value());
  producer.join();
  CHECK(got.count >= 1);
  CHECK(got.count == out.size());
  CHECK(out.front() == 0);
}

TEST_CASE("async_recv_many fails with disconnected once drained, and with operation_aborted when cancelled",
          "[async][batch][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  std::vector<int> out;
  SECTION("disconnected") {
    rill_test::drop(tx);
    batch_outcome got;
    rx.async_recv_many(out, 4, record_into(io, got));
    io.run();
    CHECK(got.ec == rill::errc::disconnected);
    CHECK(got.count == 0);
  }
  SECTION("cancelled while waiting, then a message arrives: it stays in the channel") {
    asio::cancellation_signal signal;
    batch_outcome got;
    rx.async_recv_many(out, 4, asio::bind_cancellation_slot(signal.slot(), record_into(io, got)));
    io.poll();
    REQUIRE(tx.send(1));  // wakes the receive; the cancellation arrives before it runs
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    CHECK(got.ec == asio::error::operation_aborted);
    CHECK(out.empty());
    CHECK(rx.try_recv() == 1);
  }
}

TEST_CASE("async_recv_many in a coroutine and a rill::task drains a stream in batches", "[async][batch][task]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(8);
  constexpr int count = 200;
  std::vector<int> awaited, tasked;
  std::thread producer([tx = std::move(tx)] {
    for (int i = 0; i < count; ++i) (void)tx.send(i);
  });
  auto drain = [](rill::receiver<int> rx, std::vector<int>& into) -> rill::task<void> {
    for (;;) {
      auto [ec, n] = co_await rx.async_recv_many(into, 16, asio::experimental::as_tuple(rill::use_task));
      if (ec) co_return;
    }
  };
  rill::spawn(io, drain(rx, tasked), asio::detached);
  rill::spawn(io, drain(rx, awaited), asio::detached);
  io.run();
  producer.join();
  std::vector<int> all = awaited;
  all.insert(all.end(), tasked.begin(), tasked.end());
  std::sort(all.begin(), all.end());
  CHECK(all.size() == static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) CHECK(all[static_cast<std::size_t>(i)] == i);
  CHECK(std::is_sorted(awaited.begin(), awaited.end()));
  CHECK(std::is_sorted(tasked.begin(), tasked.end()));
}

TEST_CASE("async_recv_many refuses a batch of 0", "[async][batch]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  std::vector<int> out;
  batch_outcome got;
  CHECK_THROWS_AS(rx.async_recv_many(out, 0, record_into(io, got)), std::invalid_argument);
  CHECK_FALSE(got.done);
}
