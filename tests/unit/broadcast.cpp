// rill::broadcast: every message to every receiver, from threads, Asio
// handlers, rill::task and select; lags, the wait policy, and every value
// object counted.
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
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using rill_test::scoped_threads;
using rill_test::tracked;

namespace {

const auto try_empty = rill::unexpected(rill::broadcast_try_recv_error(rill::try_recv_error::empty));
const auto try_disconnected = rill::unexpected(rill::broadcast_try_recv_error(rill::try_recv_error::disconnected));
const auto recv_disconnected = rill::unexpected(rill::broadcast_recv_error(rill::recv_error{}));
const auto timed_out = rill::unexpected(rill::broadcast_recv_timeout_error(rill::recv_timeout_error::timeout));
const auto stopped = rill::unexpected(rill::broadcast_recv_timeout_error(rill::recv_timeout_error::stopped));

template <class E>
auto lag_of(std::uint64_t missed) {
  return rill::unexpected(rill::broadcast_error<E>(rill::lagged{missed}));
}

/// A message that counts its copies and moves.
struct counted {
  static inline std::atomic<int> copies{0};
  static inline std::atomic<int> moves{0};
  int payload = 0;
  explicit counted(int p) noexcept : payload(p) {}
  counted(const counted& o) noexcept : payload(o.payload) { ++copies; }
  counted(counted&& o) noexcept : payload(o.payload) { ++moves; }
  counted& operator=(const counted&) = delete;
};

/// A message whose copy throws while `fail_copies` is set, and whose move
/// throws after `moves_until_throw` more moves (-1: never); both throw
/// before touching the source.
struct fragile {
  static inline bool fail_copies = false;
  static inline int moves_until_throw = -1;
  int payload = 0;
  explicit fragile(int p) noexcept : payload(p) {}
  fragile(const fragile& o) : payload(o.payload) {
    if (fail_copies) throw std::runtime_error("copy failed");
  }
  fragile(fragile&& o) : payload(o.payload) {
    if (moves_until_throw >= 0 && moves_until_throw-- == 0) throw std::runtime_error("move failed");
  }
  fragile& operator=(const fragile&) = delete;
};

/// How an asynchronous receive completed.
struct recv_outcome {
  bool ran = false;
  std::error_code ec;
  int value = -1;
};

auto record_into(recv_outcome& out) {
  return [&out](std::error_code ec, int v) {
    out.ran = true;
    out.ec = ec;
    out.value = v;
  };
}

}  // namespace

// ---------------------------------------------------------------------------
// Ported in our own words from tokio's tests/sync_broadcast.rs:
// https://github.com/tokio-rs/tokio/blob/master/tokio/tests/sync_broadcast.rs

TEST_CASE("broadcast: one receiver gets the messages in order", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(4);
  CHECK(rx.try_recv() == try_empty);
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  CHECK(rx.size() == 2);
  CHECK(rx.recv() == 1);
  CHECK(rx.try_recv() == 2);
  CHECK(rx.try_recv() == try_empty);
  CHECK(rx.empty());
}

TEST_CASE("broadcast: every receiver gets every message", "[broadcast]") {
  auto [tx, rx1] = rill::broadcast<std::string>(8);
  auto rx2 = tx.subscribe();
  auto rx3 = tx.subscribe();
  CHECK(tx.receiver_count() == 3);
  REQUIRE(tx.send("a"));
  REQUIRE(tx.send("b"));
  for (auto* rx : {&rx1, &rx2, &rx3}) {
    CHECK(rx->recv() == std::string("a"));
    CHECK(rx->recv() == std::string("b"));
    CHECK(rx->try_recv() == try_empty);
  }
}

TEST_CASE("broadcast: a subscriber sees only the messages sent after it subscribed", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(4);
  REQUIRE(tx.send(1));
  auto late = tx.subscribe();
  REQUIRE(tx.send(2));
  CHECK(late.recv() == 2);
  CHECK(late.try_recv() == try_empty);
  CHECK(rx.recv() == 1);
  CHECK(rx.recv() == 2);
  auto again = rx.resubscribe();  // from the next message, not where rx is
  CHECK(again.try_recv() == try_empty);
}

