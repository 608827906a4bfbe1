// Overflow policies of bounded channels and the undelivered hook: a send on
// a full channel under a dropping policy succeeds at once, and every message
// dropped (or discarded with the last receiver) reaches the hook, or is
// counted and destroyed, exactly once. Behaviours after Kotlin's buffer
// overflow and conflated channel tests, in rill's terms.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <asio/bind_executor.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#endif

#include "support/test_support.hpp"
#include "support/tracked.hpp"
#include "support/watchdog.hpp"

using rill_test::tracked;

namespace {

/// A hook that records what it is given, from any thread.
struct recorder {
  std::mutex mutex;
  std::vector<int> seen;

  rill::undelivered_hook<int> hook() {
    return [this](int&& v) {
      std::lock_guard lock(mutex);
      seen.push_back(v);
    };
  }
  std::vector<int> values() {
    std::lock_guard lock(mutex);
    return seen;
  }
};

std::vector<int> drain(const rill::receiver<int>& rx) {
  std::vector<int> out;
  while (auto v = rx.try_recv()) out.push_back(*v);
  return out;
}

}  // namespace

TEST_CASE("overflow: drop_oldest makes room by dropping the oldest buffered message", "[overflow]") {
  recorder dropped;
  auto [tx, rx] = rill::sync_channel<int>(2, rill::overflow::drop_oldest, dropped.hook());
  for (int i = 1; i <= 4; ++i) REQUIRE(tx.try_send(i));  // never full for a sender
  CHECK(drain(rx) == std::vector<int>{3, 4});
  CHECK(dropped.values() == std::vector<int>{1, 2});
  CHECK(tx.undelivered_count() == 2);
  CHECK(rx.overflow_policy() == rill::overflow::drop_oldest);
}

TEST_CASE("overflow: drop_newest keeps what is buffered and drops the new message", "[overflow]") {
  recorder dropped;
  auto [tx, rx] = rill::sync_channel<int>(2, rill::overflow::drop_newest, dropped.hook());
  for (int i = 1; i <= 4; ++i) REQUIRE(tx.send(i));
  CHECK(drain(rx) == std::vector<int>{1, 2});
  CHECK(dropped.values() == std::vector<int>{3, 4});
  CHECK(rx.undelivered_count() == 2);
}

TEST_CASE("overflow: keep_latest drops everything buffered and keeps the new message", "[overflow]") {
  recorder dropped;
  auto [tx, rx] = rill::sync_channel<int>(3, rill::overflow::keep_latest, dropped.hook());
  for (int i = 1; i <= 5; ++i) REQUIRE(tx.send(i));
  // 4 found 1, 2, 3 and replaced them; 5 found room.
  CHECK(drain(rx) == std::vector<int>{4, 5});
  CHECK(dropped.values() == std::vector<int>{1, 2, 3});
}

TEST_CASE("overflow: a conflated channel hands the receiver only the latest value", "[overflow]") {
  auto [tx, rx] = rill::sync_channel<int>(1, rill::overflow::keep_latest);
  REQUIRE(tx.try_send(1));
  CHECK(rx.try_recv().value() == 1);
  REQUIRE(tx.try_send(2));
  REQUIRE(tx.try_send(3));
  CHECK(rx.try_recv().value() == 3);
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
  CHECK(tx.undelivered_count() == 1);  // counted without a hook
  REQUIRE(tx.try_send(4));
  tx = {};  // closed: the buffered value is still received, then the end
  CHECK(rx.recv().value() == 4);
  CHECK_FALSE(rx.recv().has_value());
}

TEST_CASE("overflow: a blocked receiver is handed a message sent on a dropping channel", "[overflow]") {
  auto [tx, rx] = rill::sync_channel<int>(1, rill::overflow::drop_oldest);
  std::thread receiver([rx = rx] { RILL_EXPECT(rx.recv().value() == 7); });
  REQUIRE(rill_test::eventually([&] { return rx.waiting_receivers() == 1; }));
  REQUIRE(tx.send(7));
  receiver.join();
  CHECK(tx.undelivered_count() == 0);
}

