// Ported peer suite: Rust's std::sync::mpsc tests for the unbounded channel,
// re-expressed against rill::channel<T>().
//
// Source:
// https://github.com/rust-lang/rust/blob/0dcec0369e8345d2ae1f1c32205fb98ee9e8c9c1/library/std/src/sync/mpsc/tests.rs
//
// How the Rust idioms map:
//  - `drop(x)` is rill_test::drop(x); a handle moved into a thread lambda is
//    destroyed when that thread ends, as with Rust's `move ||`.
//  - "the thread panicked on unwrap()" becomes a check that the operation
//    failed with errc::disconnected.
//  - Box<T> is std::unique_ptr<T>, or rill_test::counted where the point is
//    that the channel destroyed (or handed back) what it held.
//  - Where a Rust test only shows that nothing crashes, the port also checks
//    the state the operation must leave behind.
//  - Rust sleeps of 100 ms-1 s are shortened: they only make an interleaving
//    likely, and no check depends on them.
//
// Left out: send_from_outside_runtime, recv_from_outside_runtime, no_runtime
// (they pinned the interaction with Rust's long-removed green-thread runtime;
// their cross-thread traffic is what smoke_threads and stress cover).

#include "../support/test_support.hpp"

#include <rill/channel.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using rill_test::counted;
using rill_test::drop;
using rill_test::recv_disconnected;
using rill_test::refused;
using rill_test::scoped_threads;
using rill_test::stress_scale;
using rill_test::timed_out;
using rill_test::try_disconnected;
using rill_test::try_empty;

namespace {
using unit = std::monostate;  // Rust's ()
}

// --------------------------------------------------------------- smoke ---

TEST_CASE("mpsc: smoke", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  CHECK(rx.recv() == 1);
}

TEST_CASE("mpsc: drop_full", "[ported][rust-mpsc]") {
  // A channel destroyed with a message still buffered destroys the message.
  std::atomic<long> live{0};
  {
    auto [tx, rx] = rill::channel<counted>();
    REQUIRE(tx.send(counted(live, 1)));
    CHECK(live == 1);
  }
  CHECK(live == 0);
}

TEST_CASE("mpsc: drop_full_shared", "[ported][rust-mpsc]") {
  std::atomic<long> live{0};
  {
    auto [tx, rx] = rill::channel<counted>();
    { auto clone = tx; }
    { auto clone = tx; }
    CHECK(tx.sender_count() == 1);
    REQUIRE(tx.send(counted(live, 1)));
    CHECK(live == 1);
  }
  CHECK(live == 0);
}

TEST_CASE("mpsc: smoke_shared", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  CHECK(rx.recv() == 1);
  auto tx2 = tx;
  CHECK(tx2 == tx);
  REQUIRE(tx2.send(2));
  CHECK(rx.recv() == 2);
}

TEST_CASE("mpsc: smoke_threads", "[ported][rust-mpsc]") {
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  threads.spawn([tx = std::move(tx)]() mutable { RILL_EXPECT(tx.send(1)); });
  CHECK(rx.recv() == 1);
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: smoke_port_gone", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(rx);
  CHECK(refused(tx.send(1), rill::errc::disconnected, 1));
}

TEST_CASE("mpsc: smoke_shared_port_gone", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  auto tx2 = tx;
  drop(rx);
  CHECK(refused(tx.send(1), rill::errc::disconnected, 1));
  CHECK(refused(tx2.send(2), rill::errc::disconnected, 2));
}

TEST_CASE("mpsc: smoke_shared_port_gone2", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(rx);
  auto tx2 = tx;
  drop(tx);
  CHECK(refused(tx2.send(1), rill::errc::disconnected, 1));
}

