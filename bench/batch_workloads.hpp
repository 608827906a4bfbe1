// rill_bench: batches against one message at a time, on the shapes of W1,
// W3 and W11: the producer sends with send_many and the consumer takes
// with recv_many / async_recv_many, `batch` messages per call. The
// one-at-a-time rows of the same section are the W1, W3 and W11 workloads
// themselves, measured again here so that the ratio comes from one run.
#pragma once

#include "common.hpp"
#include "peers/rill_peer.hpp"
#include "workloads.hpp"

#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <numeric>
#include <thread>
#include <vector>

namespace rill_bench {

/// Sends 0..n-1 in batches of `batch` values with send_many.
inline void send_in_batches(const rill::sender<u64>& tx, u64 n, std::size_t batch) {
  std::vector<u64> values(batch);
  for (u64 first = 0; first < n; first += batch) {
    const std::size_t count = static_cast<std::size_t>(std::min<u64>(batch, n - first));
    std::iota(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(count), first);
    const std::size_t sent = tx.send_many(std::span(values).first(count));
    check(sent == count, "send_many sent the whole batch");
  }
}

/// W1 (capacity unbounded) or W3 (1024) with batches on both sides.
inline measurement spsc_batches(std::size_t capacity, std::size_t batch, u64 n) {
  auto [tx, rx] = capacity == unbounded ? rill::channel<u64>() : rill::sync_channel<u64>(capacity);
  std::vector<u64> got;
  got.reserve(batch);
  const auto start = clock_type::now();
  std::thread producer([&, tx = std::move(tx)] { send_in_batches(tx, n, batch); });
  u64 sum = 0, received = 0;
  while (received < n) {
    got.clear();
    const std::size_t count = rx.recv_many(got, batch);
    check(count != 0, "recv_many before the end");
    for (u64 v : got) sum += v;
    received += count;
  }
  producer.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "spsc batches sum");
  return {s, n};
}

/// W11 with batches: a thread sends with send_many, a coroutine on the
/// calling thread's io_context receives with async_recv_many.
inline measurement thread_to_coroutine_batches(std::size_t batch, u64 n) {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<u64>(1024);
  u64 sum = 0;
  asio::co_spawn(
      io,
      [&, rx = std::move(rx)]() -> asio::awaitable<void> {
        std::vector<u64> got;
        got.reserve(batch);
        for (u64 received = 0; received < n;) {
          got.clear();
          received += co_await rx.async_recv_many(got, batch, asio::use_awaitable);
          for (u64 v : got) sum += v;
        }
      },
      asio::detached);
  const auto start = clock_type::now();
  std::thread producer([&, tx = std::move(tx)] { send_in_batches(tx, n, batch); });
  io.run();
  producer.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "thread to coroutine batches sum");
  return {s, n};
}

/// The "batch" section: for each shape, one at a time, then batches of 16
/// and 256.
inline void add_batch_cells(registry& r) {
  auto add = [&](std::string id, std::string label, std::function<measurement(u64)> fn) {
    r.push_back(make_cell("batch", std::move(id), std::move(label), "rill", "msg/s", 50'000, 2'000, std::move(fn)));
  };
  add("W1-one", "spsc_unbounded, send / recv", w1_spsc_unbounded<rill_peer>);
  add("W3-one", "spsc_bounded_1024, send / recv", w3_spsc_bounded_1024<rill_peer>);
  add("W11-one", "thread to coroutine, bounded 1024, send / async_recv", w11_mixed_thread_to_coroutine<rill_peer>);
  for (std::size_t batch : {std::size_t{16}, std::size_t{256}}) {
    const std::string b = std::to_string(batch);
    add("W1-batch-" + b, "spsc_unbounded, send_many / recv_many of " + b,
        [batch](u64 n) { return spsc_batches(unbounded, batch, n); });
    add("W3-batch-" + b, "spsc_bounded_1024, send_many / recv_many of " + b,
        [batch](u64 n) { return spsc_batches(1024, batch, n); });
    add("W11-batch-" + b, "thread to coroutine, bounded 1024, send_many / async_recv_many of " + b,
        [batch](u64 n) { return thread_to_coroutine_batches(batch, n); });
  }
}

}  // namespace rill_bench