TEST_CASE("broadcast: a copied receiver continues from where its original is", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(4);
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  REQUIRE(tx.send(3));
  CHECK(rx.recv() == 1);
  auto copy = rx;
  CHECK(copy.recv() == 2);
  CHECK(copy.recv() == 3);
  CHECK(rx.recv() == 2);  // each at its own pace
  CHECK(rx.recv() == 3);
  CHECK(copy.try_recv() == try_empty);
}

TEST_CASE("broadcast: a lagging receiver is told how many it lost, once, then gets the oldest held",
          "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(2);
  auto fast = tx.subscribe();
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(tx.send(i));  // lag: a send never waits
    CHECK(fast.recv() == i);
  }
  // rx read nothing: 1, 2 and 3 were overwritten; 4 and 5 are held.
  CHECK(rx.size() == 2);
  CHECK(rx.recv() == lag_of<rill::recv_error>(3));
  CHECK(rx.last_lag() == 3);
  CHECK(rx.recv() == 4);
  CHECK(rx.recv() == 5);
  CHECK(rx.try_recv() == try_empty);
  // The try form reports a lag the same way.
  for (int i = 6; i <= 8; ++i) REQUIRE(tx.send(i));
  CHECK(rx.try_recv() == lag_of<rill::try_recv_error>(1));
  CHECK(rx.try_recv() == 7);
  CHECK(rx.try_recv() == 8);
}

TEST_CASE("broadcast: a lagging receiver recovers after the senders went, then sees disconnected", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(3);
  for (int i = 1; i <= 4; ++i) REQUIRE(tx.send(i));
  rill_test::drop(tx);
  CHECK(rx.size() == 3);  // what is held: a lag's losses are not counted
  CHECK(rx.recv() == lag_of<rill::recv_error>(1));
  CHECK(rx.size() == 3);
  CHECK(rx.recv() == 2);
  CHECK(rx.recv() == 3);
  CHECK(rx.recv() == 4);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE("broadcast: resubscribing a lagging receiver starts at the next message, with no lag", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(2);
  for (int i = 1; i <= 5; ++i) REQUIRE(tx.send(i));
  auto fresh = rx.resubscribe();
  CHECK(fresh.try_recv() == try_empty);
  REQUIRE(tx.send(6));
  CHECK(fresh.recv() == 6);
  CHECK(rx.recv() == lag_of<rill::recv_error>(4));  // 1 to 4 lost, 5 and 6 held
  CHECK(rx.recv() == 5);
  CHECK(rx.recv() == 6);
}

TEST_CASE("broadcast: a lag on a capacity of one", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(1);
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  auto r = rx.recv();
  REQUIRE_FALSE(r);
  CHECK(r.error().is_lagged());
  CHECK(r.error().missed() == 1);
  CHECK(r.error().code() == rill::errc::lagged);
  CHECK(rx.recv() == 2);
}

TEST_CASE("broadcast: a copy of a lagging receiver lags as much", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(2);
  for (int i = 1; i <= 4; ++i) REQUIRE(tx.send(i));
  auto copy = rx;
  CHECK(copy.recv() == lag_of<rill::recv_error>(2));
  CHECK(rx.recv() == lag_of<rill::recv_error>(2));
  CHECK(copy.recv() == 3);
  CHECK(rx.recv() == 3);
}

TEST_CASE("broadcast: a send with no receiver left fails and hands the value back", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<std::string>(2);
  rill_test::drop(rx);
  CHECK(tx.is_closed());
  auto r = tx.send("lost");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == rill::errc::disconnected);
  CHECK(r.error().value == "lost");
  // A new subscriber opens it again (tokio's semantics).
  auto rx2 = tx.subscribe();
  CHECK_FALSE(tx.is_closed());
  REQUIRE(tx.send("found"));
  CHECK(rx2.recv() == std::string("found"));
}

