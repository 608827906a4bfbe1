// rill::watch: the latest value and waiting for it to change, from threads,
// Asio handlers and rill::task; receivers that wait independently; every
// value object counted.
#include <rill/rill.hpp>

#include "support/cancel_race.hpp"
#include "support/test_support.hpp"
#include "support/tracked.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using rill_test::scoped_threads;
using rill_test::tracked;

namespace {

/// How an asynchronous changed() completed.
struct wait_outcome {
  bool ran = false;
  std::error_code ec;
};

auto record_into(wait_outcome& out) {
  return [&out](std::error_code ec) {
    out.ran = true;
    out.ec = ec;
  };
}

const auto not_changed = rill::unexpected(rill::recv_timeout_error::timeout);
const auto changed_disconnected = rill::unexpected(rill::recv_error{});

}  // namespace

// ---------------------------------------------------------------------------
// Ported in our own words from tokio's tests/sync_watch.rs:
// https://github.com/tokio-rs/tokio/blob/master/tokio/tests/sync_watch.rs

TEST_CASE("watch: a receiver sees the initial value and is told of a change", "[watch]") {
  auto [tx, rx] = rill::watch<std::string>("one");
  CHECK(*rx.borrow() == "one");
  CHECK_FALSE(rx.has_changed());
  CHECK(rx.changed_timeout(0ms) == not_changed);
  REQUIRE(tx.send("two"));
  CHECK(rx.has_changed());
  REQUIRE(rx.changed());
  CHECK(*rx.borrow() == "two");
  CHECK_FALSE(rx.has_changed());
}

TEST_CASE("watch: a receiver that was slow sees only the latest value", "[watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  for (int i = 1; i <= 5; ++i) REQUIRE(tx.send(i));
  REQUIRE(rx.changed());
  CHECK(*rx.borrow() == 5);
  CHECK(rx.changed_timeout(0ms) == not_changed);
}

TEST_CASE("watch: receivers wait independently, and a copy has seen what its original had", "[watch]") {
  auto [tx, rx1] = rill::watch<int>(0);
  auto rx2 = rx1;
  REQUIRE(tx.send(1));
  auto rx3 = rx1;  // copied after the change: it has not seen it either
  CHECK(rx3.has_changed());
  REQUIRE(rx1.changed());
  CHECK_FALSE(rx1.has_changed());
  CHECK(rx2.has_changed());
  CHECK(rx2.borrow_and_update().get() == 1);
  CHECK_FALSE(rx2.has_changed());
  auto rx4 = rx1;
  CHECK_FALSE(rx4.has_changed());
  CHECK(rx1.receiver_count() == 4);
}

TEST_CASE("watch: mark_changed and mark_unchanged", "[watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  // On the initial version too (tokio's version-underflow case).
  rx.mark_changed();
  CHECK(rx.has_changed());
  CHECK(rx.borrow().has_changed());
  REQUIRE(rx.changed());
  CHECK_FALSE(rx.has_changed());
  REQUIRE(tx.send(1));
  rx.mark_unchanged();
  CHECK_FALSE(rx.has_changed());
  CHECK(rx.changed_timeout(0ms) == not_changed);
}

TEST_CASE("watch: borrow_and_update marks the value seen; borrow does not", "[watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  REQUIRE(tx.send(1));
  {
    auto r = rx.borrow();
    CHECK(*r == 1);
    CHECK(r.has_changed());
    CHECK(r.version() == 1);
  }
  CHECK(rx.has_changed());
  {
    auto r = rx.borrow_and_update();
    CHECK(r.has_changed());
  }
  CHECK_FALSE(rx.has_changed());
  CHECK_FALSE(rx.borrow().has_changed());
}

TEST_CASE("watch: the last value sent is seen after the senders went, then changed() fails", "[watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  REQUIRE(tx.send(1));
  rill_test::drop(tx);
  CHECK(rx.is_closed());
  REQUIRE(rx.changed());  // the change comes before the disconnection
  CHECK(*rx.borrow() == 1);
  CHECK(rx.changed() == changed_disconnected);
  CHECK(rx.changed_timeout(1h) == rill::unexpected(rill::recv_timeout_error::disconnected));
  CHECK(*rx.borrow() == 1);  // the value stays readable
}

TEST_CASE("watch: changed() fails only when every sender is gone", "[watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  auto tx2 = tx;
  CHECK(tx.sender_count() == 2);
  rill_test::drop(tx);
  CHECK_FALSE(rx.is_closed());
  REQUIRE(tx2.send(1));
  REQUIRE(rx.changed());
  rill_test::drop(tx2);
  CHECK(rx.changed() == changed_disconnected);
}

