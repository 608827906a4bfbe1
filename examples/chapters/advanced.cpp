// Chapter 7 · Advanced features · 高级特性
//
// Receiving as a loop, waiting on several channels at once (with a timeout),
// composing channels into a pipeline, deciding what a producer does when its
// consumer cannot keep up, batches, timer channels, permits in a select, and
// stopping a worker.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"
#include "stage.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace tour {
namespace {

using namespace std::chrono_literals;

void iteration(page& p) {
  auto [tx, rx] = rill::channel<int>();
  for (int i = 0; i < 10; ++i) (void)tx.send(i);

  // try_iter: what is there now, without waiting.
  std::vector<int> ready;
  for (int& m : rx.try_iter()) {
    ready.push_back(m);
    if (ready.size() == 3) break;
  }
  // recv_many: a batch under one lock, waiting only for the first.
  std::vector<int> batch;
  const std::size_t got = rx.recv_many(batch, 4);
  // for: blocking, until the channel is disconnected and drained.
  tx = {};
  std::vector<int> rest;
  for (int& m : rx) rest.push_back(m);

  p.say("for (int& m : rx.try_iter()) ... break after 3 -> {}", ready);
  p.say("rx.recv_many(batch, 4)                        -> {}", batch);
  p.say("for (int& m : rx)  (after tx is gone)          -> {}", rest);
  p.check(ready == std::vector{0, 1, 2} && got == 4 && batch == std::vector{3, 4, 5, 6} && rest == std::vector{7, 8, 9},
          "the three ways to iterate took every message once, in order");
  p.check(rx.try_iter().begin() == rx.try_iter().end(), "try_iter on a drained, disconnected channel is empty");
}

/// A thread that sends `count` messages made by `make(i)`, then disconnects.
template <class T, class Make>
std::jthread produce(rill::sender<T> tx, int count, Make make) {
  return std::jthread([tx = std::move(tx), count, make] {
    for (int i = 0; i < count; ++i) (void)tx.send(make(i));
  });
}

asio::awaitable<void> select_in_coroutine(page& p, rill::receiver<int> numbers, rill::receiver<std::string> words,
                                         int expected) {
  bool numbers_open = true, words_open = true;
  int received = 0, timeouts = 0;
  while (numbers_open || words_open) {
    // The same arms as the blocking select, timeout included. A select that
    // times out has taken nothing, so no message is lost.
    auto r = *co_await rill::async_select(rill::recv(numbers, numbers_open), rill::recv(words, words_open),
                                          rill::timeout(50ms), asio::use_awaitable);
    switch (r.index()) {
      case 0:
        if (std::get<0>(r)) ++received; else numbers_open = false;
        break;
      case 1:
        if (std::get<1>(r)) ++received; else words_open = false;
        break;
      case 2:
        ++timeouts;
        break;
    }
  }
  p.say("coroutine: async_select over the same two kinds of channel: {} messages, {} timeout(s)", received, timeouts);
  p.check(received == expected, "async_select with a timeout arm took every message from both channels");
}

void select(page& p) {
  constexpr int count = 20;
  auto [num_tx, numbers] = rill::channel<int>();
  auto [word_tx, words] = rill::sync_channel<std::string>(4);
  auto a = produce(std::move(num_tx), count, [](int i) { return i * i; });
  auto b = produce(std::move(word_tx), count, [](int i) { return fmt::format("w{}", i); });

  // Channels of different types, and a timeout, in one wait. An arm whose
  // channel has ended is switched off, so it does not win again and again.
  bool numbers_open = true, words_open = true;
  int got_numbers = 0, got_words = 0, timeouts = 0;
  while (numbers_open || words_open) {
    auto r = rill::select(rill::recv(numbers, numbers_open), rill::recv(words, words_open), rill::timeout(50ms));
    switch (r.index()) {
      case 0:
        if (std::get<0>(r)) ++got_numbers; else numbers_open = false;
        break;
      case 1:
        if (std::get<1>(r)) ++got_words; else words_open = false;
        break;
      case 2:
        ++timeouts;  // nothing for 50 ms: a place for housekeeping
        break;
    }
  }
  p.say("select: {} numbers, {} words, {} timeout(s), until both channels ended", got_numbers, got_words, timeouts);
  p.check(got_numbers == count && got_words == count, "select took every message from both channels");

  auto [idle_tx, idle] = rill::channel<int>();
  auto r = rill::select(rill::recv(idle), rill::timeout(2ms));
  p.check(r.index() == 1, "select on a silent channel with timeout(2ms): the timeout arm wins");
  p.check(!rill::try_select(rill::recv(idle)).has_value(), "try_select never waits: nothing ready, nullopt");

  // dynamic_select: a set of arms decided at run time, one message type.
  std::vector<std::jthread> sensors;
  rill::dynamic_select<int> any;
  for (int s = 0; s < 4; ++s) {
    auto [tx, rx] = rill::sync_channel<int>(2);
    any.add(rx);
    sensors.push_back(produce(std::move(tx), 5, [s](int i) { return s * 100 + i; }));
  }
  int readings = 0, ended = 0;
  while (ended < 4) {
    auto won = any.select();
    if (won.recv_result()) {
      ++readings;
    } else {
      any.disable(won.index);  // this sensor is done
      ++ended;
    }
  }
  p.say("dynamic_select over {} receivers: {} readings", any.size(), readings);
  p.check(readings == 20, "dynamic_select took every reading from every sensor");

  // The coroutine form: rill::async_select, with the same timeout arm.
  asio::io_context io;
  auto [cnum_tx, cnumbers] = rill::channel<int>();
  auto [cword_tx, cwords] = rill::channel<std::string>();
  auto c = produce(std::move(cnum_tx), count, [](int i) { return i; });
  auto d = produce(std::move(cword_tx), count, [](int i) { return std::to_string(i); });
  asio::co_spawn(io, select_in_coroutine(p, std::move(cnumbers), std::move(cwords), 2 * count), asio::detached);
  io.run();
}

long long expected_pipeline_sum(int n) {
  long long sum = 0;
  for (int i = 1; i <= n; ++i)
    if (i % 3 != 0) sum += static_cast<long long>(i) * i;
  return sum;
}

void pipeline(page& p) {
  const int n = p.quick() ? 100 : 1000;
  auto keep = [](int i) { return i % 3 == 0 ? std::nullopt : std::optional<int>(i); };
  auto square = [](int i) { return static_cast<long long>(i) * i; };
  {
    // numbers -> [drop multiples of 3] -> [square] -> sum, one thread per stage.
    auto [numbers_tx, numbers_rx] = rill::sync_channel<int>(16);
    auto [kept_tx, kept_rx] = rill::sync_channel<int>(16);
    auto [squares_tx, squares_rx] = rill::sync_channel<long long>(16);
    auto filter = stage(std::move(numbers_rx), std::move(kept_tx), keep);
    auto squarer = stage(std::move(kept_rx), std::move(squares_tx), square);
    auto source = produce(std::move(numbers_tx), n, [](int i) { return i + 1; });
    long long sum = 0;
    for (long long& s : squares_rx) sum += s;  // ends when the end of the numbers reached it
    p.say("threads:    1..{} -> drop multiples of 3 -> square -> sum = {}", n, sum);
    p.check(sum == expected_pipeline_sum(n), "the pipeline of threads computed the right sum");
  }
  {
    // The same stages as coroutines on one thread.
    asio::io_context io;
    auto [numbers_tx, numbers_rx] = rill::sync_channel<int>(16);
    auto [kept_tx, kept_rx] = rill::sync_channel<int>(16);
    auto [squares_tx, squares_rx] = rill::sync_channel<long long>(16);
    asio::co_spawn(io, async_stage(std::move(numbers_rx), std::move(kept_tx), keep), asio::detached);
    asio::co_spawn(io, async_stage(std::move(kept_rx), std::move(squares_tx), square), asio::detached);
    std::jthread io_thread([&io] { io.run(); });
    auto source = produce(std::move(numbers_tx), n, [](int i) { return i + 1; });
    long long sum = 0;
    for (long long& s : squares_rx) sum += s;
    p.say("coroutines: the same stages on one io_context thread: sum = {}", sum);
    p.check(sum == expected_pipeline_sum(n), "the pipeline of coroutines computed the same sum");
  }
}

/// A consumer slower than its producer: a little work per message.
void slow_consumer(const rill::receiver<int>& rx, std::size_t& peak, int& received) {
  for (auto m = rx.recv(); m; m = rx.recv()) {
    peak = std::max(peak, rx.size());  // what was still waiting behind this message
    ++received;
    std::this_thread::sleep_for(50us);
  }
}

void backpressure(page& p) {
  constexpr std::size_t capacity = 4;
  const int offered = p.quick() ? 50 : 200;

  // Wait: send blocks while the buffer is full; nothing is lost, and the
  // producer runs at the consumer's pace.
  {
    auto [tx, rx] = rill::sync_channel<int>(capacity);
    std::size_t peak = 0;
    int received = 0;
    std::jthread consumer([rx = std::move(rx), &peak, &received] { slow_consumer(rx, peak, received); });
    for (int i = 0; i < offered; ++i) (void)tx.send(i);
    tx = {};
    consumer.join();
    p.say("send (wait):          {} offered, {} delivered, at most {} buffered", offered, received, peak);
    p.check(received == offered && peak <= capacity, "waiting loses nothing and bounds the backlog");
  }
  // Shed: try_send drops what does not fit, and the producer never waits.
  {
    auto [tx, rx] = rill::sync_channel<int>(capacity);
    std::size_t peak = 0;
    int received = 0, dropped = 0;
    std::jthread consumer([rx = std::move(rx), &peak, &received] { slow_consumer(rx, peak, received); });
    for (int i = 0; i < offered; ++i) dropped += tx.try_send(i) ? 0 : 1;
    tx = {};
    consumer.join();
    p.say("try_send (shed):      {} offered, {} delivered, {} dropped", offered, received, dropped);
    p.check(received + dropped == offered && peak <= capacity,
            "shedding: every message delivered or counted as dropped");
  }
  // Wait a while: send_timeout gives up after a deadline, value in hand.
  {
    auto [tx, rx] = rill::sync_channel<int>(capacity);
    std::size_t peak = 0;
    int received = 0, gave_up = 0;
    std::jthread consumer([rx = std::move(rx), &peak, &received] { slow_consumer(rx, peak, received); });
    for (int i = 0; i < offered; ++i) gave_up += tx.send_timeout(i, 100us) ? 0 : 1;
    tx = {};
    consumer.join();
    p.say("send_timeout(100us):  {} offered, {} delivered, {} given up", offered, received, gave_up);
    p.check(received + gave_up == offered, "a timed send either delivers or hands the value back");
  }
  // Keep the freshest: under overflow::drop_oldest send never waits, and a
  // full channel makes room by dropping its oldest message, which goes to
  // the undelivered hook (telemetry that may drop, but never silently).
  {
    std::atomic<int> dropped{0};
    auto [tx, rx] = rill::sync_channel<int>(capacity, rill::overflow::drop_oldest, [&dropped](int&&) { ++dropped; });
    std::size_t peak = 0;
    int received = 0;
    std::jthread consumer([rx = std::move(rx), &peak, &received] { slow_consumer(rx, peak, received); });
    for (int i = 0; i < offered; ++i) (void)tx.send(i);
    const auto counted = tx.undelivered_count();
    tx = {};
    consumer.join();
    p.say("drop_oldest + hook:   {} offered, {} delivered, {} dropped to the hook", offered, received, dropped.load());
    p.check(received + dropped == offered && counted == static_cast<unsigned>(dropped) && peak <= capacity,
            "a dropping policy: every message delivered or handed to the hook, and counted");
  }
}

/// Moves `n` numbers from a producer thread to this one, `batch` per call
/// (1: send / recv), and returns the elapsed seconds.
double move_numbers(int n, std::size_t batch, long long& sum) {
  auto [tx, rx] = rill::sync_channel<int>(1024);
  const auto start = std::chrono::steady_clock::now();
  std::jthread producer([tx = std::move(tx), n, batch] {
    std::vector<int> values(batch);
    for (int first = 0; first < n; first += static_cast<int>(batch)) {
      const int count = std::min(static_cast<int>(batch), n - first);
      if (batch == 1) {
        (void)tx.send(first);
        continue;
      }
      for (int i = 0; i < count; ++i) values[static_cast<std::size_t>(i)] = first + i;
      (void)tx.send_many(std::span(values).first(static_cast<std::size_t>(count)));
    }
  });
  std::vector<int> got;
  got.reserve(batch);
  sum = 0;
  if (batch == 1) {
    for (int& m : rx) sum += m;
  } else {
    for (got.clear(); rx.recv_many(got, batch) != 0; got.clear())
      for (int m : got) sum += m;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void batches(page& p) {
  // One lock and one wake-up per batch instead of per message: send_many on
  // the producer's side, recv_many on the consumer's.
  const int n = p.quick() ? 20'000 : 1'000'000;
  const long long expected = static_cast<long long>(n) * (n - 1) / 2;
  for (std::size_t batch : {std::size_t{1}, std::size_t{16}, std::size_t{256}}) {
    long long sum = 0;
    const double seconds = move_numbers(n, batch, sum);
    p.say("{:>3} per call: {:6.1f} M messages/s", batch, n / seconds / 1e6);
    p.check(sum == expected, fmt::format("batches of {}: every number arrived once", batch));
  }
  p.say("(measured here, on whatever else this machine is running: bench/ has the careful figures)");
}

void ticker(page& p) {
  // A tick drives the loop's housekeeping, an after() bounds it: both are
  // ordinary receivers, so one select waits on work, ticks and the deadline.
  auto [jobs_tx, jobs] = rill::channel<int>();
  auto ticks = rill::tick(2ms);
  auto give_up = rill::after(10s);
  auto producer = produce(std::move(jobs_tx), 50, [](int i) { return i; });
  int done = 0, housekeeping = 0;
  bool jobs_open = true, gave_up = false;
  while ((jobs_open || housekeeping == 0) && !gave_up) {
    auto r = rill::select(rill::recv(jobs, jobs_open), rill::recv(ticks), rill::recv(give_up));
    switch (r.index()) {
      case 0:
        if (std::get<0>(r)) ++done; else jobs_open = false;
        break;
      case 1:
        ++housekeeping;
        break;
      case 2:
        gave_up = true;
        break;
    }
  }
  p.say("a select over jobs, tick(2ms) and after(10s): {} jobs, {} tick(s) of housekeeping", done, housekeeping);
  p.check(done == 50 && housekeeping >= 1 && !gave_up,
          "every job was taken and the ticker drove the housekeeping, well before the deadline");
}

void permits(page& p) {
  // A producer that builds each value only once it can go, and that stops
  // when told, waits in one select for room (a permit) or the stop. When
  // the stop wins, it holds no value: nothing was built that could be lost.
  auto [out_tx, out] = rill::sync_channel<std::string>(2);
  auto [stop_tx, stop] = rill::channel<bool>();
  std::thread producer([out_tx = std::move(out_tx), stop = stop]() mutable {
    for (int built = 0;;) {
      auto r = rill::select(rill::reserve(out_tx), rill::recv(stop));
      if (r.index() == 1) return;
      auto& permit = std::get<0>(r);
      if (!permit) return;
      (void)permit->send(fmt::format("report {}", ++built));  // never waits, never refused for room
    }
  });
  std::vector<std::string> reports;
  for (int i = 0; i < 5; ++i) reports.push_back(out.recv().value());
  (void)stop_tx.send(true);
  producer.join();
  while (auto r = out.try_recv()) reports.push_back(std::move(*r));
  p.say("a select over reserve(out) and recv(stop): {} reports received, the last \"{}\"", reports.size(),
        reports.back());
  p.check(reports.size() >= 5 && reports.size() <= 7 &&
              reports.back() == fmt::format("report {}", reports.size()),
          "every report built was delivered, in order; the stop left none half-sent");
}

void stopping(page& p) {
  // A worker blocked in recv ends when its std::jthread is asked to stop:
  // the channel stays open, and the message sent afterwards is still there.
  auto [tx, rx] = rill::channel<int>();
  std::atomic<int> handled{0};
  {
    std::jthread worker([rx = rx, &handled](std::stop_token stop) {
      for (int& job : rx.iter(stop)) handled += job;
    });
    for (int i = 1; i <= 3; ++i) (void)tx.send(i);
    while (rx.size() != 0 || rx.waiting_receivers() == 0) std::this_thread::yield();
  }  // ~jthread: request_stop(), then join(): the worker's wait ends with errc::stopped
  (void)tx.send(4);
  p.say("a jthread worker handled 1+2+3 = {}, stopped by its token; the channel is still open: {}", handled.load(),
        !rx.is_closed());
  p.check(handled == 6 && !rx.is_closed() && rx.try_recv() == 4,
          "stopping the worker took nothing more and left the channel open");
}

constexpr section sections[] = {
    {"iteration", "Iteration: for, try_iter, recv_many", iteration},
    {"select", "Select over several channels, with a timeout", select},
    {"pipeline", "Composing channels into a pipeline", pipeline},
    {"backpressure", "Backpressure with a bounded channel", backpressure},
    {"batches", "Batches: send_many and recv_many", batches},
    {"ticker", "A ticker and a deadline as select arms", ticker},
    {"permits", "Reserve, then build, then send: a permit in a select", permits},
    {"stopping", "Stopping a blocked worker with its std::stop_token", stopping},
};

}  // namespace

extern const chapter advanced{
    "advanced", "Advanced features", "高级特性",
    "Loops over a channel, waiting on several at once, pipelines, what to do when a consumer falls behind, "
    "batches, tickers, permits, and stopping a blocked worker.",
    sections};

}  // namespace tour
