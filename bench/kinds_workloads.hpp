// rill_bench: the workloads of the channel kinds beside the plain channel,
// each against what a C++ user would build instead, in the same run:
//   - oneshot: create a one-value channel, send one value, receive it, on
//     one thread and as a reply from a worker thread; rill::oneshot against
//     rill::sync_channel<T>(1) and std::promise/std::future;
//   - watch: one writer updating a value that four reader threads follow;
//     rill::watch against a std::shared_mutex-protected value the readers
//     poll, and a std::mutex + condition_variable + version counter;
//   - broadcast: one producer thread, every message to 1, 4 or 16 receiver
//     threads, none lost; rill::broadcast against one rill channel per
//     receiver and a std::mutex + condition variables + a queue per receiver.
// Every workload checks what was received.
#pragma once

#include "common.hpp"

#include <rill/channel.hpp>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>
#include <vector>

namespace rill_bench {

// ---- oneshot: one value, once --------------------------------------------------

/// How each approach makes a reply pair, sends on it and receives from it.
struct oneshot_reply {
  static auto make() { return rill::oneshot<u64>(); }
  static void send(rill::oneshot_sender<u64>& tx, u64 v) { check(std::move(tx).send(v).has_value(), "oneshot send"); }
  static u64 recv(rill::oneshot_receiver<u64>& rx) { return rx.recv().value(); }
};

struct sync_channel_reply {
  static auto make() { return rill::sync_channel<u64>(1); }
  static void send(rill::sender<u64>& tx, u64 v) { check(tx.send(v).has_value(), "sync_channel send"); }
  static u64 recv(rill::receiver<u64>& rx) { return rx.recv().value(); }
};

struct promise_reply {
  static auto make() {
    std::promise<u64> p;
    std::future<u64> f = p.get_future();
    return std::pair(std::move(p), std::move(f));
  }
  static void send(std::promise<u64>& p, u64 v) { p.set_value(v); }
  static u64 recv(std::future<u64>& f) { return f.get(); }
};

/// Creates a pair, sends i, receives it, n times on one thread: the cost of
/// the shared state itself (allocation, synchronisation, no waiting).
template <class Reply>
measurement oneshot_same_thread(u64 n) {
  u64 sum = 0;
  const auto start = clock_type::now();
  for (u64 i = 0; i < n; ++i) {
    auto [tx, rx] = Reply::make();
    Reply::send(tx, i);
    sum += Reply::recv(rx);
  }
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "oneshot sum");
  return {s, n};
}

/// A request/reply round trip: the main thread sends a worker thread a
/// request carrying the reply's sending end over a rill channel (the same
/// for every approach) and waits for the reply.
template <class Reply>
measurement oneshot_reply_from_thread(u64 n) {
  using reply_sender = std::decay_t<decltype(Reply::make().first)>;
  struct request {
    u64 value;
    reply_sender reply;
  };
  auto [requests, incoming] = rill::channel<request>();
  std::thread worker([&incoming = incoming] {
    for (request& r : incoming) Reply::send(r.reply, r.value);
  });
  u64 sum = 0;
  const auto start = clock_type::now();
  for (u64 i = 0; i < n; ++i) {
    auto [tx, rx] = Reply::make();
    check(requests.send(request{i, std::move(tx)}).has_value(), "request send");
    sum += Reply::recv(rx);
  }
  const double s = seconds_since(start);
  requests = {};
  worker.join();
  check(sum == expected_sum(n), "reply sum");
  return {s, n};
}

// ---- watch: the latest value, followed by readers ------------------------------

inline constexpr unsigned watch_readers = 4;

/// One writer sets 1..n; each reader follows until it has seen n. The rate
/// is updates per second, until every reader has seen the last one.
template <class Reader, class Write>
measurement one_writer_many_readers(u64 n, Reader reader, Write write) {
  std::vector<std::thread> readers;
  const auto start = clock_type::now();
  for (unsigned k = 0; k < watch_readers; ++k) readers.emplace_back(reader);
  for (u64 i = 1; i <= n; ++i) write(i);
  for (auto& t : readers) t.join();
  return {seconds_since(start), n};
}

/// rill::watch: readers wait in changed() and read by borrow().
inline measurement watch_rill(u64 n) {
  auto [tx, rx] = rill::watch<u64>(0);
  return one_writer_many_readers(
      n,
      [&, r = rx]() mutable {
        u64 last = 0;
        while (last != n) {
          check(r.changed().has_value(), "watch changed");
          const u64 v = *r.borrow();
          check(v >= last, "watch went back");
          last = v;
        }
      },
      [&](u64 i) { check(tx.send(i).has_value(), "watch send"); });
}

