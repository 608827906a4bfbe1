// A quick look at the asynchronous hot paths, W9-W11 of DESIGN.md, for rill
// and Asio's experimental channels in the same run. Medians of several runs,
// in million messages (W9: round trips) per second.
#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace {

using u64 = std::uint64_t;
using asio::use_awaitable;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median_of(int runs, const std::function<double()>& run) {
  std::vector<double> results;
  for (int i = 0; i < runs; ++i) results.push_back(run());
  std::sort(results.begin(), results.end());
  return results[results.size() / 2];
}

// ---- rill -------------------------------------------------------------------

double rill_pingpong(u64 rounds) {
  asio::io_context io;
  auto [a_tx, a_rx] = rill::sync_channel<u64>(0);
  auto [b_tx, b_rx] = rill::sync_channel<u64>(0);
  asio::co_spawn(io, [&, a_rx = a_rx, b_tx = b_tx]() -> asio::awaitable<void> {
    for (u64 i = 0; i < rounds; ++i) co_await b_tx.async_send(co_await a_rx.async_recv(use_awaitable) + 1, use_awaitable);
  }, asio::detached);
  u64 last = 0;
  asio::co_spawn(io, [&, a_tx = a_tx, b_rx = b_rx]() -> asio::awaitable<void> {
    for (u64 i = 0; i < rounds; ++i) {
      co_await a_tx.async_send(i, use_awaitable);
      last = co_await b_rx.async_recv(use_awaitable);
    }
  }, asio::detached);
  const auto start = std::chrono::steady_clock::now();
  io.run();
  if (last != rounds) std::abort();
  return static_cast<double>(rounds) / seconds_since(start);
}

double rill_spsc_bounded(u64 messages) {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<u64>(1024);
  asio::co_spawn(io, [&, tx = tx]() -> asio::awaitable<void> {
    for (u64 i = 0; i < messages; ++i) co_await tx.async_send(i, use_awaitable);
  }, asio::detached);
  u64 sum = 0;
  asio::co_spawn(io, [&, rx = rx]() -> asio::awaitable<void> {
    for (u64 i = 0; i < messages; ++i) sum += co_await rx.async_recv(use_awaitable);
  }, asio::detached);
  const auto start = std::chrono::steady_clock::now();
  io.run();
  if (sum != messages * (messages - 1) / 2) std::abort();
  return static_cast<double>(messages) / seconds_since(start);
}

double rill_thread_to_coroutine(u64 messages) {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<u64>(1024);
  u64 sum = 0;
  asio::co_spawn(io, [&, rx = rx]() -> asio::awaitable<void> {
    for (u64 i = 0; i < messages; ++i) sum += co_await rx.async_recv(use_awaitable);
  }, asio::detached);
  const auto start = std::chrono::steady_clock::now();
  std::thread producer([&, tx = tx] {
    for (u64 i = 0; i < messages; ++i) tx.send(i);
  });
  io.run();
  producer.join();
  if (sum != messages * (messages - 1) / 2) std::abort();
  return static_cast<double>(messages) / seconds_since(start);
}

// ---- Asio experimental channels ------------------------------------------------

template <class Channel>
double asio_pingpong(u64 rounds) {
  asio::io_context io;
  Channel a(io, 0), b(io, 0);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (u64 i = 0; i < rounds; ++i) co_await b.async_send({}, co_await a.async_receive(use_awaitable) + 1, use_awaitable);
  }, asio::detached);
  u64 last = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (u64 i = 0; i < rounds; ++i) {
      co_await a.async_send({}, i, use_awaitable);
      last = co_await b.async_receive(use_awaitable);
    }
  }, asio::detached);
  const auto start = std::chrono::steady_clock::now();
  io.run();
  if (last != rounds) std::abort();
  return static_cast<double>(rounds) / seconds_since(start);
}

template <class Channel>
double asio_spsc_bounded(u64 messages) {
  asio::io_context io;
  Channel ch(io, 1024);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (u64 i = 0; i < messages; ++i) co_await ch.async_send({}, i, use_awaitable);
  }, asio::detached);
  u64 sum = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (u64 i = 0; i < messages; ++i) sum += co_await ch.async_receive(use_awaitable);
  }, asio::detached);
  const auto start = std::chrono::steady_clock::now();
  io.run();
  if (sum != messages * (messages - 1) / 2) std::abort();
  return static_cast<double>(messages) / seconds_since(start);
}

/// The producer thread has no blocking send: it waits on a future per send.
double asio_thread_to_coroutine(u64 messages) {
  using channel = asio::experimental::concurrent_channel<void(std::error_code, u64)>;
  asio::io_context io;
  channel ch(io, 1024);
  u64 sum = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (u64 i = 0; i < messages; ++i) sum += co_await ch.async_receive(use_awaitable);
  }, asio::detached);
  const auto start = std::chrono::steady_clock::now();
  std::thread producer([&] {
    for (u64 i = 0; i < messages; ++i)
      if (!ch.try_send(std::error_code{}, i)) ch.async_send(std::error_code{}, i, asio::use_future).get();
  });
  io.run();
  producer.join();
  if (sum != messages * (messages - 1) / 2) std::abort();
  return static_cast<double>(messages) / seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  const u64 scale = argc > 1 ? std::stoull(argv[1]) : 1;
  const int runs = 5;
  const u64 n = 200'000 * scale;
  using plain = asio::experimental::channel<void(std::error_code, u64)>;
  using concurrent = asio::experimental::concurrent_channel<void(std::error_code, u64)>;
  fmt::print("{:<40} {:>8} {:>14} {:>18} {:>8}\n", "workload (M/s)", "rill", "asio channel", "asio concurrent", "ratio");
  auto row = [&](const char* name, double r, double a, double c) {
    fmt::print("{:<40} {:>8.2f} {:>14.2f} {:>18.2f} {:>8.2f}\n", name, r / 1e6, a / 1e6, c / 1e6, r / std::max(a, c));
  };
  row("W9 async_pingpong_single_thread", median_of(runs, [&] { return rill_pingpong(n); }),
      median_of(runs, [&] { return asio_pingpong<plain>(n); }),
      median_of(runs, [&] { return asio_pingpong<concurrent>(n); }));
  row("W10 async_spsc_bounded_1024_single", median_of(runs, [&] { return rill_spsc_bounded(n); }),
      median_of(runs, [&] { return asio_spsc_bounded<plain>(n); }),
      median_of(runs, [&] { return asio_spsc_bounded<concurrent>(n); }));
  const double w11 = median_of(runs, [&] { return rill_thread_to_coroutine(n); });
  const double w11_asio = median_of(runs, [&] { return asio_thread_to_coroutine(n); });
  fmt::print("{:<40} {:>8.2f} {:>14} {:>18.2f} {:>8.2f}\n", "W11 mixed_thread_to_coroutine", w11 / 1e6, "-",
             w11_asio / 1e6, w11 / w11_asio);
}
