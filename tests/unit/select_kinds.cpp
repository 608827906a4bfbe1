// A oneshot's receive and a watch's changed() as select arms: with channel
// arms and timeouts, blocking, try and asynchronous; exactly one arm wins,
// and an arm that lost took or marked nothing.
#include <rill/rill.hpp>

#include "support/test_support.hpp"
#include "support/tracked.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <vector>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>

using namespace std::chrono_literals;
using rill_test::scoped_threads;
using rill_test::tracked;

TEST_CASE("select kinds: a oneshot arm wins with the value, or with recv_error when the sender went unsent",
          "[select][oneshot]") {
  auto [tx, rx] = rill::oneshot<std::string>();
  auto [ctx, crx] = rill::channel<int>();
  SECTION("value") {
    REQUIRE(std::move(tx).send("reply"));
    auto r = rill::select(rill::recv(rx), rill::recv(crx));
    REQUIRE(r.index() == 0);
    CHECK(std::get<0>(r) == std::string("reply"));
  }
  SECTION("sender gone") {
    rill_test::drop(tx);
    auto r = rill::select(rill::recv(rx), rill::recv(crx));
    REQUIRE(r.index() == 0);
    CHECK(std::get<0>(r) == rill_test::recv_disconnected);
  }
}

TEST_CASE("select kinds: a oneshot arm that lost took nothing", "[select][oneshot]") {
  auto [tx, rx] = rill::oneshot<int>();
  auto [ctx, crx] = rill::channel<int>();
  REQUIRE(ctx.send(1));
  // Biased: the channel, listed first and ready, wins; the oneshot is empty anyway.
  auto r = rill::select(rill::select_order::biased, rill::recv(crx), rill::recv(rx));
  CHECK(r.index() == 0);
  REQUIRE(std::move(tx).send(2));
  auto r2 = rill::select(rill::select_order::biased, rill::recv(crx), rill::recv(rx), rill::timeout(0ms));
  REQUIRE(r2.index() == 1);  // the channel is empty now
  CHECK(std::get<1>(r2) == 2);
  // Ready again, but the value was taken by the select: a second receive is a logic error.
  CHECK_THROWS_AS((void)rx.try_recv(), std::logic_error);
}

TEST_CASE("select kinds: a blocked select is woken by a oneshot send or a watch change", "[select][oneshot][watch]") {
  scoped_threads threads;
  auto [otx, orx] = rill::oneshot<int>();
  auto [wtx, wrx] = rill::watch<int>(0);
  rill_test::event selecting;
  SECTION("oneshot") {
    threads.spawn([&selecting, otx = std::move(otx)]() mutable {
      selecting.wait();
      RILL_EXPECT(std::move(otx).send(5));
    });
    selecting.set();
    auto r = rill::select(rill::recv(orx), rill::changed(wrx));
    REQUIRE(r.index() == 0);
    CHECK(std::get<0>(r) == 5);
    CHECK_FALSE(wrx.has_changed());
  }
  SECTION("watch") {
    threads.spawn([&selecting, wtx = wtx] {
      selecting.wait();
      RILL_EXPECT(wtx.send(7));
    });
    selecting.set();
    auto r = rill::select(rill::recv(orx), rill::changed(wrx));
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r).has_value());
    CHECK_FALSE(wrx.has_changed());  // the arm marked the change seen
    CHECK(*wrx.borrow() == 7);
    CHECK(orx.try_recv() == rill_test::try_empty);
  }
  REQUIRE(threads.join() == "");
}

TEST_CASE("select kinds: a watch arm that lost marked nothing; one that won fails once the senders are gone",
          "[select][watch]") {
  auto [tx, rx] = rill::watch<int>(0);
  auto [ctx, crx] = rill::channel<int>();
  REQUIRE(tx.send(1));
  REQUIRE(ctx.send(1));
  auto r = rill::select(rill::select_order::biased, rill::recv(crx), rill::changed(rx));
  CHECK(r.index() == 0);
  CHECK(rx.has_changed());
  auto r2 = rill::try_select(rill::changed(rx));
  REQUIRE(r2);
  CHECK(std::get<0>(*r2).has_value());
  CHECK_FALSE(rill::try_select(rill::changed(rx)));  // seen: nothing ready
  rill_test::drop(tx);
  auto r3 = rill::select(rill::changed(rx), rill::timeout(1h));
  REQUIRE(r3.index() == 0);
  CHECK(std::get<0>(r3) == rill_test::recv_disconnected);
}

TEST_CASE("select kinds: a timeout wins over a oneshot and a watch with nothing ready", "[select][oneshot][watch]") {
  auto [otx, orx] = rill::oneshot<int>();
  auto [wtx, wrx] = rill::watch<int>(0);
  auto r = rill::select(rill::recv(orx), rill::changed(wrx), rill::timeout(2ms));
  CHECK(r.index() == 2);
  // Both arms were queued and withdrawn: a send now is still received.
  REQUIRE(std::move(otx).send(1));
  CHECK(orx.try_recv() == 1);
}

