// Threads and coroutines on several io_contexts sharing channels, with
// cancellation racing every receive. Every message is counted: received
// exactly once, in per-producer order.
#include <rill/rill.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <thread>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/test_support.hpp"

using namespace asio::experimental::awaitable_operators;
using rill_test::channel_kind;

namespace {

struct message {
  int producer;
  int sequence;
};

/// Checks one consumer's stream: per-producer order, and adds to `count`.
std::string check_order(const std::vector<message>& got, std::vector<int>& count) {
  std::vector<int> last(count.size(), -1);
  for (const message& m : got) {
    const auto p = static_cast<std::size_t>(m.producer);
    if (m.sequence <= last[p]) return fmt::format("producer {}: {} after {}", m.producer, m.sequence, last[p]);
    last[p] = m.sequence;
    ++count[p];
  }
  return "";
}

/// The task version of the receiver below: a timer on the same executor
/// cancels the receive in flight through the spawn's cancellation slot.
rill::task<void> receive_under_cancellation(rill::receiver<int> rx, asio::cancellation_signal& signal,
                                            std::vector<int>& got, int& cancelled) {
  asio::steady_timer timer(co_await rill::this_task::executor);
  std::mt19937 rng(7);
  for (;;) {
    timer.expires_after(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 30)(rng)));
    timer.async_wait([&signal](std::error_code ec) {
      if (!ec) signal.emit(asio::cancellation_type::terminal);
    });
    auto [ec, value] = co_await rx.async_recv(asio::experimental::as_tuple(rill::use_task));
    timer.cancel();
    if (ec == asio::error::operation_aborted) {
      ++cancelled;
      continue;
    }
    if (ec) co_return;  // disconnected and drained
    got.push_back(value);
  }
}

}  // namespace

