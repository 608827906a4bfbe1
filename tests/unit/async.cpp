// Asynchronous send and receive on Asio executors. Deterministic where it
// can be: start the operation, check that nothing completed before the
// io_context runs, run it, then check the result.
#include <rill/rill.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "support/inline_budget_check.hpp"
#include "support/channel_kinds.hpp"
#include "support/test_support.hpp"
#include "support/watchdog.hpp"

using rill_test::channel_kind;

namespace {

/// What a completion handler saw.
template <class V>
struct outcome {
  bool done = false;
  std::error_code ec;
  V value{};
  std::thread::id thread;
};

/// A callback bound to `io` that records into `out`.
template <class V>
auto record_into(asio::io_context& io, outcome<V>& out) {
  return asio::bind_executor(io, [&out](std::error_code ec, V value) {
    out.done = true;
    out.ec = ec;
    out.value = std::move(value);
    out.thread = std::this_thread::get_id();
  });
}

}  // namespace

TEST_CASE("async: a ready message completes the receive only when the executor runs", "[async]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(7));
  outcome<int> got;
  rx.async_recv(record_into(io, got));
  CHECK_FALSE(got.done);  // never completes inline
  CHECK(rx.size() == 1);  // and has taken nothing yet
  io.run();
  CHECK(got.done);
  CHECK_FALSE(got.ec);
  CHECK(got.value == 7);
  CHECK(got.thread == std::this_thread::get_id());
}

TEST_CASE("async: a thread's send completes a waiting receive on the receive's executor", "[async]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  asio::io_context io;
  auto [tx, rx] = rill_test::make_channel<int>(kind);
  outcome<int> got;
  rx.async_recv(record_into(io, got));
  io.poll();
  CHECK_FALSE(got.done);  // waiting
  std::thread producer([tx = tx] { (void)tx.send(42); });
  io.run();  // outstanding work keeps run() going until the receive completes
  producer.join();
  CHECK(got.done);
  CHECK(got.value == 42);
  CHECK(got.thread == std::this_thread::get_id());
}

TEST_CASE("async: a coroutine waiting on another thread keeps run() going", "[async][awaitable]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  asio::io_context io;
  auto [tx, rx] = rill_test::make_channel<int>(kind);
  auto [reply_tx, reply_rx] = rill::sync_channel<int>(0);
  bool finished = false;
  asio::co_spawn(
      io,
      [&, rx = rx, reply_tx = reply_tx]() -> asio::awaitable<void> {
        const int v = co_await rx.async_recv(asio::use_awaitable);
        co_await reply_tx.async_send(v + 1, asio::use_awaitable);  // waits for the thread's receive
        finished = true;
      },
      asio::detached);
  io.poll();
  REQUIRE_FALSE(finished);  // waiting to receive
  std::thread partner([tx = tx, reply_rx = reply_rx] {
    (void)tx.send(41);
    CHECK(reply_rx.recv().value() == 42);
  });
  io.run();  // returns only once the coroutine is done
  partner.join();
  CHECK(finished);
}

TEST_CASE("async: a send on a full channel completes when a receiver makes room", "[async]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(1);
  REQUIRE(tx.send(1));
  outcome<std::optional<int>> sent;
  tx.async_send(2, record_into(io, sent));
  io.poll();
  CHECK_FALSE(sent.done);
  CHECK(rx.recv().value() == 1);  // the refill takes the waiting send's value at once
  CHECK(rx.try_recv().value() == 2);
  io.run();
  CHECK(sent.done);
  CHECK_FALSE(sent.ec);
  CHECK_FALSE(sent.value.has_value());
}

TEST_CASE("async: a failed send hands the value back", "[async]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::unique_ptr<int>>(0);
  outcome<std::optional<std::unique_ptr<int>>> sent;
  tx.async_send(std::make_unique<int>(5), record_into(io, sent));
  io.poll();
  CHECK_FALSE(sent.done);
  rx = {};  // the last receiver leaves: the waiting send fails
  io.run();
  CHECK(sent.ec == rill::errc::disconnected);
  REQUIRE(sent.value.has_value());
  CHECK(**sent.value == 5);

  outcome<std::optional<std::unique_ptr<int>>> refused;
  tx.async_send(std::make_unique<int>(6), record_into(io, refused));
  io.restart();
  io.run();
  CHECK(refused.ec == rill::errc::disconnected);
  CHECK(**refused.value == 6);
}

