// Single-threaded random operation sequences checked against a reference
// model (a deque plus the closed flag), for every buffer kind. Each run uses
// a fixed seed printed on failure, so a failing sequence replays exactly.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <deque>
#include <optional>
#include <random>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/test_support.hpp"

using rill_test::channel_kind;

namespace {

/// What the channel must do, for a single thread that never blocks.
struct reference_model {
  std::optional<std::size_t> capacity;  // nullopt: unbounded
  std::deque<int> buffered;
  bool closed = false;

  bool has_room() const { return !capacity || buffered.size() < *capacity; }
};

void run_sequence(channel_kind kind, std::uint32_t seed, int steps) {
  INFO("kind " << rill_test::to_string(kind) << ", seed " << seed);
  std::mt19937 rng(seed);
  auto [tx, rx] = rill_test::make_channel<int>(kind, 3);
  reference_model model{tx.capacity(), {}, false};
  int next_value = 0;
  std::vector<rill::sender<int>> extra_senders;

  for (int step = 0; step < steps; ++step) {
    INFO("step " << step);
    switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
      case 0:
      case 1:
      case 2: {  // try_send
        const int v = next_value++;
        auto r = tx.try_send(v);
        if (model.closed) {
          REQUIRE(r.error().is_disconnected());
          REQUIRE(r.error().value == v);
        } else if (model.has_room()) {
          REQUIRE(r.has_value());
          model.buffered.push_back(v);
        } else {
          REQUIRE(r.error().is_full());
          REQUIRE(r.error().value == v);
        }
        break;
      }
      case 3:
      case 4: {  // try_recv
        auto r = rx.try_recv();
        if (!model.buffered.empty()) {
          REQUIRE(r.value() == model.buffered.front());
          model.buffered.pop_front();
        } else {
          REQUIRE(r.error() == (model.closed ? rill::try_recv_error::disconnected : rill::try_recv_error::empty));
        }
        break;
      }
      case 5: {  // recv_many: only when it cannot block
        if (model.buffered.empty() && !model.closed) break;
        std::vector<int> out;
        const std::size_t max = std::uniform_int_distribution<std::size_t>(1, 4)(rng);
        const std::size_t n = rx.recv_many(out, max);
        REQUIRE(n == std::min(max, model.buffered.size()));
        for (int v : out) {
          REQUIRE(v == model.buffered.front());
          model.buffered.pop_front();
        }
        break;
      }
      case 6: {  // timed operations that must not wait
        auto r = rx.recv_timeout(std::chrono::nanoseconds(0));
        if (!model.buffered.empty()) {
          REQUIRE(r.value() == model.buffered.front());
          model.buffered.pop_front();
        } else {
          REQUIRE(r.error() ==
                  (model.closed ? rill::recv_timeout_error::disconnected : rill::recv_timeout_error::timeout));
        }
        break;
      }
      case 7: {  // copy or drop a sender: the channel stays open while one is left
        if (extra_senders.empty() || std::uniform_int_distribution<int>(0, 1)(rng) == 0)
          extra_senders.push_back(tx);
        else
          extra_senders.pop_back();
        REQUIRE(tx.sender_count() == 1 + extra_senders.size());
        break;
      }
      case 8: {  // observers
        REQUIRE(rx.size() == model.buffered.size());
        REQUIRE(rx.is_closed() == model.closed);
        std::vector<int> ready;
        if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
          for (int v : rx.try_iter()) ready.push_back(v);
          REQUIRE(ready == std::vector<int>(model.buffered.begin(), model.buffered.end()));
          model.buffered.clear();
        }
        break;
      }
      case 9: {  // rarely: close from either side
        if (std::uniform_int_distribution<int>(0, 19)(rng) != 0) break;
        if (std::uniform_int_distribution<int>(0, 1)(rng) == 0)
          tx.close();
        else
          rx.close();
        model.closed = true;
        break;
      }
    }
  }
  REQUIRE(rx.size() == model.buffered.size());
}

}  // namespace

TEST_CASE("model: random single-threaded sequences match the reference", "[model]") {
  const auto kind = GENERATE(channel_kind::unbounded, channel_kind::bounded, channel_kind::rendezvous);
  const int runs = 50 * static_cast<int>(rill_test::stress_scale);
  for (int run = 0; run < runs; ++run) run_sequence(kind, 0x5eed0000u + static_cast<std::uint32_t>(run), 400);
}
