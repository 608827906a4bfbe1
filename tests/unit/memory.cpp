// Heap use of channels, counted by replacing the global operator new and
// delete in this test program (which is why it is a program of its own).
#include <rill/rill.hpp>

#include <asio/bind_executor.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <thread>

namespace {
std::atomic<long> live_allocations{0};
std::atomic<long> total_allocations{0};
}  // namespace

#include "support/replace_operator_new.hpp"  // declares the two functions defined here

void* rill_test_allocate(std::size_t size) noexcept {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p != nullptr) {
    live_allocations.fetch_add(1, std::memory_order_relaxed);
    total_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  return p;
}
void rill_test_free(void* p) noexcept {
  if (p == nullptr) return;
  live_allocations.fetch_sub(1, std::memory_order_relaxed);
  std::free(p);
}


TEST_CASE("memory: an unbounded channel gives its memory back after a burst", "[memory]") {
  auto [tx, rx] = rill::channel<std::uint64_t>();
  const long baseline = live_allocations.load();
  constexpr std::uint64_t burst = 200'000;
  for (std::uint64_t i = 0; i < burst; ++i) REQUIRE(tx.send(i));
  const long at_peak = live_allocations.load();
  CHECK(at_peak - baseline >= static_cast<long>(burst * sizeof(std::uint64_t) / 4096));
  for (std::uint64_t i = 0; i < burst; ++i) REQUIRE(rx.recv().value() == i);
  // What stays: the segment in use and the small spare cache.
  CHECK(live_allocations.load() - baseline <= 3);
}

TEST_CASE("memory: steady traffic allocates nothing per message", "[memory]") {
  const bool bounded = GENERATE(false, true);
  auto [tx, rx] = bounded ? rill::sync_channel<std::uint64_t>(64) : rill::channel<std::uint64_t>();
  // Warm up so that the segments and spares a steady flow needs exist.
  for (std::uint64_t i = 0; i < 64; ++i) REQUIRE(tx.send(i));
  for (std::uint64_t i = 0; i < 64; ++i) REQUIRE(rx.recv());
  const long before = total_allocations.load();
  for (std::uint64_t round = 0; round < 1000; ++round) {
    for (std::uint64_t i = 0; i < 50; ++i) REQUIRE(tx.send(i));
    for (std::uint64_t i = 0; i < 50; ++i) REQUIRE(rx.recv());
  }
  CHECK(total_allocations.load() - before == 0);
}

TEST_CASE("memory: blocking waits allocate nothing", "[memory]") {
  auto [tx, rx] = rill::sync_channel<std::uint64_t>(0);
  std::uint64_t received = 0;
  std::thread consumer([&received, rx = rx] {
    while (auto m = rx.recv()) received += *m;
  });
  for (std::uint64_t i = 0; i < 10; ++i) REQUIRE(tx.send(1));  // warm up the thread
  const long before = total_allocations.load();
  for (std::uint64_t i = 0; i < 1000; ++i) REQUIRE(tx.send(1));
  const long during = total_allocations.load() - before;
  tx = {};
  consumer.join();
  CHECK(received == 1010);
  CHECK(during == 0);
}

namespace {

/// Receives, sends the next number back into the same channel, and receives
/// again, until `left` runs out: one async receive and one async send per
/// round, with plain callbacks so that only rill's own allocations count.
struct echo_round {
  rill::sender<std::uint64_t> tx;
  rill::receiver<std::uint64_t> rx;
  asio::io_context* io;
  int* left;

  void operator()(std::error_code ec, std::uint64_t value) const {
    if (ec || --*left == 0) return;
    tx.async_send(value + 1, asio::bind_executor(*io, [](std::error_code, std::optional<std::uint64_t>) {}));
    rx.async_recv(asio::bind_executor(*io, *this));
  }
};

long allocations_per_round(rill::sender<std::uint64_t> tx, rill::receiver<std::uint64_t> rx, int rounds) {
  asio::io_context io;
  auto ignore = [](std::error_code, std::optional<std::uint64_t>) {};
  int warm_up = 100;
  tx.async_send(0, asio::bind_executor(io, ignore));
  rx.async_recv(asio::bind_executor(io, echo_round{tx, rx, &io, &warm_up}));
  io.run();  // fills the thread's recycling cache
  int left = rounds;
  const long before = total_allocations.load();
  tx.async_send(0, asio::bind_executor(io, ignore));
  rx.async_recv(asio::bind_executor(io, echo_round{tx, rx, &io, &left}));
  io.restart();
  io.run();
  const long allocations = total_allocations.load() - before;
  REQUIRE(left == 0);  // every round ran
  return allocations;
}

}  // namespace

