// Timer channels: after, at, tick and never, alone and as select arms.
#include <rill/timers.hpp>

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace std::chrono_literals;
using rill::instant;

TEST_CASE("after delivers the instant it was due, once, and never disconnects", "[timers]") {
  const instant start = instant::clock::now();
  auto rx = rill::after(5ms);
  const auto due = rx.recv();
  REQUIRE(due);
  CHECK(*due >= start + 5ms);
  CHECK(instant::clock::now() >= *due);
  // Silent from then on, but not disconnected: a select arm on it never wins again.
  CHECK(rx.try_recv() == rill_test::try_empty);
  CHECK(rx.recv_timeout(2ms) == rill_test::timed_out);
}

TEST_CASE("after with no delay and at with a past instant deliver at once", "[timers]") {
  auto now = rill::after(0ms);
  CHECK(now.try_recv());
  auto negative = rill::after(-1s);
  CHECK(negative.try_recv());
  auto past = rill::at(std::chrono::system_clock::now() - 1h);
  CHECK(past.try_recv());
}

TEST_CASE("at delivers at the instant given", "[timers]") {
  const instant when = instant::clock::now() + 3ms;
  auto rx = rill::at(when);
  const auto due = rx.recv();
  REQUIRE(due);
  CHECK(*due == when);
  CHECK(instant::clock::now() >= when);
}

TEST_CASE("tick delivers the instants of successive periods", "[timers]") {
  const instant start = instant::clock::now();
  auto ticks = rill::tick(2ms);
  instant last = start;
  for (int i = 0; i < 5; ++i) {
    const auto t = ticks.recv();
    REQUIRE(t);
    CHECK(*t > last);
    // Every tick falls on the grid of periods from the first.
    CHECK((*t - start) >= 2ms);
    last = *t;
  }
}

TEST_CASE("tick skips the ticks nobody took instead of queueing them", "[timers]") {
  auto ticks = rill::tick(1ms);
  const auto first = ticks.recv();
  REQUIRE(first);
  // Twenty periods without receiving: at most one tick can be waiting.
  std::this_thread::sleep_for(20ms);
  CHECK(ticks.size() <= 1);
  const auto held = ticks.recv();
  const auto next = ticks.recv();
  REQUIRE(held);
  REQUIRE(next);
  // Later ticks keep to the grid of periods from the first.
  CHECK(*next > *held);
  CHECK((*held - *first) % 1ms == 0ns);
  CHECK((*next - *first) % 1ms == 0ns);
}

TEST_CASE("a tick's period must be positive", "[timers]") {
  CHECK_THROWS_AS(rill::tick(0ms), std::invalid_argument);
  CHECK_THROWS_AS(rill::tick(-5ms), std::invalid_argument);
}

TEST_CASE("timer channels are select arms: a deadline for a loop, and a never arm that cannot win",
          "[timers][select]") {
  auto [tx, rx] = rill::channel<int>();
  auto give_up = rill::after(5ms);
  auto nothing = rill::never<int>();
  int received = 0;
  for (;;) {
    auto r = rill::select(rill::recv(rx), rill::recv(nothing), rill::recv(give_up));
    REQUIRE(r.index() != 1);
    if (r.index() == 2) break;
    ++received;
  }
  CHECK(received == 0);
  CHECK(nothing.try_recv() == rill_test::try_empty);
  CHECK(nothing.recv_timeout(1ms) == rill_test::timed_out);
  CHECK_FALSE(nothing.is_closed());
}

TEST_CASE("timers whose receivers are gone are forgotten without waiting for their deadlines", "[timers]") {
  auto& service = rill::detail::timer_service::instance();
  const std::size_t before = service.pending();
  for (int i = 0; i < 500; ++i) (void)rill::after(1h);
  // Each drop closed its channel; the sweeps that adding triggers removed
  // them, so far fewer than 500 remain.
  CHECK(service.pending() < before + 130);
}