/// A std::shared_mutex-protected value: readers poll it under a shared
/// lock, yielding when it has not changed (it cannot tell them).
inline measurement watch_shared_mutex(u64 n) {
  std::shared_mutex m;
  u64 value = 0;
  return one_writer_many_readers(
      n,
      [&] {
        u64 last = 0;
        while (last != n) {
          u64 v;
          {
            std::shared_lock lock(m);
            v = value;
          }
          check(v >= last, "shared_mutex went back");
          if (v == last) std::this_thread::yield();
          last = v;
        }
      },
      [&](u64 i) {
        std::unique_lock lock(m);
        value = i;
      });
}

/// A std::mutex + condition_variable + version counter: what rill::watch
/// does, by hand.
inline measurement watch_mutex_condvar(u64 n) {
  std::mutex m;
  std::condition_variable changed;
  u64 value = 0, version = 0;
  return one_writer_many_readers(
      n,
      [&] {
        u64 last = 0, seen = 0;
        while (last != n) {
          std::unique_lock lock(m);
          changed.wait(lock, [&] { return version != seen; });
          seen = version;
          check(value >= last, "condvar went back");
          last = value;
        }
      },
      [&](u64 i) {
        {
          std::lock_guard lock(m);
          value = i;
          ++version;
        }
        changed.notify_all();
      });
}

// ---- broadcast: every message to every receiver ----------------------------------

inline constexpr std::size_t broadcast_capacity = 1024;

/// One producer sends 1..n; each of `receivers` threads receives all n and
/// checks their sum. Nothing may be lost, so every approach makes the
/// producer wait for the slowest receiver. The rate is messages sent per
/// second (each delivered `receivers` times).
template <class Receive, class Send>
measurement one_to_many(u64 n, unsigned receivers, Receive receive, Send send) {
  std::vector<std::thread> threads;
  const auto start = clock_type::now();
  for (unsigned k = 0; k < receivers; ++k)
    threads.emplace_back([&, k] {
      u64 sum = 0;
      for (u64 i = 0; i < n; ++i) sum += receive(k);
      check(sum == n * (n + 1) / 2, "broadcast sum");
    });
  for (u64 i = 1; i <= n; ++i) send(i);
  for (auto& t : threads) t.join();
  return {seconds_since(start), n};
}

/// rill::broadcast, senders waiting for the slowest receiver.
template <unsigned Receivers>
measurement broadcast_rill(u64 n) {
  auto [tx, first] = rill::broadcast<u64>(broadcast_capacity, rill::broadcast_overflow::wait);
  std::vector<rill::broadcast_receiver<u64>> rxs;
  rxs.push_back(std::move(first));
  while (rxs.size() < Receivers) rxs.push_back(tx.subscribe());
  return one_to_many(
      n, Receivers, [&](unsigned k) { return rxs[k].recv().value(); },
      [&](u64 i) { check(tx.send(i).has_value(), "broadcast send"); });
}

/// One rill channel per receiver, bounded alike; the producer sends each
/// message on every one: what rill users build without broadcast.
template <unsigned Receivers>
measurement broadcast_separate_channels(u64 n) {
  std::vector<rill::sender<u64>> txs;
  std::vector<rill::receiver<u64>> rxs;
  for (unsigned k = 0; k < Receivers; ++k) {
    auto [tx, rx] = rill::sync_channel<u64>(broadcast_capacity);
    txs.push_back(std::move(tx));
    rxs.push_back(std::move(rx));
  }
  return one_to_many(
      n, Receivers, [&](unsigned k) { return rxs[k].recv().value(); },
      [&](u64 i) {
        for (auto& tx : txs) check(tx.send(i).has_value(), "channel send");
      });
}

/// A std::mutex, two condition variables and a bounded queue per receiver:
/// the hand-built broadcast.
template <unsigned Receivers>
measurement broadcast_mutex_queues(u64 n) {
  std::mutex m;
  std::condition_variable not_empty, not_full;
  std::vector<std::deque<u64>> queues(Receivers);
  auto full = [&] {
    for (auto& q : queues)
      if (q.size() == broadcast_capacity) return true;
    return false;
  };
  return one_to_many(
      n, Receivers,
      [&](unsigned k) {
        std::unique_lock lock(m);
        not_empty.wait(lock, [&] { return !queues[k].empty(); });
        const u64 v = queues[k].front();
        const bool was_full = queues[k].size() == broadcast_capacity;
        queues[k].pop_front();
        lock.unlock();
        if (was_full) not_full.notify_one();
        return v;
      },
      [&](u64 i) {
        {
          std::unique_lock lock(m);
          not_full.wait(lock, [&] { return !full(); });
          for (auto& q : queues) q.push_back(i);
        }
        not_empty.notify_all();
      });
}

}  // namespace rill_bench
