// Batches: send_many, try_send_many, try_recv_many and emplace.
#include <rill/channel.hpp>
#include <rill/fmt.hpp>

#include "support/test_support.hpp"
#include "support/tracked.hpp"

#include <catch2/catch.hpp>

#include <list>
#include <memory>
#include <numeric>
#include <ranges>
#include <string>
#include <vector>

using rill_test::eventually;

TEST_CASE("try_send_many sends what fits under one lock and leaves the rest untouched", "[batch]") {
  rill_test::tracked::counters counters;
  {
    auto [tx, rx] = rill::sync_channel<rill_test::tracked>(3);
    std::vector<rill_test::tracked> batch;
    for (int i = 0; i < 5; ++i) batch.emplace_back(counters, i);
    CHECK(tx.try_send_many(batch) == 3);
    // The sent prefix is moved from, the rest handed back as it was.
    CHECK(batch[0].payload == rill_test::tracked::moved_from);
    CHECK(batch[2].payload == rill_test::tracked::moved_from);
    CHECK(batch[3].payload == 3);
    CHECK(batch[4].payload == 4);
    CHECK(tx.try_send_many(std::span(batch).subspan(3)) == 0);
    CHECK(rx.size() == 3);
    for (int i = 0; i < 3; ++i) CHECK(rx.try_recv()->payload == i);
  }
  CHECK(counters.live == 0);
}

TEST_CASE("try_send_many on an unbounded channel sends everything; on a closed one nothing", "[batch]") {
  auto [tx, rx] = rill::channel<std::string>();
  std::vector<std::string> words{"a", "b", "c"};
  CHECK(tx.try_send_many(words) == 3);
  CHECK(rx.size() == 3);
  tx.close();
  std::vector<std::string> more{"d"};
  CHECK(tx.try_send_many(more) == 0);
  CHECK(more[0] == "d");
  CHECK(rx.recv() == "a");
}

TEST_CASE("a batch of values of another type is converted, and from a single-pass range too", "[batch]") {
  auto [tx, rx] = rill::channel<long>();
  CHECK(tx.try_send_many(std::views::iota(0, 4)) == 4);
  const std::list<int> ints{10, 11};
  CHECK(tx.send_many(ints) == 2);
  std::vector<long> out;
  CHECK(rx.try_recv_many(out, 100) == 6);
  CHECK(out == std::vector<long>{0, 1, 2, 3, 10, 11});
}

TEST_CASE("send_many blocks for room and delivers every value in order", "[batch]") {
  constexpr int count = 1000;
  auto [tx, rx] = rill::sync_channel<int>(16);
  rill_test::scoped_threads threads;
  std::vector<int> received;
  threads.spawn([&, rx = rx] {
    std::vector<int> chunk;
    while (rx.recv_many(chunk, 7) != 0) {
    }
    received = std::move(chunk);
  });
  std::vector<int> values(count);
  std::iota(values.begin(), values.end(), 0);
  CHECK(tx.send_many(values) == count);
  rill_test::drop(tx);
  REQUIRE(threads.join() == "");
  std::vector<int> expected(count);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(received == expected);
}

TEST_CASE("send_many stops at a disconnection and hands back the values it did not send", "[batch]") {
  auto [tx, rx] = rill::sync_channel<std::unique_ptr<int>>(2);
  std::vector<std::unique_ptr<int>> values;
  for (int i = 0; i < 5; ++i) values.push_back(std::make_unique<int>(i));
  rill_test::scoped_threads threads;
  threads.spawn([rx = std::move(rx)]() mutable {
    // Let the sender fill the buffer and wait, then drop the only receiver.
    RILL_EXPECT(eventually([&] { return rx.waiting_senders() == 1; }));
    rill_test::drop(rx);
  });
  CHECK(tx.send_many(values) == 2);
  REQUIRE(threads.join() == "");
  CHECK_FALSE(values[1]);
  for (int i = 2; i < 5; ++i) {
    REQUIRE(values[static_cast<std::size_t>(i)]);
    CHECK(*values[static_cast<std::size_t>(i)] == i);
  }
}

TEST_CASE("send_many with a stop token ends on the stop with the rest handed back", "[batch][stop_token]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  std::vector<int> values{1, 2, 3};
  std::stop_source source;
  std::jthread stopper([&source, &tx = tx] {
    if (eventually([&] { return tx.waiting_senders() == 1; })) source.request_stop();
  });
  CHECK(tx.send_many(values, source.get_token()) == 1);
  CHECK(rx.try_recv() == 1);
  CHECK(rx.try_recv() == rill_test::try_empty);
}

TEST_CASE("a batch wakes a waiting receiver and the rest stays buffered in order", "[batch]") {
  auto [tx, rx] = rill::channel<int>();
  rill_test::scoped_threads threads;
  int first = -1;
  threads.spawn([&, rx = rx] { first = rx.recv().value(); });
  REQUIRE(eventually([&rx = rx] { return rx.waiting_receivers() == 1; }));
  std::vector<int> values{1, 2, 3};
  CHECK(tx.try_send_many(values) == 3);
  REQUIRE(threads.join() == "");
  CHECK(first == 1);
  std::vector<int> rest;
  CHECK(rx.try_recv_many(rest, 10) == 2);
  CHECK(rest == std::vector<int>{2, 3});
}

TEST_CASE("try_recv_many takes at most max without blocking", "[batch]") {
  auto [tx, rx] = rill::channel<int>();
  std::vector<int> out;
  CHECK(rx.try_recv_many(out, 4) == 0);
  for (int i = 0; i < 6; ++i) REQUIRE(tx.send(i));
  CHECK(rx.try_recv_many(out, 4) == 4);
  CHECK(rx.try_recv_many(out, 0) == 0);
  CHECK(rx.try_recv_many(out, 4) == 2);
  CHECK(out == std::vector<int>{0, 1, 2, 3, 4, 5});
  rill_test::drop(tx);
  CHECK(rx.try_recv_many(out, 4) == 0);
  CHECK(rx.is_closed());
}

namespace {

/// Counts how it was made: emplace must construct in place, without a move.
struct constructed_once {
  int a;
  std::string b;
  inline static int moves = 0;
  constructed_once(int x, std::string y) : a(x), b(std::move(y)) {}
  constructed_once(constructed_once&& o) noexcept : a(o.a), b(std::move(o.b)) { ++moves; }
};

}  // namespace

TEST_CASE("emplace constructs the message in the channel's buffer", "[batch][emplace]") {
  constructed_once::moves = 0;
  auto [tx, rx] = rill::sync_channel<constructed_once>(2);
  REQUIRE(tx.emplace(1, "one"));
  CHECK(constructed_once::moves == 0);
  auto m = rx.try_recv();
  REQUIRE(m);
  CHECK(m->a == 1);
  CHECK(m->b == "one");
}

TEST_CASE("emplace falls back to a send when the value cannot go into the buffer", "[batch][emplace]") {
  SECTION("a receiver waits on a rendezvous channel") {
    auto [tx, rx] = rill::sync_channel<std::string>(0);
    rill_test::scoped_threads threads;
    std::string got;
    threads.spawn([&, rx = rx] { got = rx.recv().value(); });
    REQUIRE(tx.emplace(3, 'x'));
    REQUIRE(threads.join() == "");
    CHECK(got == "xxx");
  }
  SECTION("the channel is closed: the constructed message is handed back") {
    auto [tx, rx] = rill::channel<std::string>();
    rx.close();
    auto r = tx.emplace(2, 'y');
    REQUIRE_FALSE(r);
    CHECK(r.error().value == "yy");
  }
}
