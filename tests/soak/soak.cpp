// rill_soak: mixed traffic for a given time, checking that resident memory
// stays flat and that every message arrives exactly once, in per-producer
// order.
//
//   rill_soak --seconds N [--max-growth-mib M]
//
// Threads and coroutines send and receive on an unbounded, a bounded and a
// rendezvous channel with every form (blocking, try, timed, select,
// recv_many, async with timer races); another thread keeps creating
// short-lived channels and dropping them with messages buffered and
// operations waiting. Resident memory is sampled from /proc/self/statm (on
// Windows: the working set);
// after a warm-up (a fifth of the run, 2 to 60 s), its highest value may
// exceed the value at the end of the warm-up by at most M MiB (default 16):
// a leak of even a few bytes per message grows past that within seconds.
// The program prints its figures and exits non-zero on any failure.
#include <rill/rill.hpp>

#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#if defined(_WIN32)
#if !defined(NOMINMAX)
#define NOMINMAX
#endif
#include <windows.h>
// After windows.h, which it needs.
#include <psapi.h>
#else
#include <unistd.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

namespace {

struct message {
  std::uint32_t producer = 0;
  std::uint32_t lane = 0;
  std::uint64_t sequence = 0;
  std::string payload;  // heap-allocated for most sizes, so a leak shows
};

constexpr std::size_t lanes = 3;  // unbounded, bounded(64), rendezvous
constexpr std::size_t unbounded_high_water = 4096;

long resident_kib() {
#if defined(_WIN32)
  // K32GetProcessMemoryInfo: in kernel32 since Windows 7, no psapi.lib.
  PROCESS_MEMORY_COUNTERS counters{};
  if (!K32GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof counters)) return 0;
  return static_cast<long>(counters.WorkingSetSize / 1024);
#else
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
#endif
}

/// Failures from any thread, reported at the end.
class failures {
 public:
  void add(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (count_++ < 10) text_ += what + '\n';
  }
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }
  long count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::string text_;
  long count_ = 0;
};

/// What one consumer saw: counts and per-producer order.
class tally {
 public:
  explicit tally(failures& f) : failures_(f) {}
  void see(const message& m) {
    auto [it, fresh] = last_.try_emplace({m.producer, m.lane}, m.sequence);
    if (!fresh) {
      if (m.sequence <= it->second)
        failures_.add(fmt::format("producer {} lane {}: {} after {}", m.producer, m.lane, m.sequence, it->second));
      it->second = m.sequence;
    }
    ++received;
  }
  long received = 0;

 private:
  failures& failures_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> last_;
};

struct channels {
  std::array<rill::sender<message>, lanes> tx;
  std::array<rill::receiver<message>, lanes> rx;
  channels() {
    std::tie(tx[0], rx[0]) = rill::channel<message>();
    std::tie(tx[1], rx[1]) = rill::sync_channel<message>(64);
    std::tie(tx[2], rx[2]) = rill::sync_channel<message>(0);
  }
};

std::string payload_for(std::mt19937& rng) {
  return std::string(std::uniform_int_distribution<std::size_t>(0, 200)(rng), 'x');
}

/// A producer thread: sends until `stop`, with a random form each time.
long produce(std::uint32_t id, std::array<rill::sender<message>, lanes> tx, const std::atomic<bool>& stop) {
  std::mt19937 rng(id);
  std::array<std::uint64_t, lanes> next{};
  long sent = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    const auto lane = std::uniform_int_distribution<std::size_t>(0, lanes - 1)(rng);
    if (lane == 0 && tx[0].size() > unbounded_high_water) {
      std::this_thread::yield();
      continue;
    }
    message m{id, static_cast<std::uint32_t>(lane), next[lane], payload_for(rng)};
    bool ok = false;
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0:
        ok = tx[lane].send_timeout(std::move(m), 2ms).has_value();
        break;
      case 1:
        ok = tx[lane].try_send(std::move(m)).has_value();
        break;
      case 2: {
        auto arm = rill::send(tx[lane], std::move(m));
        ok = rill::select(arm, rill::timeout(1ms)).index() == 0;
        break;
      }
      default:
        ok = tx[lane].send_timeout(std::move(m), 200us).has_value();
        break;
    }
    if (ok) {
      ++next[lane];
      ++sent;
    }
  }
  return sent;
}

