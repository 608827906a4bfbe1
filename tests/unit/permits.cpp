// Permits: room for one send, reserved before the value exists.
#include <rill/channel.hpp>

#include "support/test_support.hpp"
#include "support/tracked.hpp"

#include <catch2/catch.hpp>

#include <stop_token>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using rill_test::eventually;

TEST_CASE("a permit holds a slot that other sends cannot take, and sends without waiting", "[permit]") {
  auto [tx, rx] = rill::sync_channel<std::string>(2);
  auto p = tx.reserve();
  REQUIRE(p);
  REQUIRE(tx.try_send("a"));
  // One slot buffered, one reserved: the channel is full for everyone else.
  CHECK(rill_test::refused(tx.try_send("b"), rill::errc::full, "b"));
  CHECK(tx.try_reserve() == rill::unexpected(rill::errc::full));
  REQUIRE(p->send("reserved"));
  CHECK_FALSE(*p);
  CHECK(rx.recv() == "a");
  CHECK(rx.recv() == "reserved");
}

TEST_CASE("a permit dropped unused gives its slot to the oldest waiting sender", "[permit]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  auto p = tx.reserve();
  REQUIRE(p);
  rill_test::scoped_threads threads;
  threads.spawn([tx = tx] { RILL_EXPECT(tx.send(7)); });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 1; }));
  p->release();
  CHECK_FALSE(*p);
  CHECK(rx.recv() == 7);
  REQUIRE(threads.join() == "");
}

TEST_CASE("a reserve waits for room and is served in turn with the waiting sends", "[permit]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  REQUIRE(tx.send(1));
  rill_test::scoped_threads threads;
  threads.spawn([tx = tx] {
    auto p = tx.reserve();
    RILL_EXPECT(p.has_value());
    RILL_EXPECT(p->send(2));
  });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 1; }));
  CHECK(rx.recv() == 1);
  CHECK(rx.recv() == 2);
  REQUIRE(threads.join() == "");
}

TEST_CASE("the timed and stoppable reserves give up having reserved nothing", "[permit][stop_token]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  REQUIRE(tx.send(1));
  CHECK(tx.reserve_timeout(1ms) == rill::unexpected(rill::errc::timeout));
  CHECK(tx.reserve_deadline(std::chrono::system_clock::now() + 1ms) == rill::unexpected(rill::errc::timeout));
  std::stop_source stop;
  std::jthread stopper([&stop, &tx = tx] {
    if (eventually([&] { return tx.waiting_senders() == 1; })) stop.request_stop();
  });
  CHECK(tx.reserve(stop.get_token()) == rill::unexpected(rill::errc::stopped));
  CHECK(tx.waiting_senders() == 0);
  CHECK(rx.recv() == 1);
  CHECK(tx.try_reserve().has_value());  // the slot freed is free for a reserve again
}

TEST_CASE("a permit keeps the channel open for its receivers; close makes its send hand the value back", "[permit]") {
  SECTION("the last sender gone: receivers wait for the permit") {
    auto [tx, rx] = rill::sync_channel<int>(1);
    auto p = tx.reserve();
    REQUIRE(p);
    rill_test::drop(tx);
    CHECK(rx.try_recv() == rill_test::try_empty);  // not disconnected: a permit still counts
    REQUIRE(p->send(5));
    CHECK(rx.recv() == 5);
    CHECK(rx.recv() == rill_test::recv_disconnected);
  }
  SECTION("closed meanwhile") {
    auto [tx, rx] = rill::sync_channel<int>(1);
    auto p = tx.reserve();
    REQUIRE(p);
    rx.close();
    auto r = p->send(6);
    REQUIRE_FALSE(r);
    CHECK(r.error().value == 6);
    CHECK(tx.reserve() == rill::unexpected(rill::errc::disconnected));
  }
}

TEST_CASE("on an unbounded channel a reserve always succeeds at once", "[permit]") {
  auto [tx, rx] = rill::channel<int>();
  auto a = tx.try_reserve();
  auto b = tx.reserve();
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(b->send(2));
  REQUIRE(a->send(1));
  CHECK(rx.recv() == 2);
  CHECK(rx.recv() == 1);
}

