// Ported peer suite: Rust's std::sync::mpsc tests for the unbounded channel,
// re-expressed against rill::channel<T>().
//
// Source:
// https://github.com/rust-lang/rust/blob/0dcec0369e8345d2ae1f1c32205fb98ee9e8c9c1/library/std/src/sync/mpsc/tests.rs
//
// The tests that sync_tests.rs has too are written once, in
// rust_mpsc_shared.hpp, and run here on the unbounded channel; this file
// holds the ones only tests.rs has.
//
// How the Rust idioms map:
//  - `drop(x)` is rill_test::drop(x); a handle moved into a thread lambda is
//    destroyed when that thread ends, as with Rust's `move ||`.
//  - "the thread panicked on unwrap()" becomes a check that the operation
//    failed with errc::disconnected.
//  - Box<T> is std::unique_ptr<T>, or rill_test::tracked where the point is
//    that the channel destroyed (or handed back) what it held.
//  - Where a Rust test only shows that nothing crashes, the port also checks
//    the state the operation must leave behind.
//  - Rust sleeps of 100 ms-1 s are shortened: they only make an interleaving
//    likely, and no check depends on them.
//
// Left out: send_from_outside_runtime, recv_from_outside_runtime, no_runtime
// (they pinned the interaction with Rust's long-removed green-thread runtime;
// their cross-thread traffic is what smoke_threads and stress cover).

#define RUST_MPSC_SUITE "mpsc: "
#define RUST_MPSC_TAGS "[ported][rust-mpsc]"
#include "rust_mpsc_shared.hpp"

#include <cstdint>
#include <functional>
#include <limits>

using rill_test::times_out_after;

namespace {
// Every test runs on the unbounded channel.
channel_spec any_channel() { return {channel_kind::unbounded}; }
channel_spec buffering_channel() { return any_channel(); }
}  // namespace

// --------------------------------------------------------------- smoke ---

TEST_CASE("mpsc: drop_full_shared", "[ported][rust-mpsc]") {
  tracked::counters counts;
  {
    auto [tx, rx] = rill::channel<tracked>();
    { auto clone = tx; }
    { auto clone = tx; }
    CHECK(tx.sender_count() == 1);
    REQUIRE(tx.send(tracked(counts, 1)));
    CHECK(counts.live == 1);
  }
  CHECK(counts.live == 0);
}

TEST_CASE("mpsc: smoke_shared_port_gone", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  auto tx2 = tx;
  drop(rx);
  CHECK(refused(tx.send(1), rill::errc::disconnected, 1));
  CHECK(refused(tx2.send(2), rill::errc::disconnected, 2));
}

// ------------------------------------------------------------ timeouts ---

TEST_CASE("mpsc: oneshot_single_thread_recv_timeout", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<unit>();
  REQUIRE(tx.send(unit{}));
  CHECK(rx.recv_timeout(1ms) == unit{});
  CHECK(rx.recv_timeout(1ms) == timed_out);
  REQUIRE(tx.send(unit{}));
  CHECK(rx.recv_timeout(1ms) == unit{});
}

TEST_CASE("mpsc: stress_recv_timeout_two_threads", "[ported][rust-mpsc][stress]") {
  // The producer pauses before every other message, so the consumer's short
  // timeouts expire in between; every message still arrives, in order.
  constexpr int count = static_cast<int>(100 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  threads.spawn([tx = std::move(tx)]() mutable {
    for (int i = 0; i < count; ++i) {
      if (i % 2 == 0) std::this_thread::sleep_for(2ms);
      RILL_EXPECT(tx.send(i));
    }
  });
  CHECK(receive_with_timeouts(rx, 1ms) == in_sequence(count));
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: recv_timeout_upgrade", "[ported][rust-mpsc]") {
  // A timed receive on a channel with several senders times out after the
  // timeout, not before.
  auto [tx, rx] = rill::channel<unit>();
  auto tx2 = tx;
  CHECK(times_out_after(1ms, [&rx = rx](auto t) { return rx.recv_timeout(t); }));
}

TEST_CASE("mpsc: stress_recv_timeout_shared", "[ported][rust-mpsc][stress]") {
  // Many short-lived senders, each sending once after a different pause;
  // the receiver's timeouts expire in between and it still gets them all,
  // then sees the channel disconnect.
  constexpr int senders = static_cast<int>(50 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  for (int i = 0; i < senders; ++i) {
    threads.spawn([tx = tx, i]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(i % 25));
      RILL_EXPECT(tx.send(1));
    });
  }
  drop(tx);
  CHECK(receive_with_timeouts(rx, 2ms) == std::vector<int>(senders, 1));
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: very_long_recv_timeout_wont_panic", "[ported][rust-mpsc]") {
  // Timeouts and deadlines too far away to add to now() wait "forever"
  // instead of overflowing into the past.
  std::function<rill::expected<unit, rill::recv_timeout_error>(rill::receiver<unit>&)> wait_long;
  SECTION("u64::MAX seconds, as in the Rust test") {
    wait_long = [](rill::receiver<unit>& rx) {
      return rx.recv_timeout(std::chrono::duration<std::uint64_t>(std::numeric_limits<std::uint64_t>::max()));
    };
  }
  SECTION("hours::max()") {
    wait_long = [](rill::receiver<unit>& rx) { return rx.recv_timeout(std::chrono::hours::max()); };
  }
  SECTION("steady_clock::time_point::max()") {
    wait_long = [](rill::receiver<unit>& rx) { return rx.recv_deadline(std::chrono::steady_clock::time_point::max()); };
  }
  SECTION("system_clock::time_point::max()") {
    wait_long = [](rill::receiver<unit>& rx) { return rx.recv_deadline(std::chrono::system_clock::time_point::max()); };
  }
  scoped_threads threads;
  auto [tx, rx] = rill::channel<unit>();
  threads.spawn([rx = std::move(rx), wait_long]() mutable { RILL_EXPECT(wait_long(rx) == unit{}); });
  std::this_thread::sleep_for(20ms);  // the receiver is probably parked by now
  CHECK(tx.send(unit{}));
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: recv_a_lot", "[ported][rust-mpsc]") {
  constexpr int count = 10'000;
  auto [tx, rx] = rill::channel<int>();
  for (int i = 0; i < count; ++i) REQUIRE(tx.send(i));
  CHECK(rx.size() == static_cast<std::size_t>(count));
  int in_order = 0;
  for (int i = 0; i < count; ++i)
    if (rx.recv() == i) ++in_order;
  CHECK(in_order == count);
  CHECK(rx.size() == 0);
}