TEST_CASE("mpsc: port_gone_concurrent", "[ported][rust-mpsc]") {
  // The receiver takes one message and goes away; the sender's loop must
  // end with its value handed back.
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == 1); });
  std::size_t sent = 0;
  for (;;) {
    auto r = tx.send(1);
    if (!r) {
      CHECK(refused(r, rill::errc::disconnected, 1));
      break;
    }
    ++sent;
  }
  CHECK(sent >= 1);
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: port_gone_concurrent_shared", "[ported][rust-mpsc]") {
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  auto tx2 = tx;
  threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == 1); });
  while (tx.send(1) && tx2.send(1)) {
  }
  CHECK(tx.is_closed());
  CHECK(refused(tx.send(1), rill::errc::disconnected, 1));
  CHECK(refused(tx2.send(1), rill::errc::disconnected, 1));
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: smoke_chan_gone", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(tx);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE("mpsc: smoke_chan_gone_shared", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<unit>();
  auto tx2 = tx;
  drop(tx);
  CHECK_FALSE(rx.is_closed());  // one sender is left
  drop(tx2);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE("mpsc: chan_gone_concurrent", "[ported][rust-mpsc]") {
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  threads.spawn([tx = std::move(tx)]() mutable {
    RILL_EXPECT(tx.send(1));
    RILL_EXPECT(tx.send(1));
  });
  int received = 0;
  while (rx.recv()) ++received;
  CHECK(received == 2);
  REQUIRE(threads.join() == "");
}

// -------------------------------------------------------------- stress ---

TEST_CASE("mpsc: stress", "[ported][rust-mpsc][stress]") {
  constexpr int count = static_cast<int>(10'000 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  threads.spawn([tx = std::move(tx)]() mutable {
    for (int i = 0; i < count; ++i) RILL_EXPECT(tx.send(i));
  });
  int in_order = 0;
  for (int i = 0; i < count; ++i)
    if (rx.recv() == i) ++in_order;
  CHECK(in_order == count);
  REQUIRE(threads.join() == "");
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE("mpsc: stress_shared", "[ported][rust-mpsc][stress]") {
  // Several producers, one consumer: every message arrives, and each
  // producer's messages arrive in the order it sent them.
  constexpr int producers = 8;
  constexpr int per_producer = static_cast<int>(1'250 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = rill::channel<std::pair<int, int>>();  // (producer, sequence)

  threads.spawn([rx = std::move(rx)]() mutable {
    std::vector<int> next(producers, 0);
    for (int i = 0; i < per_producer * producers; ++i) {
      auto m = rx.recv();
      RILL_EXPECT(m.has_value());
      RILL_EXPECT(m->second == next[m->first]);
      ++next[m->first];
    }
    RILL_EXPECT(!rx.try_recv());
  });
  for (int p = 0; p < producers; ++p) {
    threads.spawn([tx = tx, p]() mutable {
      for (int i = 0; i < per_producer; ++i) RILL_EXPECT(tx.send({p, i}));
    });
  }
  drop(tx);
  REQUIRE(threads.join() == "");
}

// ------------------------------------------------ oneshot, single thread ---

TEST_CASE("mpsc: oneshot_single_thread_close_port_first", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(rx);
  CHECK(tx.receiver_count() == 0);
  CHECK(tx.is_closed());
}

TEST_CASE("mpsc: oneshot_single_thread_close_chan_first", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(tx);
  CHECK(rx.sender_count() == 0);
  CHECK(rx.is_closed());
}

TEST_CASE("mpsc: oneshot_single_thread_send_port_close", "[ported][rust-mpsc]") {
  // The failed send hands the payload back; nothing is kept or leaked.
  std::atomic<long> live{0};
  auto [tx, rx] = rill::channel<counted>();
  drop(rx);
  {
    auto r = tx.send(counted(live, 7));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == rill::errc::disconnected);
    CHECK(r.error().value.value() == 7);
    CHECK(live == 1);
  }
  CHECK(live == 0);
}

TEST_CASE("mpsc: oneshot_single_thread_recv_chan_close", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(tx);
  auto r = rx.recv();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == rill::errc::disconnected);
  CHECK(r.error().code() == rill::make_error_code(rill::errc::disconnected));
}

