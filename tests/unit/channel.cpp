// Handles, closing, iteration and batch receive, for every buffer kind.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/test_support.hpp"

using rill_test::channel_kind;
using rill_test::make_channel;

namespace {
auto all_kinds() { return Catch::Generators::values({channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous}); }
}  // namespace

TEST_CASE("basic_channel: a message sent is the message received", "[channel]") {
  const auto kind = GENERATE(all_kinds());
  auto [tx, rx] = make_channel<std::string>(kind);
  bool sent = false;
  std::thread producer([&sent, tx = tx] { sent = tx.send("hello").has_value(); });
  CHECK(rx.recv().value() == "hello");
  producer.join();
  CHECK(sent);
}

TEST_CASE("basic_channel: capacity and size describe the buffer", "[channel]") {
  auto [utx, urx] = rill::channel<int>();
  CHECK_FALSE(utx.capacity().has_value());
  auto [btx, brx] = rill::sync_channel<int>(3);
  CHECK(brx.capacity() == 3u);
  REQUIRE(btx.send(1));
  REQUIRE(btx.send(2));
  CHECK(btx.size() == 2);
  CHECK(brx.size() == 2);
  auto [ztx, zrx] = rill::sync_channel<int>(0);
  CHECK(zrx.capacity() == 0u);
  CHECK(ztx.try_send(1).error().is_full());  // nobody waiting to take it
}

TEST_CASE("basic_channel: handle counts follow copies and moves", "[channel]") {
  auto [tx, rx] = rill::channel<int>();
  CHECK(tx.sender_count() == 1);
  CHECK(tx.receiver_count() == 1);
  {
    auto tx2 = tx;
    auto rx2 = rx;
    auto rx3 = std::move(rx2);
    CHECK(tx.sender_count() == 2);
    CHECK(rx.receiver_count() == 2);
    CHECK(tx2 == tx);
    CHECK(rx3 == rx);
    CHECK_FALSE(rx2);
  }
  CHECK(tx.sender_count() == 1);
  CHECK(rx.receiver_count() == 1);
  auto [other_tx, other_rx] = rill::channel<int>();
  CHECK_FALSE(other_tx == tx);
}

TEST_CASE("basic_channel: an empty handle reports misuse instead of crashing", "[channel]") {
  rill::sender<int> tx;
  rill::receiver<int> rx;
  CHECK_FALSE(tx);
  CHECK_THROWS_AS(tx.send(1), std::logic_error);
  CHECK_THROWS_AS(rx.try_recv(), std::logic_error);
  auto [real_tx, real_rx] = rill::channel<int>();
  auto moved = std::move(real_tx);
  CHECK_THROWS_WITH(real_tx.send(1), Catch::Contains("moved-from"));
  CHECK(moved.send(1));
}

TEST_CASE("basic_channel: the last sender gone, receivers drain then see disconnected", "[channel]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded);
  auto [tx, rx] = make_channel<int>(kind);
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  auto tx2 = tx;
  tx = {};
  CHECK_FALSE(rx.is_closed());  // a sender is left
  tx2 = {};
  CHECK(rx.is_closed());
  CHECK(rx.recv().value() == 1);
  CHECK(rx.try_recv().value() == 2);
  CHECK(rx.try_recv().error() == rill::try_recv_error::disconnected);
  CHECK_FALSE(rx.recv());
  CHECK(rx.recv_timeout(std::chrono::hours(1)).error() == rill::recv_timeout_error::disconnected);
}

TEST_CASE("basic_channel: close from either side refuses sends and keeps the buffer", "[channel]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded);
  const bool close_from_receiver = GENERATE(false, true);
  auto [tx, rx] = make_channel<int>(kind);
  REQUIRE(tx.send(1));
  if (close_from_receiver)
    rx.close();
  else
    tx.close();
  tx.close();  // idempotent
  CHECK(tx.is_closed());
  auto refused = tx.send(2);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().value == 2);
  CHECK(tx.try_send(3).error().is_disconnected());
  CHECK(rx.recv().value() == 1);
  CHECK_FALSE(rx.recv());
}