TEST_CASE("broadcast: receivers drain what they have not read after the senders went, then see disconnected",
          "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(4);
  auto tx2 = tx;
  CHECK(tx.sender_count() == 2);
  REQUIRE(tx.send(1));
  REQUIRE(tx2.send(2));
  rill_test::drop(tx);
  CHECK_FALSE(rx.is_closed());
  rill_test::drop(tx2);
  CHECK(rx.is_closed());
  CHECK(rx.recv() == 1);
  CHECK(rx.try_recv() == 2);
  CHECK(rx.try_recv() == try_disconnected);
  CHECK(rx.recv() == recv_disconnected);
  CHECK(rx.recv_timeout(1h) == rill::unexpected(rill::broadcast_recv_timeout_error(rill::recv_timeout_error::disconnected)));
}

TEST_CASE("broadcast: close() from a sender fails later sends; receivers drain", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(4);
  REQUIRE(tx.send(1));
  tx.close();
  tx.close();  // idempotent
  CHECK(tx.is_closed());
  CHECK(rx.is_closed());
  auto r = tx.try_send(2);
  REQUIRE_FALSE(r);
  CHECK(r.error().is_disconnected());
  CHECK(r.error().value == 2);
  CHECK(rx.recv() == 1);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE("broadcast: a capacity of zero is refused; empty handles throw", "[broadcast]") {
  CHECK_THROWS_AS(rill::broadcast<int>(0), std::invalid_argument);
  rill::broadcast_sender<int> tx;
  rill::broadcast_receiver<int> rx;
  CHECK_FALSE(tx);
  CHECK_FALSE(rx);
  CHECK_THROWS_AS((void)tx.send(1), std::logic_error);
  CHECK_THROWS_AS((void)rx.recv(), std::logic_error);
  rill::broadcast_receiver<int> copy = rx;  // copying an empty handle is fine
  CHECK_FALSE(copy);
}

TEST_CASE("broadcast: errors print their reason, a lag with its count", "[broadcast]") {
  CHECK(rill::make_error_code(rill::errc::lagged).message() == "broadcast receiver lagged behind: messages were lost");
  CHECK(fmt::format("{}", rill::broadcast_recv_error(rill::lagged{3})) ==
        "broadcast receiver lagged behind: messages were lost (3 missed)");
  CHECK(fmt::format("{}", rill::broadcast_try_recv_error(rill::try_recv_error::empty)) == "channel empty");
  CHECK(rill::broadcast_recv_error(rill::recv_error{}).missed() == 0);
}

// ---------------------------------------------------------------------------
// The wait policy: the slowest receiver sets the pace.

TEST_CASE("broadcast: under the wait policy a send waits until the slowest receiver read the oldest message",
          "[broadcast]") {
  scoped_threads threads;
  auto [tx, rx] = rill::broadcast<int>(2, rill::broadcast_overflow::wait);
  auto fast = tx.subscribe();
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  CHECK(fast.recv() == 1);
  CHECK(fast.recv() == 2);
  // Full for rx, which read nothing.
  auto full = tx.try_send(3);
  REQUIRE_FALSE(full);
  CHECK(full.error().is_full());
  CHECK(full.error().value == 3);
  std::atomic<bool> sent{false};
  threads.spawn([&sent, tx = tx] {
    RILL_EXPECT(tx.send(3));
    sent = true;
  });
  // The sender stays parked while fast reads on, it waits for rx alone.
  CHECK(fast.recv_timeout(1ms) == timed_out);
  CHECK_FALSE(sent);
  CHECK(rx.recv() == 1);  // frees the oldest slot: the send goes through
  CHECK(rill_test::eventually([&] { return sent.load(); }));
  CHECK(fast.recv() == 3);
  CHECK(rx.recv() == 2);
  CHECK(rx.recv() == 3);
  REQUIRE(threads.join() == "");
}

TEST_CASE("broadcast: under the wait policy a blocked send fails when the last receiver goes", "[broadcast]") {
  scoped_threads threads;
  auto [tx, rx] = rill::broadcast<int>(1, rill::broadcast_overflow::wait);
  REQUIRE(tx.send(1));
  std::atomic<bool> refused{false};
  threads.spawn([&refused, tx = tx] {
    auto r = tx.send(2);
    RILL_EXPECT(!r);
    RILL_EXPECT(r.error().value == 2);
    refused = true;
  });
  CHECK_FALSE(refused);
  rill_test::drop(rx);  // its unread message is freed; no receiver left
  CHECK(rill_test::eventually([&] { return refused.load(); }));
  REQUIRE(threads.join() == "");
}

TEST_CASE("broadcast: under the wait policy a send gives up on a timeout, a deadline or a stop", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(1, rill::broadcast_overflow::wait);
  REQUIRE(tx.send(1));
  auto t = tx.send_timeout(2, 2ms);
  REQUIRE_FALSE(t);
  CHECK(t.error().is_timeout());
  CHECK(t.error().value == 2);
  auto d = tx.send_deadline(3, std::chrono::system_clock::now() + 1ms);
  REQUIRE_FALSE(d);
  CHECK(d.error().is_timeout());
  std::stop_source stop;
  stop.request_stop();
  auto s = tx.send(4, stop.get_token());
  REQUIRE_FALSE(s);
  CHECK(s.error().is_stopped());
  CHECK(s.error().value == 4);
  CHECK(rx.recv() == 1);
  CHECK(rx.try_recv() == try_empty);  // none of the given-up sends went through
  CHECK(tx.send_timeout(5, 1h));      // room again
  CHECK(rx.recv() == 5);
}

TEST_CASE("broadcast: under the wait policy a close wakes a blocked send, which keeps its value", "[broadcast]") {
  scoped_threads threads;
  auto [tx, rx] = rill::broadcast<int>(1, rill::broadcast_overflow::wait);
  REQUIRE(tx.send(1));
  rill_test::event started;
  threads.spawn([&started, tx = tx] {
    started.set();
    auto r = tx.send(2);
    RILL_EXPECT(!r && r.error().value == 2);
  });
  started.wait();
  tx.close();
  REQUIRE(threads.join() == "");
  CHECK(rx.recv() == 1);
  CHECK(rx.recv() == recv_disconnected);
}

// ---------------------------------------------------------------------------
// Blocking, timed and stoppable receives.

TEST_CASE("broadcast: a blocked recv is woken by a send from another thread", "[broadcast]") {
  scoped_threads threads;
  auto [tx, rx] = rill::broadcast<int>(2);
  rill_test::event receiving;
  threads.spawn([&receiving, tx = tx] {
    receiving.wait();
    RILL_EXPECT(tx.send(7));
  });
  receiving.set();
  CHECK(rx.recv() == 7);
  REQUIRE(threads.join() == "");
}

TEST_CASE("broadcast: a blocked recv is woken when the last sender goes", "[broadcast]") {
  scoped_threads threads;
  auto [tx, rx] = rill::broadcast<int>(2);
  threads.spawn([tx = std::move(tx)]() mutable { rill_test::drop(tx); });
  CHECK(rx.recv() == recv_disconnected);
  REQUIRE(threads.join() == "");
}

TEST_CASE("broadcast: timed and stoppable receives give up having taken nothing", "[broadcast]") {
  auto [tx, rx] = rill::broadcast<int>(2);
  const auto start = std::chrono::steady_clock::now();
  CHECK(rx.recv_timeout(3ms) == timed_out);
  CHECK(std::chrono::steady_clock::now() - start >= 3ms);
  CHECK(rx.recv_deadline(std::chrono::system_clock::now()) == timed_out);
  std::stop_source stop;
  stop.request_stop();
  CHECK(rx.recv(stop.get_token()) == stopped);
  REQUIRE(tx.send(1));
  CHECK(rx.recv(stop.get_token()) == stopped);  // a stop requested before the call wins
  CHECK(rx.recv_timeout(0ms) == 1);             // a message that is there counts with no time left
}

TEST_CASE("broadcast: a stop request wakes a blocked recv", "[broadcast]") {
  scoped_threads threads;
  auto [tx, rx] = rill::broadcast<int>(2);
  std::stop_source stop;
  rill_test::event receiving;
  threads.spawn([&] {
    receiving.wait();
    stop.request_stop();
  });
  receiving.set();
  CHECK(rx.recv(stop.get_token()) == stopped);
  REQUIRE(threads.join() == "");
  REQUIRE(tx.send(1));
  CHECK(rx.recv() == 1);
}

// ---------------------------------------------------------------------------
// Value accounting: copies, moves, freeing.

TEST_CASE("broadcast: a message is copied once per receiver but the last, which moves it", "[broadcast][drop]") {
  counted::copies = 0;
  auto [tx, rx1] = rill::broadcast<counted>(4);
  auto rx2 = tx.subscribe();
  auto rx3 = tx.subscribe();
  REQUIRE(tx.send(counted(1)));
  REQUIRE(tx.send(counted(2)));
  CHECK(counted::copies == 0);
  for (auto* rx : {&rx1, &rx2, &rx3}) {
    auto a = rx->try_recv();
    auto b = rx->recv();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->payload == 1);
    CHECK(b->payload == 2);
  }
  CHECK(counted::copies == 2 * 2);  // 2 messages, 3 receivers: 2 copies each
}

