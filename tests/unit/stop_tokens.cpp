// Blocking waits that end on a std::stop_token: a stopped wait reports
// errc::stopped, has taken or delivered nothing, and leaves the channel open.
#include <rill/channel.hpp>
#include <rill/fmt.hpp>

#include "support/test_support.hpp"
#include "support/tracked.hpp"

#include <catch2/catch.hpp>

#include <stop_token>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using rill_test::eventually;

namespace {

/// Requests a stop once `parked()` says the wait under test has queued,
/// so that the stop interrupts a wait rather than preceding it.
template <class Parked>
std::jthread stop_when(std::stop_source& source, Parked parked) {
  return std::jthread([&source, parked] {
    if (eventually(parked)) source.request_stop();
  });
}

}  // namespace

TEST_CASE("a receive blocked on an empty channel ends when its stop token is triggered", "[stop_token]") {
  auto [tx, rx] = rill::channel<int>();
  std::stop_source source;
  auto stopper = stop_when(source, [&rx = rx] { return rx.waiting_receivers() == 1; });
  const auto r = rx.recv(source.get_token());
  REQUIRE(r == rill::unexpected(rill::recv_timeout_error::stopped));
  CHECK(rill::make_error_code(r.error()) == rill::errc::stopped);
  // The channel is untouched: still open, and the waiter is gone.
  CHECK(rx.waiting_receivers() == 0);
  CHECK_FALSE(rx.is_closed());
  REQUIRE(tx.send(7));
  CHECK(rx.recv() == 7);
}

TEST_CASE("a stop requested before the call ends the wait at once, taking nothing even when a message is ready",
          "[stop_token]") {
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  std::stop_source source;
  source.request_stop();
  CHECK(rx.recv(source.get_token()) == rill::unexpected(rill::recv_timeout_error::stopped));
  CHECK(rx.recv_timeout(1h, source.get_token()) == rill::unexpected(rill::recv_timeout_error::stopped));
  std::vector<int> out;
  CHECK(rx.recv_many(out, 10, source.get_token()) == 0);
  CHECK(out.empty());
  CHECK(rx.try_recv() == 1);
}

TEST_CASE("a send blocked on a full channel ends on a stop and hands its value back", "[stop_token]") {
  rill_test::tracked::counters counters;
  {
    auto [tx, rx] = rill::sync_channel<rill_test::tracked>(1);
    REQUIRE(tx.send(rill_test::tracked(counters, 1)));
    std::stop_source source;
    auto stopper = stop_when(source, [&tx = tx] { return tx.waiting_senders() == 1; });
    auto r = tx.send(rill_test::tracked(counters, 2), source.get_token());
    REQUIRE_FALSE(r);
    CHECK(r.error().is_stopped());
    CHECK(r.error().code() == rill::errc::stopped);
    CHECK(std::move(r.error()).into_inner().payload == 2);
    CHECK(tx.waiting_senders() == 0);
    // Only the first message went in.
    CHECK(rx.size() == 1);
    CHECK(rx.try_recv()->payload == 1);
  }
  CHECK(counters.live == 0);
}

TEST_CASE("a rendezvous send ends on a stop with nobody having taken its value", "[stop_token]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  std::stop_source source;
  auto stopper = stop_when(source, [&tx = tx] { return tx.waiting_senders() == 1; });
  const auto r = tx.send(5, source.get_token());
  REQUIRE_FALSE(r);
  CHECK(r.error().is_stopped());
  CHECK(r.error().value == 5);
  CHECK(rx.try_recv() == rill_test::try_empty);
}

TEST_CASE("the timed forms end on whichever comes first, the deadline or the stop", "[stop_token]") {
  auto [tx, rx] = rill::sync_channel<int>(0);
  std::stop_source never_stopped;
  CHECK(rx.recv_timeout(1ms, never_stopped.get_token()) == rill::unexpected(rill::recv_timeout_error::timeout));
  auto timed = tx.send_deadline(3, std::chrono::steady_clock::now() + 1ms, never_stopped.get_token());
  REQUIRE_FALSE(timed);
  CHECK(timed.error().is_timeout());

  std::stop_source source;
  auto stopper = stop_when(source, [&rx = rx] { return rx.waiting_receivers() == 1; });
  CHECK(rx.recv_deadline(std::chrono::steady_clock::now() + 1h, source.get_token()) ==
        rill::unexpected(rill::recv_timeout_error::stopped));
}

TEST_CASE("a std::jthread worker iterating a channel stops when the thread is asked to", "[stop_token][patterns]") {
  auto [tx, rx] = rill::channel<int>();
  std::vector<int> seen;
  {
    std::jthread worker([&seen, rx = rx](std::stop_token stop) {
      for (int& job : rx.iter(stop)) seen.push_back(job);
    });
    REQUIRE(tx.send(1));
    REQUIRE(tx.send(2));
    // Both taken and the worker waiting for more: then the jthread's
    // destructor requests the stop and joins.
    REQUIRE(eventually([&rx = rx] { return rx.size() == 0 && rx.waiting_receivers() == 1; }));
  }
  CHECK(seen == std::vector<int>{1, 2});
  CHECK_FALSE(rx.is_closed());
  REQUIRE(tx.send(3));
  CHECK(rx.try_recv() == 3);
}

