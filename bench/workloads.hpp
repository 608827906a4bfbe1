// rill_bench: the workloads W1-W11 (the table in bench/README.md) and the extra
// sweeps, written once against the adapter interface every peer header
// implements:
//
//   struct some_peer {
//     static constexpr const char* key;            // column in the table
//     static constexpr capabilities caps;          // what its API allows
//     template <class T> class queue {
//       explicit queue(std::size_t capacity);      // rill_bench::unbounded, N, or 0
//       queue(std::size_t capacity, asio::io_context&);   // if caps.asio_async
//       void send(T);                              // blocking, from a thread
//       T recv();                                  // blocking, from a thread
//       bool recv_for(T&, std::chrono::nanoseconds);      // if caps.timed_recv
//       awaitable async_send(T); awaitable<T> async_recv(); // if caps.asio_async
//     };
//     static void run_fibers(F...);                // if caps.fibers: run each
//   };                                             // callable as a fiber, join
//
// Every workload checks that the sum of what was received is what was sent,
// and returns the wall time of the part where messages move (channel set-up
// excluded, thread start and join included).
#pragma once

#include "common.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rill_bench {

// ---- generic shapes -----------------------------------------------------------

/// One producer thread, one consumer (the calling thread).
template <class P, class T = u64>
measurement spsc(std::size_t capacity, u64 n) {
  typename P::template queue<T> q(capacity);
  const auto start = clock_type::now();
  std::thread producer([&] {
    for (u64 i = 0; i < n; ++i) q.send(make_message<T>(i));
  });
  u64 sum = 0;
  for (u64 i = 0; i < n; ++i) sum += message_value(q.recv());
  producer.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "spsc sum");
  return {s, n};
}

/// `producers` threads send n messages in total; the calling thread receives.
template <class P, class T = u64>
measurement mpsc(std::size_t capacity, unsigned producers, u64 n) {
  typename P::template queue<T> q(capacity);
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (u64 i = n * p / producers, end = n * (p + 1) / producers; i < end; ++i) q.send(make_message<T>(i));
    });
  u64 sum = 0;
  for (u64 i = 0; i < n; ++i) sum += message_value(q.recv());
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "mpsc sum");
  return {s, n};
}

/// `producers` threads send n messages in total; `consumers` threads receive
/// n / consumers each (n is a multiple of consumers).
template <class P>
measurement mpmc(std::size_t capacity, unsigned producers, unsigned consumers, u64 n) {
  typename P::template queue<u64> q(capacity);
  std::atomic<u64> sum{0};
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (u64 i = n * p / producers, end = n * (p + 1) / producers; i < end; ++i) q.send(i);
    });
  for (unsigned c = 0; c < consumers; ++c)
    threads.emplace_back([&] {
      u64 local = 0;
      for (u64 i = 0; i < n / consumers; ++i) local += q.recv();
      sum.fetch_add(local, std::memory_order_relaxed);
    });
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  check(sum.load() == expected_sum(n), "mpmc sum");
  return {s, n};
}

/// Two threads bounce one message over two channels; n round trips. Only one
/// message is ever in flight, so the capacity does not change the semantics:
/// 1 for peers with bounded queues, unbounded for the others.
template <class P>
measurement pingpong_threads(u64 n) {
  const std::size_t capacity = P::caps.bounded ? 1 : unbounded;
  typename P::template queue<u64> ping(capacity), pong(capacity);
  const auto start = clock_type::now();
  std::thread other([&] {
    for (u64 i = 0; i < n; ++i) pong.send(ping.recv() + 1);
  });
  u64 v = 0;
  for (u64 i = 0; i < n; ++i) {
    ping.send(v);
    v = pong.recv();
  }
  other.join();
  const double s = seconds_since(start);
  check(v == n, "pingpong count");
  return {s, n};
}

/// Two coroutines (fibers, for a fiber library) on one thread bounce one
/// message over two channels of capacity 1; n round trips.
template <class P>
measurement async_pingpong(u64 n) {
  u64 last = 0;
  double s = 0;
  if constexpr (P::caps.fibers) {
    typename P::template queue<u64> a(1), b(1);
    const auto start = clock_type::now();
    P::run_fibers(
        [&] {
          for (u64 i = 0; i < n; ++i) b.send(a.recv() + 1);
        },
        [&] {
          for (u64 i = 0; i < n; ++i) {
            a.send(i);
            last = b.recv();
          }
        });
    s = seconds_since(start);
  } else {
    asio::io_context io(1);
    typename P::template queue<u64> a(1, io), b(1, io);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (u64 i = 0; i < n; ++i) {
            const u64 v = co_await a.async_recv();
            co_await b.async_send(v + 1);
          }
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (u64 i = 0; i < n; ++i) {
            co_await a.async_send(i);
            last = co_await b.async_recv();
          }
        },
        asio::detached);
    const auto start = clock_type::now();
    io.run();
    s = seconds_since(start);
  }
  check(last == n, "async pingpong count");
  return {s, n};
}

