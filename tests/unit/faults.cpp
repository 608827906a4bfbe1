// Faults: message copies and moves that throw at random points, completion
// handlers that throw, io_contexts stopped or destroyed in the middle of
// traffic. After each, the channel is consistent (it goes on working, its
// size matches what is in it) and the message ledger balances: every
// message ended exactly once, in a way that agrees with what its send
// reported. Allocation failures are in faults_alloc.cpp (a program of its
// own, since it replaces operator new).
#include <rill/rill.hpp>

#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/ledger.hpp"
#include "support/test_support.hpp"
#include "support/watchdog.hpp"

using namespace std::chrono_literals;
using rill_test::channel_kind;
using rill_test::ledger;
using rill_test::ledgered;

namespace {

/// Makes every copy and move of a ledgered message consult `plan` while alive.
class faults_active {
 public:
  explicit faults_active(rill_test::fault_plan& plan) { ledgered::faults = &plan; }
  ~faults_active() { ledgered::faults = nullptr; }
  faults_active(const faults_active&) = delete;
  faults_active& operator=(const faults_active&) = delete;
};

bool is_injected(const std::runtime_error& e) { return std::string(e.what()).starts_with("injected fault"); }

/// Sends `m` with a random form. An injected fault may strike the move into
/// the call (the message stays in `m`), inside it (the by-value parameter
/// dies with the exception: marked as possibly destroyed beforehand), or on
/// the way back of a refused value; the channel must not have taken it.
void send_under_faults(const rill::sender<ledgered>& tx, ledgered m, ledger& book, std::mt19937& rng) {
  const auto id = m.id();
  book.mark_may_be_destroyed(id);
  try {
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: {
        auto r = tx.send_timeout(std::move(m), 5ms);
        if (r) return book.mark_sent(id);
        r.error().value.take_back();
        return;
      }
      case 1: {
        auto r = tx.try_send(std::move(m));
        if (r) return book.mark_sent(id);
        r.error().value.take_back();
        return;
      }
      case 2: {
        auto arm = rill::send(tx, std::move(m));
        auto r = rill::select(arm, rill::timeout(5ms));
        if (r.index() == 0 && std::get<0>(r)) return book.mark_sent(id);
        if (r.index() == 0) {
          std::get<0>(r).error().value.take_back();
          return;
        }
        if (auto back = arm.take_value()) back->take_back();
        return;
      }
      default: {
        auto r = tx.send(std::move(m));
        if (r) return book.mark_sent(id);
        r.error().value.take_back();
        return;
      }
    }
  } catch (const std::runtime_error& e) {
    if (!is_injected(e)) throw;
    if (!m.empty()) m.take_back();  // the move into the call failed: still ours
  }
}

}  // namespace