TEST_CASE("broadcast: every value object ends once, freed when the last receiver read it", "[broadcast][drop]") {
  tracked::counters c;
  {
    auto [tx, rx1] = rill::broadcast<tracked>(4);
    auto rx2 = tx.subscribe();
    for (int i = 0; i < 3; ++i) REQUIRE(tx.send(tracked(c, i)));
    const long held = c.live;  // three values in the ring (and their moved-from shells are gone)
    CHECK(held == 3);
    for (int i = 0; i < 3; ++i) {
      auto a = rx1.recv();
      REQUIRE(a);
      CHECK(a->payload == i);
    }
    CHECK(c.live == held);  // copies, destroyed; the ring still holds them for rx2
    for (int i = 0; i < 3; ++i) {
      auto b = rx2.recv();
      REQUIRE(b);
    }
    CHECK(c.live == 0);  // the last reader moved each out: the ring holds nothing
    CHECK(c.destroyed_with_payload == 2 * 3);  // one copy and one moved value per message
  }
  CHECK(c.live == 0);
}

TEST_CASE("broadcast: a receiver that goes frees the messages only it had yet to read", "[broadcast][drop]") {
  tracked::counters c;
  {
    auto [tx, rx] = rill::broadcast<tracked>(4);
    auto reader = tx.subscribe();
    for (int i = 0; i < 3; ++i) REQUIRE(tx.send(tracked(c, i)));
    for (int i = 0; i < 3; ++i) REQUIRE(reader.recv());
    CHECK(c.live == 3);  // held for rx
    auto copy = rx;      // counts them too
    rill_test::drop(rx);
    CHECK(c.live == 3);  // still held for the copy
    rill_test::drop(copy);
    CHECK(c.live == 0);
  }
  CHECK(c.live == 0);
}