/// A producer and a consumer coroutine (fiber) on one thread, bounded 1024.
template <class P>
measurement async_spsc(u64 n) {
  u64 sum = 0;
  double s = 0;
  if constexpr (P::caps.fibers) {
    typename P::template queue<u64> q(1024);
    const auto start = clock_type::now();
    P::run_fibers(
        [&] {
          for (u64 i = 0; i < n; ++i) q.send(i);
        },
        [&] {
          for (u64 i = 0; i < n; ++i) sum += q.recv();
        });
    s = seconds_since(start);
  } else {
    asio::io_context io(1);
    typename P::template queue<u64> q(1024, io);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (u64 i = 0; i < n; ++i) co_await q.async_send(i);
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (u64 i = 0; i < n; ++i) sum += co_await q.async_recv();
        },
        asio::detached);
    const auto start = clock_type::now();
    io.run();
    s = seconds_since(start);
  }
  check(sum == expected_sum(n), "async spsc sum");
  return {s, n};
}

/// A plain thread sends with its blocking send; a coroutine (fiber) on the
/// calling thread receives; bounded 1024.
template <class P>
measurement thread_to_coroutine(u64 n) {
  u64 sum = 0;
  double s = 0;
  if constexpr (P::caps.fibers) {
    typename P::template queue<u64> q(1024);
    const auto start = clock_type::now();
    std::thread producer([&] {
      for (u64 i = 0; i < n; ++i) q.send(i);
    });
    P::run_fibers([&] {
      for (u64 i = 0; i < n; ++i) sum += q.recv();
    });
    producer.join();
    s = seconds_since(start);
  } else {
    asio::io_context io;
    typename P::template queue<u64> q(1024, io);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (u64 i = 0; i < n; ++i) sum += co_await q.async_recv();
        },
        asio::detached);
    const auto start = clock_type::now();
    std::thread producer([&] {
      for (u64 i = 0; i < n; ++i) q.send(i);
    });
    io.run();
    producer.join();
    s = seconds_since(start);
  }
  check(sum == expected_sum(n), "thread to coroutine sum");
  return {s, n};
}

/// `samples` receives with a 1 ms timeout on an empty channel (a sender is
/// alive, nothing is sent): median and 99th percentile of how much later
/// than requested each returned, in microseconds.
template <class P>
measurement timeout_overshoot(u64 samples) {
  using namespace std::chrono;
  typename P::template queue<u64> q(P::caps.bounded ? 1024 : unbounded);
  std::vector<double> late;
  late.reserve(samples);
  constexpr auto wait = milliseconds(1);
  const auto start = clock_type::now();
  for (u64 i = 0; i < samples; ++i) {
    u64 v = 0;
    const auto t0 = clock_type::now();
    const bool got = q.recv_for(v, wait);
    const auto t1 = clock_type::now();
    check(!got, "timed receive on an empty channel returned a value");
    late.push_back(duration<double, std::micro>(t1 - t0 - wait).count());
  }
  measurement m{seconds_since(start), samples};
  std::sort(late.begin(), late.end());
  m.metric[0] = late[late.size() / 2];
  m.metric[1] = late[std::min<std::size_t>(late.size() - 1, late.size() * 99 / 100)];
  return m;
}

// ---- W1-W11 ---------------------------------------------------------------------

