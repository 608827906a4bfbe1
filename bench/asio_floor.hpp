// rill_bench: what Asio's coroutines cost on their own, with no channel at
// all: the floor under the coroutine workloads. A W10 message needs a ready
// co_await on each side; a W9 round trip needs two suspensions, each resumed
// through the io_context's queue, and two ready co_awaits.
#pragma once

#include "common.hpp"

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

namespace rill_bench {

inline asio::awaitable<u64> ready_value(u64 v) { co_return v; }

/// n co_awaits, on one io_context, of an asio::awaitable that completes at once.
inline measurement asio_floor_ready_await(u64 n) {
  asio::io_context io(1);
  u64 sum = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (u64 i = 0; i < n; ++i) sum += co_await ready_value(i);
      },
      asio::detached);
  const auto start = clock_type::now();
  io.run();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "asio floor: ready co_await");
  return {s, n};
}

/// n suspensions of one coroutine, each resumed through the io_context's
/// queue (co_await asio::post).
inline measurement asio_floor_suspend_resume(u64 n) {
  asio::io_context io(1);
  u64 resumed = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto executor = io.get_executor();
        for (u64 i = 0; i < n; ++i) {
          co_await asio::post(executor, asio::use_awaitable);
          ++resumed;
        }
      },
      asio::detached);
  const auto start = clock_type::now();
  io.run();
  const double s = seconds_since(start);
  check(resumed == n, "asio floor: suspend and resume");
  return {s, n};
}

}  // namespace rill_bench
