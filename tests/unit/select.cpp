// select and try_select: exactly one arm completes, losers take and deliver
// nothing, fairness, biased order, disabled arms, disconnection, duplicate
// channels and rendezvous pairing. Behaviours ported from Go's select tests
// (https://github.com/golang/go/blob/master/src/runtime/chan_test.go:
// TestSelfSelect, TestSelectFairness, TestSelectDuplicateChannel,
// TestSelectStress, TestNonblockSelectRace) and crossbeam-channel's
// (https://github.com/crossbeam-rs/crossbeam/blob/master/crossbeam-channel/tests/select.rs:
// smoke1, disconnected, default, timeout, unblocks, both_ready, loop_try,
// cloning, preflight, stress_recv, stress_send, matching, fairness).
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "support/test_support.hpp"

using namespace std::chrono_literals;

TEST_CASE("select: a ready arm wins and carries its result", "[select]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<std::string>();
  REQUIRE(tx2.send("two"));
  auto r = rill::select(rill::recv(rx1), rill::recv(rx2));
  REQUIRE(r.index() == 1);
  CHECK(std::get<1>(r).value() == "two");
  REQUIRE(tx1.send(1));
  r = rill::select(rill::recv(rx1), rill::recv(rx2));
  REQUIRE(r.index() == 0);
  CHECK(std::get<0>(r).value() == 1);
}

TEST_CASE("select: exactly one of two ready arms completes; the loser takes nothing", "[select]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<int>();
  REQUIRE(tx1.send(1));
  REQUIRE(tx2.send(2));
  auto r = rill::select(rill::recv(rx1), rill::recv(rx2));
  CHECK(rx1.size() + rx2.size() == 1);  // the other message is still there
  CHECK((r.index() == 0 ? rx2 : rx1).size() == 1);
}

TEST_CASE("select: a losing send arm delivers nothing and keeps its value", "[select]") {
  auto [tx, rx] = rill::channel<std::unique_ptr<int>>();
  auto [in_tx, in_rx] = rill::channel<int>();
  REQUIRE(in_tx.send(5));
  auto send_arm = rill::send(tx, std::make_unique<int>(9));
  auto r = rill::select(rill::select_order::biased, rill::recv(in_rx), send_arm);
  REQUIRE(r.index() == 0);
  CHECK(rx.size() == 0);
  auto kept = send_arm.take_value();
  REQUIRE(kept.has_value());
  CHECK(**kept == 9);
}

TEST_CASE("select: random order among ready arms is fair", "[select][fairness]") {
  // Both channels are always ready: each should win about half the time.
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<int>();
  constexpr int rounds = 10000;
  int wins[2] = {0, 0};
  REQUIRE(tx1.send(0));
  REQUIRE(tx2.send(0));
  for (int i = 0; i < rounds; ++i) {
    auto r = rill::select(rill::recv(rx1), rill::recv(rx2));
    ++wins[r.index()];
    REQUIRE((r.index() == 0 ? tx1 : tx2).send(0));
  }
  INFO("wins: " << wins[0] << " / " << wins[1]);
  // A fair coin over 10000 rounds stays within 45-55 % with overwhelming
  // probability (more than 10 standard deviations); a starving arm fails.
  CHECK(wins[0] > rounds * 45 / 100);
  CHECK(wins[1] > rounds * 45 / 100);
}

TEST_CASE("select: biased order lets the first ready arm win", "[select]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<int>();
  for (int i = 0; i < 100; ++i) {
    REQUIRE(tx1.send(1));
    REQUIRE(tx2.send(2));
    auto r = rill::select(rill::select_order::biased, rill::recv(rx1), rill::recv(rx2));
    CHECK(r.index() == 0);
    REQUIRE(rx2.try_recv());
  }
}

TEST_CASE("select: a disabled arm never wins", "[select]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<int>();
  REQUIRE(tx1.send(1));
  REQUIRE(tx2.send(2));
  for (int i = 0; i < 20; ++i) {
    auto r = rill::try_select(rill::recv(rx1, false), rill::recv(rx2));
    if (i == 0) {
      REQUIRE(r.has_value());
      CHECK(r->index() == 1);
    } else {
      CHECK_FALSE(r.has_value());  // only the disabled arm has a message
    }
  }
  CHECK(rx1.size() == 1);
  auto disabled_send = rill::send(tx2, 3, false);
  CHECK_FALSE(rill::try_select(disabled_send).has_value());
  CHECK(disabled_send.take_value() == 3);
}

