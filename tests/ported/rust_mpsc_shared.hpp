// Ported peer suite, shared part: the tests that Rust's std::sync::mpsc has
// for both channel() and sync_channel(), written once.
//
// Sources:
// https://github.com/rust-lang/rust/blob/0dcec0369e8345d2ae1f1c32205fb98ee9e8c9c1/library/std/src/sync/mpsc/tests.rs
// https://github.com/rust-lang/rust/blob/28af7e09581c3b39cdbf2850df2f157690ab7e56/library/std/src/sync/mpsc/sync_tests.rs
//
// Not an ordinary header: it defines test cases, and rust_mpsc.cpp and
// rust_sync_mpsc.cpp each include it once, after defining
//   RUST_MPSC_SUITE  the test-name prefix ("mpsc: ", "sync_mpsc: "), and
//   RUST_MPSC_TAGS   the tags of every test of the suite;
// and each defines the two functions declared below, which say what channel
// a test runs on. Where tests.rs and sync_tests.rs check different details of
// the same scenario, the test here checks all of them (the bounded-only ones
// only on a bounded channel). Idioms map as described in rust_mpsc.cpp.
#pragma once

#ifndef RUST_MPSC_SUITE
#error "define RUST_MPSC_SUITE and RUST_MPSC_TAGS before including rust_mpsc_shared.hpp"
#endif

#include "../support/channel_kinds.hpp"
#include "../support/test_support.hpp"
#include "../support/tracked.hpp"

#include <rill/channel.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using rill_test::channel_kind;
using rill_test::channel_spec;
using rill_test::drop;
using rill_test::recv_disconnected;
using rill_test::refused;
using rill_test::scoped_threads;
using rill_test::stress_scale;
using rill_test::timed_out;
using rill_test::tracked;
using rill_test::try_disconnected;
using rill_test::try_empty;