TEST_CASE("basic_channel: close wakes blocked senders and receivers", "[channel]") {
  const auto kind = GENERATE(channel_kind::bounded, channel_kind::rendezvous);
  auto [tx, rx] = make_channel<int>(kind, 1);
  if (kind == channel_kind::bounded) REQUIRE(tx.send(0));  // now full
  int handed_back = -1;
  std::thread blocked_sender([&handed_back, tx = tx] {
    auto r = tx.send(42);
    if (!r) handed_back = r.error().value;
  });
  auto [etx, erx] = rill::channel<int>();
  bool receiver_failed = false;
  std::thread blocked_receiver([&receiver_failed, erx = erx] { receiver_failed = !erx.recv(); });
  rx.close();
  etx.close();
  blocked_sender.join();
  blocked_receiver.join();
  CHECK(handed_back == 42);
  CHECK(receiver_failed);
  if (kind == channel_kind::bounded) CHECK(rx.recv().value() == 0);
  CHECK_FALSE(rx.recv());
}

TEST_CASE("basic_channel: the last receiver gone, senders fail at once", "[channel]") {
  const auto kind = GENERATE(all_kinds());
  auto [tx, rx] = make_channel<int>(kind);
  rx = {};
  CHECK(tx.is_closed());
  CHECK(tx.send(1).error().value == 1);
  CHECK(tx.send_timeout(2, std::chrono::hours(1)).error().is_disconnected());
}

TEST_CASE("basic_channel: blocking iteration ends when the senders are gone", "[channel]") {
  const auto kind = GENERATE(all_kinds());
  auto [tx, rx] = make_channel<int>(kind);
  std::thread producer([tx = std::move(tx)] {
    for (int i = 0; i < 1000; ++i) (void)tx.send(i);
  });
  int expected = 0;
  for (int& m : rx) CHECK(m == expected++);
  producer.join();
  CHECK(expected == 1000);
}

TEST_CASE("basic_channel: try_iter takes what is ready and stops", "[channel]") {
  auto [tx, rx] = rill::channel<int>();
  for (int i = 0; i < 5; ++i) REQUIRE(tx.send(i));
  std::vector<int> got;
  for (int m : rx.try_iter()) got.push_back(m);
  CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(rx.try_iter().begin() == std::default_sentinel);
  CHECK_FALSE(rx.is_closed());
}

TEST_CASE("basic_channel: recv_many takes a batch in order", "[channel]") {
  auto [tx, rx] = rill::sync_channel<int>(4);
  std::thread producer([tx = std::move(tx)] {
    for (int i = 0; i < 100; ++i) (void)tx.send(i);
  });
  std::vector<int> got;
  while (std::size_t n = rx.recv_many(got, 7)) CHECK(n <= 7);
  producer.join();
  REQUIRE(got.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(got[static_cast<std::size_t>(i)] == i);
  CHECK(rx.recv_many(got, 0) == 0);
}

TEST_CASE("basic_channel: move-only and non-default-constructible messages", "[channel]") {
  struct no_default {
    explicit no_default(int v) : value(v) {}
    no_default(no_default&&) = default;
    no_default& operator=(no_default&&) = default;
    int value;
  };
  const auto kind = GENERATE(all_kinds());
  auto [tx, rx] = make_channel<no_default>(kind);
  std::thread producer([tx = std::move(tx)] { (void)tx.send(no_default(5)); });
  CHECK(rx.recv()->value == 5);
  producer.join();
  auto [ptx, prx] = rill::channel<std::unique_ptr<int>>();
  REQUIRE(ptx.send(std::make_unique<int>(7)));
  CHECK(**prx.recv() == 7);
}

TEST_CASE("basic_channel: per-sender order holds with many senders and receivers", "[channel][multiple_senders]") {
  const auto kind = GENERATE(all_kinds());
  constexpr int producers = 4, consumers = 3, per_producer = 2000 * static_cast<int>(rill_test::stress_scale);
  auto [tx, rx] = make_channel<std::pair<int, int>>(kind, 16);
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([p, tx = tx] {
      for (int i = 0; i < per_producer; ++i) (void)tx.send({p, i});
    });
  tx = {};
  std::vector<std::vector<std::pair<int, int>>> received(consumers);
  for (int c = 0; c < consumers; ++c)
    threads.emplace_back([&mine = received[static_cast<std::size_t>(c)], rx = rx] {
      for (auto& m : rx) mine.push_back(m);
    });
  for (auto& t : threads) t.join();
  std::vector<int> count(producers, 0);
  for (auto& mine : received) {
    std::vector<int> last(producers, -1);
    for (auto [p, i] : mine) {
      CHECK(i > last[static_cast<std::size_t>(p)]);  // each consumer sees a producer's messages in order
      last[static_cast<std::size_t>(p)] = i;
      ++count[static_cast<std::size_t>(p)];
    }
  }
  for (int c : count) CHECK(c == per_producer);
}