TEST_CASE("overflow: every dropped or discarded message is destroyed exactly once", "[overflow][drops]") {
  const auto policy = GENERATE(rill::overflow::drop_oldest, rill::overflow::drop_newest, rill::overflow::keep_latest);
  const bool with_hook = GENERATE(false, true);
  tracked::counters counts;
  std::atomic<int> hooked{0};
  rill::undelivered_hook<tracked> hook;
  if (with_hook)
    hook = [&](tracked&& m) {
      CHECK(m.payload != tracked::moved_from);
      hooked.fetch_add(1);
      tracked kept(std::move(m));  // the hook may keep the message; here it lets it go
    };
  {
    auto [tx, rx] = rill::sync_channel<tracked>(4, policy, hook);
    for (int i = 0; i < 10; ++i) REQUIRE(tx.try_send(tracked(counts, i)));
    REQUIRE(rx.try_recv());
    const std::uint64_t dropped = tx.undelivered_count();
    CHECK(dropped + 1 + rx.size() == 10);
    rx = {};  // the last receiver: what is buffered is discarded
    CHECK(tx.undelivered_count() == 9);
    if (with_hook) CHECK(hooked == 9);
  }
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == 10);  // the nine the hook moved out died in it
}

TEST_CASE("overflow: the hook sees what the last receiver leaves behind on any channel", "[overflow]") {
  recorder left;
  const bool bounded = GENERATE(false, true);
  auto [tx, rx] = bounded ? rill::sync_channel<int>(8, rill::overflow::wait, left.hook()) : rill::channel<int>(left.hook());
  for (int i = 1; i <= 3; ++i) REQUIRE(tx.send(i));
  CHECK(left.values().empty());
  rx = {};
  CHECK(left.values() == std::vector<int>{1, 2, 3});
  CHECK(tx.undelivered_count() == 3);
  CHECK_FALSE(tx.send(4));  // refused, handed back: not undelivered
  CHECK(tx.undelivered_count() == 3);
}

TEST_CASE("overflow: the hook runs with no lock held and may use the same channel", "[overflow]") {
  rill_test::watchdog dog(std::chrono::seconds(60));
  dog.arm("a hook that takes its own channel's lock");
  std::optional<rill::receiver<int>> self;
  std::vector<std::size_t> sizes_seen;
  auto [audit_tx, audit_rx] = rill::channel<int>();
  auto [tx, rx] = rill::sync_channel<int>(2, rill::overflow::drop_oldest, [&](int&& v) {
    sizes_seen.push_back(self->size());  // takes the channel's lock
    (void)audit_tx.send(v);
  });
  self = rx;
  for (int i = 1; i <= 3; ++i) REQUIRE(tx.send(i));
  CHECK(sizes_seen == std::vector<std::size_t>{2});  // after the send took effect: 2 and 3 buffered
  CHECK(audit_rx.try_recv().value() == 1);
  CHECK(drain(rx) == std::vector<int>{2, 3});  // nothing left for the hook when `self` goes
  dog.disarm();
}