/// A consumer thread: receives with random forms until every lane is
/// disconnected and drained.
long consume(std::array<rill::receiver<message>, lanes> rx, failures& f) {
  std::mt19937 rng(static_cast<unsigned>(std::hash<std::thread::id>()(std::this_thread::get_id())));
  tally t(f);
  std::array<bool, lanes> open{true, true, true};
  std::vector<message> batch;
  while (open[0] || open[1] || open[2]) {
    const auto lane = std::uniform_int_distribution<std::size_t>(0, lanes - 1)(rng);
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: {
        if (!open[lane]) break;
        auto r = rx[lane].recv_timeout(1ms);
        if (r)
          t.see(*r);
        else if (r.error() == rill::recv_timeout_error::disconnected)
          open[lane] = false;
        break;
      }
      case 1: {
        if (!open[lane]) break;
        batch.clear();
        for (message& m : rx[lane].try_iter()) batch.push_back(std::move(m));
        for (const message& m : batch) t.see(m);
        break;
      }
      case 2: {
        auto r = rill::select(rill::recv(rx[0], open[0]), rill::recv(rx[1], open[1]), rill::recv(rx[2], open[2]),
                              rill::timeout(1ms));
        auto settle = [&](auto& result, std::size_t l) {
          if (result)
            t.see(*result);
          else
            open[l] = false;
        };
        if (r.index() == 0) settle(std::get<0>(r), 0);
        if (r.index() == 1) settle(std::get<1>(r), 1);
        if (r.index() == 2) settle(std::get<2>(r), 2);
        break;
      }
      default: {
        if (!open[lane] || rx[lane].size() == 0) break;  // recv_many blocks when empty
        batch.clear();
        (void)rx[lane].recv_many(batch, 16);
        for (const message& m : batch) t.see(m);
        break;
      }
    }
  }
  return t.received;
}

/// A coroutine consumer racing its receives with a timer (cancellation),
/// and a coroutine producer, on one io_context.
asio::awaitable<void> coroutine_consumer(std::array<rill::receiver<message>, lanes> rx, failures& f, long& got) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  tally t(f);
  std::mt19937 rng(99);
  std::array<bool, lanes> open{true, true, true};
  while (open[0] || open[1] || open[2]) {
    const auto lane = std::uniform_int_distribution<std::size_t>(0, lanes - 1)(rng);
    if (!open[lane]) continue;
    timer.expires_after(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 500)(rng)));
    auto r = co_await (rx[lane].async_recv(asio::experimental::as_tuple(asio::use_awaitable)) ||
                       timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable)));
    if (r.index() == 1) continue;
    auto& [ec, m] = std::get<0>(r);
    if (ec == rill::errc::disconnected) {
      open[lane] = false;
    } else if (ec) {
      f.add(fmt::format("coroutine receive failed: {}", ec.message()));
    } else {
      t.see(m);
    }
  }
  got = t.received;
}

asio::awaitable<void> coroutine_producer(std::uint32_t id, std::array<rill::sender<message>, lanes> tx,
                                         const std::atomic<bool>& stop, long& sent) {
  std::mt19937 rng(id);
  std::array<std::uint64_t, lanes> next{};
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load(std::memory_order_relaxed)) {
    const auto lane = std::uniform_int_distribution<std::size_t>(1, lanes - 1)(rng);  // bounded, rendezvous
    message m{id, static_cast<std::uint32_t>(lane), next[lane], payload_for(rng)};
    auto [ec, back] = co_await tx[lane].async_send(std::move(m), asio::experimental::as_tuple(asio::use_awaitable));
    if (!ec) {
      ++next[lane];
      ++sent;
    } else if (ec == rill::errc::disconnected) {
      co_return;
    }
  }
}