TEST_CASE("watch: a waiting receiver is told when the last sender goes", "[watch]") {
  scoped_threads threads;
  auto [tx, rx] = rill::watch<int>(0);
  threads.spawn([tx = std::move(tx)]() mutable {
    std::this_thread::yield();  // the receiver waits, or is about to: either way it must end
    rill_test::drop(tx);
  });
  CHECK(rx.changed() == changed_disconnected);
}

TEST_CASE("watch: a send with no receiver left fails and hands the value back", "[watch]") {
  auto [tx, rx] = rill::watch<std::unique_ptr<int>>(nullptr);
  rill_test::drop(rx);
  CHECK(tx.is_closed());
  auto r = tx.send(std::make_unique<int>(3));
  REQUIRE_FALSE(r);
  CHECK(*r.error().value == 3);
  // send_modify changes the value all the same, for receivers to come
  // (tokio: the sender reopens with a subscription).
  tx.send_modify([](std::unique_ptr<int>& v) { v = std::make_unique<int>(4); });
  auto rx2 = tx.subscribe();
  CHECK_FALSE(tx.is_closed());
  CHECK_FALSE(rx2.has_changed());  // a subscriber has seen the current value
  CHECK(**rx2.borrow() == 4);
  REQUIRE(tx.send(std::make_unique<int>(5)));
  REQUIRE(rx2.changed());
  CHECK(**rx2.borrow() == 5);
}

TEST_CASE("watch: send_if_modified tells the receivers only of a modification", "[watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  CHECK_FALSE(tx.send_if_modified([](int& v) { return v == 1 ? (v = 2, true) : false; }));
  CHECK_FALSE(rx.has_changed());
  CHECK(tx.send_if_modified([](int& v) { return v == 0 ? (v = 1, true) : false; }));
  CHECK(rx.has_changed());
  CHECK(*rx.borrow_and_update() == 1);
}

TEST_CASE("watch: send_replace returns the old value", "[watch]") {
  auto [tx, rx] = rill::watch<std::string>("a");
  CHECK(tx.send_replace("b") == "a");
  CHECK(rx.has_changed());
  CHECK(*tx.borrow() == "b");
}

TEST_CASE("watch: a modification that throws stays, and nobody is told", "[watch]") {
  // tokio's send_modify_panic: the change made before the panic is visible,
  // the version does not move, and the next modification tells everyone.
  auto [tx, rx] = rill::watch<std::string>("one");
  tx.send_modify([](std::string& s) { s += "a"; });
  CHECK(*rx.borrow_and_update() == "onea");
  CHECK_THROWS_AS(tx.send_modify([](std::string& s) {
    s += "b";
    throw std::runtime_error("modify failed");
  }),
                  std::runtime_error);
  CHECK_FALSE(rx.has_changed());
  CHECK(*rx.borrow() == "oneab");
  tx.send_modify([](std::string& s) { s += "c"; });
  REQUIRE(rx.changed());
  CHECK(*rx.borrow() == "oneabc");
}

TEST_CASE("watch: empty handles throw instead of crashing", "[watch]") {
  rill::watch_receiver<int> rx;
  rill::watch_sender<int> tx;
  CHECK_FALSE(rx);
  CHECK_FALSE(tx);
  CHECK_THROWS_AS((void)rx.changed(), std::logic_error);
  CHECK_THROWS_AS((void)rx.borrow(), std::logic_error);
  CHECK_THROWS_AS((void)tx.send(1), std::logic_error);
}

// ---------------------------------------------------------------------------
// Waiting, timeouts and value accounting.

TEST_CASE("watch: a blocked changed() is woken by a send from another thread", "[watch]") {
  scoped_threads threads;
  auto [tx, rx] = rill::watch<int>(0);
  rill_test::event waiting;
  threads.spawn([&waiting, tx = tx] {
    waiting.wait();
    RILL_EXPECT(tx.send(1));
  });
  waiting.set();
  REQUIRE(rx.changed());
  CHECK(*rx.borrow() == 1);
  REQUIRE(threads.join() == "");
}

TEST_CASE("watch: a changed() that timed out marked nothing", "[watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  const auto start = std::chrono::steady_clock::now();
  CHECK(rx.changed_timeout(5ms) == not_changed);
  CHECK(std::chrono::steady_clock::now() - start >= 5ms);
  CHECK(rx.changed_deadline(std::chrono::system_clock::now()) == not_changed);
  REQUIRE(tx.send(1));
  CHECK(rx.changed_timeout(0ms));  // a change that is there counts even with no time left
}

