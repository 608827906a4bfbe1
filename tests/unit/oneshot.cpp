// rill::oneshot: one value, sent once and received once, from threads,
// Asio handlers and rill::task; every way a value can end, counted.
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
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

using namespace std::chrono_literals;
using rill_test::recv_disconnected;
using rill_test::scoped_threads;
using rill_test::timeout_disconnected;
using rill_test::tracked;
using rill_test::try_disconnected;
using rill_test::try_empty;

namespace {

/// How an asynchronous receive completed.
template <class T>
struct outcome {
  bool ran = false;
  std::error_code ec;
  std::optional<T> value;
};

template <class T>
auto record_into(outcome<T>& out) {
  return [&out](std::error_code ec, auto v) {
    out.ran = true;
    out.ec = ec;
    if (!ec) out.value.emplace(std::move(v));
  };
}

}  // namespace

// ---------------------------------------------------------------------------
// Ported in our own words from tokio's tests/sync_oneshot.rs:
// https://github.com/tokio-rs/tokio/blob/master/tokio/tests/sync_oneshot.rs

TEST_CASE("oneshot: a value sent is received", "[oneshot]") {
  auto [tx, rx] = rill::oneshot<int>();
  CHECK_FALSE(rx.is_ready());
  REQUIRE(std::move(tx).send(1));
  CHECK(rx.is_ready());
  CHECK(rx.recv() == 1);
}

TEST_CASE("oneshot: a receive that waits is woken by the send", "[oneshot]") {
  scoped_threads threads;
  auto [tx, rx] = rill::oneshot<std::string>();
  rill_test::event receiving;
  threads.spawn([&receiving, tx = std::move(tx)]() mutable {
    receiving.wait();
    RILL_EXPECT(std::move(tx).send("hello"));
  });
  receiving.set();
  CHECK(rx.recv() == std::string("hello"));
  REQUIRE(threads.join() == "");
}

TEST_CASE("oneshot: a sender dropped unsent disconnects the receiver", "[oneshot]") {
  SECTION("before the receive") {
    auto [tx, rx] = rill::oneshot<int>();
    rill_test::drop(tx);
    CHECK(rx.try_recv() == try_disconnected);
    CHECK(rx.recv() == recv_disconnected);
    CHECK(rx.recv_timeout(1h) == timeout_disconnected);
  }
  SECTION("while the receive waits") {
    scoped_threads threads;
    auto [tx, rx] = rill::oneshot<int>();
    threads.spawn([tx = std::move(tx)]() mutable {
      // A receive that is waiting or about to: either way it must end.
      std::this_thread::yield();
      rill_test::drop(tx);
    });
    CHECK(rx.recv() == recv_disconnected);
  }
}

TEST_CASE("oneshot: a receiver gone refuses the send and hands the value back", "[oneshot]") {
  auto [tx, rx] = rill::oneshot<std::unique_ptr<int>>();
  CHECK_FALSE(tx.is_closed());
  rill_test::drop(rx);
  CHECK(tx.is_closed());
  auto r = std::move(tx).send(std::make_unique<int>(7));
  REQUIRE_FALSE(r);
  CHECK(*r.error().value == 7);
  CHECK_FALSE(tx);  // consumed all the same
}

TEST_CASE("oneshot: the sender is consumed by sending", "[oneshot]") {
  auto [tx, rx] = rill::oneshot<int>();
  REQUIRE(std::move(tx).send(1));
  CHECK_FALSE(tx);
  CHECK_THROWS_AS((void)std::move(tx).send(2), std::logic_error);
  CHECK_THROWS_AS((void)tx.is_closed(), std::logic_error);
}

TEST_CASE("oneshot: the value is received once; receiving again is a logic error", "[oneshot]") {
  // tokio reports Closed for a try_recv after completion and panics for a
  // poll; rill makes every second receive a std::logic_error.
  auto [tx, rx] = rill::oneshot<int>();
  REQUIRE(std::move(tx).send(3));
  CHECK(rx.try_recv() == 3);
  CHECK_THROWS_AS((void)rx.try_recv(), std::logic_error);
  CHECK_THROWS_AS((void)rx.recv(), std::logic_error);
  CHECK_THROWS_AS((void)rx.recv_timeout(1ms), std::logic_error);
  asio::io_context io;
  CHECK_THROWS_AS(rx.async_recv(asio::bind_executor(io, [](std::error_code, int) {})), std::logic_error);
  CHECK(io.poll() == 0);
}

