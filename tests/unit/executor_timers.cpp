// Timer channels driven by an Asio timer on an executor: after, at and tick.
#include <rill/rill.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <thread>

#include "support/test_support.hpp"

using namespace std::chrono_literals;
using rill::instant;

TEST_CASE("executor timers: after and at deliver their instant once the executor runs, and only then",
          "[timers][executor_timers]") {
  asio::io_context io;
  // A timer already due when it is made sends at once (checked last). These
  // two must be made before their deadlines, which a preempted test thread
  // can miss: then the attempt is made again. Timers of a failed attempt
  // end, unreceived, when io runs.
  instant start;
  rill::receiver<instant> soon;
  rill::receiver<instant> when;
  do {
    start = instant::clock::now();
    soon = rill::after(io, 2ms);
    when = rill::at(io.get_executor(), start + 3ms);
  } while (instant::clock::now() >= start + 2ms);
  std::this_thread::sleep_until(start + 5ms);
  // Due, but nobody ran the timers: no message, and no timer thread sent one.
  CHECK(soon.try_recv() == rill_test::try_empty);
  CHECK(when.try_recv() == rill_test::try_empty);
  io.run();  // returns once both timers have fired and ended
  const auto a = soon.try_recv();
  const auto b = when.try_recv();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a >= start + 2ms);
  CHECK(*b == start + 3ms);
  CHECK(soon.try_recv() == rill_test::try_empty);  // once only, and never disconnected
  auto now = rill::after(io, 0ms);                  // due already: sent at once
  CHECK(now.try_recv());
}

TEST_CASE("executor timers: a tick on an io_context drives a coroutine's loop, on the grid of its period",
          "[timers][executor_timers][task]") {
  asio::io_context io;
  const instant start = instant::clock::now();
  auto ticks = rill::tick(io, 2ms);
  std::vector<instant> seen;
  bool done = false;
  rill::spawn(
      io,
      [](rill::receiver<instant> ticks, std::vector<instant>& seen) -> rill::task<void> {
        for (int i = 0; i < 5; ++i) seen.push_back(co_await ticks.async_recv(rill::use_task));
      }(std::move(ticks), seen),
      [&](std::exception_ptr e) { done = e == nullptr; });
  // The coroutine drops its receiver when it ends; the timer then ends at
  // its next tick, and run() returns.
  io.run();
  CHECK(done);
  REQUIRE(seen.size() == 5);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i] > start);
    CHECK((seen[i] - seen[0]) % 2ms == 0ns);
    if (i != 0) CHECK(seen[i] > seen[i - 1]);
  }
}

TEST_CASE("executor timers: a tick nobody takes holds one message and skips the rest", "[timers][executor_timers]") {
  asio::io_context io;
  auto ticks = rill::tick(io, 1ms);
  // Twenty periods of the executor running without a receive.
  asio::steady_timer pause(io, 20ms);
  pause.async_wait([&](std::error_code) { io.stop(); });
  io.run();
  CHECK(ticks.size() == 1);
  const auto held = ticks.try_recv();
  REQUIRE(held);
  io.restart();
  asio::post(io, [&] {});
  const auto next = [&] {
    for (;;) {
      io.run_one();
      if (auto t = ticks.try_recv()) return *t;
    }
  }();
  CHECK(next > *held);
  CHECK((next - *held) % 1ms == 0ns);
}

TEST_CASE("executor timers: destroying the context ends a pending timer; a bad period is refused",
          "[timers][executor_timers]") {
  rill::receiver<instant> rx;
  {
    asio::io_context io;
    rx = rill::after(io, 1h);
    io.poll();
  }  // the pending wait's handler, which owns the timer's sender, is destroyed
  CHECK(rx.try_recv() == rill_test::try_empty);
  CHECK(rx.sender_count() == 1);  // the count no handle owns: a timer channel never disconnects
  asio::io_context io;
  CHECK_THROWS_AS(rill::tick(io, 0ms), std::invalid_argument);
}
