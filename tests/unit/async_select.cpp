// async_select: select as an Asio asynchronous operation. Deterministic
// cases first (start, check nothing completed before run, run, check), then
// cancellation racing every wait, counting every message.
#include <rill/rill.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "support/test_support.hpp"

using namespace asio::experimental::awaitable_operators;

namespace {

using two_receives = rill::select_result<rill::recv_arm<int>, rill::recv_arm<std::string>>;
using receive_or_timeout = rill::select_result<rill::recv_arm<int>, rill::timeout_arm>;

/// How one async_select completed, as recorded by record_into.
template <class Result>
struct outcome {
  bool done = false;
  std::error_code ec;
  std::optional<Result> result;
};

using select_outcome = outcome<two_receives>;
using timed_outcome = outcome<receive_or_timeout>;

template <class Result>
auto record_into(asio::io_context& io, outcome<Result>& out) {
  return asio::bind_executor(io, [&out](std::error_code ec, std::optional<Result> r) {
    out.done = true;
    out.ec = ec;
    out.result = std::move(r);
  });
}

}  // namespace

TEST_CASE("async_select: a ready arm wins when the executor runs, not before", "[async_select]") {
  asio::io_context io;
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<std::string>();
  REQUIRE(tx2.send("ready"));
  select_outcome out;
  rill::async_select(rill::recv(rx1), rill::recv(rx2), record_into(io, out));
  CHECK_FALSE(out.done);
  CHECK(rx2.size() == 1);  // nothing taken at initiation
  io.run();
  REQUIRE(out.result);
  REQUIRE(out.result->index() == 1);
  CHECK(std::get<1>(*out.result).value() == "ready");
}

TEST_CASE("async_select: a waiting select is completed by a thread's send", "[async_select]") {
  asio::io_context io;
  auto [tx1, rx1] = rill::sync_channel<int>(0);
  auto [tx2, rx2] = rill::channel<std::string>();
  select_outcome out;
  rill::async_select(rill::recv(rx1), rill::recv(rx2), record_into(io, out));
  io.poll();
  CHECK_FALSE(out.done);
  std::thread producer([tx1 = tx1] { (void)tx1.send(5); });  // rendezvous: completes once the select holds it
  io.run();
  producer.join();
  REQUIRE(out.result);
  REQUIRE(out.result->index() == 0);
  CHECK(std::get<0>(*out.result).value() == 5);
  CHECK(rx2.size() == 0);
}

TEST_CASE("async_select: a send arm delivers to a thread receiver; the losing arm keeps nothing", "[async_select]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto [idle_tx, idle_rx] = rill::channel<int>();
  std::optional<std::size_t> winner;
  rill::async_select(rill::send(tx, 11), rill::recv(idle_rx),
                     asio::bind_executor(io, [&winner](std::error_code, auto r) { winner = r->index(); }));
  io.poll();
  CHECK(rx.recv().value() == 11);  // the thread meets the select's queued send arm
  io.run();
  CHECK(winner == 0u);
  REQUIRE(idle_tx.send(1));
  CHECK(idle_rx.try_recv().value() == 1);  // the losing receive arm took nothing
}

TEST_CASE("async_select: cancelling a waiting select takes nothing", "[async_select][cancel]") {
  asio::io_context io;
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<std::string>();
  asio::cancellation_signal signal;
  select_outcome out;
  rill::async_select(rill::recv(rx1), rill::recv(rx2),
                     asio::bind_cancellation_slot(signal.slot(), record_into(io, out)));
  io.poll();
  SECTION("while it waits") {
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    REQUIRE(tx1.send(1));
  }
  SECTION("after a message woke it, before it ran") {
    REQUIRE(tx1.send(1));
    signal.emit(asio::cancellation_type::terminal);
    io.run();
  }
  CHECK(out.ec == asio::error::operation_aborted);
  CHECK_FALSE(out.result.has_value());
  CHECK(rx1.try_recv().value() == 1);
}

TEST_CASE("async_select: destroying the io_context destroys a waiting select's handler", "[async_select][teardown]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<std::string>();
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    rill::async_select(rill::recv(rx1), rill::recv(rx2),
                       asio::bind_executor(io, [alive](std::error_code, std::optional<two_receives>) {}));
    io.poll();
    CHECK(alive.use_count() == 2);
  }
  CHECK(alive.use_count() == 1);
  REQUIRE(tx1.send(3));
  CHECK(rx1.try_recv().value() == 3);  // the withdrawn select took nothing
}

