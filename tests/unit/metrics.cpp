// Metrics: waiting senders and receivers, and the buffer's high-water mark.
#include <rill/channel.hpp>

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

using rill_test::eventually;

TEST_CASE("the high-water mark records the fullest the buffer has been, until reset", "[metrics]") {
  auto [tx, rx] = rill::channel<int>();
  CHECK(tx.high_water_mark() == 0);
  for (int i = 0; i < 5; ++i) REQUIRE(tx.send(i));
  CHECK(rx.high_water_mark() == 5);
  for (int i = 0; i < 3; ++i) REQUIRE(rx.recv());
  CHECK(tx.high_water_mark() == 5);
  rx.reset_high_water_mark();
  CHECK(rx.high_water_mark() == 2);
  REQUIRE(tx.send(5));
  CHECK(tx.high_water_mark() == 3);
}

TEST_CASE("a rendezvous channel's high-water mark stays 0", "[metrics]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  rill_test::scoped_threads threads;
  threads.spawn([rx = rx] { RILL_EXPECT(rx.recv() == 1); });
  REQUIRE(tx.send(1));
  REQUIRE(threads.join() == "");
  CHECK(tx.high_water_mark() == 0);
}

TEST_CASE("waiting senders and receivers are counted while they wait", "[metrics]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  CHECK(tx.waiting_senders() == 0);
  CHECK(rx.waiting_receivers() == 0);
  {
    rill_test::scoped_threads threads;
    for (int i = 0; i < 2; ++i) threads.spawn([rx = rx] { RILL_EXPECT(rx.recv()); });
    REQUIRE(eventually([&rx = rx] { return rx.waiting_receivers() == 2; }));
    CHECK(tx.waiting_receivers() == 2);
    REQUIRE(tx.send(1));
    REQUIRE(tx.send(2));
    REQUIRE(threads.join() == "");
  }
  CHECK(rx.waiting_receivers() == 0);
  {
    rill_test::scoped_threads threads;
    threads.spawn([tx = tx] { RILL_EXPECT(tx.send(3)); });
    REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 1; }));
    CHECK(rx.recv() == 3);
    REQUIRE(threads.join() == "");
  }
  CHECK(tx.waiting_senders() == 0);
}

TEST_CASE("a timed-out wait is no longer counted", "[metrics]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  using namespace std::chrono_literals;
  CHECK(rx.recv_timeout(1ms) == rill_test::timed_out);
  CHECK(rx.waiting_receivers() == 0);
  CHECK_FALSE(tx.send_timeout(1, 1ms));
  CHECK(tx.waiting_senders() == 0);
}