TEST_CASE("overflow: every form of send completes at once on a full dropping channel", "[overflow]") {
  recorder dropped;
  auto [tx, rx] = rill::sync_channel<int>(1, rill::overflow::drop_oldest, dropped.hook());
  REQUIRE(tx.send(1));
  REQUIRE(tx.send_timeout(2, std::chrono::seconds(0)));
  REQUIRE(tx.emplace(3));
  std::vector<int> batch{4, 5};
  CHECK(tx.try_send_many(batch) == 2);
  // A select's send arm drops under the select's locks and hands over after.
  auto r = rill::try_select(rill::send(tx, 6));
  REQUIRE(r.has_value());
  asio::io_context io;
  bool sent = false;
  tx.async_send(7, asio::bind_executor(io, [&](std::error_code ec, std::optional<int> back) { sent = !ec && !back; }));
  bool selected = false;
  rill::async_select(rill::send(tx, 8), asio::bind_executor(io, [&](std::error_code ec, auto won) {
                       selected = !ec && won && won->index() == 0 && std::get<0>(*won).has_value();
                     }));
  bool awaited = false;
  rill::spawn(
      io,
      [](rill::sender<int> out, bool& done) -> rill::task<void> {
        co_await out.async_send(9, rill::use_task);
        done = true;
      }(tx, awaited),
      asio::detached);
  io.run();
  CHECK(sent);
  CHECK(selected);
  CHECK(awaited);
  CHECK(drain(rx) == std::vector<int>{9});
  CHECK(dropped.values() == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("overflow: permits keep their room and a send with none free drops the new message", "[overflow]") {
  recorder dropped;
  auto [tx, rx] = rill::sync_channel<int>(2, rill::overflow::drop_oldest, dropped.hook());
  auto p1 = tx.try_reserve();
  auto p2 = tx.try_reserve();
  REQUIRE((p1 && p2));
  CHECK(tx.try_reserve().error() == rill::errc::full);  // reserves still need a free slot
  REQUIRE(tx.try_send(9));  // nothing buffered to give way: 9 itself is dropped
  CHECK(dropped.values() == std::vector<int>{9});
  REQUIRE(p1->send(1));
  REQUIRE(tx.try_send(3));  // now 1 is the oldest buffered message
  REQUIRE(p2->send(2));
  CHECK(drain(rx) == std::vector<int>{3, 2});
  CHECK(dropped.values() == std::vector<int>{9, 1});
}

TEST_CASE("overflow: a dropping policy without a buffer is refused", "[overflow]") {
  CHECK_THROWS_AS(rill::sync_channel<int>(0, rill::overflow::drop_oldest), std::invalid_argument);
  auto [tx, rx] = rill::sync_channel<int>(0);
  CHECK(tx.overflow_policy() == rill::overflow::wait);
}

TEST_CASE("overflow: concurrent senders on a dropping channel lose nothing unaccounted", "[overflow][stress]") {
  constexpr int per_producer = 20000;
  constexpr int producers = 3;
  // 64-bit sums: long is 32 bits on Windows.
  std::atomic<std::int64_t> hooked_sum{0};
  std::atomic<std::int64_t> hooked{0};
  auto [tx, rx] = rill::sync_channel<int>(8, rill::overflow::drop_oldest, [&](int&& v) {
    hooked_sum.fetch_add(v, std::memory_order_relaxed);
    hooked.fetch_add(1, std::memory_order_relaxed);
  });
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([tx = tx, p] {
      for (int i = 1; i <= per_producer; ++i) RILL_EXPECT(tx.send(p * per_producer + i));
    });
  std::int64_t received_sum = 0;
  std::int64_t received = 0;
  std::thread consumer([&, rx = rx] {
    while (auto v = rx.recv()) {
      received_sum += *v;
      ++received;
    }
  });
  for (auto& t : threads) t.join();
  tx = {};
  consumer.join();
  const std::int64_t n = std::int64_t{producers} * per_producer;
  CHECK(received + hooked == n);
  CHECK(received_sum + hooked_sum == n * (n + 1) / 2);
  CHECK(rx.undelivered_count() == static_cast<std::uint64_t>(hooked.load()));
}

#if !defined(_WIN32)
TEST_CASE("overflow: a hook that throws ends the program", "[overflow]") {
  // The send that dropped the message has succeeded and cannot report the
  // exception, so it ends the program, as one leaving a destructor does.
  const pid_t child = fork();
  REQUIRE(child != -1);
  if (child == 0) {
    std::signal(SIGABRT, SIG_DFL);  // the test framework's handler would report it as this test's failure
    (void)std::freopen("/dev/null", "w", stderr);
    auto [tx, rx] = rill::sync_channel<int>(1, rill::overflow::drop_newest,
                                            [](int&&) { throw std::runtime_error("hook failed"); });
    (void)tx.send(1);
    (void)tx.send(2);
    _exit(0);  // not reached
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}
#endif