namespace {

using unit = std::monostate;  // Rust's ()

// Defined by the including suite: the channel a test runs on, whatever its
// capacity (it may run once per capacity, through Catch's GENERATE) ...
channel_spec any_channel();
// ... and one that a single thread can send into with nobody receiving.
channel_spec buffering_channel();

// Eight producers into one consumer that receives with `receive` until the
// channel disconnects; checks the total, per-producer order, and that
// nothing is left after. The consumer reports back over a rendezvous
// channel, as in the Rust test.
template <class Receive>
void many_producers_one_consumer(channel_spec ch, Receive receive) {
  constexpr int producers = 8;
  constexpr int per_producer = static_cast<int>(1'250 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = ch.make<std::pair<int, int>>();  // (producer, sequence)
  auto [done_tx, done_rx] = rill::sync_channel<int>(0);

  threads.spawn([rx = std::move(rx), done_tx = std::move(done_tx), receive]() mutable {
    std::vector<int> next(producers, 0);
    int received = 0;
    for (;;) {
      auto m = receive(rx);
      if (!m) {
        if (m.error() == rill::recv_timeout_error::disconnected) break;
        continue;  // timed out
      }
      RILL_EXPECT(m->second == next[m->first]);
      ++next[m->first];
      ++received;
    }
    RILL_EXPECT(!rx.try_recv());
    RILL_EXPECT(done_tx.send(received));
  });
  for (int p = 0; p < producers; ++p) {
    threads.spawn([tx = tx, p]() mutable {
      for (int i = 0; i < per_producer; ++i) RILL_EXPECT(tx.send({p, i}));
    });
  }
  drop(tx);
  CHECK(done_rx.recv() == producers * per_producer);
  REQUIRE(threads.join() == "");
}

// Receives with waits of at most `timeout` until the channel disconnects (a
// wait that times out is simply retried); returns what arrived, in order.
std::vector<int> receive_with_timeouts(rill::receiver<int>& rx, std::chrono::milliseconds timeout) {
  std::vector<int> got;
  for (;;) {
    auto r = rx.recv_timeout(timeout);
    if (r)
      got.push_back(*r);
    else if (r.error() == rill::recv_timeout_error::disconnected)
      return got;
  }
}

// 0, 1, ..., n-1: what an in-order receive of messages 0..n-1 yields.
std::vector<int> in_sequence(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// The sender and the receiver each hop across ten threads, one message per
// hop.
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

// --------------------------------------------------------------- smoke ---

TEST_CASE(RUST_MPSC_SUITE "smoke", RUST_MPSC_TAGS) {
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  REQUIRE(tx.send(1));
  CHECK(rx.recv() == 1);
}

TEST_CASE(RUST_MPSC_SUITE "drop_full", RUST_MPSC_TAGS) {
  // A channel destroyed with a message still buffered destroys the message.
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  tracked::counters counts;
  {
    auto [tx, rx] = ch.make<tracked>();
    REQUIRE(tx.send(tracked(counts, 1)));
    CHECK(counts.live == 1);
  }
  CHECK(counts.live == 0);
  CHECK(counts.destroyed_with_payload == 1);
}

TEST_CASE(RUST_MPSC_SUITE "smoke_shared", RUST_MPSC_TAGS) {
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  REQUIRE(tx.send(1));
  CHECK(rx.recv() == 1);
  auto tx2 = tx;
  CHECK(tx2 == tx);
  REQUIRE(tx2.send(2));
  CHECK(rx.recv() == 2);
}

TEST_CASE(RUST_MPSC_SUITE "smoke_threads", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
  threads.spawn([tx = std::move(tx)]() mutable { RILL_EXPECT(tx.send(1)); });
  CHECK(rx.recv() == 1);
  REQUIRE(threads.join() == "");
}

TEST_CASE(RUST_MPSC_SUITE "smoke_port_gone", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(rx);
  CHECK(refused(tx.send(1), rill::errc::disconnected, 1));
}

TEST_CASE(RUST_MPSC_SUITE "smoke_shared_port_gone2", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(rx);
  auto tx2 = tx;
  drop(tx);
  CHECK(refused(tx2.send(1), rill::errc::disconnected, 1));
}

TEST_CASE(RUST_MPSC_SUITE "port_gone_concurrent", RUST_MPSC_TAGS) {
  // The receiver takes one message and goes away. The sender's loop must end
  // with its value handed back: on a bounded channel, the send that blocks
  // on the full buffer is woken by the receiver's destruction.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
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
  if (ch.kind == channel_kind::bounded) CHECK(sent <= ch.capacity + 1);  // the buffer, and the one received
  REQUIRE(threads.join() == "");
}

TEST_CASE(RUST_MPSC_SUITE "port_gone_concurrent_shared", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
  auto tx2 = tx;
  threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == 1); });
  while (tx.send(1) && tx2.send(1)) {
  }
  CHECK(tx.is_closed());
  CHECK(refused(tx.send(1), rill::errc::disconnected, 1));
  CHECK(refused(tx2.send(1), rill::errc::disconnected, 1));
  REQUIRE(threads.join() == "");
}