TEST_CASE("select: a receive arm on a disconnected channel wins with recv_error", "[select]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::channel<int>();
  tx1 = {};
  auto r = rill::select(rill::recv(rx1), rill::recv(rx2));
  REQUIRE(r.index() == 0);
  CHECK_FALSE(std::get<0>(r).has_value());
}

TEST_CASE("select: a send arm on a closed channel wins with its value handed back", "[select]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  rx.close();
  auto r = rill::select(rill::send(tx, 4), rill::timeout(1h));
  REQUIRE(r.index() == 0);
  CHECK(std::get<0>(r).error().value == 4);
}

TEST_CASE("select: a blocked select wakes for a message sent later", "[select]") {
  auto [tx1, rx1] = rill::channel<int>();
  auto [tx2, rx2] = rill::sync_channel<int>(0);
  std::thread later([tx2 = tx2] {
    std::this_thread::sleep_for(5ms);  // makes it likely, not required, that select blocks first
    (void)tx2.send(7);
  });
  auto r = rill::select(rill::recv(rx1), rill::recv(rx2));
  later.join();
  REQUIRE(r.index() == 1);
  CHECK(std::get<1>(r).value() == 7);
  CHECK(rx1.size() == 0);
}

TEST_CASE("select: timeout wins when nothing is ready, no earlier than asked", "[select][timeouts]") {
  auto [tx, rx] = rill::channel<int>();
  const auto start = std::chrono::steady_clock::now();
  auto r = rill::select(rill::recv(rx), rill::timeout(20ms), rill::timeout(1h));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(r.index() == 1);  // the earlier of the two timeouts
  CHECK(elapsed >= 20ms);
  CHECK(elapsed < 5s);
  auto d = rill::select(rill::recv(rx), rill::deadline(std::chrono::system_clock::now() + 5ms));
  CHECK(d.index() == 1);
  auto only_timeout = rill::select(rill::timeout(1ms));
  CHECK(only_timeout.index() == 0);
}

TEST_CASE("select: try_select never blocks", "[select]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  CHECK_FALSE(rill::try_select(rill::recv(rx)).has_value());
  auto sent = rill::try_select(rill::send(tx, 1));
  REQUIRE(sent.has_value());
  CHECK(std::get<0>(*sent).has_value());
  CHECK_FALSE(rill::try_select(rill::send(tx, 2)).has_value());  // full
  CHECK(rill::try_select(rill::recv(rx))->index() == 0);
  CHECK_FALSE(rill::try_select(rill::recv(rx), rill::timeout(1h)).has_value());
  CHECK(rill::try_select(rill::recv(rx), rill::timeout(-1s))->index() == 1);  // an expired timeout is ready
}

TEST_CASE("select: no enabled arm and no timeout is reported, not a hang", "[select]") {
  auto [tx, rx] = rill::channel<int>();
  CHECK_THROWS_AS(rill::select(rill::recv(rx, false)), std::logic_error);
  CHECK_FALSE(rill::try_select(rill::recv(rx, false)).has_value());
}

TEST_CASE("select: the same channel in several arms", "[select]") {
  // Go's TestSelectDuplicateChannel: one message, two arms on the channel.
  auto [tx, rx] = rill::sync_channel<int>(0);
  std::thread producer([tx = tx] { (void)tx.send(1); });
  auto r = rill::select(rill::recv(rx), rill::recv(rx), rill::timeout(10s));
  producer.join();
  REQUIRE(r.index() < 2);
  CHECK((r.index() == 0 ? std::get<0>(r) : std::get<1>(r)).value() == 1);
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
}

TEST_CASE("select: send and receive on one rendezvous channel do not match each other", "[select]") {
  // Go's TestSelfSelect: the select's own arms must not pair up.
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto r = rill::select(rill::recv(rx), rill::send(tx, 1), rill::timeout(20ms));
  CHECK(r.index() == 2);
}

