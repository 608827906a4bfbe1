// Allocation failures: operator new throws std::bad_alloc at each
// allocation point of a sequence of channel operations in turn (run k fails
// the k-th allocation after the start, until a run completes without
// meeting one). After each run the channel must be consistent — it drains
// in order, its size matches, it disconnects when its handles go — and the
// message ledger must balance. A program of its own, because it replaces
// the global operator new.
#include <rill/rill.hpp>

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/ledger.hpp"
#include "support/test_support.hpp"

using rill_test::channel_kind;
using rill_test::ledger;
using rill_test::ledgered;

namespace {
// Only the thread that armed it sees failures: the allocations of other
// threads (Catch's, a sanitizer's) go on.
thread_local long allocations_until_failure = -1;
thread_local long failures_injected = 0;
}  // namespace

#include "support/replace_operator_new.hpp"  // declares the two functions defined here

void* rill_test_allocate(std::size_t size) noexcept {
  if (allocations_until_failure == 0) {
    allocations_until_failure = -1;
    ++failures_injected;
    return nullptr;  // operator new throws std::bad_alloc
  }
  if (allocations_until_failure > 0) --allocations_until_failure;
  return std::malloc(size == 0 ? 1 : size);
}
void rill_test_free(void* p) noexcept { std::free(p); }


namespace {

/// One run: a fixed sequence of operations with allocation failure number
/// `fail_at` armed. Each operation that meets the failure gets std::bad_alloc
/// and the sequence goes on. Returns whether a failure was injected.
bool run_with_failure_at(channel_kind kind, long fail_at) {
  INFO("allocation " << fail_at << " fails");
  ledger book(2048);
  std::uint32_t sequence = 0;
  long faults_seen = 0;
  long last_sequence = -1;  // one producer: received sequences only grow (no allocation here)
  std::vector<ledgered> batch;
  batch.reserve(64);
  {
    auto channel = rill_test::make_channel<ledgered>(kind, 8);
    auto& tx = channel.first;  // not a structured binding: clang 14 cannot capture those
    auto& rx = channel.second;
    asio::io_context io;
    auto attempt = [&](auto&& op) {
      try {
        op();
      } catch (const std::bad_alloc&) {
        ++faults_seen;
      }
    };
    bool out_of_order = false;
    auto take = [&](ledgered& m) {
      if (static_cast<long>(m.sequence()) <= last_sequence) out_of_order = true;
      last_sequence = m.sequence();
      m.receive();
    };
    auto make = [&] {
      ledgered m(book, 0, 0, sequence++);
      // A send that meets the failure destroys its by-value parameter.
      book.mark_may_be_destroyed(m.id());
      return m;
    };
    const long before = failures_injected;
    allocations_until_failure = fail_at;
    for (int round = 0; round < 3; ++round) {
      // Enough messages to need new segments in an unbounded channel.
      for (int i = 0; i < 200; ++i)
        attempt([&] {
          ledgered m = make();
          const auto id = m.id();
          auto r = tx.try_send(std::move(m));
          if (r) return book.mark_sent(id);
          r.error().value.take_back();
        });
      attempt([&] {  // a select over a dynamic set: its arms are allocated
        rill::dynamic_select<ledgered> ds;
        ds.add(rx);
        ledgered m = make();
        const auto id = m.id();
        ds.add(tx, std::move(m));
        if (auto r = ds.try_select()) {
          if (r->is_recv()) take(*r->recv_result());
          else book.mark_sent(id);  // a closed channel is not part of this run
        }
        if (auto back = ds.take_value(1)) back->take_back();
      });
      attempt([&] {  // async operations: each allocates its state
        ledgered m = make();
        const auto id = m.id();
        tx.async_send(std::move(m), asio::bind_executor(io, [&book, id](std::error_code ec, std::optional<ledgered> back) {
          if (!ec) book.mark_sent(id);
          if (back) back->take_back();
        }));
      });
      attempt([&] {
        rx.async_recv(asio::bind_executor(io, [&take](std::error_code ec, std::optional<ledgered> m) {
          if (!ec) take(*m);
        }));
      });
      attempt([&] { io.poll(); });
      for (int i = 0; i < 150; ++i)
        attempt([&] {
          if (auto r = rx.try_recv()) take(*r);
        });
      attempt([&] {
        batch.clear();
        if (rx.size() != 0) (void)rx.recv_many(batch, 32);
        for (auto& m : batch) take(m);
      });
    }
    allocations_until_failure = -1;
    CHECK_FALSE(out_of_order);
    // Consistent afterwards: it drains in order, its size matches what
    // comes out, and it disconnects once the senders are gone.
    io.restart();
    io.poll();
    std::size_t left = rx.size();
    while (auto r = rx.try_recv()) {
      take(*r);
      --left;
    }
    CHECK(left == 0);
    tx = {};
    io.restart();
    io.poll();
    CHECK(rx.try_recv() == rill_test::try_disconnected);
    const bool injected = failures_injected != before;
    CHECK(faults_seen == (injected ? 1 : 0));
    rx = {};
    io.run();
    batch.clear();
    CHECK_FALSE(out_of_order);
    if (!injected) return false;
  }
  CHECK(book.verify() == "");
  return true;
}

}  // namespace

TEST_CASE("faults_alloc: operator new failing at each allocation of a sequence leaves the channel consistent",
          "[faults][alloc]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  INFO(rill_test::to_string(kind));
  long points = 0;
  while (run_with_failure_at(kind, points)) ++points;
  INFO(points << " allocation points failed in turn");
  CHECK(points > 0);
}
