// Every message is destroyed exactly once, whatever way its channel ends:
// buffered when the last receiver goes, held by a waiting sender when the
// channel disconnects, handed off through a rendezvous.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <thread>

#include "support/tracked.hpp"

using rill_test::tracked;

TEST_CASE("drop_accounting: buffered messages die with the last receiver", "[drops]") {
  tracked::counters counts;
  const bool bounded = GENERATE(false, true);
  auto [tx, rx] = bounded ? rill::sync_channel<tracked>(16) : rill::channel<tracked>();
  for (int i = 0; i < 10; ++i) REQUIRE(tx.send(tracked(counts, i)));
  REQUIRE(counts.live == 10);
  rx = {};  // the only receiver: buffered messages are destroyed now, not with the core
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == 10);
  auto failed = tx.send(tracked(counts, 99));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().value.payload == 99);  // handed back, not destroyed
  CHECK(counts.live == 1);
}

TEST_CASE("drop_accounting: buffered messages die with the last handle", "[drops]") {
  tracked::counters counts;
  {
    auto [tx, rx] = rill::channel<tracked>();
    for (int i = 0; i < 1000; ++i) REQUIRE(tx.send(tracked(counts, i)));
    for (int i = 0; i < 500; ++i) REQUIRE(rx.recv()->payload == i);
    tx = {};  // receivers can still drain
    CHECK(counts.live == 500);
  }
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == 1000);
}

TEST_CASE("drop_accounting: a sender blocked on a full channel gets its value back on disconnect", "[drops]") {
  tracked::counters counts;
  const std::size_t capacity = GENERATE(as<std::size_t>{}, 0u, 1u, 4u);
  auto [tx, rx] = rill::sync_channel<tracked>(capacity);
  for (std::size_t i = 0; i < capacity; ++i) REQUIRE(tx.try_send(tracked(counts, static_cast<int>(i))));
  int handed_back = -2;
  std::thread blocked([&, tx = tx] { handed_back = tx.send(tracked(counts, 7)).error().value.payload; });
  rx = {};  // wakes the blocked sender whenever it gets to wait
  blocked.join();
  CHECK(handed_back == 7);
  tx = {};
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == static_cast<long>(capacity) + 1);
}

TEST_CASE("drop_accounting: a rendezvous hand-off destroys each message once", "[drops]") {
  tracked::counters counts;
  auto [tx, rx] = rill::sync_channel<tracked>(0);
  std::thread producer([&counts, tx = std::move(tx)] {
    for (int i = 0; i < 100; ++i) (void)tx.send(tracked(counts, i));
  });
  int expected = 0;
  for (tracked& m : rx) CHECK(m.payload == expected++);
  producer.join();
  CHECK(expected == 100);
  CHECK(counts.destroyed_with_payload == 100);
  CHECK(counts.live == 0);
}

TEST_CASE("drop_accounting: closing keeps buffered messages for the receivers", "[drops]") {
  tracked::counters counts;
  auto [tx, rx] = rill::sync_channel<tracked>(8);
  for (int i = 0; i < 5; ++i) REQUIRE(tx.send(tracked(counts, i)));
  rx.close();
  CHECK(counts.live == 5);
  for (int i = 0; i < 5; ++i) CHECK(rx.recv()->payload == i);
  CHECK_FALSE(rx.recv());
  CHECK(counts.destroyed_with_payload == 5);
  CHECK(counts.live == 0);
}

TEST_CASE("drop_accounting: a message whose destructor drops a handle of its own channel", "[drops]") {
  // Regression guard: buffered messages are destroyed outside the channel's
  // lock, so a message may own a handle of the very channel it sits in.
  tracked::counters counts;
  struct owns_sender {
    rill::sender<owns_sender> tx;
    tracked marker;
  };
  auto [tx, rx] = rill::channel<owns_sender>();
  REQUIRE(tx.send(owns_sender{tx, tracked(counts, 1)}));
  REQUIRE(tx.sender_count() == 2);
  tx = {};
  CHECK(counts.live == 1);
  rx = {};  // destroys the message, whose sender is the last handle: the core goes with it
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == 1);
}