TEST_CASE("memory: asynchronous operations allocate nothing in the steady state", "[memory][async]") {
  const auto capacity = GENERATE(as<std::size_t>{}, 0u, 1u, 16u);
  auto [tx, rx] = capacity == 16 ? rill::channel<std::uint64_t>() : rill::sync_channel<std::uint64_t>(capacity);
  const int rounds = 1000;
  const long allocations = allocations_per_round(tx, rx, rounds);
  INFO(allocations << " allocations in " << rounds << " rounds of one async send and one async receive");
  CHECK(allocations == 0);
}

namespace {

rill::task<std::uint64_t> child_value(std::uint64_t v) { co_return v + 1; }

/// `rounds` times: a child task awaited, and one message through each of
/// two channels between two tasks (one of them waits every round).
rill::task<void> task_rounds(rill::sender<std::uint64_t> out, rill::receiver<std::uint64_t> back, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    const std::uint64_t v = co_await child_value(static_cast<std::uint64_t>(i));
    co_await out.async_send(v, rill::use_task);
    (void)co_await back.async_recv(rill::use_task);
  }
}

rill::task<void> task_echo(rill::receiver<std::uint64_t> in, rill::sender<std::uint64_t> back) {
  for (;;) {
    auto [ec, v] = co_await in.async_recv(asio::experimental::as_tuple(rill::use_task));
    if (ec) co_return;
    co_await back.async_send(v, rill::use_task);
  }
}

/// Allocations of one run: two channels, the two tasks' spawns, `rounds`
/// rounds. The io_context is the caller's, so that its recycling caches
/// stay warm between runs.
long task_allocations(asio::io_context& io, int rounds) {
  const long before = total_allocations.load();
  {
    auto [out, in] = rill::sync_channel<std::uint64_t>(0);
    auto [back_tx, back_rx] = rill::sync_channel<std::uint64_t>(1);
    rill::spawn(io, task_echo(std::move(in), std::move(back_tx)), asio::detached);
    rill::spawn(io, task_rounds(std::move(out), std::move(back_rx), rounds), asio::detached);
  }
  io.restart();
  io.run();  // ends when task_rounds does: its sender goes, and the echo task sees disconnected
  return total_allocations.load() - before;
}

}  // namespace

TEST_CASE("memory: rill::task allocates nothing per child task or per channel operation", "[memory][task]") {
  // A run allocates the two channels (and the bounded one's buffer); the
  // frames, the spawns' states and their posts come from caches warmed by
  // the first run. What is measured: nothing grows with the rounds.
  asio::io_context io;
  (void)task_allocations(io, 100);
  const long few = task_allocations(io, 10);
  const long many = task_allocations(io, 10'000);
  INFO(few << " allocations for 10 rounds, " << many << " for 10000");
  CHECK(many == few);
  CHECK(many <= 3);
}

TEST_CASE("memory: a oneshot is one allocation, its value included", "[memory][oneshot]") {
  const int rounds = 1000;
  const long before = total_allocations.load();
  for (int i = 0; i < rounds; ++i) {
    auto [tx, rx] = rill::oneshot<std::uint64_t>();
    REQUIRE(std::move(tx).send(static_cast<std::uint64_t>(i)));
    REQUIRE(rx.recv().value() == static_cast<std::uint64_t>(i));
  }
  CHECK(total_allocations.load() - before == rounds);
}

TEST_CASE("memory: a watch's changes, waits and borrows allocate nothing", "[memory][watch]") {
  auto [tx, rx] = rill::watch<std::uint64_t>(0);
  const long before = total_allocations.load();
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    REQUIRE(tx.send(i));
    REQUIRE(rx.changed());
    REQUIRE(*rx.borrow() == i);
    tx.send_modify([](std::uint64_t& v) { ++v; });
    REQUIRE(*rx.borrow_and_update() == i + 1);
  }
  CHECK(total_allocations.load() - before == 0);
}