TEST_CASE(RUST_MPSC_SUITE "smoke_chan_gone", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(tx);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE(RUST_MPSC_SUITE "smoke_chan_gone_shared", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<unit>();
  auto tx2 = tx;
  drop(tx);
  CHECK_FALSE(rx.is_closed());  // one sender is left
  drop(tx2);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE(RUST_MPSC_SUITE "chan_gone_concurrent", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
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

TEST_CASE(RUST_MPSC_SUITE "stress", RUST_MPSC_TAGS "[stress]") {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  constexpr int count = static_cast<int>(10'000 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
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

TEST_CASE(RUST_MPSC_SUITE "stress_shared", RUST_MPSC_TAGS "[stress]") {
  // Several producers, one consumer: every message arrives, and each
  // producer's messages arrive in the order it sent them.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  many_producers_one_consumer(ch, [](rill::receiver<std::pair<int, int>>& rx) {
    // A plain recv(), in the shape the helper expects.
    auto m = rx.recv();
    return m ? rill::expected<std::pair<int, int>, rill::recv_timeout_error>(*m)
             : rill::unexpected(rill::recv_timeout_error::disconnected);
  });
}

// ---------------------------------------------- oneshot, single thread ---

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_close_port_first", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(rx);
  CHECK(tx.receiver_count() == 0);
  CHECK(tx.is_closed());
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_close_chan_first", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(tx);
  CHECK(rx.sender_count() == 0);
  CHECK(rx.is_closed());
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_send_port_close", RUST_MPSC_TAGS) {
  // The failed send hands the payload back; nothing is kept or leaked.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  tracked::counters counts;
  auto [tx, rx] = ch.make<tracked>();
  drop(rx);
  {
    auto r = tx.send(tracked(counts, 7));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == rill::errc::disconnected);
    CHECK(r.error().value.payload == 7);
    CHECK(counts.live == 1);
  }
  CHECK(counts.live == 0);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_recv_chan_close", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(tx);
  auto r = rx.recv();
  CHECK(r == recv_disconnected);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == rill::errc::disconnected);
  CHECK(r.error().code() == rill::make_error_code(rill::errc::disconnected));
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_send_then_recv", RUST_MPSC_TAGS) {
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<std::unique_ptr<int>>();
  REQUIRE(tx.send(std::make_unique<int>(10)));
  auto m = rx.recv();
  REQUIRE(m);
  CHECK(**m == 10);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_try_send_open", RUST_MPSC_TAGS) {
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  CHECK(tx.try_send(10));
  CHECK(rx.recv() == 10);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_try_send_closed", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(rx);
  CHECK(refused(tx.try_send(10), rill::errc::disconnected, 10));
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_try_recv_open", RUST_MPSC_TAGS) {
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  REQUIRE(tx.send(10));
  CHECK(rx.try_recv() == 10);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_try_recv_closed", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(tx);
  CHECK(rx.try_recv() == try_disconnected);
  CHECK(rx.recv() == recv_disconnected);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_peek_data", RUST_MPSC_TAGS) {
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  CHECK(rx.try_recv() == try_empty);
  REQUIRE(tx.send(10));
  CHECK(rx.try_recv() == 10);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_peek_close", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  drop(tx);
  CHECK(rx.try_recv() == try_disconnected);
  CHECK(rx.try_recv() == try_disconnected);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_single_thread_peek_open", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  auto [tx, rx] = ch.make<int>();
  CHECK(rx.try_recv() == try_empty);
}

// ----------------------------------------------- oneshot, multi thread ---

TEST_CASE(RUST_MPSC_SUITE "oneshot_multi_task_recv_then_send", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<std::unique_ptr<int>>();
  threads.spawn([rx = std::move(rx)]() mutable {
    auto m = rx.recv();
    RILL_EXPECT(m && **m == 10);
  });
  REQUIRE(tx.send(std::make_unique<int>(10)));
  REQUIRE(threads.join() == "");
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_multi_task_recv_then_close", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<std::unique_ptr<int>>();
  threads.spawn([tx = std::move(tx)]() mutable { drop(tx); });
  threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == recv_disconnected); });
  REQUIRE(threads.join() == "");
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_multi_thread_close_stress", RUST_MPSC_TAGS "[stress]") {
  // Both handles destroyed at once on two threads; a buffered message (when
  // there is room for one) is destroyed exactly once.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  tracked::counters counts;
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = ch.make<tracked>();
    if (ch.buffers()) REQUIRE(tx.send(tracked(counts, 1)));
    threads.spawn([rx = std::move(rx)]() mutable { drop(rx); });
    drop(tx);
    REQUIRE(threads.join() == "");
  }
  CHECK(counts.live == 0);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_multi_thread_send_close_stress", RUST_MPSC_TAGS "[stress]") {
  // A send racing the receiver's destruction either succeeds (into the
  // buffer) or hands the value back; on a rendezvous channel it can only
  // fail, since nobody ever receives. Either way nothing leaks.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  tracked::counters counts;
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = ch.make<tracked>();
    threads.spawn([rx = std::move(rx)]() mutable { drop(rx); });
    threads.spawn([tx = std::move(tx), &counts, buffers = ch.buffers()]() mutable {
      auto r = tx.send(tracked(counts, 1));
      RILL_EXPECT((r && buffers) ||
                  (!r && r.error().kind() == rill::errc::disconnected && r.error().value.payload == 1));
    });
    REQUIRE(threads.join() == "");
  }
  CHECK(counts.live == 0);
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_multi_thread_recv_close_stress", RUST_MPSC_TAGS "[stress]") {
  // A receive racing the destruction of the only sender (each on a thread
  // started by another thread) sees disconnected, never a value.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = ch.make<int>();
    threads.spawn([&threads, rx = std::move(rx)]() mutable {
      threads.spawn([rx = std::move(rx)]() mutable { RILL_EXPECT(rx.recv() == recv_disconnected); });
    });
    threads.spawn([&threads, tx = std::move(tx)]() mutable {
      threads.spawn([tx = std::move(tx)]() mutable { drop(tx); });
    });
    REQUIRE(threads.join() == "");
  }
}

