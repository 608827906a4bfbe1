// rill_bench: workloads that need a select (W12, W13, select vs recv) and
// the channels-versus-shared-memory comparison. No C++ peer has a select
// usable from threads, so these run on rill only; crossbeam's select! and
// Go's select run W12 and W13 in bench/external (cells_external.cpp).
#pragma once

#include "common.hpp"
#include "peers/rill_peer.hpp"

#include <rill/rill.hpp>

#include <array>
#include <atomic>
#include <mutex>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace rill_bench {

namespace detail {

/// The result of the arm that won a select over arms of one result type.
template <class Variant>
auto& winner(Variant& v) {
  return std::visit([](auto& r) -> auto& { return r; }, v);
}

}  // namespace detail

/// W12 select_rx: 4 producer threads, each on its own bounded(1024) channel;
/// the calling thread receives all n messages with one select over the 4
/// receivers per message.
inline measurement w12_select_rx(u64 n) {
  constexpr unsigned producers = 4;
  std::array<rill::sender<u64>, producers> tx;
  std::array<rill::receiver<u64>, producers> rx;
  for (unsigned p = 0; p < producers; ++p) std::tie(tx[p], rx[p]) = rill::sync_channel<u64>(1024);
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < producers; ++p)
    threads.emplace_back([p, n, tx = std::move(tx[p])] {
      for (u64 i = n * p / producers, end = n * (p + 1) / producers; i < end; ++i) check(tx.send(i).has_value(), "send");
    });
  std::array<bool, producers> live{true, true, true, true};
  u64 sum = 0, got = 0;
  while (got < n) {
    auto r = rill::select(rill::recv(rx[0], live[0]), rill::recv(rx[1], live[1]), rill::recv(rx[2], live[2]),
                          rill::recv(rx[3], live[3]));
    auto& m = detail::winner(r);
    if (m) {
      sum += *m;
      ++got;
    } else {
      live[r.index()] = false;  // that producer is done and its channel drained
      check(live[0] || live[1] || live[2] || live[3], "select_rx: all disconnected early");
    }
  }
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "select_rx sum");
  return {s, n};
}

/// W13 select_both: 4 sender threads each send with one select over send
/// arms on 4 shared bounded(1024) channels; 4 receiver threads select over
/// recv arms on the same 4 until every channel is disconnected and drained.
inline measurement w13_select_both(u64 n) {
  constexpr unsigned channels = 4, senders = 4, receivers = 4;
  std::array<rill::sender<u64>, channels> tx;
  std::array<rill::receiver<u64>, channels> rx;
  for (unsigned c = 0; c < channels; ++c) std::tie(tx[c], rx[c]) = rill::sync_channel<u64>(1024);
  std::atomic<u64> sum{0}, got{0};
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < senders; ++p)
    threads.emplace_back([p, n, tx] {  // a copy of the 4 senders per thread
      for (u64 i = n * p / senders, end = n * (p + 1) / senders; i < end; ++i) {
        auto r = rill::select(rill::send(tx[0], i), rill::send(tx[1], i), rill::send(tx[2], i), rill::send(tx[3], i));
        check(detail::winner(r).has_value(), "select_both send");
      }
    });
  for (auto& t : tx) t = {};  // only the sender threads keep the channels open now
  for (unsigned c = 0; c < receivers; ++c)
    threads.emplace_back([&] {
      std::array<bool, channels> live{true, true, true, true};
      u64 local = 0, count = 0;
      while (live[0] || live[1] || live[2] || live[3]) {
        auto r = rill::select(rill::recv(rx[0], live[0]), rill::recv(rx[1], live[1]), rill::recv(rx[2], live[2]),
                              rill::recv(rx[3], live[3]));
        auto& m = detail::winner(r);
        if (m) {
          local += *m;
          ++count;
        } else {
          live[r.index()] = false;
        }
      }
      sum.fetch_add(local);
      got.fetch_add(count);
    });
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  check(got.load() == n && sum.load() == expected_sum(n), "select_both sum");
  return {s, n};
}