TEST_CASE("async_select: a timeout arm wins when nothing is ready, and takes nothing", "[async_select][timeout]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  timed_outcome out;
  const auto started = std::chrono::steady_clock::now();
  rill::async_select(rill::recv(rx), rill::timeout(std::chrono::milliseconds(5)), record_into(io, out));
  CHECK_FALSE(out.done);
  io.run();
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(5));
  REQUIRE(out.result);
  CHECK(out.result->index() == 1);
  CHECK(std::get<1>(*out.result) == rill::timed_out{});
  REQUIRE(tx.send(4));
  CHECK(rx.try_recv().value() == 4);  // the select left nothing queued that could take it
}

TEST_CASE("async_select: a ready arm wins over a pending timeout", "[async_select][timeout]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(8));
  timed_outcome out;
  rill::async_select(rill::recv(rx), rill::timeout(std::chrono::hours(1)), record_into(io, out));
  CHECK_FALSE(out.done);
  io.run();  // returns at once: the timer is cancelled when the arm wins
  REQUIRE(out.result);
  REQUIRE(out.result->index() == 0);
  CHECK(std::get<0>(*out.result).value() == 8);
}

TEST_CASE("async_select: a thread's send completes a timed select before its deadline", "[async_select][timeout]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  timed_outcome out;
  rill::async_select(rill::recv(rx), rill::deadline(std::chrono::system_clock::now() + std::chrono::hours(1)),
                     record_into(io, out));
  io.poll();
  CHECK_FALSE(out.done);
  rill_test::scoped_threads producer;
  producer.spawn([tx = tx] { RILL_EXPECT(tx.send(6)); });
  io.run();
  REQUIRE(producer.join() == "");
  REQUIRE(out.result);
  REQUIRE(out.result->index() == 0);
  CHECK(std::get<0>(*out.result).value() == 6);
}

TEST_CASE("async_select: the earliest of several timeout arms wins", "[async_select][timeout]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  std::optional<std::size_t> winner;
  rill::async_select(rill::timeout(std::chrono::hours(1)), rill::recv(rx), rill::timeout(std::chrono::milliseconds(1)),
                     asio::bind_executor(io, [&winner](std::error_code, auto r) { winner = r->index(); }));
  io.run();
  CHECK(winner == 2u);
}

TEST_CASE("async_select: a timed-out send arm delivered nothing", "[async_select][timeout]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  std::optional<std::size_t> winner;
  rill::async_select(rill::send(tx, 3), rill::timeout(std::chrono::milliseconds(1)),
                     asio::bind_executor(io, [&winner](std::error_code, auto r) { winner = r->index(); }));
  io.run();
  CHECK(winner == 1u);
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
}

TEST_CASE("async_select: cancelling a timed select through its slot aborts it", "[async_select][timeout][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  asio::cancellation_signal signal;
  timed_outcome out;
  rill::async_select(rill::recv(rx), rill::timeout(std::chrono::hours(1)),
                     asio::bind_cancellation_slot(signal.slot(), record_into(io, out)));
  io.poll();
  REQUIRE(tx.send(1));  // wakes the select; the cancellation comes before it runs
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  CHECK(out.ec == asio::error::operation_aborted);
  CHECK_FALSE(out.result.has_value());
  CHECK(rx.try_recv().value() == 1);
}

TEST_CASE("async_select: destroying the io_context destroys a timed select's handler", "[async_select][timeout][teardown]") {
  auto [tx, rx] = rill::channel<int>();
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    rill::async_select(rill::recv(rx), rill::timeout(std::chrono::hours(1)),
                       asio::bind_executor(io, [alive](std::error_code, std::optional<receive_or_timeout>) {}));
    io.poll();
    CHECK(alive.use_count() == 2);
  }
  CHECK(alive.use_count() == 1);
  REQUIRE(tx.send(3));
  CHECK(rx.try_recv().value() == 3);
}

TEST_CASE("async_select: a timeout arm in a coroutine", "[async_select][timeout]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  std::vector<std::size_t> winners;
  asio::co_spawn(io, [&winners, rx = rx, tx = tx]() -> asio::awaitable<void> {
    auto first = co_await rill::async_select(rill::recv(rx), rill::timeout(std::chrono::milliseconds(1)),
                                             asio::use_awaitable);
    winners.push_back(first->index());
    RILL_EXPECT(tx.send(2));
    auto second = co_await rill::async_select(rill::recv(rx), rill::timeout(std::chrono::hours(1)),
                                              asio::use_awaitable);
    winners.push_back(second->index());
  }, asio::detached);
  io.run();
  CHECK(winners == std::vector<std::size_t>{1, 0});
}