TEST_CASE("oneshot: empty handles throw instead of crashing", "[oneshot]") {
  rill::oneshot_receiver<int> rx;
  rill::oneshot_sender<int> tx;
  CHECK_FALSE(rx);
  CHECK_THROWS_AS((void)rx.try_recv(), std::logic_error);
  CHECK_THROWS_AS((void)std::move(tx).send(1), std::logic_error);
}

TEST_CASE("oneshot: a timed receive times out, and the value sent later still arrives", "[oneshot]") {
  auto [tx, rx] = rill::oneshot<int>();
  CHECK(rill_test::times_out_after(5ms, [&](auto d) { return rx.recv_timeout(d); }));
  CHECK(rx.try_recv() == try_empty);
  CHECK(rx.recv_deadline(std::chrono::steady_clock::now()) == rill_test::timed_out);
  REQUIRE(std::move(tx).send(4));
  CHECK(rx.recv_timeout(0ms) == 4);  // a zero timeout still takes a value that is there
}

TEST_CASE("oneshot: handles can be moved and assigned", "[oneshot]") {
  auto [tx, rx] = rill::oneshot<int>();
  rill::oneshot_sender<int> tx2 = std::move(tx);
  rill::oneshot_receiver<int> rx2;
  rx2 = std::move(rx);
  CHECK_FALSE(tx);
  CHECK_FALSE(rx);
  REQUIRE(std::move(tx2).send(5));
  CHECK(rx2.recv() == 5);
  // Assigning over a sender that has not sent drops it unsent.
  auto [tx3, rx3] = rill::oneshot<int>();
  tx3 = rill::oneshot_sender<int>();
  CHECK(rx3.try_recv() == try_disconnected);
}

TEST_CASE("oneshot: every value ends exactly once, on every path", "[oneshot][drop]") {
  tracked::counters c;
  SECTION("received") {
    auto [tx, rx] = rill::oneshot<tracked>();
    REQUIRE(std::move(tx).send(tracked(c, 1)));
    auto v = rx.recv();
    REQUIRE(v);
    CHECK(v->payload == 1);
  }
  SECTION("sent, never received: destroyed with the receiver") {
    {
      auto [tx, rx] = rill::oneshot<tracked>();
      REQUIRE(std::move(tx).send(tracked(c, 1)));
      CHECK(c.destroyed_with_payload == 0);
    }
    CHECK(c.destroyed_with_payload == 1);
  }
  SECTION("refused: handed back") {
    auto [tx, rx] = rill::oneshot<tracked>();
    rill_test::drop(rx);
    auto r = std::move(tx).send(tracked(c, 1));
    REQUIRE_FALSE(r);
    CHECK(r.error().value.payload == 1);
    CHECK(c.destroyed_with_payload == 0);
  }
  SECTION("sent while an asynchronous receive is pending, receiver dropped, context destroyed") {
    {
      auto [tx, rx] = rill::oneshot<tracked>();
      asio::io_context io;
      bool ran = false;
      rx.async_recv(asio::bind_executor(io, [&](std::error_code, std::optional<tracked>) { ran = true; }));
      REQUIRE(std::move(tx).send(tracked(c, 1)));
      rill_test::drop(rx);
      CHECK(c.destroyed_with_payload == 0);  // the pending operation holds the core
      CHECK_FALSE(ran);
    }
    CHECK(c.destroyed_with_payload == 1);
  }
  CHECK(c.live == 0);
}

TEST_CASE("oneshot: a move that throws leaves the value where it was", "[oneshot][faults]") {
  using rill_test::throwing_move;
  auto [tx, rx] = rill::oneshot<throwing_move>();
  throwing_move v(9);
  throwing_move::fail_moves = true;
  CHECK_THROWS_AS((void)std::move(tx).send(std::move(v)), std::runtime_error);  // the by-value argument's move
  throwing_move::fail_moves = false;
  CHECK(tx);  // nothing was sent: the sender is still there
  REQUIRE(std::move(tx).send(throwing_move(9)));
  throwing_move::fail_moves = true;
  CHECK_THROWS_AS((void)rx.try_recv(), std::runtime_error);
  throwing_move::fail_moves = false;
  CHECK(rx.is_ready());
  auto got = rx.try_recv();
  REQUIRE(got);
  CHECK(got->payload == 9);
}

// ---------------------------------------------------------------------------
// Asynchronous receives: Asio completion tokens and rill::task.

