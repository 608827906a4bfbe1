// A message type whose move constructor throws leaves the channel
// consistent: the message stays where it was, the operation that tried to
// move it gets the exception, and nothing is lost or duplicated.
#include <rill/rill.hpp>

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