/// Keeps creating short-lived channels and dropping them with messages
/// buffered, senders blocked and asynchronous operations waiting.
long churn(const std::atomic<bool>& stop) {
  std::mt19937 rng(5);
  long rounds = 0;
  asio::io_context io;
  while (!stop.load(std::memory_order_relaxed)) {
    const int kind = std::uniform_int_distribution<int>(0, 2)(rng);
    auto [tx, rx] = kind == 0 ? rill::channel<message>() : rill::sync_channel<message>(kind == 1 ? 8 : 0);
    for (int i = 0; i < 20; ++i) (void)tx.try_send(message{0, 0, 0, payload_for(rng)});
    auto ignore = [](std::error_code, std::optional<message>) {};
    rx.async_recv(asio::bind_executor(io, ignore));
    tx.async_send(message{0, 0, 0, payload_for(rng)}, asio::bind_executor(io, ignore));
    // Either side first: buffered messages die with the last receiver, or
    // are drained by nobody and die with the channel.
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) rx = {};
    tx = {};
    rx = {};
    io.restart();
    io.run();
    ++rounds;
  }
  return rounds;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 30;
  double max_growth_mib = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (opt == "--max-growth-mib")
      max_growth_mib = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: rill_soak --seconds N [--max-growth-mib M]\n");
      return 2;
    }
  }
  const auto duration = std::chrono::duration<double>(seconds);
  const auto warm_up = std::clamp(duration / 5, std::chrono::duration<double>(2), std::chrono::duration<double>(60));

  failures f;
  std::atomic<bool> stop{false};
  const long rss_start = resident_kib();
  std::vector<long> thread_sent(2), thread_got(2);
  long coroutine_sent = 0, coroutine_got = 0, churn_rounds = 0;
  {
    channels ch;
    std::vector<std::thread> threads;
    for (std::uint32_t p = 0; p < 2; ++p)
      threads.emplace_back([&, p, tx = ch.tx] { thread_sent[p] = produce(p + 1, tx, stop); });
    for (std::size_t c = 0; c < 2; ++c)
      threads.emplace_back([&, c, rx = ch.rx] { thread_got[c] = consume(rx, f); });
    asio::io_context io;
    asio::co_spawn(io, coroutine_consumer(ch.rx, f, coroutine_got), asio::detached);
    asio::co_spawn(io, coroutine_producer(10, ch.tx, stop, coroutine_sent), asio::detached);
    ch.tx = {};  // only the workers hold the channels now
    ch.rx = {};
    threads.emplace_back([&io] { io.run(); });
    threads.emplace_back([&] { churn_rounds = churn(stop); });

    // Sample resident memory while the traffic runs.
    const auto start = std::chrono::steady_clock::now();
    long rss_after_warm_up = -1, rss_max_after = 0;
    while (std::chrono::steady_clock::now() - start < duration) {
      std::this_thread::sleep_for(250ms);
      const long rss = resident_kib();
      if (rss_after_warm_up < 0) {
        if (std::chrono::steady_clock::now() - start >= warm_up) rss_after_warm_up = rss;
      } else {
        rss_max_after = std::max(rss_max_after, rss);
      }
    }
    const long rss_end = resident_kib();
    stop = true;
    for (auto& t : threads) t.join();

    const long sent = thread_sent[0] + thread_sent[1] + coroutine_sent;
    const long got = thread_got[0] + thread_got[1] + coroutine_got;
    if (sent != got) f.add(fmt::format("{} messages sent, {} received", sent, got));
    const long growth = rss_max_after - rss_after_warm_up;
    fmt::print("rill_soak: {:.0f} s, {} messages sent and received, {} channels churned\n", seconds, sent,
               churn_rounds);
    fmt::print("rill_soak: RSS KiB: start {}, after warm-up ({:.0f} s) {}, max after warm-up {}, end {}; growth {} "
               "KiB (bound {:.0f} MiB)\n",
               rss_start, warm_up.count(), rss_after_warm_up, rss_max_after, rss_end, growth, max_growth_mib);
    if (rss_after_warm_up < 0 || rss_max_after == 0) f.add("too short to sample memory after the warm-up");
    if (growth > static_cast<long>(max_growth_mib * 1024))
      f.add(fmt::format("resident memory grew by {} KiB after the warm-up", growth));
  }
  if (f.count() != 0) {
    std::fprintf(stderr, "rill_soak: FAILED\n%s", f.text().c_str());
    return 1;
  }
  std::printf("rill_soak: ok\n");
  return 0;
}
