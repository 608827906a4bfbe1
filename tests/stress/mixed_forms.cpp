// Many threads mixing every blocking, timed and non-blocking form on one
// channel of each kind, with and without an early close. Every message a
// send reported as sent is received exactly once, every refused one is
// handed back, and each producer's messages arrive in order at each consumer.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using rill_test::channel_kind;

namespace {

struct message {
  int producer;
  int sequence;
};

/// Sends `value` with a randomly chosen form, retrying the forms that may
/// legitimately give up (full, timeout). True if sent, false if refused
/// because the channel is closed; the value is then checked to come back.
bool send_somehow(const rill::sender<message>& tx, message value, std::mt19937& rng) {
  for (;;) {
    switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
      case 0: {
        auto r = tx.send(value);
        if (!r) RILL_EXPECT(r.error().value.sequence == value.sequence);
        return r.has_value();
      }
      case 1: {
        auto r = tx.try_send(value);
        if (r) return true;
        RILL_EXPECT(r.error().value.sequence == value.sequence);
        if (r.error().is_disconnected()) return false;
        std::this_thread::yield();
        break;
      }
      default: {
        auto r = tx.send_timeout(value, std::chrono::microseconds(std::uniform_int_distribution<int>(0, 200)(rng)));
        if (r) return true;
        RILL_EXPECT(r.error().value.sequence == value.sequence);
        if (r.error().is_disconnected()) return false;
        break;
      }
    }
  }
}

/// Receives everything until disconnected, with randomly chosen forms.
std::vector<message> receive_all(const rill::receiver<message>& rx, std::mt19937& rng) {
  std::vector<message> got;
  for (;;) {
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: {
        auto r = rx.recv();
        if (!r) return got;
        got.push_back(*r);
        break;
      }
      case 1: {
        auto r = rx.try_recv();
        if (r)
          got.push_back(*r);
        else if (r.error() == rill::try_recv_error::disconnected)
          return got;
        else
          std::this_thread::yield();
        break;
      }
      case 2: {
        auto r = rx.recv_timeout(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 200)(rng)));
        if (r)
          got.push_back(*r);
        else if (r.error() == rill::recv_timeout_error::disconnected)
          return got;
        break;
      }
      default:
        if (rx.recv_many(got, 8) == 0) return got;
        break;
    }
  }
}

}  // namespace

TEST_CASE("stress: mixed forms deliver every message exactly once", "[stress]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  const bool close_early = GENERATE(false, true);
  INFO(rill_test::to_string(kind) << (close_early ? ", closed early" : ""));
  constexpr int producers = 3, consumers = 3;
  constexpr int per_producer = 5000 * static_cast<int>(rill_test::stress_scale);

  rill_test::scoped_threads threads;
  auto [tx, rx] = rill_test::make_channel<message>(kind, 8);
  std::vector<int> sent(producers, 0);
  std::atomic<int> progress{0};
  std::vector<std::vector<message>> received(consumers);

  for (int p = 0; p < producers; ++p)
    threads.spawn([p, &sent, &progress, tx = tx] {
      std::mt19937 rng(static_cast<unsigned>(100 + p));
      for (int i = 0; i < per_producer; ++i) {
        if (!send_somehow(tx, {p, i}, rng)) break;  // closed: everything after is refused too
        ++sent[static_cast<std::size_t>(p)];
        progress.fetch_add(1, std::memory_order_relaxed);
      }
    });
  for (int c = 0; c < consumers; ++c)
    threads.spawn([c, &received, rx = rx] {
      std::mt19937 rng(static_cast<unsigned>(200 + c));
      received[static_cast<std::size_t>(c)] = receive_all(rx, rng);
    });
  if (close_early) {
    // Close while traffic flows: wait for some of it, not for a time.
    REQUIRE(rill_test::eventually([&] { return progress.load() >= per_producer; }));
    rx.close();
  }
  tx = {};
  rx = {};
  REQUIRE(threads.join() == "");

  std::vector<int> count(producers, 0);
  for (const auto& mine : received) {
    std::vector<int> last(producers, -1);
    for (const message& m : mine) {
      const auto p = static_cast<std::size_t>(m.producer);
      REQUIRE(m.sequence > last[p]);
      last[p] = m.sequence;
      ++count[p];
    }
  }
  for (int p = 0; p < producers; ++p) {
    CHECK(count[static_cast<std::size_t>(p)] == sent[static_cast<std::size_t>(p)]);
    if (!close_early) CHECK(sent[static_cast<std::size_t>(p)] == per_producer);
  }
}
