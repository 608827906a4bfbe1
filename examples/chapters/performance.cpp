// Chapter 6 · Performance · 性能
//
// A short side-by-side run, not a benchmark (bench/ has those, with peers,
// repetitions and medians): how the channel kind, the message size and the
// number of senders change the cost of a message, and how a channel compares
// with the queue most C++ programmers write first, a std::deque behind a
// mutex. Each row moves every message from its senders to one receiver and
// checks that they all arrived; the times are for reading, not asserting.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tour {
namespace {

/// A message of `Bytes` bytes whose first eight say which message it is.
template <std::size_t Bytes>
struct blob {
  std::uint64_t seq;
  std::array<char, Bytes - sizeof(std::uint64_t)> payload;
};

/// Builds message number `seq` of type M, and reads the number back.
template <class M>
M make_message(std::uint64_t seq) {
  if constexpr (std::is_same_v<M, std::uint64_t>) {
    return seq;
  } else if constexpr (std::is_same_v<M, std::string>) {
    return std::to_string(seq) + std::string(60, '.');  // long enough to live on the heap
  } else {
    return M{seq, {}};
  }
}

template <class M>
std::uint64_t seq_of(const M& m) {
  if constexpr (std::is_same_v<M, std::uint64_t>) {
    return m;
  } else if constexpr (std::is_same_v<M, std::string>) {
    return std::stoull(m);
  } else {
    return m.seq;
  }
}

/// The baseline: a deque guarded by a mutex, a condition variable to wait
/// for messages, a notify per message.
template <class T>
class mutex_queue {
 public:
  void send(T value) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(value));
    }
    not_empty_.notify_one();
  }

  T recv() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [this] { return !items_.empty(); });
    T value = std::move(items_.front());
    items_.pop_front();
    return value;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
};

struct outcome {
  double seconds;
  bool all_arrived;  ///< every message received, each exactly once (by checksum)
};

/// `senders` threads each send `per_sender` messages with send(M); this
/// thread receives them all with recv().
template <class M, class Send, class Recv>
outcome transfer(int senders, std::uint64_t per_sender, Send send, Recv recv) {
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t sum = 0;
  {
    std::vector<std::jthread> threads;
    for (int s = 0; s < senders; ++s)
      threads.emplace_back([&send, first = static_cast<std::uint64_t>(s) * per_sender, per_sender] {
        for (std::uint64_t i = 0; i < per_sender; ++i) send(make_message<M>(first + i));
      });
    const std::uint64_t total = static_cast<std::uint64_t>(senders) * per_sender;
    for (std::uint64_t i = 0; i < total; ++i) sum += seq_of(recv());
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const std::uint64_t n = static_cast<std::uint64_t>(senders) * per_sender;
  return {took.count(), sum == n * (n - 1) / 2};
}

template <class M>
outcome through_channel(rill::sender<M> tx, rill::receiver<M> rx, int senders, std::uint64_t per_sender) {
  return transfer<M>(senders, per_sender, [&tx](M m) { (void)tx.send(std::move(m)); }, [&rx] { return *rx.recv(); });
}

template <class M>
outcome through_mutex_queue(int senders, std::uint64_t per_sender) {
  mutex_queue<M> q;
  return transfer<M>(senders, per_sender, [&q](M m) { q.send(std::move(m)); }, [&q] { return q.recv(); });
}

asio::awaitable<void> count_up(rill::sender<std::uint64_t> tx, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) co_await tx.async_send(i, asio::use_awaitable);
}

rill::task<void> count_up_in_task(rill::sender<std::uint64_t> tx, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) co_await tx.async_send(i, rill::use_task);
}

/// A coroutine sender and a coroutine receiver taking turns on one thread:
/// `spawn_pair(io, tx, rx, sum)` starts them, as asio::awaitable or as
/// rill::task.
template <class SpawnPair>
outcome through_coroutines(std::size_t capacity, std::uint64_t count, SpawnPair spawn_pair) {
  const auto start = std::chrono::steady_clock::now();
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::uint64_t>(capacity);
  std::uint64_t sum = 0;
  spawn_pair(io, std::move(tx), std::move(rx), sum);
  io.run();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return {took.count(), sum == count * (count - 1) / 2};
}

outcome through_awaitables(std::size_t capacity, std::uint64_t count) {
  return through_coroutines(capacity, count, [count](asio::io_context& io, auto tx, auto rx, std::uint64_t& sum) {
    asio::co_spawn(io, count_up(std::move(tx), count), asio::detached);
    asio::co_spawn(io, async_for_each(std::move(rx), [&sum](std::uint64_t m) { sum += m; }), asio::detached);
  });
}

outcome through_tasks(std::size_t capacity, std::uint64_t count) {
  return through_coroutines(capacity, count, [count](asio::io_context& io, auto tx, auto rx, std::uint64_t& sum) {
    rill::spawn(io, count_up_in_task(std::move(tx), count), asio::detached);
    rill::spawn(io, task_for_each(std::move(rx), [&sum](std::uint64_t m) { sum += m; }), asio::detached);
  });
}