// use_awaitable turns a failed send into an exception, and the value dies
// with it; as_tuple(use_awaitable) hands it back instead, as every other
// completion token does, for a refused send and for a cancelled one alike.
TEST_CASE("async: a coroutine gets a failed send's value back with as_tuple", "[async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<std::unique_ptr<int>>(0);  // no receiver comes: a send waits
  std::unique_ptr<int> cancelled_back, refused_back;
  std::error_code cancelled_ec, refused_ec;
  // Cancelled through its slot (as `||` with a timer would do), then
  // refused by the closed channel.
  asio::cancellation_signal signal;
  asio::co_spawn(io, [&, tx = tx]() -> asio::awaitable<void> {
    auto [ec, back] = co_await tx.async_send(
        std::make_unique<int>(8), asio::bind_cancellation_slot(signal.slot(), asio::experimental::as_tuple(asio::use_awaitable)));
    cancelled_ec = ec;
    if (back) cancelled_back = std::move(*back);
    tx.close();
    auto [ec2, back2] = co_await tx.async_send(std::make_unique<int>(9), asio::experimental::as_tuple(asio::use_awaitable));
    refused_ec = ec2;
    if (back2) refused_back = std::move(*back2);
  }, asio::detached);
  io.poll();
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  CHECK(cancelled_ec == asio::error::operation_aborted);
  REQUIRE(cancelled_back);
  CHECK(*cancelled_back == 8);
  CHECK(refused_ec == rill::errc::disconnected);
  REQUIRE(refused_back);
  CHECK(*refused_back == 9);
  CHECK(rx.try_recv().error() == rill::try_recv_error::disconnected);
}

TEST_CASE("async: a receive fails with disconnected once drained", "[async]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  outcome<int> first, second;
  rx.async_recv(record_into(io, first));
  rx.async_recv(record_into(io, second));
  io.poll();
  tx = {};
  io.run();
  CHECK(first.value == 1);
  CHECK_FALSE(first.ec);
  CHECK(second.ec == rill::errc::disconnected);
}

TEST_CASE("async: on a rendezvous channel a send completes only once a receiver holds the message", "[async]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  outcome<std::optional<int>> sent;
  tx.async_send(9, record_into(io, sent));
  io.poll();
  CHECK_FALSE(sent.done);
  std::optional<int> received;
  std::thread receiver([&received, rx = rx] { received = rx.recv().value(); });
  io.run();  // returns once the send completed, i.e. the receiver has the message
  CHECK(sent.done);
  CHECK_FALSE(sent.ec);
  receiver.join();
  CHECK(received == 9);
}

