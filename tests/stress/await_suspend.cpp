// Coroutines on a 2-thread pool awaiting rill operations through
// as_tuple(use_awaitable), most of which complete at once or are completed
// by a partner on the other thread right after they are queued.
//
// Pins the clang crash: Asio 1.22 starts an operation inside the awaiting
// coroutine's await_suspend, so the other pool thread can resume and
// destroy the coroutine while the initiating thread is still returning
// through rill's initiation. clang before 19 then wrote to the freed frame
// (initiation.hpp): a crash, or a lost resumption that left the pipeline
// hanging, in about 1 of 130 runs of this pattern (the tour's streaming
// section) under clang 14.
#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <thread>

#include "support/test_support.hpp"
#include "support/watchdog.hpp"

namespace {

constexpr auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// A message with a heap part, so that a frame written after it was freed
/// has pointers to corrupt.
struct sample {
  std::string name;
  long value = 0;
};

/// Receives lines and sends on a sample for each, until the input ends.
asio::awaitable<void> parse_stage(rill::receiver<std::string> in, rill::sender<sample> out) {
  for (;;) {
    auto [ec, line] = co_await in.async_recv(as_tuple_awaitable);
    if (ec) co_return;
    // A local, not a braced temporary inside the co_await expression: g++ 12
    // destroys such an aggregate temporary from the wrong address.
    sample s{line, static_cast<long>(line.size())};
    auto [send_ec, unsent] = co_await out.async_send(std::move(s), as_tuple_awaitable);
    if (send_ec) co_return;
  }
}

/// The same stage through async_select, whose initiation runs inside
/// await_suspend as well.
asio::awaitable<void> select_stage(rill::receiver<std::string> in, rill::sender<sample> out) {
  for (;;) {
    auto [ec, got] = co_await rill::async_select(rill::recv(in), as_tuple_awaitable);
    if (ec || !got || !std::get<0>(*got)) co_return;
    std::string line = std::move(*std::get<0>(*got));
    sample s{line, static_cast<long>(line.size())};
    auto [send_ec, sent] = co_await rill::async_select(rill::send(out, std::move(s)), as_tuple_awaitable);
    if (send_ec || !sent || !std::get<0>(*sent)) co_return;
  }
}

}  // namespace

TEST_CASE("stress: coroutines on a thread pool whose operations complete at once on the other thread",
          "[stress][async][await_suspend]") {
  const bool use_select = GENERATE(false, true);
  INFO((use_select ? "async_select" : "async_send / async_recv"));
  const int rounds = 150 * static_cast<int>(rill_test::stress_scale);
  constexpr int lines = 300, parsers = 3;
  rill_test::watchdog dog(std::chrono::seconds(30));
  for (int round = 0; round < rounds; ++round) {
    dog.arm(fmt::format("round {} of {}", round, rounds));
    asio::thread_pool pool(2);
    auto [lines_tx, lines_rx] = rill::sync_channel<std::string>(32);
    auto [samples_tx, samples_rx] = rill::sync_channel<sample>(32);
    for (int i = 0; i < parsers; ++i)
      asio::co_spawn(pool, use_select ? select_stage(lines_rx, samples_tx) : parse_stage(lines_rx, samples_tx),
                     asio::detached);
    lines_rx = {};
    samples_tx = {};  // the stages hold the only copies: the stream ends when they do
    std::thread source([tx = std::move(lines_tx)] {
      for (int i = 0; i < lines; ++i) (void)tx.send(std::string(static_cast<std::size_t>(1 + i % 40), 'x'));
    });
    long samples = 0, total = 0;
    for (sample& s : samples_rx) {
      ++samples;
      total += s.value;
    }
    source.join();
    pool.join();
    long expected_total = 0;
    for (int i = 0; i < lines; ++i) expected_total += 1 + i % 40;
    REQUIRE(samples == lines);
    REQUIRE(total == expected_total);
  }
  dog.disarm();
}
