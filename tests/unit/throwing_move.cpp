// A message type whose move constructor throws leaves the channel
// consistent: the message stays where it was, the operation that tried to
// move it gets the exception, and nothing is lost or duplicated.
#include <rill/rill.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>

#include "support/tracked.hpp"

using rill_test::throwing_move;

namespace {
struct fail_moves_while_alive {
  fail_moves_while_alive() { throwing_move::fail_moves = true; }
  ~fail_moves_while_alive() { throwing_move::fail_moves = false; }
};
}  // namespace

TEST_CASE("throwing_move: a failed push leaves the buffer unchanged", "[throwing_move]") {
  const bool bounded = GENERATE(false, true);
  auto [tx, rx] = bounded ? rill::sync_channel<throwing_move>(4) : rill::channel<throwing_move>();
  REQUIRE(tx.send(throwing_move(1)));
  // A prvalue argument is not moved on the way in: the first move is the
  // one into the buffer.
  throwing_move::moves_until_throw = 0;
  CHECK_THROWS_AS(tx.send(throwing_move(2)), std::runtime_error);
  throwing_move::moves_until_throw = -1;
  CHECK(rx.size() == 1);
  CHECK(rx.recv()->payload == 1);
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
}

TEST_CASE("throwing_move: a failed pop keeps the message at the front", "[throwing_move]") {
  const bool bounded = GENERATE(false, true);
  auto [tx, rx] = bounded ? rill::sync_channel<throwing_move>(4) : rill::channel<throwing_move>();
  REQUIRE(tx.send(throwing_move(1)));
  REQUIRE(tx.send(throwing_move(2)));
  {
    fail_moves_while_alive failing;
    CHECK_THROWS_AS(rx.try_recv(), std::runtime_error);
    CHECK_THROWS_AS(rx.recv(), std::runtime_error);
  }
  CHECK(rx.size() == 2);
  CHECK(rx.recv()->payload == 1);
  CHECK(rx.recv()->payload == 2);
}

TEST_CASE("throwing_move: a rendezvous hand-off that throws leaves the sender holding its value", "[throwing_move]") {
  auto [tx, rx] = rill::sync_channel<throwing_move>(0);
  bool sent = false;
  std::thread producer([&sent, tx = tx] {
    // While moves fail, the receiver's hand-off throws and the sender is
    // asked to retry: it keeps waiting with its value intact.
    sent = tx.send_timeout(throwing_move(42), std::chrono::seconds(30)).has_value();
  });
  {
    fail_moves_while_alive failing;
    // try_recv never queues, so the receiver is the side that moves: it
    // finds the channel empty until the producer is queued, then the
    // hand-off throws here.
    bool threw = false;
    while (!threw) {
      try {
        auto m = rx.try_recv();
        REQUIRE(m.error() == rill::try_recv_error::empty);
        std::this_thread::yield();
      } catch (const std::runtime_error&) {
        threw = true;
      }
    }
  }
  auto m = rx.recv();
  REQUIRE(m);
  CHECK(m->payload == 42);
  producer.join();
  CHECK(sent);
  tx = {};
  CHECK(rx.try_recv().error() == rill::try_recv_error::disconnected);
}


// Regression: an async_send whose move into the channel threw left its
// operation allocated, holding outstanding work on the executor (so
// io_context::run() never returned), a reference to the channel and a
// handler in the cancellation slot. Found by faults_alloc.cpp.
TEST_CASE("throwing_move: an async send that throws while starting holds no work and no handler", "[throwing_move][async][regression]") {
  const bool bounded = GENERATE(false, true);
  auto [tx, rx] = bounded ? rill::sync_channel<throwing_move>(4) : rill::channel<throwing_move>();
  // Fail each move in turn, from the first on the way in to the one into the
  // buffer; whichever throws, nothing may be left behind.
  int threw = 0;
  for (int n = 0; n < 8; ++n) {
    INFO("move " << n << " throws");
    asio::io_context io;
    asio::cancellation_signal cancel;
    bool invoked = false;
    throwing_move::moves_until_throw = n;
    try {
      tx.async_send(throwing_move(n), asio::bind_cancellation_slot(
                                          cancel.slot(), asio::bind_executor(io, [&invoked](std::error_code, std::optional<throwing_move>) {
                                            invoked = true;
                                          })));
    } catch (const std::runtime_error&) {
      ++threw;
      throwing_move::moves_until_throw = -1;
      CHECK_FALSE(cancel.slot().has_handler());
      io.poll();
      CHECK(io.stopped());  // no outstanding work left behind
      CHECK_FALSE(invoked);
      CHECK(rx.size() == 0);
      continue;
    }
    throwing_move::moves_until_throw = -1;
    io.run();
    CHECK(invoked);
    while (rx.try_recv()) {
    }
  }
  CHECK(threw > 0);
}

namespace {

/// Counts its moves; its move constructor may throw (as far as the type
/// says), which sends a receive down the path that builds its result in
/// place.
struct counted_move {
  static inline int moves = 0;
  int payload;
  explicit counted_move(int p) noexcept : payload(p) {}
  counted_move(counted_move&& o) noexcept(false) : payload(o.payload) { ++moves; }
  counted_move& operator=(counted_move&&) = delete;
};

}  // namespace