TEST_CASE("async: coroutine to coroutine over a rendezvous channel", "[async]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  std::vector<int> got;
  asio::co_spawn(io, [rx = rx, &got]() -> asio::awaitable<void> {
    for (;;) {
      auto [ec, v] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      got.push_back(v);
    }
  }, asio::detached);
  asio::co_spawn(io, [tx = std::move(tx)]() -> asio::awaitable<void> {
    for (int i = 0; i < 100; ++i) co_await tx.async_send(i, asio::use_awaitable);
  }, asio::detached);
  rx = {};
  io.run();
  REQUIRE(got.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(got[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("async: cancelling a waiting receive takes nothing", "[async][cancel]") {
  const auto type = GENERATE(asio::cancellation_type::terminal, asio::cancellation_type::partial,
                             asio::cancellation_type::total);
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  asio::cancellation_signal signal;
  outcome<int> got;
  rx.async_recv(asio::bind_cancellation_slot(signal.slot(), record_into(io, got)));
  io.poll();
  signal.emit(type);
  io.run();
  CHECK(got.ec == asio::error::operation_aborted);
  REQUIRE(tx.send(3));
  CHECK(rx.try_recv().value() == 3);  // nobody else holds a claim on it
}

TEST_CASE("async: a receive woken for a message and cancelled before it runs leaves the message", "[async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  asio::cancellation_signal signal;
  outcome<int> got;
  rx.async_recv(asio::bind_cancellation_slot(signal.slot(), record_into(io, got)));
  io.poll();
  REQUIRE(tx.send(4));  // wakes the receive: its resume is now queued on io
  signal.emit(asio::cancellation_type::terminal);  // arrives before that resume runs
  io.run();
  CHECK(got.ec == asio::error::operation_aborted);
  CHECK(rx.try_recv().value() == 4);
}

TEST_CASE("async: a cancelled receive passes its wake-up to the next receiver", "[async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  asio::cancellation_signal signal;
  outcome<int> cancelled, other;
  rx.async_recv(asio::bind_cancellation_slot(signal.slot(), record_into(io, cancelled)));
  rx.async_recv(record_into(io, other));
  io.poll();
  REQUIRE(tx.send(8));  // notifies the first receive only
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  CHECK(cancelled.ec == asio::error::operation_aborted);
  CHECK(other.value == 8);
}

TEST_CASE("async: cancelling a waiting send hands the value back and delivers nothing", "[async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  asio::cancellation_signal signal;
  outcome<std::optional<int>> sent;
  tx.async_send(11, asio::bind_cancellation_slot(signal.slot(), record_into(io, sent)));
  io.poll();
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  CHECK(sent.ec == asio::error::operation_aborted);
  CHECK(sent.value == 11);
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
}

TEST_CASE("async: a send taken before its cancellation reports success", "[async][cancel]") {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(0);
  asio::cancellation_signal signal;
  outcome<std::optional<int>> sent;
  tx.async_send(12, asio::bind_cancellation_slot(signal.slot(), record_into(io, sent)));
  io.poll();
  CHECK(rx.try_recv().value() == 12);  // a thread receiver takes it at once
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  CHECK_FALSE(sent.ec);  // delivered, so not "aborted"
  CHECK_FALSE(sent.value.has_value());
}

TEST_CASE("async: completion tokens", "[async]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();

  SECTION("use_future completes on the system executor") {
    auto future = rx.async_recv(asio::use_future);
    REQUIRE(tx.send(1));
    CHECK(future.get() == 1);
    auto sent = tx.async_send(2, asio::use_future);
    CHECK_FALSE(sent.get().has_value());
    CHECK(rx.recv().value() == 2);
  }
  SECTION("deferred starts only when launched") {
    auto op = rx.async_recv(asio::experimental::deferred);
    REQUIRE(tx.send(3));
    outcome<int> got;
    std::move(op)(record_into(io, got));
    io.run();
    CHECK(got.value == 3);
  }
  SECTION("use_awaitable throws on failure; as_tuple returns the error") {
    tx.close();
    std::error_code tuple_ec;
    bool threw = false;
    asio::co_spawn(io, [&, rx = rx]() -> asio::awaitable<void> {
      auto [ec, v] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
      tuple_ec = ec;
      try {
        co_await rx.async_recv(asio::use_awaitable);
      } catch (const std::system_error& e) {
        threw = e.code() == rill::errc::disconnected;
      }
    }, asio::detached);
    io.run();
    CHECK(tuple_ec == rill::errc::disconnected);
    CHECK(threw);
  }
  SECTION("a strand serialises the handlers") {
    auto strand = asio::make_strand(io);
    int in_handler = 0, max_in_handler = 0, count = 0;
    for (int i = 0; i < 50; ++i)
      rx.async_recv(asio::bind_executor(strand, [&](std::error_code, int) {
        max_in_handler = std::max(max_in_handler, ++in_handler);
        ++count;
        --in_handler;
      }));
    for (int i = 0; i < 50; ++i) REQUIRE(tx.send(i));
    std::thread helper([&io] { io.run(); });
    io.run();
    helper.join();
    CHECK(count == 50);
    CHECK(max_in_handler == 1);
  }
}

TEST_CASE("async: a handler whose executor is a type-erased strand runs in the strand", "[async]") {
  // A coroutine spawned on a strand has an any_io_executor holding the
  // strand: completions must go through the strand, not to the io_context
  // underneath it.
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  asio::io_context io;
  auto strand = asio::make_strand(io);
  const asio::any_io_executor erased = strand;
  auto [tx, rx] = rill_test::make_channel<int>(kind);
  int in_strand = 0;
  auto check_strand = [&](auto&&...) { in_strand += strand.running_in_this_thread() ? 1 : 0; };
  rx.async_recv(asio::bind_executor(erased, check_strand));  // waits
  tx.async_send(1, asio::bind_executor(erased, check_strand));  // completes at once, or after the receive
  io.run();
  io.restart();
  tx.async_send(2, asio::bind_executor(erased, check_strand));  // waits on a rendezvous channel
  rx.async_recv(asio::bind_executor(erased, check_strand));
  io.run();
  CHECK(in_strand == 4);
}

TEST_CASE("async: non-default-constructible messages complete with an optional", "[async]") {
  struct no_default {
    explicit no_default(int v) : value(v) {}
    int value;
  };
  asio::io_context io;
  auto [tx, rx] = rill::channel<no_default>();
  REQUIRE(tx.send(no_default(4)));
  outcome<std::optional<no_default>> got;
  rx.async_recv(record_into(io, got));
  io.run();
  REQUIRE(got.value.has_value());
  CHECK(got.value->value == 4);
}

TEST_CASE("async: destroying the io_context with operations waiting destroys their handlers", "[async][teardown]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto [other_tx, other_rx] = rill::channel<int>();
  auto alive = std::make_shared<int>(0);
  bool invoked = false;
  {
    asio::io_context io;
    tx.async_send(1, asio::bind_executor(io, [&invoked, alive](std::error_code, std::optional<int>) { invoked = true; }));
    other_rx.async_recv(asio::bind_executor(io, [&invoked, alive](std::error_code, int) { invoked = true; }));
    io.poll();
    CHECK(alive.use_count() == 3);  // both wait in their channels
  }
  CHECK(alive.use_count() == 1);  // destroyed with the context
  CHECK_FALSE(invoked);
  // The withdrawn send delivered nothing; the channel works on.
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
  std::thread receiver([rx = rx] { (void)rx.recv(); });
  CHECK(tx.send(2));
  receiver.join();
}

TEST_CASE("async: io_context destroyed while a receive waits leaves the channel usable", "[async][teardown]") {
  auto [tx, rx] = rill::channel<int>();
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    rx.async_recv(asio::bind_executor(io, [alive](std::error_code, int) {}));
    io.poll();
    CHECK(alive.use_count() == 2);  // waiting in the channel
  }
  CHECK(alive.use_count() == 1);  // destroyed with the context, never invoked
  REQUIRE(tx.send(5));
  CHECK(rx.try_recv().value() == 5);  // the dead receive took nothing
}

TEST_CASE("async: a handler destroyed with its io_context may close a channel another waiter of it waits on",
          "[async][teardown]") {
  // The last sender of `closing` lives in a handler that the teardown
  // destroys; closing the channel completes the receive waiting on it,
  // which belongs to the same io_context and is being torn down as well.
  rill_test::watchdog dog(std::chrono::seconds(60));
  dog.arm("io_context teardown closing a channel");
  auto [closing_tx, closing_rx] = rill::channel<int>();
  auto [idle_tx, idle_rx] = rill::channel<int>();
  auto alive = std::make_shared<int>(0);
  bool invoked = false;
  {
    asio::io_context io;
    closing_rx.async_recv(asio::bind_executor(io, [&invoked, alive](std::error_code, int) { invoked = true; }));
    idle_rx.async_recv(asio::bind_executor(io, [tx = std::move(closing_tx), alive](std::error_code, int) {}));
    io.poll();
    REQUIRE(alive.use_count() == 3);  // both wait
  }
  CHECK(alive.use_count() == 1);  // both handlers destroyed, neither invoked
  CHECK_FALSE(invoked);
  CHECK_FALSE(closing_rx.recv().has_value());  // closed by the destroyed handler
}

TEST_CASE("async: a pipeline of coroutines destroyed mid-flight with its io_context", "[async][teardown][awaitable]") {
  // Each stage owns the sender to the next and waits on its own receiver.
  // Started from the last stage to the first, the first waits last and is
  // torn down first, so its frame closes the second stage's channel while
  // that stage's receive may still wait. (Asio destroys an abandoned
  // coroutine's frames through a post, with the context's queue.)
  rill_test::watchdog dog(std::chrono::seconds(60));
  dog.arm("coroutine pipeline teardown");
  constexpr int stages = 4;
  std::vector<rill::sender<int>> inputs;
  std::vector<rill::receiver<int>> outputs;
  for (int i = 0; i <= stages; ++i) {
    auto [tx, rx] = rill::channel<int>();
    inputs.push_back(std::move(tx));
    outputs.push_back(std::move(rx));
  }
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    for (int i = stages - 1; i >= 0; --i) {
      asio::co_spawn(
          io,
          [](rill::receiver<int> in, rill::sender<int> out, std::shared_ptr<int>) -> asio::awaitable<void> {
            for (;;) co_await out.async_send(co_await in.async_recv(asio::use_awaitable) + 1, asio::use_awaitable);
          }(std::move(outputs[i]), std::move(inputs[i + 1]), alive),
          asio::detached);
    }
    io.poll();
    REQUIRE(alive.use_count() == 1 + stages);  // every stage waits
  }
  CHECK(alive.use_count() == 1);  // every frame destroyed
  CHECK_FALSE(outputs[stages].recv().has_value());  // the last stage's sender went with it
  CHECK_FALSE(inputs[0].send(1).has_value());  // and the first stage's receiver
}

TEST_CASE("async: an io_context destroyed while another thread completes its waiting receives",
          "[async][teardown]") {
  // The sending thread claims receives while the context's teardown withdraws
  // them: each receive is either withdrawn or orphaned with its post still
  // to come, and both ways it takes no message and its handler goes with
  // the context.
  rill_test::watchdog dog(std::chrono::seconds(120));
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  const int rounds = static_cast<int>(100 * rill_test::stress_scale);
  constexpr int receives = 64;
  for (int round = 0; round < rounds; ++round) {
    dog.arm("round " + std::to_string(round) + ", " + rill_test::to_string(kind));
    std::vector<rill::sender<int>> senders;
    std::vector<rill::receiver<int>> receivers;
    for (int i = 0; i < receives; ++i) {
      auto [tx, rx] = rill_test::make_channel<int>(kind);
      senders.push_back(std::move(tx));
      receivers.push_back(std::move(rx));
    }
    auto alive = std::make_shared<int>(0);
    std::atomic<int> invoked{0};
    auto io = std::make_unique<asio::io_context>();
    for (auto& rx : receivers)
      rx.async_recv(asio::bind_executor(*io, [&invoked, alive](std::error_code, int) { invoked.fetch_add(1); }));
    io->poll();
    REQUIRE(alive.use_count() == 1 + receives);  // all wait
    // A rendezvous send wakes a waiting receive and then waits for it to
    // take the message, which a dying receive never does: it gives up after
    // a while and keeps its message.
    std::atomic<int> delivered{0}, attempted{0};
    std::thread sender([&] {
      for (auto& tx : senders) {
        const bool sent = kind == channel_kind::rendezvous
                              ? tx.send_timeout(1, std::chrono::microseconds(50)).has_value()
                              : tx.send(1).has_value();
        if (sent) delivered.fetch_add(1);
        attempted.fetch_add(1, std::memory_order_release);
      }
    });
    // Torn down once the sender is under way, so that its claims meet the
    // teardown's withdrawals.
    while (attempted.load(std::memory_order_acquire) < receives / 4) std::this_thread::yield();
    io.reset();
    sender.join();
    CHECK(alive.use_count() == 1);  // every handler destroyed
    CHECK(invoked.load() == 0);     // none invoked
    // No dying receive took a message: whatever was buffered is still
    // there, and no rendezvous send found a taker.
    int left = 0;
    for (auto& rx : receivers) left += rx.try_recv().has_value() ? 1 : 0;
    CHECK(left == delivered.load());
    if (kind == channel_kind::rendezvous) CHECK(delivered.load() == 0);
  }
}

TEST_CASE("async: channel handles destroyed while operations wait", "[async][teardown]") {
  asio::io_context io;
  outcome<int> got;
  outcome<std::optional<int>> sent;
  {
    auto [tx, rx] = rill::channel<int>();
    rx.async_recv(record_into(io, got));
  }  // both handles gone: the waiting receive sees disconnected
  {
    auto [tx, rx] = rill::sync_channel<int>(0);
    tx.async_send(3, record_into(io, sent));
  }
  io.run();
  CHECK(got.ec == rill::errc::disconnected);
  CHECK(sent.ec == rill::errc::disconnected);
  CHECK(sent.value == 3);
}

TEST_CASE("async: a handler that throws leaves the channel consistent", "[async][teardown]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  REQUIRE(tx.send(2));
  rx.async_recv(asio::bind_executor(io, [](std::error_code, int) { throw std::runtime_error("handler failed"); }));
  CHECK_THROWS_AS(io.run(), std::runtime_error);
  outcome<int> got;
  rx.async_recv(record_into(io, got));
  io.restart();
  io.run();
  CHECK(got.value == 2);
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
}

TEST_CASE("async: a stopped io_context completes waiting operations once it runs again", "[async][teardown]") {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  outcome<int> got;
  rx.async_recv(record_into(io, got));
  io.poll();
  io.stop();
  REQUIRE(tx.send(6));  // the completion is posted to the stopped context
  io.run();             // returns at once: stopped
  CHECK_FALSE(got.done);
  CHECK(rx.size() == 1);  // the woken receive has not taken the message
  io.restart();
  io.run();
  CHECK(got.value == 6);
  CHECK(rx.size() == 0);
}

// Regression: with two asynchronous receives waiting on a full-capacity-1
// channel, the first send notified one of them and buffered its message;
// the second send met the other waiting receive and buffered its value
// too, past the end of the ring (heap overflow, size() above capacity()).
// Found by the concurrent model test (tests/stress/model_concurrent.cpp).
TEST_CASE("async: a send meeting a second waiting receive never overfills a bounded channel", "[async][regression]") {
  const std::size_t capacity = GENERATE(as<std::size_t>{}, 1u, 2u);
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  std::vector<outcome<int>> got(capacity + 1);
  for (auto& g : got) rx.async_recv(record_into(io, g));
  io.poll();  // every receive is now waiting
  for (std::size_t i = 0; i < capacity; ++i) REQUIRE(tx.try_send(static_cast<int>(i)));
  auto r = tx.try_send(99);
  REQUIRE_FALSE(r);
  CHECK(r.error().is_full());
  CHECK(r.error().value == 99);
  CHECK(rx.size() == capacity);
  io.poll();
  // The buffered messages went to receives, in order; one receive still waits.
  for (std::size_t i = 0; i < capacity; ++i) {
    CHECK(got[i].done);
    CHECK(got[i].value == static_cast<int>(i));
  }
  CHECK_FALSE(got[capacity].done);
  REQUIRE(tx.try_send(7));
  io.poll();
  CHECK(got[capacity].done);
  CHECK(got[capacity].value == 7);
}

// With use_awaitable an operation that can complete at once does so without
// suspending the coroutine, except for every inline_budget-th one in a row,
// which suspends so that the rest of the executor's work gets a turn.
// Counted with a second coroutine that re-posts itself while the first
// runs ten budgets' worth of ready operations: it gets about ten turns (not
// one per operation, and not none).
TEST_CASE("async: ready operations under use_awaitable complete without suspending, within a budget",
          "[async][awaitable]") {
  const bool sending = GENERATE(true, false);
  constexpr int operations = 10 * static_cast<int>(rill::detail::inline_budget);
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  if (!sending)
    for (int i = 0; i < operations; ++i) REQUIRE(tx.send(i));
  bool finished = false;
  int checked = 0;
  asio::co_spawn(io, [&, tx = tx, rx = rx]() -> asio::awaitable<void> {
    for (int i = 0; i < operations; ++i) {
      if (sending) {
        co_await tx.async_send(i, asio::use_awaitable);
      } else {
        checked += (co_await rx.async_recv(asio::use_awaitable) == i) ? 1 : 0;
      }
    }
    finished = true;
  }, asio::detached);
  rill_test::run_and_check_inline_budget(io, finished, sending, rx, checked, operations);
}