TEST_CASE("mpsc: oneshot_single_thread_send_then_recv", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<std::unique_ptr<int>>();
  REQUIRE(tx.send(std::make_unique<int>(10)));
  auto m = rx.recv();
  REQUIRE(m);
  CHECK(**m == 10);
}

TEST_CASE("mpsc: oneshot_single_thread_try_send_open", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  CHECK(tx.try_send(10));
  CHECK(rx.recv() == 10);
}

TEST_CASE("mpsc: oneshot_single_thread_try_send_closed", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(rx);
  CHECK(refused(tx.try_send(10), rill::errc::disconnected, 10));
}

TEST_CASE("mpsc: oneshot_single_thread_try_recv_open", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(10));
  CHECK(rx.try_recv() == 10);
}

TEST_CASE("mpsc: oneshot_single_thread_try_recv_closed", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(tx);
  CHECK(rx.try_recv() == try_disconnected);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE("mpsc: oneshot_single_thread_peek_data", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  CHECK(rx.try_recv() == try_empty);
  REQUIRE(tx.send(10));
  CHECK(rx.try_recv() == 10);
}

TEST_CASE("mpsc: oneshot_single_thread_peek_close", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  drop(tx);
  CHECK(rx.try_recv() == try_disconnected);
  CHECK(rx.try_recv() == try_disconnected);
}

TEST_CASE("mpsc: oneshot_single_thread_peek_open", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  CHECK(rx.try_recv() == try_empty);
}

// ------------------------------------------------- oneshot, multi thread ---

TEST_CASE("mpsc: oneshot_multi_task_recv_then_send", "[ported][rust-mpsc]") {
  scoped_threads threads;
  auto [tx, rx] = rill::channel<std::unique_ptr<int>>();
  threads.spawn([rx = std::move(rx)]() mutable {
    auto m = rx.recv();
    RILL_EXPECT(m && **m == 10);
  });
  REQUIRE(tx.send(std::make_unique<int>(10)));
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: oneshot_multi_task_recv_then_close", "[ported][rust-mpsc]") {
  scoped_threads threads;
  auto [tx, rx] = rill::channel<std::unique_ptr<int>>();
  threads.spawn([tx = std::move(tx)]() mutable { drop(tx); });
  threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == recv_disconnected); });
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: oneshot_multi_thread_close_stress", "[ported][rust-mpsc][stress]") {
  // Both handles destroyed at once on two threads; the one buffered message
  // is destroyed exactly once.
  std::atomic<long> live{0};
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = rill::channel<counted>();
    REQUIRE(tx.send(counted(live, 1)));
    threads.spawn([rx = std::move(rx)]() mutable { drop(rx); });
    drop(tx);
    REQUIRE(threads.join() == "");
  }
  CHECK(live == 0);
}

TEST_CASE("mpsc: oneshot_multi_thread_send_close_stress", "[ported][rust-mpsc][stress]") {
  // A send racing the receiver's destruction either delivers or hands the
  // value back; either way nothing leaks.
  std::atomic<long> live{0};
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = rill::channel<counted>();
    threads.spawn([rx = std::move(rx)]() mutable { drop(rx); });
    threads.spawn([tx = std::move(tx), &live]() mutable {
      auto r = tx.send(counted(live, 1));
      RILL_EXPECT(r || (r.error().kind() == rill::errc::disconnected && r.error().value.value() == 1));
    });
    REQUIRE(threads.join() == "");
  }
  CHECK(live == 0);
}

TEST_CASE("mpsc: oneshot_multi_thread_recv_close_stress", "[ported][rust-mpsc][stress]") {
  // A receive racing the destruction of the only sender (each on a thread
  // started by another thread) sees disconnected, never a value.
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = rill::channel<int>();
    threads.spawn([&threads, rx = std::move(rx)]() mutable {
      threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == recv_disconnected); });
    });
    threads.spawn([&threads, tx = std::move(tx)]() mutable {
      threads.spawn([tx = std::move(tx)]() mutable { drop(tx); });
    });
    REQUIRE(threads.join() == "");
  }
}

