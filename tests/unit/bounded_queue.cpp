// bounded_queue: the P0260 concurrent-queue interface over a channel. The
// cases follow the proposal's uses: a producer closing a queue its
// consumers drain, the non-blocking forms and their status values, the
// error_code overloads.
#include <rill/bounded_queue.hpp>

#include "support/test_support.hpp"
#include "support/tracked.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

TEST_CASE("bounded_queue: a producer pushes and closes, a consumer pops until the queue is closed and drained",
          "[bounded_queue][patterns]") {
  constexpr int count = 1000;
  rill::bounded_queue<int> q(8);
  std::thread producer([&q] {
    for (int i = 1; i <= count; ++i) RILL_EXPECT(q.push(i));
    q.close();
  });
  long sum = 0;
  int popped = 0;
  while (auto v = q.pop()) {
    sum += *v;
    ++popped;
  }
  producer.join();
  CHECK(popped == count);
  CHECK(sum == long{count} * (count + 1) / 2);
  std::error_code ec;
  CHECK_FALSE(q.pop(ec));
  CHECK(ec == rill::conqueue_errc::closed);
}

TEST_CASE("bounded_queue: several producers and consumers share one queue", "[bounded_queue][multiple_senders]") {
  constexpr int per_producer = 500;
  rill::bounded_queue<int> q(4);
  std::atomic<long> sum{0};
  {
    rill_test::scoped_threads consumers;
    for (int c = 0; c < 3; ++c)
      consumers.spawn([&] {
        while (auto v = q.pop()) sum += *v;
      });
    {
      rill_test::scoped_threads producers;
      for (int p = 0; p < 4; ++p)
        producers.spawn([&q] {
          for (int i = 1; i <= per_producer; ++i) RILL_EXPECT(q.push(i));
        });
      REQUIRE(producers.join() == "");
    }
    q.close();
    REQUIRE(consumers.join() == "");
  }
  CHECK(sum == 4L * per_producer * (per_producer + 1) / 2);
}

TEST_CASE("bounded_queue: try_push and try_pop report full, empty and closed without blocking", "[bounded_queue]") {
  rill::bounded_queue<std::string> q(1);
  std::error_code ec;
  CHECK_FALSE(q.try_pop(ec));
  CHECK(ec == rill::conqueue_errc::empty);
  std::string first = "first";
  CHECK(q.try_push(std::move(first), ec));
  CHECK(ec == rill::conqueue_errc::success);
  CHECK_FALSE(ec);
  std::string second = "second";
  CHECK_FALSE(q.try_push(std::move(second), ec));
  CHECK(ec == rill::conqueue_errc::full);
  CHECK(second == "second");  // a failed push leaves its argument alone
  const std::string third = "third";
  CHECK_FALSE(q.try_push(third, ec));
  CHECK(ec == rill::conqueue_errc::full);
  q.close();
  CHECK(q.is_closed());
  CHECK_FALSE(q.try_push(std::move(second), ec));
  CHECK(ec == rill::conqueue_errc::closed);
  // Closing keeps what the queue holds.
  auto v = q.try_pop(ec);
  REQUIRE(v);
  CHECK(*v == "first");
  CHECK_FALSE(q.try_pop(ec));
  CHECK(ec == rill::conqueue_errc::closed);
}

TEST_CASE("bounded_queue: a push on a closed queue fails and keeps its argument", "[bounded_queue]") {
  rill::bounded_queue<std::unique_ptr<int>> q(2);
  q.close();
  auto p = std::make_unique<int>(5);
  CHECK_FALSE(q.push(std::move(p)));
  REQUIRE(p);
  std::error_code ec;
  CHECK_FALSE(q.push(std::move(p), ec));
  CHECK(ec == rill::conqueue_errc::closed);
  CHECK(*p == 5);
  CHECK_FALSE(q.emplace(std::make_unique<int>(6)));
}

TEST_CASE("bounded_queue: close wakes a push blocked on a full queue", "[bounded_queue]") {
  rill::bounded_queue<int> q(1);
  REQUIRE(q.push(1));
  std::thread closer([&q] {
    if (rill_test::eventually([&q] { return q.as_channel().first.waiting_senders() == 1; })) q.close();
  });
  std::error_code ec;
  CHECK_FALSE(q.push(2, ec));
  closer.join();
  CHECK(ec == rill::conqueue_errc::closed);
  CHECK(q.pop() == 1);
  CHECK_FALSE(q.pop());
}

TEST_CASE("bounded_queue: emplace, copies, and every element destroyed once", "[bounded_queue]") {
  rill_test::tracked::counters counters;
  {
    rill::bounded_queue<rill_test::tracked> q(4);
    CHECK(q.emplace(counters, 1));
    const rill_test::tracked two(counters, 2);
    CHECK(q.push(two));
    CHECK(q.pop()->payload == 1);
    // One left in the queue when it is destroyed.
  }
  CHECK(counters.live == 0);
  CHECK(counters.destroyed_with_payload == 3);
}

TEST_CASE("bounded_queue: the status values form an error category", "[bounded_queue][error]") {
  const std::error_code full = rill::conqueue_errc::full;
  CHECK(full.category() == rill::conqueue_category());
  CHECK(std::string(full.category().name()) == "conqueue");
  CHECK(full.message() == "queue full");
  CHECK(rill::make_error_code(rill::conqueue_errc::closed).message() == "queue closed");
  CHECK(rill::make_error_code(rill::conqueue_errc::empty).message() == "queue empty");
  CHECK_FALSE(rill::make_error_code(rill::conqueue_errc::success));
}

TEST_CASE("bounded_queue: a queue that can hold nothing is refused", "[bounded_queue]") {
  CHECK_THROWS_AS(rill::bounded_queue<int>(0), std::invalid_argument);
}
