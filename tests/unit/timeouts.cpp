// Timed operations give up no earlier than asked and return in bounded time.
// Only the lower bound is exact; the upper bound is generous, because a
// loaded machine may delay any thread.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

TEST_CASE("timeouts: recv_timeout on an empty channel", "[timeouts]") {
  auto [tx, rx] = rill::channel<int>();
  const auto start = clock_type::now();
  auto r = rx.recv_timeout(30ms);
  const auto elapsed = clock_type::now() - start;
  REQUIRE_FALSE(r);
  CHECK(r.error() == rill::recv_timeout_error::timeout);
  CHECK(elapsed >= 30ms);
  CHECK(elapsed < 5s);
}

TEST_CASE("timeouts: send_timeout on a full channel", "[timeouts]") {
  const std::size_t capacity = GENERATE(as<std::size_t>{}, 0u, 1u);
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  if (capacity == 1) REQUIRE(tx.send(0));
  const auto start = clock_type::now();
  auto r = tx.send_timeout(9, 30ms);
  const auto elapsed = clock_type::now() - start;
  REQUIRE_FALSE(r);
  CHECK(r.error().is_timeout());
  CHECK(r.error().value == 9);
  CHECK(elapsed >= 30ms);
  CHECK(elapsed < 5s);
  CHECK(rx.size() == capacity);  // the timed-out message did not slip in
}

TEST_CASE("timeouts: deadlines on the system clock", "[timeouts]") {
  auto [tx, rx] = rill::channel<int>();
  const auto start = clock_type::now();
  auto r = rx.recv_deadline(std::chrono::system_clock::now() + 20ms);
  CHECK(r.error() == rill::recv_timeout_error::timeout);
  CHECK(clock_type::now() - start >= 19ms);  // the system clock's now() was read a little later
  auto [btx, brx] = rill::sync_channel<int>(0);
  CHECK(btx.send_deadline(1, clock_type::now() + 1ms).error().is_timeout());
}

TEST_CASE("timeouts: zero, negative and past deadlines do not block", "[timeouts]") {
  auto [tx, rx] = rill::channel<int>();
  CHECK(rx.recv_timeout(0ms).error() == rill::recv_timeout_error::timeout);
  CHECK(rx.recv_timeout(-5s).error() == rill::recv_timeout_error::timeout);
  CHECK(rx.recv_deadline(clock_type::now() - 1h).error() == rill::recv_timeout_error::timeout);
  REQUIRE(tx.send(1));
  CHECK(rx.recv_timeout(0ms).value() == 1);  // a ready message is taken even with no time left
}

TEST_CASE("timeouts: a huge timeout does not overflow into the past", "[timeouts]") {
  auto [tx, rx] = rill::channel<int>();
  std::thread producer([tx = std::move(tx)] { (void)tx.send(3); });
  CHECK(rx.recv_timeout(std::chrono::hours::max()).value() == 3);
  CHECK(rx.recv_timeout(std::chrono::nanoseconds::max()).error() == rill::recv_timeout_error::disconnected);
  producer.join();
}

TEST_CASE("timeouts: a message arriving before the deadline is received", "[timeouts]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  std::thread producer([tx = std::move(tx)] { (void)tx.send_timeout(5, 10s); });
  CHECK(rx.recv_timeout(10s).value() == 5);
  producer.join();
}