TEST_CASE("select kinds: disabled arms never win", "[select][oneshot][watch]") {
  auto [otx, orx] = rill::oneshot<int>();
  auto [wtx, wrx] = rill::watch<int>(0);
  REQUIRE(std::move(otx).send(1));
  REQUIRE(wtx.send(1));
  CHECK_FALSE(rill::try_select(rill::recv(orx, false), rill::changed(wrx, false)));
  CHECK(orx.is_ready());
  CHECK(wrx.has_changed());
}

TEST_CASE("select kinds: async_select completes a oneshot or a watch arm on its executor",
          "[select][async][oneshot][watch]") {
  asio::io_context io;
  auto [otx, orx] = rill::oneshot<int>();
  auto [wtx, wrx] = rill::watch<int>(0);
  std::optional<std::size_t> won;
  std::error_code ec;
  auto record = [&](std::error_code e, auto r) {
    ec = e;
    if (r) won = r->index();
  };
  SECTION("oneshot") {
    rill::async_select(rill::recv(orx), rill::changed(wrx), asio::bind_executor(io, record));
    io.poll();
    CHECK_FALSE(won);
    REQUIRE(std::move(otx).send(3));
    io.run();
    CHECK(won == 0u);
    CHECK_FALSE(wrx.has_changed());
  }
  SECTION("watch") {
    rill::async_select(rill::recv(orx), rill::changed(wrx), asio::bind_executor(io, record));
    io.poll();
    REQUIRE(wtx.send(3));
    io.run();
    CHECK(won == 1u);
    CHECK_FALSE(wrx.has_changed());
    CHECK(orx.try_recv() == rill_test::try_empty);
  }
  SECTION("cancelled after being told: nothing taken, nothing marked") {
    asio::cancellation_signal signal;
    rill::async_select(rill::recv(orx), rill::changed(wrx),
                       asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, record)));
    io.poll();
    REQUIRE(std::move(otx).send(3));
    REQUIRE(wtx.send(3));
    signal.emit(asio::cancellation_type::terminal);
    io.run();
    CHECK(ec == asio::error::operation_aborted);
    CHECK(orx.is_ready());
    CHECK(wrx.has_changed());
  }
}

TEST_CASE("select kinds: an async_select that timed out took nothing and marked nothing",
          "[select][async][oneshot][watch]") {
  asio::io_context io;
  auto [otx, orx] = rill::oneshot<int>();
  auto [wtx, wrx] = rill::watch<int>(0);
  std::optional<std::size_t> won;
  rill::async_select(rill::recv(orx), rill::changed(wrx), rill::timeout(1ms),
                     asio::bind_executor(io, [&](std::error_code, auto r) {
                       if (r) won = r->index();
                     }));
  io.run();
  CHECK(won == 2u);
  REQUIRE(std::move(otx).send(4));
  REQUIRE(wtx.send(4));
  CHECK(orx.try_recv() == 4);
  CHECK(wrx.has_changed());
}

TEST_CASE("select kinds stress: selects over a oneshot, a watch and a channel, each value once",
          "[select][stress][oneshot][watch]") {
  const int rounds = 1000 * static_cast<int>(rill_test::stress_scale);
  tracked::counters c;
  for (int i = 0; i < rounds; ++i) {
    auto [otx, orx] = rill::oneshot<tracked>();
    auto [wtx, wrx] = rill::watch<int>(0);
    auto [ctx, crx] = rill::channel<tracked>();
    std::thread partner([&, otx = std::move(otx), wtx = std::move(wtx), ctx = std::move(ctx)]() mutable {
      (void)std::move(otx).send(tracked(c, 2 * i));
      (void)ctx.send(tracked(c, 2 * i + 1));
      (void)wtx.send(1);
    });
    // Until all three arms have won once: the oneshot's value, the channel's
    // message and the watch's change, each exactly once.
    bool got_oneshot = false, got_channel = false, got_change = false;
    while (!(got_oneshot && got_channel && got_change)) {
      auto r = rill::select(rill::recv(orx, !got_oneshot), rill::recv(crx, !got_channel),
                            rill::changed(wrx, !got_change));
      switch (r.index()) {
        case 0:
          REQUIRE(std::get<0>(r));
          CHECK(std::get<0>(r)->payload == 2 * i);
          got_oneshot = true;
          break;
        case 1:
          REQUIRE(std::get<1>(r));
          CHECK(std::get<1>(r)->payload == 2 * i + 1);
          got_channel = true;
          break;
        default:
          REQUIRE(std::get<2>(r));  // the change comes before the sender's going
          got_change = true;
          break;
      }
    }
    partner.join();
  }
  CHECK(c.destroyed_with_payload == 2 * rounds);
  CHECK(c.live == 0);
}