TEST_CASE("on a rendezvous channel a permit is a receiver committed to take the value", "[permit][rendezvous]") {
  auto [tx, rx] = rill::sync_channel<std::string>(0);
  CHECK(tx.try_reserve() == rill::unexpected(rill::errc::full));  // nobody is receiving
  SECTION("a receiver waiting first is committed by try_reserve") {
    rill_test::scoped_threads threads;
    std::string got;
    threads.spawn([&, rx = rx] { got = rx.recv().value(); });
    REQUIRE(eventually([&rx = rx] { return rx.waiting_receivers() == 1; }));
    auto p = tx.try_reserve();
    REQUIRE(p);
    CHECK(rx.waiting_receivers() == 0);  // claimed: it waits for the permit now
    REQUIRE(p->send("committed"));
    REQUIRE(threads.join() == "");
    CHECK(got == "committed");
  }
  SECTION("a reserve waiting first is served by the next receiver") {
    rill_test::scoped_threads threads;
    threads.spawn([tx = tx] {
      auto p = tx.reserve();
      RILL_EXPECT(p.has_value());
      RILL_EXPECT(p->send("late"));
    });
    REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 1; }));
    CHECK(rx.recv() == "late");
    REQUIRE(threads.join() == "");
  }
  SECTION("a permit released unused sends its receiver back to waiting, with its timeout") {
    rill_test::scoped_threads threads;
    threads.spawn([rx = rx] {
      // Committed to the permit below, then released: it waits on, and
      // its timeout ends it, having received nothing.
      RILL_EXPECT(rx.recv_timeout(50ms) == rill_test::timed_out);
    });
    REQUIRE(eventually([&rx = rx] { return rx.waiting_receivers() == 1; }));
    auto p = tx.try_reserve();
    REQUIRE(p);
    p->release();
    REQUIRE(threads.join() == "");
  }
}

TEST_CASE("permits racing with sends and receives: every message arrives once, in per-producer order",
          "[permit][stress]") {
  const auto capacity = GENERATE(std::size_t{0}, std::size_t{1}, std::size_t{8});
  constexpr int per_producer = 500;
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  rill_test::scoped_threads threads;
  for (int producer = 0; producer < 2; ++producer)
    threads.spawn([tx = tx, producer] {
      for (int i = 0; i < per_producer; ++i) {
        const int value = producer * per_producer + i;
        if (i % 3 == 0) {
          RILL_EXPECT(tx.send(value));
          continue;
        }
        // Some permits are given back and taken again before they send.
        auto p = tx.reserve();
        RILL_EXPECT(p.has_value());
        if (i % 3 == 1) {
          p->release();
          p = tx.reserve();
          RILL_EXPECT(p.has_value());
        }
        RILL_EXPECT(p->send(value));
      }
    });
  rill_test::drop(tx);
  std::vector<int> last(2, -1);
  int received = 0;
  for (int& m : rx) {
    const int producer = m / per_producer;
    REQUIRE(m > last[static_cast<std::size_t>(producer)]);
    last[static_cast<std::size_t>(producer)] = m;
    ++received;
  }
  REQUIRE(threads.join() == "");
  CHECK(received == 2 * per_producer);
}

TEST_CASE("a permit sent or released is empty; sending on it again is refused clearly", "[permit]") {
  auto [tx, rx] = rill::sync_channel<int>(2);
  auto p = tx.reserve();
  REQUIRE(p);
  REQUIRE(p->send(1));
  CHECK_THROWS_AS((void)p->send(2), std::logic_error);
  rill::permit<int> none;
  CHECK_FALSE(none);
  none.release();  // nothing to give back
  CHECK(rx.size() == 1);
}

TEST_CASE("a reserve arm wins with a permit once there is room, and one that lost reserved nothing",
          "[permit][select]") {
  auto [tx, rx] = rill::sync_channel<int>(1);
  auto [control_tx, control_rx] = rill::channel<std::string>();
  REQUIRE(tx.send(1));
  SECTION("full: try_select finds nothing ready") {
    CHECK_FALSE(rill::try_select(rill::reserve(tx), rill::recv(control_rx)));
  }
  SECTION("another arm wins: the channel's room stays free for others") {
    REQUIRE(control_tx.send("stop"));
    auto r = rill::select(rill::reserve(tx), rill::recv(control_rx));
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r) == "stop");
    CHECK(rx.recv() == 1);
    CHECK(tx.try_reserve().has_value());
  }
  SECTION("a timeout wins: the queued reserve is withdrawn") {
    auto r = rill::select(rill::reserve(tx), rill::timeout(1ms));
    CHECK(r.index() == 1);
    CHECK(tx.waiting_senders() == 0);
    CHECK(rx.recv() == 1);
    CHECK(tx.try_reserve().has_value());
  }
  SECTION("room made while it waits: it wins, and its permit sends") {
    rill_test::scoped_threads threads;
    threads.spawn([rx = rx] { RILL_EXPECT(rx.recv() == 1); });
    auto r = rill::select(rill::reserve(tx), rill::recv(control_rx));
    REQUIRE(r.index() == 0);
    auto& p = std::get<0>(r);
    REQUIRE(p);
    REQUIRE(threads.join() == "");
    CHECK(rill_test::refused(tx.try_send(3), rill::errc::full, 3));  // the permit holds the one slot
    REQUIRE(p->send(2));
    CHECK(rx.recv() == 2);
  }
  SECTION("closed: it wins with disconnected") {
    rx.close();
    auto r = rill::select(rill::reserve(tx), rill::recv(control_rx));
    REQUIRE(r.index() == 0);
    CHECK(std::get<0>(r) == rill::unexpected(rill::errc::disconnected));
  }
  SECTION("a disabled arm never wins") {
    (void)rx.recv();
    CHECK_FALSE(rill::try_select(rill::reserve(tx, false), rill::recv(control_rx)));
  }
}