TEST_CASE("recv_many returns 0 once stopped while waiting", "[stop_token]") {
  auto [tx, rx] = rill::channel<int>();
  std::stop_source source;
  auto stopper = stop_when(source, [&rx = rx] { return rx.waiting_receivers() == 1; });
  std::vector<int> out;
  CHECK(rx.recv_many(out, 8, source.get_token()) == 0);
  CHECK(out.empty());
  CHECK_FALSE(rx.is_closed());
}

TEST_CASE("a select's on_stop arm wins once stopped, and the other arms take nothing", "[stop_token][select]") {
  auto [tx, rx] = rill::channel<int>();
  auto [full_tx, full_rx] = rill::sync_channel<int>(1);
  REQUIRE(full_tx.send(0));
  std::stop_source source;
  auto stopper = stop_when(source, [&rx = rx] { return rx.waiting_receivers() == 1; });
  auto send_arm = rill::send(full_tx, 9);
  const auto r = rill::select(rill::recv(rx), send_arm, rill::on_stop(source.get_token()));
  REQUIRE(r.index() == 2);
  CHECK(std::get<2>(r) == rill::stopped{});
  CHECK(send_arm.take_value() == 9);
  CHECK(full_rx.size() == 1);
  CHECK(rx.waiting_receivers() == 0);
  CHECK(full_tx.waiting_senders() == 0);
}

TEST_CASE("a stop requested before a select wins over a ready arm; a select may wait on its stop arm alone",
          "[stop_token][select]") {
  auto [tx, rx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  std::stop_source source;
  source.request_stop();
  CHECK(rill::select(rill::recv(rx), rill::on_stop(source.get_token())).index() == 1);
  const auto tried = rill::try_select(rill::recv(rx), rill::on_stop(source.get_token()));
  REQUIRE(tried);
  CHECK(tried->index() == 1);
  CHECK(rx.try_recv() == 1);

  std::stop_source later;
  auto stopper = std::jthread([&later] { later.request_stop(); });
  CHECK(rill::select(rill::recv(rx, false), rill::on_stop(later.get_token())).index() == 1);
}

TEST_CASE("dynamic_select waits until stopped and then returns nothing", "[stop_token][select]") {
  auto [tx, rx] = rill::channel<int>();
  rill::dynamic_select<int> sel;
  sel.add(rx);
  std::stop_source source;
  auto stopper = stop_when(source, [&rx = rx] { return rx.waiting_receivers() == 1; });
  CHECK_FALSE(sel.select(source.get_token()));
  REQUIRE(tx.send(4));
  const auto r = sel.select(source.get_token());  // stopped before the call: stays stopped
  CHECK_FALSE(r);
  CHECK(rx.try_recv() == 4);
}

TEST_CASE("stops racing with hand-offs: every message is received exactly once or stays in the channel",
          "[stop_token][stress]") {
  constexpr int messages = 1000 * static_cast<int>(rill_test::stress_scale);
  auto [tx, rx] = rill::sync_channel<int>(0);
  std::vector<int> received;
  rill_test::scoped_threads threads;
  threads.spawn([&, tx = tx] {
    for (int i = 0; i < messages; ++i) {
      // Each send is stopped at a random moment, often mid-wait; a stopped
      // one keeps its value and is tried again, so nothing is sent twice.
      for (;;) {
        std::stop_source source;
        std::jthread stopper([&source] {
          std::this_thread::yield();
          source.request_stop();
        });
        auto r = tx.send(i, source.get_token());
        if (r) break;
        RILL_EXPECT(r.error().is_stopped() && r.error().value == i);
      }
    }
  });
  // The sender thread holds the only sender left: when it ends, having
  // failed or not, the channel disconnects and the loop below ends too.
  rill_test::drop(tx);
  for (;;) {
    std::stop_source source;
    std::jthread stopper([&source] {
      std::this_thread::yield();
      source.request_stop();
    });
    auto m = rx.recv(source.get_token());
    if (m)
      received.push_back(*m);
    else if (m.error() == rill::recv_timeout_error::disconnected)
      break;
  }
  REQUIRE(threads.join() == "");
  REQUIRE(received.size() == static_cast<std::size_t>(messages));
  for (int i = 0; i < messages; ++i) REQUIRE(received[static_cast<std::size_t>(i)] == i);
  CHECK(rx.try_recv() == rill_test::try_disconnected);
}

TEST_CASE("a oneshot receive and a watch's changed() end on a stop, taking and marking nothing", "[stop_token]") {
  SECTION("oneshot") {
    auto [tx, rx] = rill::oneshot<int>();
    std::stop_source source;
    std::jthread stopper([&source] { source.request_stop(); });
    CHECK(rx.recv(source.get_token()) == rill::unexpected(rill::recv_timeout_error::stopped));
    stopper.join();
    REQUIRE(std::move(tx).send(3));
    CHECK(rx.recv_timeout(std::chrono::hours(1), std::stop_token{}) == 3);
  }
  SECTION("watch") {
    auto [tx, rx] = rill::watch<int>(0);
    std::stop_source source;
    std::jthread stopper([&source] { source.request_stop(); });
    CHECK(rx.changed(source.get_token()) == rill::unexpected(rill::recv_timeout_error::stopped));
    stopper.join();
    REQUIRE(tx.send(1));
    CHECK(rx.changed_timeout(std::chrono::hours(1), std::stop_token{}).has_value());
    CHECK(*rx.borrow() == 1);
  }
}
