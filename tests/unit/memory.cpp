// Heap use of channels, counted by replacing the global operator new and
// delete in this test program (which is why it is a program of its own).
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <thread>

namespace {
std::atomic<long> live_allocations{0};
std::atomic<long> total_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  live_allocations.fetch_add(1, std::memory_order_relaxed);
  total_allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  live_allocations.fetch_sub(1, std::memory_order_relaxed);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

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
