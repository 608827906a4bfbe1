// close_remote(): closing a queue for every process that uses it. Each
// connection here stands for a process of its own: pumps share nothing but
// the server.
#include "nats/harness.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

using remote_in = std::pair<rill::receiver<rill::nats::delivery<std::string>>, rill::nats::subscription<std::string>>;

remote_in receive(const rill::nats::connection& conn, const rill::nats::queue_options& q) {
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 8, .fetch_wait = 100ms});
  if (!in) throw std::runtime_error("remote_receiver: " + in.error().message());
  return std::move(*in);
}

/// A worker thread on a connection of its own: receives and acks until its
/// channel disconnects.
struct worker {
  rill::nats::connection conn;
  remote_in in;
  std::vector<std::string> received;
  std::thread thread;

  worker(const rill_test::nats_server& server, const rill::nats::queue_options& q)
      : conn(rill_test::connect(server)), in(receive(conn, q)) {
    thread = std::thread([this] {
      for (auto& d : in.first) {
        received.push_back(d.value());
        (void)d.ack();
      }
    });
  }

  // A test that failed before joining: closing the channel ends the loop.
  ~worker() {
    if (thread.joinable()) {
      in.first.close();
      thread.join();
    }
  }

  const rill::nats::subscription<std::string>& sub() const { return in.second; }
};

}  // namespace

TEST_CASE("close_remote: receivers drain what was sent before it, then disconnect; remote senders close", "[nats]") {
  rill_test::nats_server server;
  const auto q = rill_test::work_queue("closing");
  auto closer_conn = rill_test::connect(server);
  auto other_conn = rill_test::connect(server);
  auto closer = rill::nats::remote_sender<std::string>(closer_conn, q, {.window = 64});
  REQUIRE(closer);
  auto& [closer_tx, closer_pub] = *closer;
  auto other = rill::nats::remote_sender<std::string>(other_conn, q, {.window = 64});
  REQUIRE(other);
  auto& [other_tx, other_pub] = *other;
  CHECK_FALSE(closer_pub.closed_remotely());

  worker first(server, q);
  worker second(server, q);

  std::set<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    REQUIRE(other_tx.send("other " + std::to_string(i)));
    sent.insert("other " + std::to_string(i));
  }
  REQUIRE(other_pub.flush(30s));
  // The closer's last values are still in its local channel or in flight
  // when it closes: close_remote() stores them before it marks the queue.
  for (int i = 0; i < 300; ++i) {
    REQUIRE(closer_tx.send("closer " + std::to_string(i)));
    sent.insert("closer " + std::to_string(i));
  }
  REQUIRE(closer_pub.close_remote());

  // The closer's own senders are closed at once, and keep their values.
  auto refused = closer_tx.send("after close");
  REQUIRE_FALSE(refused);
  CHECK(std::move(refused.error()).into_inner() == "after close");

  // Both workers drain the queue between them and then see disconnected.
  first.thread.join();
  second.thread.join();
  std::multiset<std::string> received(first.received.begin(), first.received.end());
  received.insert(second.received.begin(), second.received.end());
  CHECK(received.size() == sent.size());
  CHECK(std::set<std::string>(received.begin(), received.end()) == sent);
  CHECK(first.sub().closed_remotely());
  CHECK(second.sub().closed_remotely());
  CHECK_FALSE(first.sub().error());
  CHECK_FALSE(second.sub().error());

  // The other process's sender sees the close and refuses with the value back.
  REQUIRE(rill_test::wait_until([&] { return other_pub.closed_remotely(); }));
  REQUIRE(rill_test::wait_until([&] { return other_tx.is_closed(); }));
  auto late = other_tx.send("late");
  REQUIRE_FALSE(late);
  CHECK(late.error().code() == rill::errc::disconnected);
  CHECK(std::move(late.error()).into_inner() == "late");
  CHECK_FALSE(other_pub.error());
}

TEST_CASE("close_remote holds for pumps started after it, until reopen_remote", "[nats]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  const auto q = rill_test::work_queue("closed_early");
  REQUIRE(rill::nats::close_remote(conn, q));

  {
    // A sender started on a closed queue refuses its first value.
    auto out = rill::nats::remote_sender<std::string>(conn, q);
    REQUIRE(out);
    auto& [tx, pub] = *out;
    CHECK(pub.closed_remotely());
    auto refused = tx.try_send("first");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().is_disconnected());
    // A receiver started on a closed, empty queue disconnects after one
    // empty fetch, not after its timeout.
    auto in = rill::nats::remote_receiver<std::string>(conn, q, {.fetch_wait = 100ms});
    REQUIRE(in);
    auto& [rx, sub] = *in;
    CHECK(rx.recv_timeout(20s).error() == rill::recv_timeout_error::disconnected);
    CHECK(sub.closed_remotely());
  }

  REQUIRE(rill::nats::reopen_remote(conn, q));
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  CHECK_FALSE(pub.closed_remotely());
  REQUIRE(tx.send("after reopen"));
  REQUIRE(pub.flush(30s));
  auto in = rill::nats::remote_receiver<std::string>(conn, q);
  REQUIRE(in);
  auto& [rx, sub] = *in;
  auto d = rx.recv_timeout(20s);
  REQUIRE(d);
  CHECK(d->value() == "after reopen");
  CHECK(d->ack());
  CHECK_FALSE(sub.closed_remotely());
}

TEST_CASE("close_remote: each fan-out group drains everything", "[nats]") {
  rill_test::nats_server server;
  auto q = rill_test::work_queue("fanned");
  q.kind = rill::nats::queue_kind::fan_out;
  auto conn = rill_test::connect(server);
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  auto group_a = q;
  group_a.durable = "a";
  auto group_b = q;
  group_b.durable = "b";
  worker a(server, group_a);
  worker b(server, group_b);
  for (int i = 0; i < 500; ++i) REQUIRE(tx.send(std::to_string(i)));
  REQUIRE(pub.close_remote());
  // It returned once every value sent before it was stored (a fan-out
  // stream keeps them after delivery).
  CHECK(rill_test::stream_messages(conn, q.stream) == std::optional<std::uint64_t>(500));
  a.thread.join();
  b.thread.join();
  CHECK(a.received.size() == 500u);
  CHECK(b.received.size() == 500u);
  CHECK(a.received == b.received);  // one producer: its order
}

TEST_CASE("every stream has its own close key", "[nats]") {
  using rill::nats::detail::remote_close_key;
  CHECK(remote_close_key("jobs") == "jobs");
  CHECK(remote_close_key("Jobs_2-x") == "Jobs_2-x");
  CHECK(remote_close_key("a.b") == "a=2Eb");
  CHECK(remote_close_key("a=2Eb") == "a=3D2Eb");  // '=' itself is escaped: no two names share a key
  CHECK(remote_close_key("caf\xC3\xA9") == "caf=C3=A9");
}