TEST_CASE("mpsc: oneshot_multi_thread_send_recv_stress", "[ported][rust-mpsc][stress]") {
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = rill::channel<std::unique_ptr<int>>();
    threads.spawn([tx = std::move(tx)]() mutable { RILL_EXPECT(tx.send(std::make_unique<int>(10))); });
    auto m = rx.recv();
    REQUIRE(m);
    CHECK(**m == 10);
    REQUIRE(threads.join() == "");
  }
}

namespace {

// Each link sends one value, then hands the sender to a new thread for the
// next: the handle hops across ten threads.
void send_chain(scoped_threads& threads, rill::sender<std::unique_ptr<int>> tx, int i) {
  if (i == 10) return;
  threads.spawn([&threads, tx = std::move(tx), i]() mutable {
    RILL_EXPECT(tx.send(std::make_unique<int>(i)));
    send_chain(threads, std::move(tx), i + 1);
  });
}

void recv_chain(scoped_threads& threads, rill::receiver<std::unique_ptr<int>> rx, int i) {
  threads.spawn([&threads, rx = std::move(rx), i]() mutable {
    if (i == 10) {
      // Every link of the sending chain has ended: nothing more will come.
      RILL_EXPECT(rx.recv() == recv_disconnected);
      return;
    }
    auto m = rx.recv();
    RILL_EXPECT(m && **m == i);
    recv_chain(threads, std::move(rx), i + 1);
  });
}

}  // namespace

TEST_CASE("mpsc: stream_send_recv_stress", "[ported][rust-mpsc][stress]") {
  for (std::size_t i = 0; i < 10 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = rill::channel<std::unique_ptr<int>>();
    send_chain(threads, std::move(tx), 0);
    recv_chain(threads, std::move(rx), 0);
    REQUIRE(threads.join() == "");
  }
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
  int received = 0;
  int in_order = 0;
  for (;;) {
    auto r = rx.recv_timeout(1ms);
    if (r) {
      if (*r == received) ++in_order;
      ++received;
    } else if (r.error() == rill::recv_timeout_error::disconnected) {
      break;
    }
  }
  CHECK(received == count);
  CHECK(in_order == count);
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: recv_timeout_upgrade", "[ported][rust-mpsc]") {
  // A timed receive on a channel with several senders times out after the
  // timeout, not before.
  auto [tx, rx] = rill::channel<unit>();
  auto tx2 = tx;
  const auto timeout = 1ms;
  const auto start = std::chrono::steady_clock::now();
  CHECK(rx.recv_timeout(timeout) == timed_out);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= timeout);
  CHECK(elapsed < 5s);
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
  int received = 0;
  for (;;) {
    auto r = rx.recv_timeout(2ms);
    if (r) {
      CHECK(*r == 1);
      ++received;
    } else if (r.error() == rill::recv_timeout_error::disconnected) {
      break;
    }
  }
  CHECK(received == senders);
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

TEST_CASE("mpsc: shared_chan_stress", "[ported][rust-mpsc][stress]") {
  constexpr int total = static_cast<int>(100 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = rill::channel<unit>();
  for (int i = 0; i < total; ++i) threads.spawn([tx = tx]() mutable { RILL_EXPECT(tx.send(unit{})); });
  drop(tx);
  int received = 0;
  while (rx.recv()) ++received;
  CHECK(received == total);
  REQUIRE(threads.join() == "");
}

// ------------------------------------------------------------ iteration ---

TEST_CASE("mpsc: test_nested_recv_iter", "[ported][rust-mpsc]") {
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  auto [total_tx, total_rx] = rill::channel<int>();
  threads.spawn([rx = std::move(rx), total_tx = std::move(total_tx)]() mutable {
    int acc = 0;
    for (int& x : rx) acc += x;
    RILL_EXPECT(total_tx.send(acc));
  });
  REQUIRE(tx.send(3));
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  drop(tx);
  CHECK(total_rx.recv() == 6);
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: test_recv_iter_break", "[ported][rust-mpsc]") {
  scoped_threads threads;
  auto [tx, rx] = rill::channel<int>();
  auto [count_tx, count_rx] = rill::channel<int>();
  threads.spawn([rx = std::move(rx), count_tx = std::move(count_tx)]() mutable {
    int count = 0;
    for (int& x : rx) {
      if (count >= 3) break;
      count += x;
    }
    RILL_EXPECT(count_tx.send(count));
  });
  REQUIRE(tx.send(2));
  REQUIRE(tx.send(2));
  REQUIRE(tx.send(2));
  (void)tx.send(2);  // may find the receiver gone
  drop(tx);
  CHECK(count_rx.recv() == 4);
  REQUIRE(threads.join() == "");
}

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
  auto it = owned.begin();
  REQUIRE_FALSE(it == owned.end());
  CHECK(*it == 1);
  ++it;
  REQUIRE_FALSE(it == owned.end());
  CHECK(*it == 2);
  ++it;
  CHECK(it == owned.end());
}

