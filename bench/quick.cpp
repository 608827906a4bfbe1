// A quick look at the blocking hot paths: W1, W3, W5, W6 and W7 of
// DESIGN.md for rill and a mutex + condition_variable deque, measured in
// the same run. Prints the median of several runs in million messages (or
// round trips) per second.
#include <rill/rill.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "mutex_queue.hpp"

namespace {

using u64 = std::uint64_t;

struct rill_queue {
  explicit rill_queue(std::optional<std::size_t> capacity) {
    auto [tx, rx] = capacity ? rill::sync_channel<u64>(*capacity) : rill::channel<u64>();
    tx_ = std::move(tx);
    rx_ = std::move(rx);
  }
  void send(u64 v) { (void)tx_.send(v); }
  u64 recv() { return *rx_.recv(); }
  rill::sender<u64> tx_;
  rill::receiver<u64> rx_;
};

using rill_bench::mutex_queue;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// One producer, one consumer; returns messages per second.
template <class Queue>
double spsc(std::optional<std::size_t> capacity, u64 messages) {
  Queue q(capacity);
  const auto start = std::chrono::steady_clock::now();
  std::thread producer([&] {
    for (u64 i = 0; i < messages; ++i) q.send(i);
  });
  u64 sum = 0;
  for (u64 i = 0; i < messages; ++i) sum += q.recv();
  producer.join();
  if (sum != messages * (messages - 1) / 2) std::abort();
  return static_cast<double>(messages) / seconds_since(start);
}

/// Two threads bounce one message over two channels; round trips per second.
template <class Queue>
double pingpong(u64 round_trips) {
  Queue ping(std::nullopt), pong(std::nullopt);
  const auto start = std::chrono::steady_clock::now();
  std::thread other([&] {
    for (u64 i = 0; i < round_trips; ++i) pong.send(ping.recv() + 1);
  });
  u64 v = 0;
  for (u64 i = 0; i < round_trips; ++i) {
    ping.send(v);
    v = pong.recv();
  }
  other.join();
  if (v != round_trips) std::abort();
  return static_cast<double>(round_trips) / seconds_since(start);
}

double median_of(int runs, const std::function<double()>& run) {
  std::vector<double> results;
  for (int i = 0; i < runs; ++i) results.push_back(run());
  std::sort(results.begin(), results.end());
  return results[results.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const u64 scale = argc > 1 ? std::stoull(argv[1]) : 1;
  const int runs = 5;
  struct row {
    const char* name;
    std::function<double()> rill_run;
    std::function<double()> mutex_run;
  };
  const u64 n = 1'000'000 * scale, slow = 100'000 * scale;
  std::vector<row> rows = {
      {"W1 spsc_unbounded", [&] { return spsc<rill_queue>(std::nullopt, n); },
       [&] { return spsc<mutex_queue<u64>>(std::nullopt, n); }},
      {"W3 spsc_bounded_1024", [&] { return spsc<rill_queue>(1024, n); },
       [&] { return spsc<mutex_queue<u64>>(1024, n); }},
      {"W5 spsc_bounded_1", [&] { return spsc<rill_queue>(1, slow); },
       [&] { return spsc<mutex_queue<u64>>(1, slow); }},
      {"W6 rendezvous", [&] { return spsc<rill_queue>(0, slow); }, nullptr},
      {"W7 pingpong_threads", [&] { return pingpong<rill_queue>(slow); },
       [&] { return pingpong<mutex_queue<u64>>(slow); }},
  };
  fmt::print("{:<24} {:>12} {:>14} {:>8}\n", "workload (M msg/s)", "rill", "mutex+condvar", "ratio");
  for (const auto& r : rows) {
    const double a = median_of(runs, r.rill_run) / 1e6;
    if (r.mutex_run) {
      const double b = median_of(runs, r.mutex_run) / 1e6;
      fmt::print("{:<24} {:>12.2f} {:>14.2f} {:>8.2f}\n", r.name, a, b, a / b);
    } else {
      fmt::print("{:<24} {:>12.2f} {:>14} {:>8}\n", r.name, a, "-", "-");
    }
  }
}
