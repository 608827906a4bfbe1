// The fixture and the bridge's ordinary behaviour, each case on its own server.
#include "nats/harness.hpp"

#include <rill/asio.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include <signal.h>

using namespace std::chrono_literals;

TEST_CASE("the server fixture starts on a free port, restarts on the same one and leaves no process", "[nats]") {
  pid_t first_pid = 0;
  {
    rill_test::nats_server server;
    first_pid = server.pid();
    const int port = server.port();
    CHECK(port > 0);
    auto conn = rill_test::connect(server);
    server.kill9();
    CHECK(::kill(first_pid, 0) != 0);  // reaped: no such process
    server.restart();
    CHECK(server.port() == port);
    CHECK(server.pid() != first_pid);
    CHECK(rill_test::wait_until([&] { return natsConnection_Status(conn.native_handle()) == NATS_CONN_STATUS_CONNECTED; }));
    first_pid = server.pid();
    server.stop();
    CHECK_FALSE(server.running());
    server.restart();
    first_pid = server.pid();
  }
  CHECK(::kill(first_pid, 0) != 0);
}

TEST_CASE("values sent on a remote sender reach a remote receiver in order, with their ids", "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  const auto q = rill_test::work_queue("roundtrip");
  auto out = rill::nats::remote_sender<std::string>(conn, q, {.window = 16});
  REQUIRE(out);
  auto& [tx, pub] = *out;
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 8});
  REQUIRE(in);
  auto& [rx, sub] = *in;

  constexpr int count = 200;
  for (int i = 0; i < count; ++i) REQUIRE(tx.send(std::to_string(i)));
  REQUIRE(pub.flush(30s));
  for (int i = 0; i < count; ++i) {
    auto d = rx.recv_timeout(10s);
    REQUIRE(d);
    CHECK(d->value() == std::to_string(i));
    CHECK(d->info().id.producer == pub.producer());
    CHECK(d->info().id.seq == static_cast<std::uint64_t>(i + 1));
    CHECK(d->info().num_delivered == 1u);
    CHECK(d->ack());
    CHECK(d->ack().error() == rill::nats::errc::not_pending);
  }
  CHECK(rx.try_recv().error() == rill::try_recv_error::empty);
  CHECK(rill_test::wait_until([&] {
    const auto info = rill_test::consumer_info(conn, q.stream, q.durable);
    return info && info->ack_pending == 0 && info->pending == 0;
  }));
  CHECK(sub.duplicates_dropped() == 0u);
  CHECK_FALSE(pub.error());
  CHECK_FALSE(sub.error());
}

TEST_CASE("a pump that has caught up with the stream fills the channel to prefetch as messages trickle in", "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  const auto q = rill_test::work_queue("trickle");
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  constexpr std::size_t prefetch = 8;
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = prefetch});
  REQUIRE(in);
  auto& [rx, sub] = *in;
  const auto settled_at = [&](std::size_t n) {
    return rill_test::wait_until([&] {
      const auto info = rill_test::consumer_info(conn, q.stream, q.durable);
      return rx.size() == n && info && info->ack_pending == static_cast<std::int64_t>(n);
    });
  };

  // Five arrive while the pump waits on an empty stream: its fetches come
  // back short, leaving 3 of 8 free, less than the half it batches by when
  // there is a backlog. Nobody receives.
  for (int i = 0; i < 5; ++i) REQUIRE(tx.send(std::to_string(i)));
  REQUIRE(pub.flush(30s));
  REQUIRE(settled_at(5));
  // Three more trickle in one at a time; each is fetched into the channel.
  for (int i = 5; i < 8; ++i) {
    REQUIRE(tx.send(std::to_string(i)));
    REQUIRE(pub.flush(30s));
    REQUIRE(settled_at(static_cast<std::size_t>(i) + 1));
  }
  // Full: a ninth stays on the server.
  REQUIRE(tx.send("8"));
  REQUIRE(pub.flush(30s));
  REQUIRE(rill_test::wait_until([&] {
    const auto info = rill_test::consumer_info(conn, q.stream, q.durable);
    return info && info->pending == 1;
  }));
  CHECK(rx.size() == prefetch);
  CHECK(rill_test::consumer_info(conn, q.stream, q.durable)->ack_pending == static_cast<std::int64_t>(prefetch));
  for (int i = 0; i <= 8; ++i) {
    auto d = rx.recv_timeout(10s);
    REQUIRE(d);
    CHECK(d->value() == std::to_string(i));
    CHECK(d->ack());
  }
}

