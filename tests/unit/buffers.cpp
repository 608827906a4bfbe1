// The two buffer kinds on their own: ring_buffer (bounded channels) and
// segmented_list (unbounded channels), with the same skeleton of cases.
#include <rill/detail/ring_buffer.hpp>
#include <rill/detail/segmented_list.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "support/tracked.hpp"

using rill::detail::ring_buffer;
using rill::detail::segmented_list;
using rill_test::tracked;

TEST_CASE("ring_buffer: keeps FIFO order across the wrap-around", "[buffers]") {
  ring_buffer<int> ring(3);
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 10; ++round) {
    while (!ring.full()) ring.emplace_back(next_in++);
    CHECK(ring.size() == 3);
    for (int i = 0; i < 2; ++i) {
      CHECK(ring.front() == next_out++);
      ring.pop_front();
    }
  }
  CHECK(ring.size() == 1);
  CHECK(ring.capacity() == 3);
}

TEST_CASE("ring_buffer: destroys what it holds exactly once", "[buffers]") {
  tracked::counters counts;
  {
    ring_buffer<tracked> ring(4);
    for (int i = 0; i < 4; ++i) ring.emplace_back(counts, i);
    ring.pop_front();
    ring_buffer<tracked> moved(std::move(ring));
    CHECK(ring.empty());
    CHECK(moved.size() == 3);
  }
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == 4);
}

TEST_CASE("segmented_list: keeps FIFO order across segments", "[buffers]") {
  segmented_list<std::string> list;
  const int n = static_cast<int>(segmented_list<std::string>::segment_capacity) * 5 + 3;
  for (int i = 0; i < n; ++i) list.emplace_back(std::to_string(i));
  CHECK(list.size() == static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    REQUIRE(list.front() == std::to_string(i));
    list.pop_front();
  }
  CHECK(list.empty());
}

TEST_CASE("segmented_list: gives segments back after a burst", "[buffers]") {
  segmented_list<std::uint64_t> list;
  constexpr std::size_t per_segment = segmented_list<std::uint64_t>::segment_capacity;
  for (std::size_t i = 0; i < per_segment * 100; ++i) list.emplace_back(i);
  CHECK(list.allocated_segments() == 100);
  while (!list.empty()) list.pop_front();
  // One segment stays in use (rewound, empty) plus at most the spare cache.
  CHECK(list.allocated_segments() <= 1 + segmented_list<std::uint64_t>::max_spare_segments);
}

TEST_CASE("segmented_list: alternating push and pop never grows", "[buffers]") {
  segmented_list<int> list;
  for (int i = 0; i < 100000; ++i) {
    list.emplace_back(i);
    REQUIRE(list.front() == i);
    list.pop_front();
  }
  CHECK(list.allocated_segments() == 1);
}

TEST_CASE("segmented_list: destroys what it holds exactly once", "[buffers]") {
  tracked::counters counts;
  {
    segmented_list<tracked> list;
    for (int i = 0; i < 1000; ++i) list.emplace_back(counts, i);
    for (int i = 0; i < 300; ++i) list.pop_front();
    segmented_list<tracked> moved;
    moved = std::move(list);
    CHECK(moved.size() == 700);
  }
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == 1000);
}

TEST_CASE("segmented_list: a throwing constructor leaves the list unchanged", "[buffers]") {
  struct explosive {
    explicit explosive(bool fail) {
      if (fail) throw std::runtime_error("boom");
    }
  };
  segmented_list<explosive> list;
  constexpr std::size_t per_segment = segmented_list<explosive>::segment_capacity;
  for (std::size_t i = 0; i < per_segment; ++i) list.emplace_back(false);
  // The next element starts a new segment: the failure must release it.
  CHECK_THROWS(list.emplace_back(true));
  CHECK(list.size() == per_segment);
  CHECK(list.allocated_segments() == 2);  // the fresh segment went to the spare cache, not astray
  list.emplace_back(false);
  CHECK(list.allocated_segments() == 2);  // and is the one used next
}