TEST_CASE("stress: a receive raced by a timer never loses a message", "[stress][async][cancel]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  INFO(rill_test::to_string(kind));
  constexpr int total = 3000 * static_cast<int>(rill_test::stress_scale);
  auto [tx, rx] = rill_test::make_channel<int>(kind, 4);
  std::vector<int> got;
  int timeouts = 0;

  asio::io_context io;
  asio::cancellation_signal signal;
  const bool in_task = GENERATE(false, true);
  INFO((in_task ? "rill::task, cancelled through its slot" : "asio::awaitable, raced with || a timer"));
  if (in_task)
    rill::spawn(io, receive_under_cancellation(rx, signal, got, timeouts),
                asio::bind_cancellation_slot(signal.slot(), asio::detached));
  else
    asio::co_spawn(io, [&got, &timeouts, rx = rx]() -> asio::awaitable<void> {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      std::mt19937 rng(7);
      for (;;) {
        // A timer short enough to win often, so that cancellation hits the
        // receive in every state: waiting, notified, about to resume.
        timer.expires_after(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 30)(rng)));
        auto result = co_await (rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable)) ||
                                timer.async_wait(asio::use_awaitable));
        if (result.index() == 1) {
          ++timeouts;
          continue;
        }
        auto [ec, value] = std::get<0>(result);
        if (ec) co_return;  // disconnected and drained
        got.push_back(value);
      }
    }, asio::detached);
  rx = {};
  std::thread producer([tx = std::move(tx)] {
    std::mt19937 rng(3);
    for (int i = 0; i < total; ++i) {
      (void)tx.send(i);
      if (std::uniform_int_distribution<int>(0, 15)(rng) == 0) std::this_thread::yield();
    }
  });
  io.run();
  producer.join();

  INFO(timeouts << " receives lost the race to the timer or were cancelled");
  REQUIRE(got.size() == static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i) REQUIRE(got[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("stress: thread and coroutine producers and consumers on one channel", "[stress][async]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  INFO(rill_test::to_string(kind));
  constexpr int thread_producers = 2, coroutine_producers = 2, producers = thread_producers + coroutine_producers;
  constexpr int per_producer = 2000 * static_cast<int>(rill_test::stress_scale);

  rill_test::scoped_threads threads;
  auto [tx, rx] = rill_test::make_channel<message>(kind, 8);
  asio::io_context producer_io, consumer_io;
  std::vector<message> coroutine_got, thread_got;

  for (int p = 0; p < coroutine_producers; ++p)
    asio::co_spawn(producer_io, [p, tx = tx]() -> asio::awaitable<void> {
      for (int i = 0; i < per_producer; ++i) co_await tx.async_send(message{p, i}, asio::use_awaitable);
    }, asio::detached);
  for (int p = coroutine_producers; p < producers; ++p)
    threads.spawn([p, tx = tx] {
      for (int i = 0; i < per_producer; ++i) RILL_EXPECT(tx.send(message{p, i}));
    });
  for (int c = 0; c < 2; ++c)  // two coroutine consumers on one io_context run by two threads
    asio::co_spawn(consumer_io, [&coroutine_got, rx = rx]() -> asio::awaitable<void> {
      std::vector<message> mine;
      for (;;) {
        auto [ec, m] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
        if (ec) break;
        mine.push_back(m);
      }
      // Both consumer coroutines finish on consumer_io's threads; the
      // merge happens after the join below, through this hand-over.
      static std::mutex merge;
      std::lock_guard lock(merge);
      coroutine_got.insert(coroutine_got.end(), mine.begin(), mine.end());
    }, asio::detached);
  threads.spawn([&thread_got, rx = rx] {
    for (message& m : rx) thread_got.push_back(m);
  });
  tx = {};
  rx = {};
  threads.spawn([&producer_io] { producer_io.run(); });
  threads.spawn([&consumer_io] { consumer_io.run(); });
  threads.spawn([&consumer_io] { consumer_io.run(); });
  REQUIRE(threads.join() == "");

  std::vector<int> count(producers, 0);
  CHECK(check_order(thread_got, count) == "");
  // Two coroutine consumers: order holds per consumer, not in the merge, so
  // only the count is checked for them.
  for (const message& m : coroutine_got) ++count[static_cast<std::size_t>(m.producer)];
  for (int c : count) CHECK(c == per_producer);
}

TEST_CASE("stress: coroutines on two io_contexts exchange over a rendezvous channel", "[stress][async]") {
  constexpr int rounds = 2000 * static_cast<int>(rill_test::stress_scale);
  auto [ping_tx, ping_rx] = rill::sync_channel<int>(0);
  auto [pong_tx, pong_rx] = rill::sync_channel<int>(0);
  asio::io_context a, b;
  int last = -1;
  asio::co_spawn(a, [&last, ping_tx = ping_tx, pong_rx = pong_rx]() -> asio::awaitable<void> {
    for (int i = 0; i < rounds; ++i) {
      co_await ping_tx.async_send(i, asio::use_awaitable);
      last = co_await pong_rx.async_recv(asio::use_awaitable);
    }
  }, asio::detached);
  asio::co_spawn(b, [ping_rx = ping_rx, pong_tx = pong_tx]() -> asio::awaitable<void> {
    for (int i = 0; i < rounds; ++i) {
      const int v = co_await ping_rx.async_recv(asio::use_awaitable);
      co_await pong_tx.async_send(v * 2, asio::use_awaitable);
    }
  }, asio::detached);
  std::thread other([&b] { b.run(); });
  a.run();
  other.join();
  CHECK(last == (rounds - 1) * 2);
}

TEST_CASE("stress: thread selects and coroutine receives share channels", "[stress][async][select]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  INFO(rill_test::to_string(kind));
  constexpr int per_channel = 2000 * static_cast<int>(rill_test::stress_scale);
  auto [tx_a, rx_a] = rill_test::make_channel<int>(kind, 4);
  auto [tx_b, rx_b] = rill_test::make_channel<int>(kind, 4);
  rill_test::scoped_threads threads;
  asio::io_context io;
  std::vector<int> by_coroutines, by_select;

  // Coroutines receive from each channel until it is drained.
  for (auto* rx : {&rx_a, &rx_b})
    asio::co_spawn(io, [&by_coroutines, rx = *rx]() -> asio::awaitable<void> {
      for (;;) {
        auto [ec, v] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        by_coroutines.push_back(v);
      }
    }, asio::detached);
  // A thread selects over both, disabling each once it is drained.
  threads.spawn([&by_select, rx_a = rx_a, rx_b = rx_b] {
    bool open_a = true, open_b = true;
    while (open_a || open_b) {
      auto r = rill::select(rill::recv(rx_a, open_a), rill::recv(rx_b, open_b));
      auto& result = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
      if (result)
        by_select.push_back(*result);
      else
        (r.index() == 0 ? open_a : open_b) = false;
    }
  });
  threads.spawn([tx = std::move(tx_a)] {
    for (int i = 0; i < per_channel; ++i) RILL_EXPECT(tx.send(i));
  });
  threads.spawn([tx = std::move(tx_b)] {
    for (int i = 0; i < per_channel; ++i) RILL_EXPECT(tx.send(per_channel + i));
  });
  rx_a = {};
  rx_b = {};
  threads.spawn([&io] { io.run(); });
  REQUIRE(threads.join() == "");

  std::vector<int> seen(static_cast<std::size_t>(2 * per_channel), 0);
  for (int v : by_coroutines) ++seen[static_cast<std::size_t>(v)];
  for (int v : by_select) ++seen[static_cast<std::size_t>(v)];
  for (std::size_t v = 0; v < seen.size(); ++v) REQUIRE(seen[v] == 1);
  INFO(by_coroutines.size() << " by coroutines, " << by_select.size() << " by the select");
  CHECK(by_coroutines.size() + by_select.size() == seen.size());
}