TEST_CASE("oneshot: an asynchronous receive completes on its executor, never inside the send", "[oneshot][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::oneshot<int>();
  outcome<int> got;
  rx.async_recv(asio::bind_executor(io, record_into(got)));
  CHECK(io.poll() == 0);
  REQUIRE(std::move(tx).send(6));
  CHECK_FALSE(got.ran);
  io.run();
  CHECK(got.ran);
  CHECK_FALSE(got.ec);
  CHECK(got.value == 6);
}

TEST_CASE("oneshot: an asynchronous receive of a value already there still completes through the executor",
          "[oneshot][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::oneshot<int>();
  REQUIRE(std::move(tx).send(6));
  outcome<int> got;
  rx.async_recv(asio::bind_executor(io, record_into(got)));
  CHECK_FALSE(got.ran);
  io.run();
  CHECK(got.value == 6);
}

TEST_CASE("oneshot: an asynchronous receive fails with disconnected when the sender goes unsent",
          "[oneshot][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::oneshot<int>();
  outcome<int> got;
  rx.async_recv(asio::bind_executor(io, record_into(got)));
  io.poll();
  rill_test::drop(tx);
  io.run();
  CHECK(got.ec == rill::errc::disconnected);
}

TEST_CASE("oneshot: a receiver destroyed while its receive is pending fails that receive", "[oneshot][async]") {
  asio::io_context io;
  auto [tx, rx] = rill::oneshot<int>();
  outcome<int> got;
  rx.async_recv(asio::bind_executor(io, record_into(got)));
  io.poll();
  rill_test::drop(rx);
  io.run();
  CHECK(got.ec == rill::errc::disconnected);
  CHECK(tx.is_closed());
}

TEST_CASE("oneshot: a cancelled receive takes nothing, and the value waits for the next one",
          "[oneshot][async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::oneshot<int>();
  asio::cancellation_signal signal;
  outcome<int> first;
  SECTION("cancelled while waiting") {
    rx.async_recv(asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, record_into(first))));
    io.poll();
    signal.emit(asio::cancellation_type::terminal);
    REQUIRE(std::move(tx).send(8));
  }
  SECTION("cancelled after the send woke it, before it ran") {
    rx.async_recv(asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, record_into(first))));
    io.poll();
    REQUIRE(std::move(tx).send(8));
    signal.emit(asio::cancellation_type::partial);
  }
  io.run();
  CHECK(first.ec == asio::error::operation_aborted);
  CHECK(rx.is_ready());
  outcome<int> second;
  io.restart();
  rx.async_recv(asio::bind_executor(io, record_into(second)));
  io.run();
  CHECK(second.value == 8);
}

TEST_CASE("oneshot: an asynchronous receive works with use_future and use_awaitable", "[oneshot][async]") {
  asio::io_context io;
  SECTION("use_future") {
    auto [tx, rx] = rill::oneshot<std::string>();
    auto f = rx.async_recv(asio::use_future);
    REQUIRE(std::move(tx).send("future"));
    CHECK(f.get() == "future");
  }
  SECTION("use_awaitable, the sender dropped: the error as a tuple") {
    auto [tx, rx] = rill::oneshot<int>();
    std::error_code ec;
    asio::co_spawn(io, [&, rx = std::move(rx)]() mutable -> asio::awaitable<void> {
      auto [e, v] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
      ec = e;
    }, asio::detached);
    io.poll();
    rill_test::drop(tx);
    io.run();
    CHECK(ec == rill::errc::disconnected);
  }
}

TEST_CASE("oneshot: a destroyed io_context destroys a pending receive's handler unrun", "[oneshot][async]") {
  auto [tx, rx] = rill::oneshot<int>();
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    rx.async_recv(asio::bind_executor(io, [alive](std::error_code, int) { *alive = 1; }));
    io.poll();
  }
  CHECK(alive.use_count() == 1);
  CHECK(*alive == 0);
  REQUIRE(std::move(tx).send(1));  // the receiver is still there
  CHECK(rx.try_recv() == 1);
}

namespace {

rill::task<int> await_oneshot(rill::oneshot_receiver<int>& rx) { co_return co_await rx.async_recv(rill::use_task); }

rill::task<std::error_code> await_oneshot_error(rill::oneshot_receiver<int>& rx) {
  auto [ec, v] = co_await rx.async_recv(asio::experimental::as_tuple(rill::use_task));
  co_return ec;
}

}  // namespace