TEST_CASE("async_select: raced by a timer, no message is lost", "[async_select][cancel][stress]") {
  const std::size_t capacity = GENERATE(as<std::size_t>{}, 0u, 4u);
  // The timer as a timeout arm, or raced with `||` from outside.
  const bool timeout_arm = GENERATE(false, true);
  // Two threads running the io_context: the select's resume and its timer's
  // handler may then run at once.
  const int io_threads = GENERATE(1, 2);
  constexpr int per_channel = 1500 * static_cast<int>(rill_test::stress_scale);
  auto [tx1, rx1] = rill::sync_channel<int>(capacity);
  auto [tx2, rx2] = rill::sync_channel<int>(capacity);
  std::vector<int> got;
  int timeouts = 0;
  asio::io_context io;
  // A coroutine on a multi-threaded io_context runs on a strand, as Asio requires.
  asio::co_spawn(asio::make_strand(io), [&got, &timeouts, timeout_arm, rx1 = rx1, rx2 = rx2]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::mt19937 rng(11);
    bool open1 = true, open2 = true;
    while (open1 || open2) {
      const auto wait = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 30)(rng));
      std::optional<rill::select_result<rill::recv_arm<int>, rill::recv_arm<int>>> selected;
      if (timeout_arm) {
        auto r = co_await rill::async_select(rill::recv(rx1, open1), rill::recv(rx2, open2), rill::timeout(wait),
                                             asio::use_awaitable);
        if (r->index() == 2) {
          ++timeouts;
          continue;
        }
        if (r->index() == 0)
          selected.emplace(std::in_place_index<0>, std::move(std::get<0>(*r)));
        else
          selected.emplace(std::in_place_index<1>, std::move(std::get<1>(*r)));
      } else {
        timer.expires_after(wait);
        auto r = co_await (rill::async_select(rill::recv(rx1, open1), rill::recv(rx2, open2), asio::use_awaitable) ||
                           timer.async_wait(asio::use_awaitable));
        if (r.index() == 1) {
          ++timeouts;
          continue;
        }
        selected = std::move(std::get<0>(r));
      }
      auto& result = selected->index() == 0 ? std::get<0>(*selected) : std::get<1>(*selected);
      if (result)
        got.push_back(*result);
      else
        (selected->index() == 0 ? open1 : open2) = false;
    }
  }, asio::detached);
  rx1 = {};
  rx2 = {};
  rill_test::scoped_threads threads;
  threads.spawn([tx = std::move(tx1)] {
    for (int i = 0; i < per_channel; ++i) RILL_EXPECT(tx.send(i));
  });
  threads.spawn([tx = std::move(tx2)] {
    for (int i = 0; i < per_channel; ++i) RILL_EXPECT(tx.send(per_channel + i));
  });
  if (io_threads == 2) threads.spawn([&io] { io.run(); });
  io.run();
  REQUIRE(threads.join() == "");
  INFO(timeouts << " selects lost the race to the timer");
  std::vector<int> seen(static_cast<std::size_t>(2 * per_channel), 0);
  for (int v : got) ++seen[static_cast<std::size_t>(v)];
  for (std::size_t v = 0; v < seen.size(); ++v) REQUIRE(seen[v] == 1);
}

namespace {

/// Receives with a timed select until the channel ends, each select started
/// by the previous one's handler; counts timeouts and keeps what it got.
struct timed_receiver {
  asio::io_context& io;
  rill::receiver<int> rx;
  std::vector<int>& got;
  int& timeouts;
  std::mt19937 rng{7};

  void next() {
    const auto wait = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20)(rng));
    rill::async_select(rill::recv(rx), rill::timeout(wait),
                       asio::bind_executor(io, [this](std::error_code, std::optional<receive_or_timeout> r) {
                         if (r->index() == 1) {
                           ++timeouts;
                         } else if (auto& m = std::get<0>(*r)) {
                           got.push_back(*m);
                         } else {
                           return;  // disconnected: done
                         }
                         next();
                       }));
  }
};

}  // namespace

TEST_CASE("async_select: timed selects on a two-thread io_context lose nothing", "[async_select][timeout][stress]") {
  // No strand: the select's resume and its timer's handler run on either
  // thread, so their hand-over of the completion is exercised.
  const std::size_t capacity = GENERATE(as<std::size_t>{}, 0u, 4u);
  constexpr int count = 1500 * static_cast<int>(rill_test::stress_scale);
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  asio::io_context io;
  std::vector<int> got;
  int timeouts = 0;
  timed_receiver receiver{io, std::move(rx), got, timeouts};
  receiver.next();
  rill_test::scoped_threads threads;
  threads.spawn([tx = std::move(tx)] {
    for (int i = 0; i < count; ++i) RILL_EXPECT(tx.send(i));
  });
  threads.spawn([&io] { io.run(); });
  io.run();
  REQUIRE(threads.join() == "");
  INFO(timeouts << " selects timed out");
  REQUIRE(got.size() == static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) REQUIRE(got[static_cast<std::size_t>(i)] == i);  // one receiver: in order
}