TEST_CASE("broadcast: dropping a lagging receiver frees its slots", "[broadcast][drop]") {
  tracked::counters c;
  {
    auto [tx, slow] = rill::broadcast<tracked>(2);
    auto fast = tx.subscribe();
    for (int i = 0; i < 5; ++i) {
      REQUIRE(tx.send(tracked(c, i)));
      REQUIRE(fast.recv());
    }
    CHECK(c.live == 2);  // the two newest, held for slow; the older ones were overwritten and destroyed
    rill_test::drop(slow);
    CHECK(c.live == 0);
    // fast's five copies, the three values overwritten, the two freed by the drop.
    CHECK(c.destroyed_with_payload == 5 + 3 + 2);
  }
  CHECK(c.live == 0);
}

TEST_CASE("broadcast: a copy that throws takes nothing; a move that throws leaves the ring consistent",
          "[broadcast][drop]") {
  auto [tx, rx] = rill::broadcast<fragile>(1);
  auto other = tx.subscribe();
  REQUIRE(tx.send(fragile(1)));
  fragile::fail_copies = true;
  CHECK_THROWS_AS((void)rx.recv(), std::runtime_error);  // the first reader copies
  fragile::fail_copies = false;
  auto first = rx.recv();
  REQUIRE(first);
  CHECK(first->payload == 1);
  // The send overwrites message 1, which `other` has not read: the old value
  // moves out, then the new value's move into the slot throws.
  fragile::moves_until_throw = 1;
  CHECK_THROWS_AS((void)tx.send(fragile(2)), std::runtime_error);
  fragile::moves_until_throw = -1;
  CHECK(other.try_recv() == lag_of<rill::try_recv_error>(1));  // message 1 is gone, 2 was never sent
  CHECK(rx.try_recv() == try_empty);
  REQUIRE(tx.send(fragile(3)));
  CHECK(rx.recv()->payload == 3);
  CHECK(other.recv()->payload == 3);
}

