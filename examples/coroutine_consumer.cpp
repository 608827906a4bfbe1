// A coroutine consumer fed by blocking producer threads: sensor threads
// push readings with plain blocking sends into a bounded channel (they slow
// down when the consumer falls behind); a coroutine on an io_context
// receives them with co_await, alongside a timer that reports progress,
// and stops when every producer is done.
#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <chrono>
#include <map>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

struct reading {
  int sensor;
  int sequence;
  double value;
};

int main() {
  constexpr int sensors = 3, readings_per_sensor = 1000;
  auto [tx, rx] = rill::sync_channel<reading>(64);

  std::vector<std::thread> producers;
  for (int s = 0; s < sensors; ++s)
    producers.emplace_back([s, tx = tx] {
      for (int i = 0; i < readings_per_sensor; ++i)
        if (!tx.send({s, i, s * 100.0 + i * 0.5})) return;  // fails only if the consumer is gone
    });
  tx = {};  // only the producer threads send: when they finish, the channel disconnects

  asio::io_context io;
  std::map<int, int> count;
  std::map<int, double> sum;
  asio::co_spawn(io, [&, rx = std::move(rx)]() -> asio::awaitable<void> {
    asio::steady_timer report(co_await asio::this_coro::executor);
    int ticks = 0;
    for (;;) {
      report.expires_after(2ms);
      // Whichever completes first; a receive that loses the race to the
      // timer takes nothing, so no reading is lost here.
      auto next = co_await (rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable)) ||
                            report.async_wait(asio::use_awaitable));
      if (next.index() == 1) {
        ++ticks;
        continue;
      }
      auto [ec, r] = std::get<0>(next);
      if (ec) break;  // rill::errc::disconnected: every producer finished and all is drained
      ++count[r.sensor];
      sum[r.sensor] += r.value;
    }
    fmt::print("consumer: {} after {} idle tick(s)\n", rill::errc::disconnected, ticks);
  }, asio::detached);

  io.run();
  for (auto& t : producers) t.join();

  bool complete = true;
  for (int s = 0; s < sensors; ++s) {
    fmt::print("sensor {}: {} readings, mean {:.2f}\n", s, count[s], sum[s] / count[s]);
    complete = complete && count[s] == readings_per_sensor;
  }
  return complete ? 0 : 1;
}
