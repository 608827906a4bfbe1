// Weak senders: they reach a channel without keeping it open.
#include <rill/channel.hpp>
#include <rill/fmt.hpp>

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <thread>

TEST_CASE("a weak sender upgrades while a sender exists, and is counted apart", "[weak_sender]") {
  auto [tx, rx] = rill::channel<int>();
  rill::weak_sender<int> weak = tx.downgrade();
  CHECK(tx.sender_count() == 1);
  CHECK(tx.weak_sender_count() == 1);
  CHECK(rx.weak_sender_count() == 1);
  {
    rill::weak_sender<int> copy = weak;
    CHECK(weak.weak_sender_count() == 2);
    auto strong = copy.upgrade();
    REQUIRE(strong);
    CHECK(tx.sender_count() == 2);
    REQUIRE(strong->send(1));
    CHECK(*strong == tx);
  }
  CHECK(tx.sender_count() == 1);
  CHECK(tx.weak_sender_count() == 1);
  CHECK(rx.recv() == 1);
}

TEST_CASE("a weak sender does not keep the channel open, and never revives it", "[weak_sender]") {
  auto [tx, rx] = rill::channel<int>();
  rill::weak_sender<int> weak = tx.downgrade();
  REQUIRE(tx.send(1));
  rill_test::drop(tx);
  // Receivers drain, then disconnect, with the weak sender still around.
  CHECK(rx.recv() == 1);
  CHECK(rx.recv() == rill_test::recv_disconnected);
  CHECK_FALSE(weak.upgrade());
  CHECK(weak.sender_count() == 0);
  CHECK(weak.weak_sender_count() == 1);
}

TEST_CASE("an upgrade of a channel closed explicitly gives a sender whose sends fail", "[weak_sender]") {
  auto [tx, rx] = rill::channel<int>();
  auto weak = tx.downgrade();
  rx.close();
  auto strong = weak.upgrade();
  REQUIRE(strong);
  CHECK(rill_test::refused(strong->try_send(2), rill::errc::disconnected, 2));
}

TEST_CASE("an empty weak sender upgrades to nothing and rejects observers", "[weak_sender]") {
  rill::weak_sender<int> empty;
  CHECK_FALSE(empty);
  CHECK_FALSE(empty.upgrade());
  CHECK_THROWS_AS(empty.sender_count(), std::logic_error);
  rill::sender<int> no_channel;
  CHECK_THROWS_AS(no_channel.downgrade(), std::logic_error);
}

TEST_CASE("upgrades racing with the last sender's drop either succeed on a live channel or fail",
          "[weak_sender][stress]") {
  for (std::size_t round = 0; round < 200 * rill_test::stress_scale; ++round) {
    auto [tx, rx] = rill::channel<int>();
    auto weak = tx.downgrade();
    std::thread dropper([tx = std::move(tx)]() mutable { rill_test::drop(tx); });
    bool sent = false;
    if (auto strong = weak.upgrade()) {
      // The upgrade won: the channel stays open while `strong` lives.
      REQUIRE(strong->send(static_cast<int>(round)));
      sent = true;
    }
    dropper.join();
    if (sent) CHECK(rx.recv() == static_cast<int>(round));
    CHECK(rx.recv() == rill_test::recv_disconnected);
  }
}