TEST_CASE("async_select: a select woken for one channel that takes another passes the wake-up on", "[async_select]") {
  // Regression: the select was woken for A's message, then its random poll
  // took B's; the receive queued behind it on A was never told about the
  // message, which sat in A until the next one arrived.
  for (int round = 0; round < 20; ++round) {
    asio::io_context io;
    auto [tx_a, rx_a] = rill::channel<int>();
    auto [tx_b, rx_b] = rill::channel<std::string>();
    select_outcome selected;
    rill::async_select(rill::recv(rx_a), rill::recv(rx_b), record_into(io, selected));
    io.poll();  // the select waits on both
    std::optional<int> other;
    rx_a.async_recv(asio::bind_executor(io, [&other](std::error_code, int v) { other = v; }));
    io.poll();  // queued on A behind the select
    REQUIRE(tx_a.send(2));      // wakes the select (its arm on A is first)
    REQUIRE(tx_b.send("one"));  // the select is already woken: B just buffers it
    io.poll();
    REQUIRE(selected.result);
    if (selected.result->index() == 1) {
      CHECK(other == 2);  // the select took B: A's message went to the other receiver
    } else {
      CHECK(std::get<0>(*selected.result).value() == 2);
      CHECK_FALSE(other.has_value());
      tx_a.close();
      io.run();  // the other receiver completes with disconnected
    }
  }
}

// A send arm passed as an lvalue is used in place: whatever ends the select
// without it (another arm winning, a cancellation, a timeout), its value
// stays in the arm, as with the blocking select. Pins a bug: the select
// used to own every arm, and a losing send arm's value died with it.
TEST_CASE("async_select: a send arm passed as an lvalue keeps its value when it does not win", "[async_select]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::string>(0);  // nobody receives: the send arm cannot win
  auto [other_tx, other_rx] = rill::channel<int>();
  auto arm = rill::send(tx, std::string("kept"));
  std::optional<std::size_t> winner;
  std::error_code ec;
  asio::cancellation_signal signal;
  SECTION("another arm wins") {
    rill::async_select(arm, rill::recv(other_rx), asio::bind_executor(io, [&](std::error_code e, auto r) {
                         ec = e;
                         if (r) winner = r->index();
                       }));
    io.poll();
    CHECK_FALSE(winner);
    REQUIRE(other_tx.send(1));
    io.run();
    CHECK(winner == 1u);
  }
  SECTION("the select is cancelled") {
    rill::async_select(arm, rill::recv(other_rx),
                       asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, [&](std::error_code e, auto r) {
                                                      ec = e;
                                                      if (r) winner = r->index();
                                                    })));
    io.poll();
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    CHECK(ec == asio::error::operation_aborted);
    CHECK_FALSE(winner);
  }
  SECTION("the select times out") {
    rill::async_select(arm, rill::timeout(std::chrono::milliseconds(1)),
                       asio::bind_executor(io, [&](std::error_code e, auto r) {
                         ec = e;
                         if (r) winner = r->index();
                       }));
    io.run();
    CHECK(winner == 1u);
  }
  auto back = arm.take_value();
  REQUIRE(back);
  CHECK(*back == "kept");
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
}

TEST_CASE("async_select: a send arm passed as an lvalue that wins has sent its value", "[async_select]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<std::string>();
  auto [idle_tx, idle_rx] = rill::channel<int>();
  auto arm = rill::send(tx, std::string("sent"));
  std::optional<std::size_t> winner;
  rill::async_select(rill::recv(idle_rx), arm,
                     asio::bind_executor(io, [&](std::error_code, auto r) { winner = r->index(); }));
  io.run();
  CHECK(winner == 1u);
  CHECK_FALSE(arm.take_value());
  CHECK(rx.try_recv().value() == "sent");
}