TEST_CASE("faults: copies and moves that throw at random points lose and duplicate nothing", "[faults][throwing_move]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  const std::uint64_t seed = rill_test::env_number("RILL_SEED", 0xfa17);
  INFO(rill_test::to_string(kind) << ", RILL_SEED=" << seed);
  const int per_producer = 1500 * static_cast<int>(rill_test::stress_scale);
  ledger book(2 * static_cast<std::size_t>(per_producer) + 16);
  rill_test::fault_plan plan(seed, 5);
  std::atomic<long> receive_faults{0};
  std::atomic<long> received{0};
  {
    rill_test::scoped_threads threads;
    auto [tx, rx] = rill_test::make_channel<ledgered>(kind, 4);
    faults_active active(plan);
    for (std::uint32_t p = 0; p < 2; ++p)
      threads.spawn([&, p, tx = tx] {
        std::mt19937 rng(static_cast<unsigned>(seed + p));
        for (int i = 0; i < per_producer; ++i) send_under_faults(tx, ledgered(book, p, 0, static_cast<std::uint32_t>(i)), book, rng);
      });
    for (int c = 0; c < 2; ++c)
      threads.spawn([&, c, rx = rx] {
        std::mt19937 rng(static_cast<unsigned>(seed + 10 + c));
        rill_test::order_check order;
        auto take = [&](ledgered& m) {
          RILL_EXPECT(order.see(m).empty());
          m.receive();
          received.fetch_add(1, std::memory_order_relaxed);
        };
        for (;;) {
          // A receive moves the message once, from the channel into the
          // result: a fault there leaves it queued for the next receive.
          try {
            if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
              auto r = rx.recv_timeout(1ms);
              if (r) take(*r);
              else if (r.error() == rill::recv_timeout_error::disconnected) return;
            } else {
              auto r = rx.try_recv();
              if (r) take(*r);
              else if (r.error() == rill::try_recv_error::disconnected) return;
              else std::this_thread::yield();
            }
          } catch (const std::runtime_error& e) {
            if (!is_injected(e)) throw;
            receive_faults.fetch_add(1, std::memory_order_relaxed);
          }
        }
      });
    tx = {};
    rx = {};
    REQUIRE(threads.join() == "");
  }
  const auto totals = book.count();
  INFO(plan.thrown() << " faults injected, " << receive_faults.load() << " in receives; " << received.load()
                     << " messages received, " << totals.sent_destroyed << " destroyed by a failed receive");
  CHECK(plan.thrown() > 0);
  CHECK(received.load() > 0);
  // A receive fault destroys nothing; nothing is ever duplicated.
  CHECK(totals.sent_destroyed == 0);
  CHECK(book.verify() == "");
}

TEST_CASE("faults: a copy that throws on the way into a send or a select arm changes nothing", "[faults]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  INFO(rill_test::to_string(kind));
  ledger book(16);
  {
    auto [tx, rx] = rill_test::make_channel<ledgered>(kind, 4);
    ledgered m(book, 0, 0, 0);
    {
      rill_test::fault_plan always(1, 1);  // every copy and move throws
      faults_active active(always);
      CHECK_THROWS_AS(tx.send(m), std::runtime_error);
      CHECK_THROWS_AS(tx.try_send(m), std::runtime_error);
      CHECK_THROWS_AS(rill::send(tx, m), std::runtime_error);
      CHECK(always.thrown() == 3);
    }
    CHECK(rx.size() == 0);
    CHECK(rx.try_recv() == rill_test::try_empty);
    if (kind != channel_kind::rendezvous) {
      const auto id = m.id();
      REQUIRE(tx.try_send(std::move(m)));  // the original went on unharmed
      book.mark_sent(id);
      auto r = rx.try_recv();
      REQUIRE(r);
      CHECK(r->id() == id);
      r->receive();
    } else {
      m.take_back();
    }
  }
  CHECK(book.verify() == "");
}

namespace {

/// Every form that receives one message and returns it.
enum class receive_form { recv, try_recv, recv_timeout, iterate, try_iterate, recv_many, select, try_select,
                          dynamic_select };

const char* to_string(receive_form f) {
  constexpr const char* names[] = {"recv", "try_recv", "recv_timeout", "iterate", "try_iterate",
                                   "recv_many", "select", "try_select", "dynamic_select"};
  return names[static_cast<int>(f)];
}

/// Receives the one message in `rx` with `form` and marks it received.
ledger::id_type receive_with(receive_form form, const rill::receiver<ledgered>& rx) {
  switch (form) {
    case receive_form::recv:
      return rx.recv()->receive();
    case receive_form::try_recv:
      return rx.try_recv()->receive();
    case receive_form::recv_timeout:
      return rx.recv_timeout(1s)->receive();
    case receive_form::iterate:
      for (ledgered& m : rx) return m.receive();
      FAIL("the iteration ended without a message");
      return ledger::no_id;
    case receive_form::try_iterate:
      for (ledgered& m : rx.try_iter()) return m.receive();
      FAIL("the iteration ended without a message");
      return ledger::no_id;
    case receive_form::recv_many: {
      std::vector<ledgered> batch;
      const std::size_t taken = rx.recv_many(batch, 4);
      REQUIRE(taken == 1);
      return batch[0].receive();
    }
    case receive_form::select: {
      auto [other_tx, other_rx] = rill::channel<ledgered>();
      auto r = rill::select(rill::recv(other_rx), rill::recv(rx));
      REQUIRE(r.index() == 1);
      return std::get<1>(r)->receive();
    }
    case receive_form::try_select: {
      auto r = rill::try_select(rill::recv(rx));
      REQUIRE(r);
      return std::get<0>(*r)->receive();
    }
    case receive_form::dynamic_select: {
      rill::dynamic_select<ledgered> sel;
      sel.add(rx);
      auto r = sel.select();
      return r.recv_result()->receive();
    }
  }
  return ledger::no_id;
}

}  // namespace