TEST_CASE("mpsc: shared_recv_timeout", "[ported][rust-mpsc]") {
  constexpr int total = 5;
  scoped_threads threads;
  auto [tx, rx] = rill::channel<unit>();
  for (int i = 0; i < total; ++i) threads.spawn([tx = tx]() mutable { RILL_EXPECT(tx.send(unit{})); });
  for (int i = 0; i < total; ++i) CHECK(rx.recv() == unit{});
  CHECK(rx.recv_timeout(1ms) == timed_out);
  REQUIRE(tx.send(unit{}));
  CHECK(rx.recv_timeout(1ms) == unit{});
  REQUIRE(threads.join() == "");
}

// ----------------------------------------------------------- iteration ---

TEST_CASE("mpsc: test_recv_try_iter", "[ported][rust-mpsc]") {
  // The worker drains whatever responses are ready without blocking and asks
  // for more until it has 6.
  int result = 0;  // declared before the threads, which write it
  scoped_threads threads;
  auto [request_tx, request_rx] = rill::channel<unit>();
  auto [response_tx, response_rx] = rill::channel<int>();
  threads.spawn([request_tx = std::move(request_tx), response_rx = std::move(response_rx), &result]() mutable {
    int count = 0;
    for (;;) {
      for (int& x : response_rx.try_iter()) {
        count += x;
        if (count == 6) {
          result = count;
          return;  // drops both handles: the loop below ends
        }
      }
      RILL_EXPECT(request_tx.send(unit{}));
    }
  });
  for ([[maybe_unused]] unit& request : request_rx) {
    if (!response_tx.send(2)) break;
  }
  REQUIRE(threads.join() == "");
  CHECK(result == 6);
}

namespace {
// What test_recv_into_iter_* check of a receiver holding 1 and 2 whose
// senders are gone: iterating it yields 1, then 2, then ends.
void check_iteration_yields_1_2_then_ends(rill::receiver<int>& rx) {
  auto it = rx.begin();
  REQUIRE_FALSE(it == rx.end());
  CHECK(*it == 1);
  ++it;
  REQUIRE_FALSE(it == rx.end());
  CHECK(*it == 2);
  ++it;
  CHECK(it == rx.end());
}
}  // namespace

TEST_CASE("mpsc: test_recv_into_iter_owned", "[ported][rust-mpsc]") {
  // The receiver outlives the scope that held the sender; iterating it
  // yields what was sent, then ends.
  rill::receiver<int> owned;
  {
    auto [tx, rx] = rill::channel<int>();
    REQUIRE(tx.send(1));
    REQUIRE(tx.send(2));
    owned = std::move(rx);
  }
  check_iteration_yields_1_2_then_ends(owned);
}

TEST_CASE("mpsc: test_recv_into_iter_borrowed", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  drop(tx);
  check_iteration_yields_1_2_then_ends(rx);
}

// ------------------------------------------------------- state machine ---

TEST_CASE("mpsc: issue_32114", "[ported][rust-mpsc]") {
  // Rust regression: a second send on a channel whose receiver never
  // existed past creation must fail the same way as the first.
  auto tx = rill::channel<int>().first;
  (void)tx.send(123);
  CHECK(refused(tx.send(123), rill::errc::disconnected, 123));
}