// A message whose move may throw moves once on its way out of the channel:
// straight into what the receive returns. A second move would be a second
// chance to lose it (faults.cpp tries each move failing in turn).
TEST_CASE("throwing_move: every receive form moves a buffered message once", "[throwing_move]") {
  const bool bounded = GENERATE(false, true);
  INFO((bounded ? "bounded" : "unbounded"));
  auto [tx, rx] = bounded ? rill::sync_channel<counted_move>(4) : rill::channel<counted_move>();
  auto send_one = [&tx = tx](int payload) {
    REQUIRE(tx.send(counted_move(payload)));
    counted_move::moves = 0;
  };
  send_one(1);
  CHECK(rx.recv()->payload == 1);
  CHECK(counted_move::moves == 1);
  send_one(2);
  CHECK(rx.try_recv()->payload == 2);
  CHECK(counted_move::moves == 1);
  send_one(3);
  CHECK(rx.recv_timeout(std::chrono::seconds(1))->payload == 3);
  CHECK(counted_move::moves == 1);
  send_one(4);
  for (counted_move& m : rx.try_iter()) CHECK(m.payload == 4);
  CHECK(counted_move::moves == 1);
  send_one(5);
  auto r = rill::select(rill::recv(rx));
  CHECK(std::get<0>(r)->payload == 5);
  CHECK(counted_move::moves == 1);
  send_one(6);
  auto t = rill::try_select(rill::recv(rx));
  REQUIRE(t);
  CHECK(std::get<0>(*t)->payload == 6);
  CHECK(counted_move::moves == 1);
  send_one(7);
  rill::dynamic_select<counted_move> sel;
  sel.add(rx);
  CHECK(sel.select().recv_result()->payload == 7);
  CHECK(counted_move::moves == 1);
}

// An operation resumed on its executor that throws there (a move of the
// message, an allocation) is destroyed without running its handler, as one
// whose start throws is: the exception leaves io_context::run(), and the
// operation holds no work, no handler in its cancellation slot and no part
// of the channel. Pins a bug: it was leaked, and its outstanding work kept
// every later run() from returning.
TEST_CASE("throwing_move: an async receive that throws on its executor leaves nothing behind", "[throwing_move][async][regression]") {
  const bool bounded = GENERATE(false, true);
  INFO((bounded ? "bounded" : "unbounded"));
  auto [tx, rx] = bounded ? rill::sync_channel<throwing_move>(4) : rill::channel<throwing_move>();
  asio::io_context io;
  asio::cancellation_signal cancel;
  bool invoked = false;
  rx.async_recv(asio::bind_cancellation_slot(
      cancel.slot(), asio::bind_executor(io, [&invoked](std::error_code, std::optional<throwing_move>) { invoked = true; })));
  io.poll();  // queued: waiting for a message
  REQUIRE(tx.send(throwing_move(5)));
  {
    fail_moves_while_alive failing;
    CHECK_THROWS_AS(io.run(), std::runtime_error);
  }
  CHECK_FALSE(invoked);
  CHECK_FALSE(cancel.slot().has_handler());
  io.restart();
  io.poll();
  CHECK(io.stopped());  // no outstanding work left behind
  CHECK(rx.size() == 1);  // the message stayed in the channel
  CHECK(rx.try_recv()->payload == 5);
}

TEST_CASE("throwing_move: an async send that throws on its executor leaves nothing behind", "[throwing_move][async][regression]") {
  auto [tx, rx] = rill::sync_channel<throwing_move>(1);
  REQUIRE(tx.send(throwing_move(1)));  // full: the next send waits
  asio::io_context io;
  bool invoked = false;
  tx.async_send(throwing_move(2), asio::bind_executor(io, [&invoked](std::error_code, std::optional<throwing_move>) {
                  invoked = true;
                }));
  io.poll();  // queued: waiting for room
  // The receive makes room and moves the waiting send's value in: that
  // move (the receive's second) throws, so the send is resumed to try again
  // itself ...
  throwing_move::moves_until_throw = 1;
  CHECK(rx.try_recv()->payload == 1);
  {
    fail_moves_while_alive failing;  // ... and its own move into the channel throws too
    CHECK_THROWS_AS(io.run(), std::runtime_error);
  }
  CHECK_FALSE(invoked);
  io.restart();
  io.poll();
  CHECK(io.stopped());
  CHECK(rx.size() == 0);
}

TEST_CASE("throwing_move: an async_select that throws on its executor leaves nothing behind", "[throwing_move][async][regression]") {
  const bool timed = GENERATE(false, true);
  INFO((timed ? "with a timeout arm" : "without a timeout arm"));
  auto [tx, rx] = rill::channel<throwing_move>();
  auto [idle_tx, idle_rx] = rill::channel<int>();
  asio::io_context io;
  asio::cancellation_signal cancel;
  bool invoked = false;
  auto handler = asio::bind_cancellation_slot(
      cancel.slot(), asio::bind_executor(io, [&invoked](std::error_code, auto) { invoked = true; }));
  if (timed)
    rill::async_select(rill::recv(rx), rill::recv(idle_rx), rill::timeout(std::chrono::hours(1)), handler);
  else
    rill::async_select(rill::recv(rx), rill::recv(idle_rx), handler);
  io.poll();  // queued on both channels
  REQUIRE(tx.send(throwing_move(3)));
  {
    fail_moves_while_alive failing;  // the select's move of the message into its result throws
    CHECK_THROWS_AS(io.run(), std::runtime_error);
  }
  CHECK_FALSE(invoked);
  io.restart();
  io.run();  // a timed select's timer, cancelled, calls back and lets the operation go
  CHECK(io.stopped());
  CHECK_FALSE(cancel.slot().has_handler());
  CHECK_FALSE(invoked);
  CHECK(rx.try_recv()->payload == 3);  // the message stayed in the channel
  REQUIRE(idle_tx.send(1));
  CHECK(idle_rx.try_recv().value() == 1);  // and the other arm is no longer queued there
}