TEST_CASE(RUST_MPSC_SUITE "oneshot_multi_thread_send_recv_stress", RUST_MPSC_TAGS "[stress]") {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  for (std::size_t i = 0; i < 100 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = ch.make<std::unique_ptr<int>>();
    threads.spawn([tx = std::move(tx)]() mutable { RILL_EXPECT(tx.send(std::make_unique<int>(10))); });
    auto m = rx.recv();
    REQUIRE(m);
    CHECK(**m == 10);
    REQUIRE(threads.join() == "");
  }
}

TEST_CASE(RUST_MPSC_SUITE "stream_send_recv_stress", RUST_MPSC_TAGS "[stress]") {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  for (std::size_t i = 0; i < 10 * stress_scale; ++i) {
    scoped_threads threads;
    auto [tx, rx] = ch.make<std::unique_ptr<int>>();
    send_chain(threads, std::move(tx), 0);
    recv_chain(threads, std::move(rx), 0);
    REQUIRE(threads.join() == "");
  }
}

TEST_CASE(RUST_MPSC_SUITE "shared_chan_stress", RUST_MPSC_TAGS "[stress]") {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  constexpr int total = static_cast<int>(100 * stress_scale);
  scoped_threads threads;
  auto [tx, rx] = ch.make<unit>();
  for (int i = 0; i < total; ++i) threads.spawn([tx = tx]() mutable { RILL_EXPECT(tx.send(unit{})); });
  drop(tx);
  int received = 0;
  while (rx.recv()) ++received;
  CHECK(received == total);
  REQUIRE(threads.join() == "");
}

// ----------------------------------------------------------- iteration ---

TEST_CASE(RUST_MPSC_SUITE "test_nested_recv_iter", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
  auto [total_tx, total_rx] = ch.make<int>();
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

TEST_CASE(RUST_MPSC_SUITE "test_recv_iter_break", RUST_MPSC_TAGS) {
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<int>();
  auto [count_tx, count_rx] = ch.make<int>();
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
  (void)tx.try_send(2);  // may find the channel full or the receiver gone
  drop(tx);
  CHECK(count_rx.recv() == 4);
  REQUIRE(threads.join() == "");
}

// ------------------------------------------------------- state machine ---

TEST_CASE(RUST_MPSC_SUITE "try_recv_states", RUST_MPSC_TAGS) {
  // try_recv walks empty -> value -> empty -> disconnected, each step
  // triggered by the other thread and acknowledged over a second channel.
  // Needs buffering: the worker sends on channels nobody is receiving from
  // at that moment.
  const channel_spec ch = buffering_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx1, rx1] = ch.make<int>();
  auto [tx2, rx2] = ch.make<unit>();
  auto [tx3, rx3] = ch.make<unit>();
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

TEST_CASE(RUST_MPSC_SUITE "destroy_upgraded_shared_port_when_sender_still_active", RUST_MPSC_TAGS) {
  // Rust regression (a livelock in the receiver's destructor): the receiver
  // is destroyed while a sender cloned after it parked is alive.
  const channel_spec ch = any_channel();
  CAPTURE(ch);
  scoped_threads threads;
  auto [tx, rx] = ch.make<unit>();
  auto [tx2, rx2] = ch.make<unit>();
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
