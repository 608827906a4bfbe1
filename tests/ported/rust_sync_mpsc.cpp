// Ported peer suite: Rust's std::sync::mpsc tests for sync_channel,
// re-expressed against rill::sync_channel<T>(n).
//
// Source:
// https://github.com/rust-lang/rust/blob/28af7e09581c3b39cdbf2850df2f157690ab7e56/library/std/src/sync/mpsc/sync_tests.rs
//
// The tests that tests.rs has too are written once, in rust_mpsc_shared.hpp,
// and run here on sync_channel; this file holds the ones only sync_tests.rs
// has. Rust runs each test on one fixed capacity. Here a test whose behaviour
// does not depend on that capacity runs on each of a rendezvous channel (0),
// a one-slot buffer (1) and a larger buffer (16), through Catch's GENERATE;
// single-threaded tests that need room to send into run on 1 and 16 only; the
// tests that pin what a particular capacity does (try_send1..3, send2, ...)
// keep Rust's capacity. Idioms map as in rust_mpsc.cpp: drop(x) is
// rill_test::drop(x), a thread that "panics on unwrap()" becomes a check for
// errc::disconnected, Box<T> is std::unique_ptr<T> or rill_test::tracked, and
// Rc/Weak is std::shared_ptr/std::weak_ptr.

#define RUST_MPSC_SUITE "sync_mpsc: "
#define RUST_MPSC_TAGS "[ported][rust-sync-mpsc]"
#include "rust_mpsc_shared.hpp"

using rill_test::times_out_after;

namespace {

// A rendezvous channel, a one-slot buffer, and a larger buffer.
std::size_t any_capacity() { return GENERATE(as<std::size_t>{}, 0, 1, 16); }
// Capacities a single thread can send into without a receiver waiting.
std::size_t buffering_capacity() { return GENERATE(as<std::size_t>{}, 1, 16); }

channel_spec any_channel() { return {channel_kind::bounded, any_capacity()}; }
channel_spec buffering_channel() { return {channel_kind::bounded, buffering_capacity()}; }

}  // namespace

// ------------------------------------------------------------ timeouts ---

TEST_CASE("sync_mpsc: recv_timeout", "[ported][rust-sync-mpsc]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  CHECK(times_out_after(1ms, [&rx = rx](auto t) { return rx.recv_timeout(t); }));
  REQUIRE(tx.send(1));
  CHECK(rx.recv_timeout(1ms) == 1);
}

TEST_CASE("sync_mpsc: send_timeout", "[ported][rust-sync-mpsc]") {
  // Rust fills a one-slot buffer, then times out; here the buffer is filled
  // to whatever capacity it has (none, for a rendezvous channel).
  const std::size_t cap = any_capacity();
  CAPTURE(cap);
  auto [tx, rx] = rill::sync_channel<int>(cap);
  for (std::size_t i = 0; i < cap; ++i) REQUIRE(tx.send_timeout(1, 1ms));
  const auto start = std::chrono::steady_clock::now();
  CHECK(refused(tx.send_timeout(2, 1ms), rill::errc::timeout, 2));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 1ms);
  CHECK(elapsed < 5s);
  CHECK(rx.size() == cap);
}

// -------------------------------------------------------------- stress ---

TEST_CASE("sync_mpsc: stress_recv_timeout_two_threads", "[ported][rust-sync-mpsc][stress]") {
  // The consumer only ever uses short timed receives; some expire, and every
  // message still arrives exactly once, in order.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  constexpr int count = static_cast<int>(5'000 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
  threads.spawn([tx = std::move(tx)]() mutable {
    for (int i = 0; i < count; ++i) RILL_EXPECT(tx.send(i));
  });
  CHECK(receive_with_timeouts(rx, 1ms) == in_sequence(count));
  REQUIRE(threads.join() == "");
}

TEST_CASE("sync_mpsc: stress_recv_timeout_shared", "[ported][rust-sync-mpsc][stress]") {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  many_producers_one_consumer(ch, [](rill::receiver<std::pair<int, int>>& rx) { return rx.recv_timeout(10ms); });
}

// ---------------------------------------------- oneshot, single thread ---

TEST_CASE("sync_mpsc: oneshot_single_thread_try_send_closed2", "[ported][rust-sync-mpsc]") {
  // Rust: a rendezvous channel with nobody receiving is "full". Here every
  // capacity is filled first, then found full.
  const std::size_t cap = any_capacity();
  CAPTURE(cap);
  auto [tx, rx] = rill::sync_channel<int>(cap);
  for (std::size_t i = 0; i < cap; ++i) REQUIRE(tx.try_send(1));
  auto r = tx.try_send(10);
  CHECK(refused(r, rill::errc::full, 10));
  CHECK((!r && r.error().is_full()));
}

TEST_CASE("sync_mpsc: oneshot_single_thread_try_recv_closed_with_data", "[ported][rust-sync-mpsc]") {
  // What was buffered before the last sender went is still received.
  const std::size_t cap = buffering_capacity();
  CAPTURE(cap);
  auto [tx, rx] = rill::sync_channel<int>(cap);
  REQUIRE(tx.send(10));
  drop(tx);
  CHECK(rx.try_recv() == 10);
  CHECK(rx.try_recv() == try_disconnected);
}