TEST_CASE("select kinds: dynamic_select waits on the replies of several oneshots, each once",
          "[select][oneshot][dynamic_select]") {
  rill::dynamic_select<int> sel;
  std::vector<rill::oneshot_sender<int>> replies;
  for (int i = 0; i < 3; ++i) {
    auto [tx, rx] = rill::oneshot<int>();
    replies.push_back(std::move(tx));
    CHECK(sel.add(std::move(rx)) == static_cast<std::size_t>(i));
  }
  auto [ctx, crx] = rill::channel<int>();
  const std::size_t channel_arm = sel.add(crx);
  CHECK_FALSE(sel.try_select().has_value());

  REQUIRE(std::move(replies[2]).send(22));
  rill_test::drop(replies[0]);  // this request will never be answered
  scoped_threads late;
  late.spawn([tx = std::move(replies[1])]() mutable { RILL_EXPECT(std::move(tx).send(11)); });
  std::map<std::size_t, std::optional<int>> seen;  // arm -> value, or nothing for a sender gone
  for (int i = 0; i < 3; ++i) {
    rill::selected<int> r = sel.select();
    REQUIRE(r.is_recv());
    CHECK_FALSE(seen.contains(r.index));  // a oneshot arm that won is off for good
    seen[r.index] = r.recv_result() ? std::optional<int>(*r.recv_result()) : std::nullopt;
  }
  CHECK(seen == std::map<std::size_t, std::optional<int>>{{0, std::nullopt}, {1, 11}, {2, 22}});
  CHECK_FALSE(sel.try_select().has_value());  // spent oneshots do not win again
  REQUIRE(ctx.send(5));
  auto r = sel.try_select();
  REQUIRE(r.has_value());
  CHECK(r->index == channel_arm);
  CHECK(r->recv_result().value() == 5);
}

TEST_CASE("select kinds: dynamic_select follows a watch and a channel together", "[select][watch][dynamic_select]") {
  auto [wtx, wrx] = rill::watch<int>(0);
  auto [ctx, crx] = rill::channel<int>();
  rill::dynamic_select<int> sel;
  const std::size_t changed_arm = sel.add(wrx);
  const std::size_t channel_arm = sel.add(crx);
  CHECK_FALSE(sel.try_select().has_value());  // the initial value counts as seen

  wtx.send_modify([](int& v) { v = 7; });
  auto r = sel.select_timeout(5s);
  REQUIRE(r.has_value());
  CHECK(r->index == changed_arm);
  REQUIRE(r->is_changed());
  CHECK(r->changed_result().has_value());
  CHECK(*sel.watch_receiver_at(changed_arm).borrow() == 7);
  CHECK(wrx.has_changed());  // the select's copy marked it seen, not the original
  CHECK_FALSE(sel.try_select().has_value());

  REQUIRE(ctx.send(3));
  r = sel.try_select();
  REQUIRE(r.has_value());
  CHECK(r->index == channel_arm);

  rill_test::drop(wtx);  // every sender gone, the latest version seen
  r = sel.try_select();
  REQUIRE(r.has_value());
  CHECK(r->index == changed_arm);
  CHECK_FALSE(r->changed_result().has_value());
  CHECK_THROWS_AS(sel.watch_receiver_at(channel_arm), std::invalid_argument);
}

TEST_CASE("select kinds: dynamic_select follows broadcast receivers of several topics",
          "[select][broadcast][dynamic_select]") {
  auto [news_tx, news_rx] = rill::broadcast<int>(2);
  auto [alerts_tx, alerts_rx] = rill::broadcast<int>(4);
  rill::dynamic_select<int> sel;
  const std::size_t news = sel.add(news_rx);
  const std::size_t alerts = sel.add(alerts_rx);
  CHECK_FALSE(sel.try_select().has_value());

  REQUIRE(alerts_tx.send(1));
  auto r = sel.try_select();
  REQUIRE(r.has_value());
  CHECK(r->index == alerts);
  REQUIRE(r->is_broadcast());
  CHECK(r->broadcast_result().value() == 1);
  CHECK(alerts_rx.try_recv().value() == 1);  // the original reads on its own

  for (int i = 0; i < 3; ++i) REQUIRE(news_tx.send(10 + i));  // the select's copy falls one behind
  r = sel.try_select();
  REQUIRE(r.has_value());
  CHECK(r->index == news);
  REQUIRE_FALSE(r->broadcast_result().has_value());
  CHECK(r->broadcast_result().error().is_lagged());
  CHECK(r->broadcast_result().error().missed() == 1);
  CHECK(sel.broadcast_receiver_at(news).last_lag() == 1);
  for (int expected : {11, 12}) {
    r = sel.try_select();
    REQUIRE(r.has_value());
    CHECK(r->broadcast_result().value() == expected);
  }
  CHECK_FALSE(sel.try_select().has_value());

  rill_test::drop(alerts_tx);
  r = sel.try_select();
  REQUIRE(r.has_value());
  CHECK(r->index == alerts);
  CHECK(r->broadcast_result().error().is_disconnected());
  CHECK_THROWS_AS(sel.watch_receiver_at(news), std::invalid_argument);
}