TEST_CASE("watch: borrowing does not copy, and every value object ends once", "[watch][drop]") {
  tracked::counters c;
  {
    auto [tx, rx] = rill::watch<tracked>(tracked(c, 0));
    const long live = c.live;
    {
      auto r = rx.borrow();
      CHECK(r->payload == 0);
      CHECK(c.live == live);  // no copy was made
    }
    REQUIRE(tx.send(tracked(c, 1)));  // assigned over payload 0: no object destroyed with a payload
    CHECK(c.destroyed_with_payload == 0);
    tracked old = tx.send_replace(tracked(c, 2));
    CHECK(old.payload == 1);
    rill_test::drop(rx);
    auto refused = tx.send(tracked(c, 3));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().value.payload == 3);
  }
  CHECK(c.live == 0);
  CHECK(c.destroyed_with_payload == 3);  // 1, 2 and 3, each with its holder; 0 was assigned over
}

// ---------------------------------------------------------------------------
// Asynchronous waits: Asio completion tokens and rill::task.

TEST_CASE("watch: an asynchronous changed() completes on its executor, never inside the send", "[watch][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::watch<int>(0);
  wait_outcome got;
  rx.async_changed(asio::bind_executor(io, record_into(got)));
  CHECK(io.poll() == 0);
  REQUIRE(tx.send(1));
  CHECK_FALSE(got.ran);
  CHECK(rx.has_changed());  // marked seen only when the handler is about to run
  io.run();
  CHECK(got.ran);
  CHECK_FALSE(got.ec);
  CHECK_FALSE(rx.has_changed());
}

TEST_CASE("watch: an asynchronous changed() of a change already there completes through the executor",
          "[watch][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::watch<int>(0);
  REQUIRE(tx.send(1));
  wait_outcome got;
  rx.async_changed(asio::bind_executor(io, record_into(got)));
  CHECK_FALSE(got.ran);
  io.run();
  CHECK(got.ran);
  CHECK_FALSE(got.ec);
}

TEST_CASE("watch: an asynchronous changed() fails once the senders are gone", "[watch][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::watch<int>(0);
  wait_outcome got;
  rx.async_changed(asio::bind_executor(io, record_into(got)));
  io.poll();
  rill_test::drop(tx);
  io.run();
  CHECK(got.ec == rill::errc::disconnected);
}

TEST_CASE("watch: a cancelled asynchronous changed() marks nothing", "[watch][async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::watch<int>(0);
  asio::cancellation_signal signal;
  wait_outcome first;
  rx.async_changed(asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, record_into(first))));
  io.poll();
  SECTION("cancelled while waiting") {
    signal.emit(asio::cancellation_type::terminal);
    REQUIRE(tx.send(1));
  }
  SECTION("cancelled after the send told it, before it ran") {
    REQUIRE(tx.send(1));
    signal.emit(asio::cancellation_type::total);
  }
  io.run();
  CHECK(first.ec == asio::error::operation_aborted);
  CHECK(rx.has_changed());
  wait_outcome second;
  io.restart();
  rx.async_changed(asio::bind_executor(io, record_into(second)));
  io.run();
  CHECK(second.ran);
  CHECK_FALSE(second.ec);
}

TEST_CASE("watch: a destroyed io_context destroys a pending changed()'s handler unrun", "[watch][async]") {
  auto [tx, rx] = rill::watch<int>(0);
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    rx.async_changed(asio::bind_executor(io, [alive](std::error_code) { *alive = 1; }));
    io.poll();
  }
  CHECK(alive.use_count() == 1);
  REQUIRE(tx.send(1));
  CHECK(rx.has_changed());
}

TEST_CASE("watch: an asio::awaitable waits for changes", "[watch][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::watch<int>(0);
  std::vector<int> seen;
  std::error_code last;
  asio::co_spawn(io, [&, rx = rx]() mutable -> asio::awaitable<void> {
    for (;;) {
      auto [ec] = co_await rx.async_changed(asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) {
        last = ec;
        co_return;
      }
      seen.push_back(*rx.borrow());
    }
  }, asio::detached);
  io.poll();
  REQUIRE(tx.send(1));
  io.poll();
  REQUIRE(tx.send(2));
  rill_test::drop(tx);
  io.run();
  CHECK(seen == std::vector<int>{1, 2});
  CHECK(last == rill::errc::disconnected);
}

namespace {

rill::task<int> count_changes(rill::watch_receiver<int> rx) {
  int changes = 0;
  for (;;) {
    auto [ec] = co_await rx.async_changed(asio::experimental::as_tuple(rill::use_task));
    if (ec) co_return changes;
    ++changes;
    if (*rx.borrow() == 3) co_return changes;
  }
}

rill::task<bool> changed_throws(rill::watch_receiver<int> rx) {
  try {
    co_await rx.async_changed(rill::use_task);
  } catch (const std::system_error& e) {
    co_return e.code() == rill::errc::disconnected;
  }
  co_return false;
}

}  // namespace