TEST_CASE("oneshot: a rill::task awaits the value", "[oneshot][task]") {
  asio::io_context io;
  SECTION("there already") {
    auto [tx, rx] = rill::oneshot<int>();
    REQUIRE(std::move(tx).send(10));
    auto f = rill::spawn(io, await_oneshot(rx), asio::use_future);
    io.run();
    CHECK(f.get() == 10);
  }
  SECTION("sent by a thread while the task waits") {
    scoped_threads threads;
    auto [tx, rx] = rill::oneshot<int>();
    auto f = rill::spawn(io, await_oneshot(rx), asio::use_future);
    io.poll();
    threads.spawn([tx = std::move(tx)]() mutable { RILL_EXPECT(std::move(tx).send(11)); });
    io.run();
    REQUIRE(threads.join() == "");
    CHECK(f.get() == 11);
  }
  SECTION("the sender dropped unsent") {
    auto [tx, rx] = rill::oneshot<int>();
    auto f = rill::spawn(io, await_oneshot_error(rx), asio::use_future);
    io.poll();
    rill_test::drop(tx);
    io.run();
    CHECK(f.get() == rill::errc::disconnected);
  }
}

// ---------------------------------------------------------------------------
// Concurrency: every value ends once, whatever the interleaving.

TEST_CASE("oneshot stress: send or drop races every receive form", "[oneshot][stress]") {
  const int rounds = 2000 * static_cast<int>(rill_test::stress_scale);
  tracked::counters c;
  long received = 0, disconnected = 0, refused = 0, unreceived = 0;
  for (int i = 0; i < rounds; ++i) {
    auto [tx, rx] = rill::oneshot<tracked>();
    const bool sends = i % 3 != 0;          // else the sender goes unsent
    const bool receiver_leaves = i % 7 == 0;  // the receiver goes without receiving
    bool was_refused = false;
    std::thread sender([&, tx = std::move(tx)]() mutable {
      if (sends) was_refused = !std::move(tx).send(tracked(c, i));  // a refused value is destroyed here
    });
    if (receiver_leaves) {
      rill_test::drop(rx);
      sender.join();
      if (was_refused)
        ++refused;
      else if (sends)
        ++unreceived;  // destroyed with the core
      else
        ++disconnected;
      continue;
    }
    bool got = false;
    switch (i % 4) {
      case 0:
        got = rx.recv().has_value();
        break;
      case 1:
        got = rx.recv_timeout(rill_test::patience).has_value();
        break;
      case 2:
        // Short timeouts: a receive that timed out took nothing, so a later
        // one still finds the value.
        for (;;) {
          auto r = rx.recv_timeout(std::chrono::microseconds(i % 50));
          if (r || r.error() == rill::recv_timeout_error::disconnected) {
            got = r.has_value();
            break;
          }
        }
        break;
      default:
        for (;;) {
          auto r = rx.try_recv();
          if (r || r.error() == rill::try_recv_error::disconnected) {
            got = r.has_value();
            break;
          }
          std::this_thread::yield();
        }
        break;
    }
    sender.join();
    CHECK(got == sends);
    got ? ++received : ++disconnected;
  }
  CHECK(received + refused + unreceived == c.destroyed_with_payload);
  CHECK(received + disconnected + refused + unreceived == rounds);
  CHECK(c.live == 0);
}

TEST_CASE("oneshot stress: cancellation races the send of an asynchronous receive on a thread pool",
          "[oneshot][stress][async]") {
  const int rounds = 2000 * static_cast<int>(rill_test::stress_scale);
  tracked::counters c;
  long received = 0, left = 0;
  asio::thread_pool pool(2);
  for (int i = 0; i < rounds; ++i) {
    auto [tx, rx] = rill::oneshot<tracked>();
    bool sent = false;
    const bool took = rill_test::race_cancellation(
        pool, [&rx = rx](auto token) { rx.async_recv(std::move(token)); },
        [&, tx = std::move(tx)]() mutable { sent = std::move(tx).send(tracked(c, i)).has_value(); });
    CHECK(sent);
    if (took) {
      ++received;
    } else {
      // Cancelled before it took anything: the value is still there.
      ++left;
      auto v = rx.try_recv();
      REQUIRE(v);
      CHECK(v->payload == i);
    }
  }
  pool.join();
  CHECK(received + left == rounds);
  CHECK(c.destroyed_with_payload == rounds);
  CHECK(c.live == 0);
}