/// spsc bounded(1024) where the consumer receives with a two-arm select
/// (the second channel stays empty but connected), to compare with a plain
/// recv on the same channel (spsc<rill_peer>(1024, n)).
inline measurement select_two_arm_spsc(u64 n) {
  auto [tx, rx] = rill::sync_channel<u64>(1024);
  auto [idle_tx, idle_rx] = rill::sync_channel<u64>(1024);
  const auto start = clock_type::now();
  std::thread producer([&, tx = std::move(tx)] {
    for (u64 i = 0; i < n; ++i) check(tx.send(i).has_value(), "send");
  });
  u64 sum = 0;
  for (u64 i = 0; i < n; ++i) {
    auto r = rill::select(rill::recv(rx), rill::recv(idle_rx));
    check(r.index() == 0, "select: idle arm won");
    auto& m = std::get<0>(r);
    check(m.has_value(), "select recv");
    sum += *m;
  }
  producer.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "select two arm sum");
  return {s, n};
}

// ---- the same job with channels and with shared memory ----------------------------
// Four producer threads hand the numbers 0..n-1 (a quarter each) to be summed.

inline constexpr unsigned shared_producers = 4;

inline u64 share_begin(unsigned p, u64 n) { return n * p / shared_producers; }
inline u64 share_end(unsigned p, u64 n) { return n * (p + 1) / shared_producers; }

/// A rill channel, bounded 1024; the consumer sums with recv_many(256).
inline measurement shared_rill_recv_many(u64 n) {
  auto [tx, rx] = rill::sync_channel<u64>(1024);
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < shared_producers; ++p)
    threads.emplace_back([p, n, tx = tx] {
      for (u64 i = share_begin(p, n); i < share_end(p, n); ++i) check(tx.send(i).has_value(), "send");
    });
  tx = {};
  std::vector<u64> batch;
  batch.reserve(256);
  u64 sum = 0;
  for (;;) {
    batch.clear();
    if (rx.recv_many(batch, 256) == 0) break;  // all producers done, drained
    for (u64 v : batch) sum += v;
  }
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "recv_many sum");
  return {s, n};
}

/// Producers push_back each number into one std::vector under a std::mutex;
/// the main thread sums the vector once they are done.
inline measurement shared_mutex_vector(u64 n) {
  std::mutex m;
  std::vector<u64> numbers;
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < shared_producers; ++p)
    threads.emplace_back([&, p] {
      for (u64 i = share_begin(p, n); i < share_end(p, n); ++i) {
        std::lock_guard lock(m);
        numbers.push_back(i);
      }
    });
  for (auto& t : threads) t.join();
  u64 sum = 0;
  for (u64 v : numbers) sum += v;
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "mutex vector sum");
  return {s, n};
}

/// Producers fetch_add each number into one shared std::atomic counter.
inline measurement shared_atomic_counter(u64 n) {
  std::atomic<u64> sum{0};
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < shared_producers; ++p)
    threads.emplace_back([&, p] {
      for (u64 i = share_begin(p, n); i < share_end(p, n); ++i) sum.fetch_add(i, std::memory_order_relaxed);
    });
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  check(sum.load() == expected_sum(n), "atomic sum");
  return {s, n};
}

/// The floor: each producer sums its share locally, one atomic add at the end.
inline measurement shared_local_sums(u64 n) {
  std::atomic<u64> sum{0};
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < shared_producers; ++p)
    threads.emplace_back([&, p] {
      u64 local = 0;
      for (u64 i = share_begin(p, n); i < share_end(p, n); ++i) {
        local += i;
        asm volatile("" : "+r"(local));  // keep the loop: one add per number
      }
      sum.fetch_add(local);
    });
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  check(sum.load() == expected_sum(n), "local sums");
  return {s, n};
}

}  // namespace rill_bench