TEST_CASE("sync_mpsc: recv_a_lot", "[ported][rust-sync-mpsc]") {
  // A buffer exactly as large as what is sent: every send fits, none blocks.
  constexpr int count = 10'000;
  auto [tx, rx] = rill::sync_channel<int>(count);
  for (int i = 0; i < count; ++i) REQUIRE(tx.send(i));
  CHECK(refused(tx.try_send(-1), rill::errc::full, -1));
  int in_order = 0;
  for (int i = 0; i < count; ++i)
    if (rx.recv() == i) ++in_order;
  CHECK(in_order == count);
}

// ----------------------------------------------------- send / try_send ---

TEST_CASE("sync_mpsc: send1", "[ported][rust-sync-mpsc]") {
  // A rendezvous send completes once a receiver takes the value.
  const std::size_t cap = any_capacity();
  CAPTURE(cap);
  scoped_threads threads;
  auto [tx, rx] = rill::sync_channel<int>(cap);
  threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == 1); });
  CHECK(tx.send(1));
  REQUIRE(threads.join() == "");
}

TEST_CASE("sync_mpsc: send2", "[ported][rust-sync-mpsc]") {
  // A rendezvous send with the receiver going away (before or while the
  // send waits) fails and hands the value back.
  scoped_threads threads;
  auto [tx, rx] = rill::sync_channel<int>(0);
  threads.spawn([rx = std::move(rx)]() mutable { drop(rx); });
  CHECK(refused(tx.send(1), rill::errc::disconnected, 1));
  REQUIRE(threads.join() == "");
}

TEST_CASE("sync_mpsc: send3", "[ported][rust-sync-mpsc]") {
  // Rust: a one-slot buffer is filled, then the next send fails when the
  // receiver goes away. Here every buffered capacity is filled first.
  const std::size_t cap = buffering_capacity();
  CAPTURE(cap);
  scoped_threads threads;
  auto [tx, rx] = rill::sync_channel<int>(cap);
  for (std::size_t i = 0; i < cap; ++i) REQUIRE(tx.send(1));
  threads.spawn([rx = std::move(rx)]() mutable { drop(rx); });
  CHECK(refused(tx.send(2), rill::errc::disconnected, 2));
  REQUIRE(threads.join() == "");
}

TEST_CASE("sync_mpsc: send4", "[ported][rust-sync-mpsc]") {
  // Two senders blocked on a full channel both fail when the receiver goes.
  const std::size_t cap = any_capacity();
  CAPTURE(cap);
  scoped_threads threads;
  auto [tx, rx] = rill::sync_channel<int>(cap);
  for (std::size_t i = 0; i < cap; ++i) REQUIRE(tx.send(0));
  auto tx2 = tx;
  auto [done_tx, done_rx] = rill::channel<unit>();
  auto done2 = done_tx;
  threads.spawn([tx = std::move(tx), done_tx = std::move(done_tx)]() mutable {
    RILL_EXPECT(refused(tx.send(1), rill::errc::disconnected, 1));
    RILL_EXPECT(done_tx.send(unit{}));
  });
  threads.spawn([tx2 = std::move(tx2), done2 = std::move(done2)]() mutable {
    RILL_EXPECT(refused(tx2.send(2), rill::errc::disconnected, 2));
    RILL_EXPECT(done2.send(unit{}));
  });
  std::this_thread::sleep_for(10ms);  // both senders are probably parked
  drop(rx);
  CHECK(done_rx.recv());
  CHECK(done_rx.recv());
  REQUIRE(threads.join() == "");
}

TEST_CASE("sync_mpsc: try_send1", "[ported][rust-sync-mpsc]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  CHECK(refused(tx.try_send(1), rill::errc::full, 1));
}

TEST_CASE("sync_mpsc: try_send2", "[ported][rust-sync-mpsc]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  CHECK(tx.try_send(1));
  CHECK(refused(tx.try_send(1), rill::errc::full, 1));
}

TEST_CASE("sync_mpsc: try_send3", "[ported][rust-sync-mpsc]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  CHECK(tx.try_send(1));
  drop(rx);
  auto r = tx.try_send(1);
  CHECK(refused(r, rill::errc::disconnected, 1));
  CHECK((!r && r.error().is_disconnected()));
}

TEST_CASE("sync_mpsc: issue_15761", "[ported][rust-sync-mpsc]") {
  // Rust regression: a try_send into a channel with room failed spuriously
  // when it raced a receive on another channel.
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx1, rx1] = rill::sync_channel<unit>(3);
    auto [tx2, rx2] = rill::sync_channel<unit>(3);
    threads.spawn([rx1 = std::move(rx1), tx2 = std::move(tx2)]() mutable {
      RILL_EXPECT(rx1.recv());
      RILL_EXPECT(tx2.try_send(unit{}));
    });
    REQUIRE(tx1.try_send(unit{}));
    REQUIRE(rx2.recv());
    REQUIRE(threads.join() == "");
  }
}

TEST_CASE("sync_mpsc: drop_unreceived", "[ported][rust-sync-mpsc]") {
  // Buffered messages are destroyed as soon as the last receiver is, not
  // when the channel's last handle goes.
  auto [tx, rx] = rill::sync_channel<std::shared_ptr<int>>(1);
  auto msg = std::make_shared<int>(0);
  std::weak_ptr<int> weak = msg;
  REQUIRE(tx.send(std::move(msg)));
  CHECK_FALSE(weak.expired());
  drop(rx);
  CHECK(weak.expired());
  drop(tx);
}
