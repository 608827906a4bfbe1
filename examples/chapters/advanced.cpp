// Chapter 7 · Advanced features · 高级特性
//
// Receiving as a loop, waiting on several channels at once (with a timeout),
// composing channels into a pipeline, and deciding what a producer does when
// its consumer cannot keep up.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"
#include "stage.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
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
}

constexpr section sections[] = {
    {"iteration", "Iteration: for, try_iter, recv_many", iteration},
    {"select", "Select over several channels, with a timeout", select},
    {"pipeline", "Composing channels into a pipeline", pipeline},
    {"backpressure", "Backpressure with a bounded channel", backpressure},
};

}  // namespace

extern const chapter advanced{
    "advanced", "Advanced features", "高级特性",
    "Loops over a channel, waiting on several at once, pipelines, and what to do when a consumer falls behind.",
    sections};

}  // namespace tour