/// Messages per row: enough to see differences, few enough that the whole
/// chapter takes about a second; --quick is for tests and sanitizers.
std::uint64_t messages(const page& p) { return p.quick() ? 2'000 : 100'000; }

/// One table of runs: a header, a line per run, and one check that every
/// run delivered all its messages (so the output stays a table).
class table {
 public:
  table(page& p, std::string_view first_column) : p_(p) {
    p_.say("{:<36} {:>9} {:>10} {:>12}", first_column, "messages", "time", "messages/s");
  }

  void row(std::string_view label, std::uint64_t count, outcome o) {
    p_.say("{:<36} {:>9} {:>8.1f}ms {:>11.2f}M", label, count, o.seconds * 1e3,
           static_cast<double>(count) / o.seconds / 1e6);
    ++rows_;
    if (!o.all_arrived) failed_.push_back(std::string(label));
  }

  void check_all_arrived() {
    p_.check(failed_.empty(), failed_.empty()
                                  ? fmt::format("{} runs: every message arrived, exactly once", rows_)
                                  : fmt::format("messages lost or duplicated in: {}", fmt::join(failed_, "; ")));
  }

 private:
  page& p_;
  int rows_ = 0;
  std::vector<std::string> failed_;
};

void kinds(page& p) {
  if (p.quick()) p.say("(--quick: small counts; the times say nothing)");
  const std::uint64_t n = messages(p), slow = n / 5;  // the waiting kinds hand over one message at a time
  table t(p, "1 sender -> 1 receiver, u64");
  auto [utx, urx] = rill::channel<std::uint64_t>();
  t.row("channel() unbounded", n, through_channel(std::move(utx), std::move(urx), 1, n));
  auto [btx, brx] = rill::sync_channel<std::uint64_t>(1024);
  t.row("sync_channel(1024)", n, through_channel(std::move(btx), std::move(brx), 1, n));
  auto [otx, orx] = rill::sync_channel<std::uint64_t>(1);
  t.row("sync_channel(1)", slow, through_channel(std::move(otx), std::move(orx), 1, slow));
  auto [rtx, rrx] = rill::sync_channel<std::uint64_t>(0);
  t.row("sync_channel(0) rendezvous", slow, through_channel(std::move(rtx), std::move(rrx), 1, slow));
  t.row("sync_channel(1024), 2 coroutines", n, through_awaitables(1024, n));
  t.row("sync_channel(1024), 2 rill::tasks", n, through_tasks(1024, n));
  t.check_all_arrived();
}

template <class M>
void size_row(table& t, std::string_view label, std::uint64_t n) {
  auto [tx, rx] = rill::sync_channel<M>(1024);
  t.row(label, n, through_channel(std::move(tx), std::move(rx), 1, n));
}

void sizes(page& p) {
  const std::uint64_t n = messages(p);
  table t(p, "sync_channel(1024), message of");
  size_row<std::uint64_t>(t, "8 bytes (u64)", n);
  size_row<blob<64>>(t, "64 bytes", n);
  size_row<blob<1024>>(t, "1 KiB (copied into the buffer)", n);
  size_row<std::string>(t, "std::string (64 chars, on the heap)", n);
  t.check_all_arrived();
  p.say("A big message costs its copy; a heap-owning one moves a pointer but pays its allocation.");
}

void contention(page& p) {
  const std::uint64_t n = messages(p);
  table t(p, "sync_channel(1024), u64, senders");
  for (int senders : {1, 2, 4, 8}) {
    auto [tx, rx] = rill::sync_channel<std::uint64_t>(1024);
    t.row(fmt::format("{} sender(s) -> 1 receiver", senders), n,
        through_channel(std::move(tx), std::move(rx), senders, n / static_cast<std::uint64_t>(senders)));
  }
  t.check_all_arrived();
}

void versus_mutex(page& p) {
  const std::uint64_t n = messages(p);
  table t(p, "unbounded, u64");
  for (int senders : {1, 4}) {
    const std::uint64_t per_sender = n / static_cast<std::uint64_t>(senders);
    auto [tx, rx] = rill::channel<std::uint64_t>();
    t.row(fmt::format("rill::channel, {} sender(s)", senders), n,
        through_channel(std::move(tx), std::move(rx), senders, per_sender));
    t.row(fmt::format("mutex + deque, {} sender(s)", senders), n,
          through_mutex_queue<std::uint64_t>(senders, per_sender));
  }
  t.check_all_arrived();
  p.say("The channel also gives what the queue lacks: close, disconnect, timeouts, select, coroutines.");
}

constexpr section sections[] = {
    {"kinds", "Channel kinds side by side", kinds},
    {"sizes", "Message sizes", sizes},
    {"contention", "Several senders on one channel", contention},
    {"mutex", "A channel vs a mutex-protected queue", versus_mutex},
};

}  // namespace

extern const chapter performance{
    "performance", "Performance", "性能",
    "A quick side-by-side run; bench/ has the real measurements.",
    sections};

}  // namespace tour