TEST_CASE("a reserve arm on a rendezvous channel commits a waiting receiver, or waits for one",
          "[permit][select][rendezvous]") {
  auto [tx, rx] = rill::sync_channel<std::string>(0);
  auto [control_tx, control_rx] = rill::channel<int>();
  rill_test::scoped_threads threads;
  std::string got;
  SECTION("the receiver waits first") {
    threads.spawn([&, rx = rx] { got = rx.recv().value(); });
    REQUIRE(eventually([&rx = rx] { return rx.waiting_receivers() == 1; }));
  }
  SECTION("the select waits first") {
    threads.spawn([&, rx = rx, tx = tx] {
      if (eventually([&] { return tx.waiting_senders() == 1; })) got = rx.recv().value();
    });
  }
  auto r = rill::select(rill::reserve(tx), rill::recv(control_rx));
  REQUIRE(r.index() == 0);
  REQUIRE(std::get<0>(r));
  REQUIRE(std::get<0>(r)->send("handed over"));
  REQUIRE(threads.join() == "");
  CHECK(got == "handed over");
}

TEST_CASE("reserve arms racing with receives and other arms: every message arrives once, no room leaks",
          "[permit][select][stress]") {
  const auto capacity = GENERATE(std::size_t{0}, std::size_t{1}, std::size_t{4});
  constexpr int messages = 400;
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  auto [ticks_tx, ticks_rx] = rill::channel<int>();
  rill_test::scoped_threads threads;
  threads.spawn([tx = tx, ticks_rx = ticks_rx] {
    int next = 0, ticks = 0, permits = 0;
    while (next < messages) {
      auto r = rill::select(rill::reserve(tx), rill::recv(ticks_rx), rill::timeout(1ms));
      if (r.index() == 0) {
        auto& p = std::get<0>(r);
        RILL_EXPECT(p.has_value());
        if (++permits % 5 == 0) continue;  // dropped unused: the room goes back
        RILL_EXPECT(p->send(next++));
      } else if (r.index() == 1 && std::get<1>(r)) {
        RILL_EXPECT(*std::get<1>(r) == ticks);  // the other arm's messages: each once, in order
        ++ticks;
      }
    }
  });
  threads.spawn([ticks_tx = std::move(ticks_tx)] {
    for (int i = 0; i < messages; ++i) RILL_EXPECT(ticks_tx.send(i));
  });
  rill_test::drop(tx);
  int expected = 0;
  for (int m : rx) REQUIRE(m == expected++);
  REQUIRE(threads.join() == "");
  CHECK(expected == messages);
}

TEST_CASE("reserve_many holds several slots at once; its sends keep their order", "[permit][reserve_many]") {
  auto [tx, rx] = rill::sync_channel<std::string>(3);
  REQUIRE(tx.send("a"));
  CHECK(tx.try_reserve_many(3) == rill::unexpected(rill::errc::full));  // two free, nothing reserved
  auto batch = tx.try_reserve_many(2);
  REQUIRE(batch);
  CHECK(batch->size() == 2);
  CHECK(rill_test::refused(tx.try_send("b"), rill::errc::full, "b"));
  REQUIRE(batch->send("x"));
  auto one = batch->take();  // the last slot, as a permit of its own
  CHECK(batch->empty());
  CHECK_THROWS_AS((void)batch->send("too many"), std::logic_error);
  REQUIRE(one.send("y"));
  CHECK(rx.recv() == "a");
  CHECK(rx.recv() == "x");
  CHECK(rx.recv() == "y");
}

TEST_CASE("reserve_many refuses what could never complete, clearly", "[permit][reserve_many]") {
  auto [tx, rx] = rill::sync_channel<int>(2);
  CHECK_THROWS_AS((void)tx.reserve_many(3), std::invalid_argument);
  auto [rtx, rrx] = rill::sync_channel<int>(0);
  CHECK_THROWS_AS((void)rtx.try_reserve_many(1), std::invalid_argument);
  auto none = tx.reserve_many(0);
  REQUIRE(none);
  CHECK(none->empty());
  auto [utx, urx] = rill::channel<int>();
  auto many = utx.reserve_many(1000);
  REQUIRE(many);
  CHECK(many->size() == 1000);
}