TEST_CASE("mpsc: test_recv_into_iter_borrowed", "[ported][rust-mpsc]") {
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  drop(tx);
  auto it = rx.begin();
  REQUIRE_FALSE(it == rx.end());
  CHECK(*it == 1);
  ++it;
  REQUIRE_FALSE(it == rx.end());
  CHECK(*it == 2);
  ++it;
  CHECK(it == rx.end());
}

// ------------------------------------------------------- state machine ---

TEST_CASE("mpsc: try_recv_states", "[ported][rust-mpsc]") {
  // try_recv walks empty -> value -> empty -> disconnected, each step
  // triggered by the other thread and acknowledged over a second channel.
  scoped_threads threads;
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<unit>();
  auto [tx3, rx3] = rill::channel<unit>();
  threads.spawn([tx1 = std::move(tx1), rx2 = std::move(rx2), tx3 = std::move(tx3)]() mutable {
    RILL_EXPECT(rx2.recv());
    RILL_EXPECT(tx1.send(1));
    RILL_EXPECT(tx3.send(unit{}));
    RILL_EXPECT(rx2.recv());
    drop(tx1);
    RILL_EXPECT(tx3.send(unit{}));
  });
  CHECK(rx1.try_recv() == try_empty);
  REQUIRE(tx2.send(unit{}));
  REQUIRE(rx3.recv());
  CHECK(rx1.try_recv() == 1);
  CHECK(rx1.try_recv() == try_empty);
  REQUIRE(tx2.send(unit{}));
  REQUIRE(rx3.recv());
  CHECK(rx1.try_recv() == try_disconnected);
  REQUIRE(threads.join() == "");
}

TEST_CASE("mpsc: destroy_upgraded_shared_port_when_sender_still_active", "[ported][rust-mpsc]") {
  // Regression in Rust (a livelock in the receiver's destructor): the
  // receiver is destroyed while a sender cloned after it parked is alive.
  scoped_threads threads;
  auto [tx, rx] = rill::channel<unit>();
  auto [tx2, rx2] = rill::channel<unit>();
  threads.spawn([rx = std::move(rx), tx2 = std::move(tx2)]() mutable {
    RILL_EXPECT(rx.recv());
    drop(rx);
    RILL_EXPECT(tx2.send(unit{}));
  });
  for (int i = 0; i < 5000; ++i) std::this_thread::yield();  // the receiver is probably parked
  auto t = tx;
  drop(tx);
  CHECK(t.send(unit{}));
  CHECK(rx2.recv());
  REQUIRE(threads.join() == "");
  CHECK(t.receiver_count() == 0);
  CHECK(refused(t.send(unit{}), rill::errc::disconnected, unit{}));
}

TEST_CASE("mpsc: issue_32114", "[ported][rust-mpsc]") {
  // Rust regression: a second send on a channel whose receiver never
  // existed past creation must fail the same way as the first.
  auto tx = rill::channel<int>().first;
  (void)tx.send(123);
  CHECK(refused(tx.send(123), rill::errc::disconnected, 123));
}