template <class P> measurement w1_spsc_unbounded(u64 n) { return spsc<P>(unbounded, n); }
template <class P> measurement w2_mpsc_unbounded(u64 n) { return mpsc<P>(unbounded, 4, n); }
template <class P> measurement w3_spsc_bounded_1024(u64 n) { return spsc<P>(1024, n); }
template <class P> measurement w4_mpsc_bounded_1024(u64 n) { return mpsc<P>(1024, 4, n); }
template <class P> measurement w5_spsc_bounded_1(u64 n) { return spsc<P>(1, n); }
template <class P> measurement w6_rendezvous(u64 n) { return spsc<P>(0, n); }
template <class P> measurement w7_pingpong_threads(u64 n) { return pingpong_threads<P>(n); }
template <class P> measurement w8_mpmc_bounded_1024(u64 n) { return mpmc<P>(1024, 4, 4, n); }
template <class P> measurement w9_async_pingpong_single_thread(u64 n) { return async_pingpong<P>(n); }
template <class P> measurement w10_async_spsc_bounded_1024_single_thread(u64 n) { return async_spsc<P>(n); }
template <class P> measurement w11_mixed_thread_to_coroutine(u64 n) { return thread_to_coroutine<P>(n); }
// W12 and W13 (select) need a select usable from threads: rill's are in
// select_workloads.hpp, crossbeam's and Go's in bench/external.

// ---- registration -----------------------------------------------------------------

/// Adds every standard cell whose requirements `P` meets.
template <class P>
void add_standard_cells(registry& r) {
  constexpr capabilities c = P::caps;
  const std::string peer = P::key;
  auto add = [&](const char* section, std::string id, std::string label, const char* unit, u64 n_start, u64 n_quick,
                 std::function<measurement(u64)> fn) {
    r.push_back(make_cell(section, std::move(id), std::move(label), peer, unit, n_start, n_quick, std::move(fn)));
  };
  auto row = [&](const char* id, std::function<measurement(u64)> fn) {
    r.push_back(make_workload_cell(id, peer, std::move(fn)));
  };
  if constexpr (c.threads && c.unbounded) {
    row("W1", w1_spsc_unbounded<P>);
    row("W2", w2_mpsc_unbounded<P>);
  }
  if constexpr (c.threads && c.bounded) {
    row("W3", w3_spsc_bounded_1024<P>);
    row("W4", w4_mpsc_bounded_1024<P>);
    row("W5", w5_spsc_bounded_1<P>);
  }
  if constexpr (c.threads && c.rendezvous) row("W6", w6_rendezvous<P>);
  if constexpr (c.threads) row("W7", w7_pingpong_threads<P>);
  if constexpr (c.threads && c.bounded) row("W8", w8_mpmc_bounded_1024<P>);
  if constexpr (c.asio_async || c.fibers) {
    row("W9", w9_async_pingpong_single_thread<P>);
    row("W10", w10_async_spsc_bounded_1024_single_thread<P>);
  }
  if constexpr ((c.asio_async || c.fibers) && c.threads) row("W11", w11_mixed_thread_to_coroutine<P>);

  if constexpr (c.threads && c.bounded) {
    const char* S = "size";
    add(S, "size-8B", "spsc_bounded_1024, 8 B messages", "msg/s", 50'000, 2'000, [](u64 n) { return spsc<P, payload<8>>(1024, n); });
    add(S, "size-64B", "spsc_bounded_1024, 64 B messages", "msg/s", 50'000, 2'000,
        [](u64 n) { return spsc<P, payload<64>>(1024, n); });
    add(S, "size-1KiB", "spsc_bounded_1024, 1 KiB messages", "msg/s", 20'000, 1'000,
        [](u64 n) { return spsc<P, payload<1024>>(1024, n); });
    add(S, "size-4KiB", "spsc_bounded_1024, 4 KiB messages", "msg/s", 10'000, 1'000,
        [](u64 n) { return spsc<P, payload<4096>>(1024, n); });
    r.back().n_max = 2'000'000;
    const char* K = "scaling";
    for (unsigned producers : {1u, 2u, 4u, 8u})
      add(K, "producers-" + std::to_string(producers),
          "mpsc_bounded_1024, " + std::to_string(producers) + (producers == 1 ? " producer" : " producers"), "msg/s",
          50'000, 2'000, [producers](u64 n) { return mpsc<P>(1024, producers, n); });
  }
  if constexpr (c.threads && c.timed_recv) {
    cell x;
    x.section = "timeout";
    x.id = "timeout-1ms";
    x.label = "recv with a 1 ms timeout: overshoot (median, p99)";
    x.peer = peer;
    x.unit = "us";
    x.higher_better = false;
    x.fixed_n = true;
    x.n_fixed = 200;
    x.n_quick = 5;
    x.metric_names = {"median", "p99"};
    x.run = timeout_overshoot<P>;
    r.push_back(std::move(x));
  }
}

}  // namespace rill_bench