TEST_CASE("a queue that exists with another configuration is an error, not changed", "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("mismatch");
  {
    auto in = rill::nats::remote_receiver<std::string>(conn, q);
    REQUIRE(in);
  }
  auto other_kind = q;
  other_kind.kind = rill::nats::queue_kind::fan_out;
  CHECK(rill::nats::remote_sender<std::string>(conn, other_kind).error() == rill::nats::errc::config_mismatch);
  auto other_ack_wait = q;
  other_ack_wait.ack_wait = 5s;
  CHECK(rill::nats::remote_receiver<std::string>(conn, other_ack_wait).error() == rill::nats::errc::config_mismatch);
  // The original still works.
  CHECK(rill::nats::remote_receiver<std::string>(conn, q));
  auto unnamed = q;
  unnamed.stream.clear();
  CHECK(rill::nats::remote_sender<std::string>(conn, unnamed).error() == rill::nats::errc::invalid_option);
}

TEST_CASE("a delivery dropped unsettled is given back at once, and delivered again", "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  const auto q = rill_test::work_queue("dropped");
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 1});
  REQUIRE(in);
  auto& [tx, pub] = *out;
  auto& [rx, sub] = *in;
  REQUIRE(tx.send("once"));
  {
    auto first = rx.recv_timeout(10s);
    REQUIRE(first);
    CHECK(first->info().num_delivered == 1u);
  }  // naked here; ack_wait is 30 s, so only the nak brings it back within the deadline below
  auto again = rx.recv_timeout(10s);
  REQUIRE(again);
  CHECK(again->value() == "once");
  CHECK(again->info().num_delivered == 2u);
  CHECK(again->ack());
}

TEST_CASE("fan_out: each durable group gets every message", "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("fan_out");
  q.kind = rill::nats::queue_kind::fan_out;
  auto group_b = q;
  group_b.durable = "group_b";
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto a = rill::nats::remote_receiver<std::string>(conn, q);
  REQUIRE(a);
  auto b = rill::nats::remote_receiver<std::string>(conn, group_b);
  REQUIRE(b);
  auto& [tx, pub] = *out;
  constexpr int count = 500;
  for (int i = 0; i < count; ++i) REQUIRE(tx.send(std::to_string(i)));
  for (auto* rx : {&a->first, &b->first}) {
    for (int i = 0; i < count; ++i) {
      auto d = rx->recv_timeout(10s);
      REQUIRE(d);
      CHECK(d->value() == std::to_string(i));
      CHECK(d->ack());
    }
  }
  CHECK(a->first.recv_timeout(100ms).error() == rill::recv_timeout_error::timeout);
  CHECK(b->first.recv_timeout(100ms).error() == rill::recv_timeout_error::timeout);
}

TEST_CASE("a subscription assigned over another stops the pump it replaces, whose channel then disconnects", "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto first = rill::nats::remote_receiver<std::string>(conn, rill_test::work_queue("first"));
  REQUIRE(first);
  auto second = rill::nats::remote_receiver<std::string>(conn, rill_test::work_queue("second"));
  REQUIRE(second);
  first->second = std::move(second->second);
  CHECK(first->first.recv_timeout(10s).error() == rill::recv_timeout_error::disconnected);
  // The pump moved over still runs: the second channel is open.
  CHECK(second->first.recv_timeout(100ms).error() == rill::recv_timeout_error::timeout);
}

TEST_CASE("a remote receiver is a rill receiver: a coroutine co_awaits async_flush and deliveries, and select mixes "
          "it with a local channel",
          "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  const auto q = rill_test::work_queue("coroutine");
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto in = rill::nats::remote_receiver<std::string>(conn, q);
  REQUIRE(in);
  auto& [tx, pub] = *out;
  auto& [rx, sub] = *in;
  constexpr int count = 10;
  for (int i = 0; i < count; ++i) REQUIRE(tx.send(std::to_string(i)));

  asio::io_context io;
  std::vector<std::string> values;
  int acked = 0;
  std::optional<rill_test::consumer_state> after_flush;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pub.async_flush(asio::use_awaitable);
        after_flush = rill_test::consumer_info(conn, q.stream, q.durable);
        for (int i = 0; i < count; ++i) {
          auto d = co_await rx.async_recv(asio::use_awaitable);
          values.push_back(d.value());
          if (d.ack()) ++acked;
        }
      },
      asio::detached);
  CHECK(values.empty());  // nothing runs before the io_context does
  io.run();
  REQUIRE(after_flush);
  CHECK(after_flush->pending + static_cast<std::uint64_t>(after_flush->ack_pending) == count);  // all stored
  REQUIRE(values.size() == count);
  CHECK(values.front() == "0");
  CHECK(values.back() == std::to_string(count - 1));
  CHECK(acked == count);

  auto [local_tx, local_rx] = rill::channel<int>();
  REQUIRE(tx.send("remote"));
  auto r = rill::select(rill::recv(local_rx), rill::recv(rx), rill::timeout(10s));
  REQUIRE(r.index() == 1);
  auto& d = std::get<1>(r);
  REQUIRE(d);
  CHECK(d->value() == "remote");
  CHECK(d->ack());
}