// ---------------------------------------------------------------------------
// Asynchronous receives: Asio completion tokens and rill::task.

TEST_CASE("broadcast: an asynchronous recv completes on its executor, never inside the send", "[broadcast][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::broadcast<int>(2);
  recv_outcome got;
  rx.async_recv(asio::bind_executor(io, record_into(got)));
  CHECK(io.poll() == 0);
  REQUIRE(tx.send(4));
  CHECK_FALSE(got.ran);
  CHECK(rx.size() == 1);  // taken only when the handler is about to run
  io.run();
  CHECK(got.ran);
  CHECK_FALSE(got.ec);
  CHECK(got.value == 4);
  CHECK(rx.empty());
}

TEST_CASE("broadcast: an asynchronous recv reports a lag and disconnection", "[broadcast][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::broadcast<int>(1);
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  recv_outcome lag, value, gone;
  rx.async_recv(asio::bind_executor(io, record_into(lag)));
  io.run();
  CHECK(lag.ec == rill::errc::lagged);
  CHECK(rx.last_lag() == 1);
  io.restart();
  rx.async_recv(asio::bind_executor(io, record_into(value)));
  io.run();
  CHECK(value.value == 2);
  rill_test::drop(tx);
  io.restart();
  rx.async_recv(asio::bind_executor(io, record_into(gone)));
  io.run();
  CHECK(gone.ec == rill::errc::disconnected);
}

TEST_CASE("broadcast: a cancelled asynchronous recv has taken nothing", "[broadcast][async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::broadcast<int>(2);
  asio::cancellation_signal signal;
  recv_outcome first;
  rx.async_recv(asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, record_into(first))));
  io.poll();
  SECTION("cancelled while waiting") {
    signal.emit(asio::cancellation_type::terminal);
    REQUIRE(tx.send(9));
  }
  SECTION("cancelled after the send told it, before it ran") {
    REQUIRE(tx.send(9));
    signal.emit(asio::cancellation_type::total);
  }
  io.run();
  CHECK(first.ec == asio::error::operation_aborted);
  CHECK(rx.size() == 1);
  recv_outcome second;
  io.restart();
  rx.async_recv(asio::bind_executor(io, record_into(second)));
  io.run();
  CHECK_FALSE(second.ec);
  CHECK(second.value == 9);
}

TEST_CASE("broadcast: an asio::awaitable receives until the senders are gone", "[broadcast][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::broadcast<int>(4);
  std::vector<int> seen;
  std::error_code last;
  asio::co_spawn(io, [&, rx = rx]() mutable -> asio::awaitable<void> {
    for (;;) {
      auto [ec, v] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) {
        last = ec;
        co_return;
      }
      seen.push_back(v);
    }
  }, asio::detached);
  io.poll();
  REQUIRE(tx.send(1));
  io.poll();
  REQUIRE(tx.send(2));
  REQUIRE(tx.send(3));
  rill_test::drop(tx);
  io.run();
  CHECK(seen == std::vector<int>{1, 2, 3});
  CHECK(last == rill::errc::disconnected);
  CHECK(rx.recv() == 1);  // the original receiver still has all of them
}

namespace {

rill::task<std::vector<int>> collect(rill::broadcast_receiver<int> rx) {
  std::vector<int> got;
  for (;;) {
    auto [ec, v] = co_await rx.async_recv(asio::experimental::as_tuple(rill::use_task));
    if (ec == rill::errc::lagged) {
      got.push_back(-static_cast<int>(rx.last_lag()));
      continue;
    }
    if (ec) co_return got;
    got.push_back(v);
  }
}

rill::task<int> recv_or_throw(rill::broadcast_receiver<int> rx) {
  int sum = 0;
  try {
    for (;;) sum += co_await rx.async_recv(rill::use_task);
  } catch (const std::system_error& e) {
    if (e.code() != rill::errc::disconnected) throw;
  }
  co_return sum;
}

}  // namespace