// Pins a bug: the receive forms moved a message twice, out of the channel
// and then into the returned result; when the second move threw, the message
// had left the channel and was destroyed with the exception. Now a message
// moves once, straight into what the form returns, so whichever move throws,
// the message is still in the channel and the next receive gets it.
TEST_CASE("faults: a receive whose move into its result throws keeps the message", "[faults]") {
  const auto form = GENERATE(receive_form::recv, receive_form::try_recv, receive_form::recv_timeout,
                             receive_form::iterate, receive_form::try_iterate, receive_form::recv_many,
                             receive_form::select, receive_form::try_select, receive_form::dynamic_select);
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded);
  INFO(to_string(form) << " on " << rill_test::to_string(kind));
  ledger book(4);
  {
    auto [tx, rx] = rill_test::make_channel<ledgered>(kind, 4);
    ledgered m(book, 0, 0, 0);
    const auto id = m.id();
    REQUIRE(tx.send(std::move(m)));
    book.mark_sent(id);
    // Fail the first move of the receive, then the second, and so on, until
    // one receive needs fewer moves than that and succeeds.
    bool received = false;
    for (long failing = 0; !received && failing < 8; ++failing) {
      auto plan = rill_test::fault_plan::nth(failing);
      faults_active active(*plan);
      try {
        const auto got = receive_with(form, rx);  // outside CHECK, which would catch the fault itself
        CHECK(got == id);
        received = true;
      } catch (const std::runtime_error& e) {
        REQUIRE(is_injected(e));
        CHECK(rx.size() == 1);  // the message is still there
      }
    }
    CHECK(received);
    CHECK(rx.size() == 0);
  }
  CHECK(book.count().sent_destroyed == 0);
  CHECK(book.verify() == "");
}

namespace {

/// Receives on `io` forever, re-arming before it runs the user part, which
/// throws on every third message (after taking it): a handler that throws.
struct throwing_consumer {
  rill::receiver<ledgered> rx;
  asio::io_context* io;
  int* seen;

  void operator()(std::error_code ec, std::optional<ledgered> m) const {
    if (ec) return;  // disconnected: the chain ends
    rx.async_recv(asio::bind_executor(*io, *this));
    m->receive();
    if (++*seen % 3 == 0) throw std::runtime_error("handler failed");
  }
};

}  // namespace

TEST_CASE("faults: completion handlers that throw leave the channel consistent", "[faults][async]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  INFO(rill_test::to_string(kind));
  const int total = 600;
  ledger book(static_cast<std::size_t>(total) + 1);
  asio::io_context io;
  int seen = 0, thrown = 0;
  {
    auto [tx, rx] = rill_test::make_channel<ledgered>(kind, 4);
    rx.async_recv(asio::bind_executor(io, throwing_consumer{rx, &io, &seen}));
    rx = {};
    std::thread producer([&book, tx = std::move(tx)] {
      for (int i = 0; i < total; ++i) {
        ledgered m(book, 0, 0, static_cast<std::uint32_t>(i));
        const auto id = m.id();
        // The send's handler throws too, out of a private io_context that
        // this thread runs.
        asio::io_context mine;
        bool ok = false;
        tx.async_send(std::move(m), asio::bind_executor(mine, [&ok](std::error_code ec, std::optional<ledgered>) {
          ok = !ec;
          throw std::runtime_error("send handler failed");
        }));
        try {
          mine.run();
        } catch (const std::runtime_error&) {
        }
        if (ok) book.mark_sent(id);
      }
    });
    for (;;) {
      try {
        io.run();
        break;
      } catch (const std::runtime_error&) {
        ++thrown;
        io.restart();
      }
    }
    producer.join();
  }
  CHECK(seen == total);
  CHECK(thrown == total / 3);
  CHECK(book.verify() == "");
}