TEST_CASE("select: two selects on opposite ends of a rendezvous channel complete each other", "[select]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto [idle_tx, idle_rx] = rill::channel<int>();
  std::optional<std::size_t> sender_won;
  std::thread sender([&sender_won, tx = tx, idle_rx = idle_rx] {
    sender_won = rill::select(rill::send(tx, 42), rill::recv(idle_rx), rill::timeout(10s)).index();
  });
  auto r = rill::select(rill::recv(rx), rill::recv(idle_rx), rill::timeout(10s));
  sender.join();
  REQUIRE(r.index() == 0);
  CHECK(std::get<0>(r).value() == 42);
  CHECK(sender_won == 0u);
}

TEST_CASE("select: a timed-out select leaves no waiter behind", "[select]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  for (int i = 0; i < 3; ++i) CHECK(rill::select(rill::recv(rx), rill::timeout(1ms)).index() == 1);
  // A withdrawn receive arm would make this succeed; it must find nobody.
  CHECK(tx.try_send(1).error().is_full());
}

TEST_CASE("select: stress: selects on both ends deliver every message exactly once", "[select][stress]") {
  // crossbeam's select_both: senders select over send arms of four shared
  // channels, receivers over receive arms of the same four.
  constexpr int channels = 4, senders = 3, receivers = 3;
  constexpr int per_sender = 2000 * static_cast<int>(rill_test::stress_scale);
  const std::size_t capacity = GENERATE(as<std::size_t>{}, 0u, 1u, 16u);
  std::vector<rill::sender<int>> tx;
  std::vector<rill::receiver<int>> rx;
  for (int c = 0; c < channels; ++c) {
    auto [t, r] = rill::sync_channel<int>(capacity);
    tx.push_back(std::move(t));
    rx.push_back(std::move(r));
  }
  rill_test::scoped_threads threads;
  std::vector<std::vector<int>> got(receivers);
  for (int s = 0; s < senders; ++s)
    threads.spawn([s, tx] {
      for (int i = 0; i < per_sender; ++i) {
        const int v = s * per_sender + i;
        auto r = rill::select(rill::send(tx[0], v), rill::send(tx[1], v), rill::send(tx[2], v), rill::send(tx[3], v));
        RILL_EXPECT(std::visit([](auto& e) { return e.has_value(); }, r));
      }
    });
  tx.clear();  // the senders' copies are the last: their end disconnects the channels
  for (int c = 0; c < receivers; ++c)
    threads.spawn([c, &got, rx] {
      // A channel that reports disconnected is disabled, like a nil
      // channel in Go; the receiver is done when all four are.
      bool open[channels] = {true, true, true, true};
      while (open[0] || open[1] || open[2] || open[3]) {
        auto r = rill::select(rill::recv(rx[0], open[0]), rill::recv(rx[1], open[1]), rill::recv(rx[2], open[2]),
                              rill::recv(rx[3], open[3]));
        const std::size_t arm = r.index();
        std::visit(
            [&](auto& e) {
              if (e)
                got[static_cast<std::size_t>(c)].push_back(*e);
              else
                open[arm] = false;
            },
            r);
      }
    });
  REQUIRE(threads.join() == "");
  std::vector<int> seen(static_cast<std::size_t>(senders * per_sender), 0);
  for (auto& mine : got)
    for (int v : mine) ++seen[static_cast<std::size_t>(v)];
  for (std::size_t v = 0; v < seen.size(); ++v) REQUIRE(seen[v] == 1);
}

TEST_CASE("dynamic_select: a runtime set of receivers", "[select][dynamic]") {
  std::vector<rill::sender<int>> tx;
  rill::dynamic_select<int> sel;
  for (int i = 0; i < 5; ++i) {
    auto [t, r] = rill::channel<int>();
    tx.push_back(std::move(t));
    CHECK(sel.add(r) == static_cast<std::size_t>(i));  // the select keeps its own copy of the receiver
  }
  CHECK_FALSE(sel.try_select().has_value());
  REQUIRE(tx[3].send(30));
  auto r = sel.select();
  CHECK(r.index == 3);
  REQUIRE(r.is_recv());
  CHECK(r.recv_result().value() == 30);
  CHECK_FALSE(sel.select_timeout(1ms).has_value());

  sel.disable(3);
  REQUIRE(tx[3].send(31));
  CHECK_FALSE(sel.try_select().has_value());  // the only ready arm is off
  sel.enable(3);
  CHECK(sel.try_select()->recv_result().value() == 31);
  CHECK(tx[0].receiver_count() == 1);  // the select's copy
  tx[0] = {};
  auto gone = sel.select();  // a disconnected channel's arm wins with recv_error
  CHECK(gone.index == 0);
  CHECK_FALSE(gone.recv_result().has_value());
}