TEST_CASE("async_select: arms passed as lvalues in a coroutine", "[async_select]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto [stop_tx, stop_rx] = rill::channel<int>();
  std::optional<int> returned;
  asio::co_spawn(io, [&, tx = tx, stop_rx = stop_rx]() -> asio::awaitable<void> {
    auto offer = rill::send(tx, 42);
    auto stop = rill::recv(stop_rx);
    auto r = co_await rill::async_select(offer, stop, asio::use_awaitable);
    if (r->index() == 1) returned = offer.take_value();  // the offer lost: it is still ours
  }, asio::detached);
  io.poll();
  REQUIRE(stop_tx.send(0));
  io.run();
  CHECK(returned == 42);
}

TEST_CASE("async_select: a reserve arm wins with a permit once a thread makes room, or reserves nothing",
          "[async_select][permit]") {
  using reserve_or_recv = rill::select_result<rill::reserve_arm<int>, rill::recv_arm<std::string>>;
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(1);
  auto [control_tx, control_rx] = rill::channel<std::string>();
  REQUIRE(tx.send(1));
  outcome<reserve_or_recv> out;
  asio::cancellation_signal signal;
  rill::async_select(rill::reserve(tx), rill::recv(control_rx),
                     asio::bind_cancellation_slot(signal.slot(), record_into(io, out)));
  io.poll();
  CHECK_FALSE(out.done);
  CHECK(tx.waiting_senders() == 1);
  SECTION("room made by a thread: the permit sends") {
    std::thread receiver([rx = rx] { (void)rx.recv(); });
    io.run();
    receiver.join();
    REQUIRE(out.result);
    REQUIRE(out.result->index() == 0);
    auto& p = std::get<0>(*out.result);
    REQUIRE(p);
    CHECK(rill_test::refused(tx.try_send(3), rill::errc::full, 3));
    REQUIRE(p->send(2));
    CHECK(rx.recv() == 2);
  }
  SECTION("cancelled: nothing reserved, the room freed goes to others") {
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    CHECK(out.ec == asio::error::operation_aborted);
    CHECK(tx.waiting_senders() == 0);
    CHECK(rx.recv() == 1);
    CHECK(tx.try_reserve().has_value());
  }
  SECTION("another arm wins: nothing reserved") {
    REQUIRE(control_tx.send("stop"));
    io.run();
    REQUIRE(out.result);
    CHECK(out.result->index() == 1);
    CHECK(rx.recv() == 1);
    CHECK(tx.try_reserve().has_value());
  }
}

TEST_CASE("async_reserve: completes with a permit once there is room, with disconnected once closed, and "
          "reserves nothing when cancelled",
          "[async_reserve][permit]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(1);
  REQUIRE(tx.send(1));
  bool done = false;
  std::error_code ec;
  rill::permit<int> permit;
  asio::cancellation_signal signal;
  tx.async_reserve(asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, [&](std::error_code e, rill::permit<int> p) {
                                                  done = true;
                                                  ec = e;
                                                  permit = std::move(p);
                                                })));
  io.poll();
  CHECK_FALSE(done);
  SECTION("room made by a thread") {
    std::thread receiver([rx = rx] { (void)rx.recv(); });
    io.run();
    receiver.join();
    REQUIRE(done);
    CHECK_FALSE(ec);
    REQUIRE(permit);
    REQUIRE(permit.send(2));
    CHECK(rx.recv() == 2);
  }
  SECTION("closed") {
    rx.close();
    io.run();
    CHECK(ec == rill::errc::disconnected);
    CHECK_FALSE(permit);
  }
  SECTION("cancelled through the handler's slot") {
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    CHECK(ec == asio::error::operation_aborted);
    CHECK_FALSE(permit);
    CHECK(tx.waiting_senders() == 0);
    CHECK(rx.recv() == 1);
    CHECK(tx.try_reserve().has_value());
  }
}

TEST_CASE("async_reserve: awaited with use_awaitable and with use_task, on a rendezvous channel whose receiver "
          "waits in a thread",
          "[async_reserve][permit][rendezvous]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::string>(0);
  std::string got;
  std::thread receiver([&, rx = rx] {
    got = rx.recv().value();
    got += " / " + rx.recv().value();
  });
  asio::co_spawn(
      io,
      [tx = tx]() -> asio::awaitable<void> {
        auto p = co_await tx.async_reserve(asio::use_awaitable);
        (void)p.send("awaitable");
      },
      asio::detached);
  io.run();
  io.restart();
  bool task_done = false;
  rill::spawn(
      io,
      [](rill::sender<std::string> tx) -> rill::task<void> {
        auto p = co_await tx.async_reserve(rill::use_task);
        (void)p.send("task");
      }(tx),
      [&](std::exception_ptr e) { task_done = e == nullptr; });
  io.run();
  receiver.join();
  CHECK(task_done);
  CHECK(got == "awaitable / task");
}