TEST_CASE("broadcast: a rill::task receives, told of lags", "[broadcast][task]") {
  asio::io_context io;
  SECTION("messages sent from a thread") {
    scoped_threads threads;
    auto [tx, rx] = rill::broadcast<int>(64);
    auto f = rill::spawn(io, collect(rx), asio::use_future);
    rill_test::drop(rx);
    io.poll();
    threads.spawn([tx = std::move(tx)] {
      for (int i = 1; i <= 10; ++i) RILL_EXPECT(tx.send(i));
    });
    io.run();
    REQUIRE(threads.join() == "");
    CHECK(f.get() == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  }
  SECTION("a lag, then the rest") {
    auto [tx, rx] = rill::broadcast<int>(2);
    for (int i = 1; i <= 5; ++i) REQUIRE(tx.send(i));
    auto f = rill::spawn(io, collect(rx), asio::use_future);
    rill_test::drop(tx);
    io.run();
    CHECK(f.get() == std::vector<int>{-3, 4, 5});
  }
  SECTION("the error thrown") {
    auto [tx, rx] = rill::broadcast<int>(4);
    REQUIRE(tx.send(1));
    REQUIRE(tx.send(2));
    auto f = rill::spawn(io, recv_or_throw(rx), asio::use_future);
    io.poll();
    rill_test::drop(tx);
    io.run();
    CHECK(f.get() == 3);
  }
}

// ---------------------------------------------------------------------------
// Select arms.

TEST_CASE("broadcast: a select arm wins with the message, exactly once against a channel arm and a timeout",
          "[broadcast][select]") {
  auto [tx, rx] = rill::broadcast<int>(4);
  auto [ctx, crx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  REQUIRE(ctx.send(2));
  int from_broadcast = 0, from_channel = 0;
  for (int round = 0; round < 2; ++round) {
    auto r = rill::select(rill::recv(rx), rill::recv(crx), rill::timeout(1h));
    if (r.index() == 0) {
      CHECK(std::get<0>(r) == 1);
      ++from_broadcast;
    } else {
      REQUIRE(r.index() == 1);
      CHECK(std::get<1>(r) == 2);
      ++from_channel;
    }
  }
  CHECK(from_broadcast == 1);
  CHECK(from_channel == 1);
  auto r = rill::select(rill::recv(rx), rill::recv(crx), rill::timeout(1ms));
  CHECK(r.index() == 2);  // both arms were queued and withdrawn: nothing taken
  REQUIRE(tx.send(3));
  CHECK(rx.try_recv() == 3);
}

TEST_CASE("broadcast: a select arm that lost took nothing; it reports a lag and disconnection",
          "[broadcast][select]") {
  auto [tx, rx] = rill::broadcast<int>(1);
  auto [ctx, crx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  REQUIRE(ctx.send(1));
  auto r = rill::select(rill::select_order::biased, rill::recv(crx), rill::recv(rx));
  CHECK(r.index() == 0);
  CHECK(rx.size() == 1);
  REQUIRE(tx.send(2));
  auto lag = rill::try_select(rill::recv(rx));
  REQUIRE(lag);
  CHECK(std::get<0>(*lag) == lag_of<rill::recv_error>(1));
  CHECK(rx.last_lag() == 1);
  CHECK_FALSE(rill::try_select(rill::recv(rx, false)));  // disabled
  auto two = rill::try_select(rill::recv(rx));
  REQUIRE(two);
  CHECK(std::get<0>(*two) == 2);
  CHECK_FALSE(rill::try_select(rill::recv(rx)));
  rill_test::drop(tx);
  auto gone = rill::select(rill::recv(rx), rill::timeout(1h));
  REQUIRE(gone.index() == 0);
  CHECK(std::get<0>(gone) == recv_disconnected);
}

TEST_CASE("broadcast: a blocked select is woken by a broadcast send", "[broadcast][select]") {
  scoped_threads threads;
  auto [tx, rx] = rill::broadcast<int>(2);
  auto [ctx, crx] = rill::channel<int>();
  rill_test::event selecting;
  threads.spawn([&selecting, tx = tx] {
    selecting.wait();
    RILL_EXPECT(tx.send(5));
  });
  selecting.set();
  auto r = rill::select(rill::recv(crx), rill::recv(rx));
  REQUIRE(r.index() == 1);
  CHECK(std::get<1>(r) == 5);
  REQUIRE(threads.join() == "");
}

TEST_CASE("broadcast: async_select completes a broadcast arm on its executor; cancelled, it took nothing",
          "[broadcast][select][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::broadcast<int>(2);
  auto [ctx, crx] = rill::channel<int>();
  std::optional<std::size_t> won;
  std::optional<int> value;
  std::error_code ec;
  auto record = [&](std::error_code e, auto r) {
    ec = e;
    if (!r) return;
    won = r->index();
    if (r->index() == 0 && std::get<0>(*r)) value = *std::get<0>(*r);
  };
  SECTION("won") {
    rill::async_select(rill::recv(rx), rill::recv(crx), asio::bind_executor(io, record));
    io.poll();
    CHECK_FALSE(won);
    REQUIRE(tx.send(3));
    io.run();
    CHECK(won == 0u);
    CHECK(value == 3);
    CHECK(rx.empty());
  }
  SECTION("cancelled after being told") {
    asio::cancellation_signal signal;
    rill::async_select(rill::recv(rx), rill::recv(crx),
                       asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, record)));
    io.poll();
    REQUIRE(tx.send(3));
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    CHECK(ec == asio::error::operation_aborted);
    CHECK(rx.try_recv() == 3);
  }
}

// ---------------------------------------------------------------------------
// Concurrency: each receiver in its own thread gets every message, in order.

TEST_CASE("broadcast stress: receivers in threads, the wait policy, every message to each in order",
          "[broadcast][stress]") {
  const int messages = 20000 * static_cast<int>(rill_test::stress_scale);
  tracked::counters c;
  {
    scoped_threads threads;
    auto [tx, rx] = rill::broadcast<tracked>(8, rill::broadcast_overflow::wait);
    for (int k = 0; k < 3; ++k) {
      threads.spawn([r = rx, k, messages]() mutable {
        for (int expected = 0;; ++expected) {
          // Each reader in another form: blocking, timed, try-and-yield.
          std::optional<tracked> got;
          bool gone = false;
          while (!got && !gone) {
            if (k == 0) {
              auto m = r.recv();
              if (m) got.emplace(std::move(*m)); else gone = m.error().is_disconnected();
            } else if (k == 1) {
              auto m = r.recv_timeout(std::chrono::microseconds(50));
              if (m) got.emplace(std::move(*m)); else gone = m.error().is_disconnected();
            } else {
              auto m = r.try_recv();
              if (m) got.emplace(std::move(*m)); else if (m.error().is_disconnected()) gone = true; else std::this_thread::yield();
            }
          }
          if (gone) {
            RILL_EXPECT(expected == messages);
            return;
          }
          RILL_EXPECT(got->payload == expected);
        }
      });
    }
    rill_test::drop(rx);
    threads.spawn([&c, tx = std::move(tx), messages]() mutable {
      for (int i = 0; i < messages; ++i) RILL_EXPECT(tx.send(tracked(c, i)));
    });
    REQUIRE(threads.join() == "");
  }
  CHECK(c.live == 0);
  CHECK(c.destroyed_with_payload == 3 * messages);  // two copies and the moved value of each
}

TEST_CASE("broadcast stress: cancellation races the send an asynchronous recv was told of",
          "[broadcast][stress][async]") {
  const int rounds = 2000 * static_cast<int>(rill_test::stress_scale);
  asio::thread_pool pool(2);
  int received = 0, left = 0;
  for (int i = 0; i < rounds; ++i) {
    auto [tx, rx] = rill::broadcast<int>(2);
    bool sent = false;
    const bool got = rill_test::race_cancellation(
        pool, [&rx = rx](auto token) { rx.async_recv(std::move(token)); },
        [&tx = tx, &sent, i] { sent = tx.send(i).has_value(); });
    CHECK(sent);
    if (got) {
      ++received;
      CHECK(rx.empty());
    } else {
      ++left;
      CHECK(rx.try_recv() == i);  // cancelled before taking: the message is still there
    }
  }
  pool.join();
  CHECK(received + left == rounds);
}