TEST_CASE("a waiting reserve_many gathers freed slots in its turn: a later send does not pass it",
          "[permit][reserve_many]") {
  auto [tx, rx] = rill::sync_channel<std::string>(2);
  REQUIRE(tx.send("a"));
  REQUIRE(tx.send("b"));
  rill_test::scoped_threads threads;
  threads.spawn([tx = tx] {
    auto batch = tx.reserve_many(2);
    RILL_EXPECT(batch.has_value());
    RILL_EXPECT(batch->send("x"));
    RILL_EXPECT(batch->send("y"));
  });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 1; }));
  threads.spawn([tx = tx] { RILL_EXPECT(tx.send("c")); });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 2; }));
  CHECK(rx.recv() == "a");
  // The slot freed went to the reserve, which waits for one more: the send
  // queued behind it still waits.
  CHECK(tx.waiting_senders() == 2);
  CHECK(rx.size() == 1);
  CHECK(rx.recv() == "b");
  // Both slots reserved now; "c" still waits while the batch sends.
  REQUIRE(eventually([&rx = rx] { return rx.size() == 2; }));
  CHECK(rx.recv() == "x");
  CHECK(rx.recv() == "y");
  CHECK(rx.recv() == "c");
  REQUIRE(threads.join() == "");
}

TEST_CASE("a reserve_many that gives up or sees the channel closed gives back the slots it gathered",
          "[permit][reserve_many][stop_token]") {
  auto [tx, rx] = rill::sync_channel<std::string>(2);
  REQUIRE(tx.send("a"));
  REQUIRE(tx.send("b"));
  std::stop_source stop;
  rill_test::scoped_threads threads;
  rill::errc why{};
  const bool close = GENERATE(false, true);
  threads.spawn([&, tx = tx] {
    auto batch = tx.reserve_many(2, stop.get_token());
    RILL_EXPECT(!batch.has_value());
    if (!batch) why = batch.error();
  });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 1; }));
  threads.spawn([tx = tx] { (void)tx.send("c"); });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 2; }));
  CHECK(rx.recv() == "a");  // gathered by the reserve
  if (close) {
    rx.close();
    REQUIRE(threads.join() == "");
    CHECK(why == rill::errc::disconnected);
    CHECK(rx.recv() == "b");
    CHECK(rx.recv() == rill_test::recv_disconnected);
  } else {
    stop.request_stop();
    REQUIRE(threads.join() == "");  // the send of "c" got the slot given back
    CHECK(why == rill::errc::stopped);
    CHECK(rx.recv() == "b");
    CHECK(rx.recv() == "c");
    CHECK(tx.try_reserve_many(2).has_value());  // nothing left reserved
  }
}

TEST_CASE("a permit batch dropped with slots left gives them to the waiting senders, in order",
          "[permit][reserve_many]") {
  auto [tx, rx] = rill::sync_channel<int>(3);
  auto batch = tx.reserve_many(3);
  REQUIRE(batch);
  REQUIRE(batch->send(1));
  rill_test::scoped_threads threads;
  threads.spawn([tx = tx] { RILL_EXPECT(tx.send(2)); });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 1; }));
  threads.spawn([tx = tx] { RILL_EXPECT(tx.send(3)); });
  REQUIRE(eventually([&tx = tx] { return tx.waiting_senders() == 2; }));
  batch = rill::permit_batch<int>();  // two slots back: both sends go in
  REQUIRE(threads.join() == "");
  CHECK(rx.recv() == 1);
  CHECK(rx.recv() == 2);
  CHECK(rx.recv() == 3);
}

TEST_CASE("reserve_many racing with sends, reserves and receives: every message once, in per-producer order",
          "[permit][reserve_many][stress]") {
  const auto capacity = GENERATE(std::size_t{2}, std::size_t{5});
  constexpr int per_producer = 600;
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  rill_test::scoped_threads threads;
  for (int producer = 0; producer < 2; ++producer)
    threads.spawn([tx = tx, producer, capacity] {
      for (int i = 0; i < per_producer;) {
        const int value = producer * per_producer + i;
        if (producer == 1 || i % 4 == 0) {
          RILL_EXPECT(tx.send(value));
          ++i;
          continue;
        }
        // Timeouts give gathered slots back now and then.
        const std::size_t n = std::min<std::size_t>(capacity, static_cast<std::size_t>(per_producer - i));
        auto batch = tx.reserve_many_timeout(n, std::chrono::microseconds(i % 7 == 0 ? 50 : 100000));
        if (!batch) continue;
        while (!batch->empty() && i < per_producer && i % 4 != 0) RILL_EXPECT(batch->send(producer * per_producer + i++));
      }
    });
  rill_test::drop(tx);
  std::vector<int> last(2, -1);
  int received = 0;
  for (int m : rx) {
    const auto producer = static_cast<std::size_t>(m / per_producer);
    REQUIRE(m > last[producer]);
    last[producer] = m;
    ++received;
  }
  REQUIRE(threads.join() == "");
  CHECK(received == 2 * per_producer);
}