namespace {

asio::awaitable<void> produce_on(rill::sender<ledgered> tx, ledger& book, int total, std::atomic<int>& sent) {
  for (int i = 0; i < total; ++i) {
    ledgered m(book, 0, 0, static_cast<std::uint32_t>(i));
    const auto id = m.id();
    book.mark_in_doubt(id);  // the one in flight when the context dies may go either way
    auto [ec, back] = co_await tx.async_send(std::move(m), asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    book.mark_sent(id);
    sent.fetch_add(1, std::memory_order_relaxed);
  }
}

/// Receives until disconnected; after `pause_at` messages it waits for a
/// message on `gate` first, so that the traffic is certainly unfinished
/// when the test stops the contexts.
asio::awaitable<void> consume_on(rill::receiver<ledgered> rx, std::atomic<int>& received, int pause_at,
                                 rill::receiver<int> gate) {
  rill_test::order_check order;
  for (;;) {
    if (received.load() == pause_at) co_await gate.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
    auto [ec, m] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    RILL_EXPECT(order.see(*m).empty());
    m->receive();
    received.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

TEST_CASE("faults: io_contexts stopped in the middle of traffic, then run again or destroyed", "[faults][async]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  const bool destroy = GENERATE(false, true);
  INFO(rill_test::to_string(kind) << (destroy ? ", destroyed after the stop" : ", run again after the stop"));
  const int total = 2000;
  ledger book(static_cast<std::size_t>(total) + 1);
  std::atomic<int> sent{0}, received{0};
  auto [tx, rx] = rill_test::make_channel<ledgered>(kind, 4);
  rill::receiver<ledgered> drain = rx;
  auto [gate_tx, gate_rx] = rill::channel<int>();
  {
    auto producer_io = std::make_unique<asio::io_context>();
    auto consumer_io = std::make_unique<asio::io_context>();
    asio::co_spawn(*producer_io, produce_on(std::move(tx), book, total, sent), asio::detached);
    asio::co_spawn(*consumer_io, consume_on(std::move(rx), received, total / 2, std::move(gate_rx)), asio::detached);
    {
      rill_test::scoped_threads threads;
      threads.spawn([&] { producer_io->run(); });
      threads.spawn([&] { consumer_io->run(); });
      // Stop both once the consumer waits at its gate: a point in the traffic, not a time.
      REQUIRE(rill_test::eventually([&] { return received.load() == total / 2; }));
      producer_io->stop();
      consumer_io->stop();
      REQUIRE(threads.join() == "");
    }
    CHECK(received.load() == total / 2);
    if (!destroy) {
      REQUIRE(gate_tx.send(1));
      producer_io->restart();
      consumer_io->restart();
      rill_test::scoped_threads threads;
      threads.spawn([&] { producer_io->run(); });
      threads.spawn([&] { consumer_io->run(); });
      REQUIRE(threads.join() == "");
      CHECK(sent.load() == total);
    }
  }  // destroyed: the waiting operations' handlers (and a send's value) with them
  // What was sent and not received by the coroutine is still in the channel.
  rill_test::order_check order;
  int drained = 0;
  while (auto m = drain.try_recv()) {
    CHECK(order.see(*m).empty());
    m->receive();
    ++drained;
  }
  CHECK(drain.try_recv() == rill_test::try_disconnected);  // the producer's sender went with its frame
  // Destroyed, the context may take along the handler of a send whose
  // message was already buffered: at most one more than `sent` arrived.
  const int extra = received.load() + drained - sent.load();
  CHECK(extra >= 0);
  CHECK(extra <= (destroy ? 1 : 0));
  drain = {};
  CHECK(book.verify() == "");
}