TEST_CASE("watch: a rill::task waits for changes", "[watch][task]") {
  asio::io_context io;
  SECTION("changes sent from a thread") {
    scoped_threads threads;
    auto [tx, rx] = rill::watch<int>(0);
    auto f = rill::spawn(io, count_changes(rx), asio::use_future);
    io.poll();
    threads.spawn([tx = std::move(tx)] {
      for (int i = 1; i <= 3; ++i) RILL_EXPECT(tx.send(i));
    });
    io.run();
    REQUIRE(threads.join() == "");
    // Changes that come faster than the task looks are seen as one; the
    // task stops at the last value, which it must see.
    const int changes = f.get();
    CHECK(changes >= 1);
    CHECK(changes <= 3);
  }
  SECTION("the senders gone: the error thrown") {
    auto [tx, rx] = rill::watch<int>(0);
    auto f = rill::spawn(io, changed_throws(rx), asio::use_future);
    io.poll();
    rill_test::drop(tx);
    io.run();
    CHECK(f.get());
  }
}

// ---------------------------------------------------------------------------
// Concurrency: one writer, readers in every form; no torn or stale value.

namespace {

/// Two halves that a writer always changes together: a reader that sees
/// them differ has seen a torn value.
struct pair_state {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};

}  // namespace

TEST_CASE("watch stress: one writer, readers blocking, timed and asynchronous", "[watch][stress]") {
  const std::uint64_t updates = 200000 * rill_test::stress_scale;
  scoped_threads threads;
  auto [tx, rx] = rill::watch<pair_state>(pair_state{});
  std::atomic<int> finished{0};
  // A reader: every value it sees is whole and no older than the last one
  // it saw, and after the writer is gone it has seen the final value.
  auto reader = [&finished](rill::watch_receiver<pair_state> r, bool timed) {
    std::uint64_t last = 0;
    for (;;) {
      if (timed) {
        auto c = r.changed_timeout(std::chrono::microseconds(50));
        if (!c && c.error() == rill::recv_timeout_error::timeout) continue;
        if (!c) break;
      } else if (!r.changed()) {
        break;
      }
      auto v = r.borrow();
      RILL_EXPECT(v->a == v->b);
      RILL_EXPECT(v->a >= last);
      last = v->a;
    }
    RILL_EXPECT(last == updates);
    ++finished;
  };
  threads.spawn([reader, r = rx] { reader(r, false); });
  threads.spawn([reader, r = rx] { reader(r, false); });
  threads.spawn([reader, r = rx] { reader(r, true); });

  // Asynchronous readers on a two-thread pool, each on its own strand.
  asio::thread_pool pool(2);
  std::atomic<std::uint64_t> async_last[2] = {0, 0};
  std::atomic<bool> async_torn{false};
  std::promise<void> async_done[2];
  for (int k = 0; k < 2; ++k) {
    auto strand = asio::make_strand(pool);
    asio::co_spawn(strand, [&, k, r = rx]() mutable -> asio::awaitable<void> {
      for (;;) {
        auto [ec] = co_await r.async_changed(asio::experimental::as_tuple(asio::use_awaitable));
        if (ec) break;
        auto v = r.borrow();
        if (v->a != v->b || v->a < async_last[k]) async_torn = true;
        async_last[k] = v->a;
      }
      async_done[k].set_value();
    }, asio::detached);
  }
  rill_test::drop(rx);

  threads.spawn([tx = std::move(tx)]() mutable {
    for (std::uint64_t i = 1; i <= updates; ++i) {
      if (i % 2 == 0) {
        tx.send_modify([i](pair_state& s) {
          s.a = i;
          s.b = i;
        });
      } else {
        RILL_EXPECT(tx.send(pair_state{i, i}));
      }
    }
  });
  REQUIRE(threads.join() == "");
  for (auto& d : async_done) d.get_future().wait();
  pool.join();
  CHECK(finished == 3);
  CHECK_FALSE(async_torn);
  CHECK(async_last[0] == updates);
  CHECK(async_last[1] == updates);
}

TEST_CASE("watch stress: cancellation races the change an asynchronous wait was told of",
          "[watch][stress][async]") {
  const int rounds = 2000 * static_cast<int>(rill_test::stress_scale);
  asio::thread_pool pool(2);
  int seen = 0, left = 0;
  for (int i = 0; i < rounds; ++i) {
    auto [tx, rx] = rill::watch<int>(0);
    bool sent = false;
    const bool saw = rill_test::race_cancellation(
        pool, [&rx = rx](auto token) { rx.async_changed(std::move(token)); },
        [&tx = tx, &sent] { sent = tx.send(1).has_value(); });
    CHECK(sent);
    if (saw) {
      ++seen;
      CHECK_FALSE(rx.has_changed());
    } else {
      ++left;
      CHECK(rx.has_changed());  // cancelled before marking: the change is still unseen
    }
  }
  pool.join();
  CHECK(seen + left == rounds);
}