TEST_CASE("dynamic_select: send arms keep or give up their values", "[select][dynamic]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  auto [other_tx, other_rx] = rill::channel<int>();
  rill::dynamic_select<int> sel;
  const auto send_index = sel.add(tx, 5);
  const auto recv_index = sel.add(other_rx);
  auto first = sel.select();
  CHECK(first.index == send_index);
  CHECK(first.send_result().has_value());
  CHECK_FALSE(sel.try_select().has_value());  // sent: the send arm is off until it gets a new value
  sel.set_value(send_index, 6);
  CHECK_FALSE(sel.try_select().has_value());  // full now
  REQUIRE(other_tx.send(7));
  auto second = sel.select();
  CHECK(second.index == recv_index);
  CHECK(second.recv_result().value() == 7);
  CHECK(sel.take_value(send_index) == 6);  // the losing send kept its value
  CHECK_THROWS_AS(sel.set_value(recv_index, 1), std::invalid_argument);
  CHECK(rx.recv().value() == 5);
}

TEST_CASE("dynamic_select: many channels served by one thread", "[select][dynamic][stress]") {
  constexpr int channels = 8;
  constexpr int per_channel = 500 * static_cast<int>(rill_test::stress_scale);
  rill::dynamic_select<int> sel;
  rill_test::scoped_threads threads;
  for (int c = 0; c < channels; ++c) {
    auto [t, r] = rill::sync_channel<int>(static_cast<std::size_t>(c % 3));
    sel.add(r);
    threads.spawn([c, t = std::move(t)] {
      for (int i = 0; i < per_channel; ++i) RILL_EXPECT(t.send(c * per_channel + i));
    });
  }
  std::vector<int> last(channels, -1);
  int open = channels, received = 0;
  while (open > 0) {
    auto r = sel.select();
    if (!r.recv_result()) {  // that producer is done and its channel drained
      sel.disable(r.index);
      --open;
      continue;
    }
    const int v = *r.recv_result();
    REQUIRE(v / per_channel == static_cast<int>(r.index));
    REQUIRE(v > last[r.index]);
    last[r.index] = v;
    ++received;
  }
  REQUIRE(threads.join() == "");
  CHECK(received == channels * per_channel);
}

TEST_CASE("select: a non-blocking select racing a blocking one takes each message once", "[select][stress]") {
  // Go's TestNonblockSelectRace: one message in a buffered channel, a
  // try_select and a select race for it; exactly one gets it, every time.
  constexpr int rounds = 2000 * static_cast<int>(rill_test::stress_scale);
  auto [tx, rx] = rill::sync_channel<int>(1);
  auto [done_tx, done_rx] = rill::channel<bool>();
  rill_test::scoped_threads threads;
  int by_select = 0, by_try = 0;
  for (int i = 0; i < rounds; ++i) {
    REQUIRE(tx.send(1));
    threads.spawn([rx = rx, done_tx = done_tx] {
      auto r = rill::try_select(rill::recv(rx));
      (void)done_tx.send(r.has_value());
    });
    auto r = rill::select(rill::recv(rx), rill::timeout(std::chrono::milliseconds(0)));
    const bool mine = r.index() == 0;
    const bool theirs = done_rx.recv().value();
    REQUIRE(threads.join() == "");
    if (!mine && !theirs) {
      // Neither saw it yet (our zero timeout expired first): it must still be there.
      REQUIRE(rx.try_recv().value() == 1);
      continue;
    }
    REQUIRE(mine != theirs);
    (mine ? by_select : by_try) += 1;
  }
  INFO(by_select << " taken by the select, " << by_try << " by try_select");
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
}
