// The failure scenarios of the NATS layer, each on its own server. Counts
// are printed (WARN) so that a run's figures can be read off its log.
#include "nats/harness.hpp"
#include "nats/mid_stream.hpp"

#include <rill/asio.hpp>
#include <rill/nats/json.hpp>

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct job {
  int id = 0;
  std::string name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(job, id, name)

using job_codec = rill::nats::json_codec<job>;

}  // namespace

// Failure test 5.
TEST_CASE("bad payloads are termed and reported, a failing encoder hands the value back, and work goes on",
          "[nats][failure]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("bad_payloads");
  q.ack_wait = 1s;  // a payload that were not termed would come back within the wait below
  auto out = rill::nats::remote_sender<job, job_codec>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  auto in = rill::nats::remote_receiver<job, job_codec>(conn, q);
  REQUIRE(in);
  auto& [rx, sub] = *in;

  REQUIRE(rill_test::publish_raw(conn, q.subject, "\x01\x02 garbage", "application/json") == NATS_OK);
  REQUIRE(rill_test::publish_raw(conn, q.subject, "{\"id\":1,\"na", "application/json") == NATS_OK);
  REQUIRE(rill_test::publish_raw(conn, q.subject, "{\"id\":2,\"name\":\"x\"}", "text/plain") == NATS_OK);
  REQUIRE(tx.send(job{3, "\xff not UTF-8"}));
  REQUIRE(tx.send(job{4, "good"}));
  REQUIRE(pub.flush(30s));

  auto good = rx.recv_timeout(10s);
  REQUIRE(good);
  CHECK(good->value().id == 4);
  CHECK(good->ack());

  auto encode_failure = pub.failures().recv_timeout(10s);
  REQUIRE(encode_failure);
  CHECK(encode_failure->value.id == 3);
  CHECK(encode_failure->reason == rill::nats::errc::encode_failed);

  std::vector<rill::nats::decode_failure> failures;
  for (int i = 0; i < 3; ++i) {
    auto f = sub.failures().recv_timeout(10s);
    REQUIRE(f);
    failures.push_back(std::move(*f));
  }
  CHECK(failures[0].reason == rill::nats::errc::bad_payload);
  CHECK(failures[0].subject == q.subject);
  CHECK(failures[0].bytes.size() == std::string("\x01\x02 garbage").size());
  CHECK(failures[1].reason == rill::nats::errc::bad_payload);
  CHECK(failures[2].reason == rill::nats::errc::wrong_content_type);
  bool has_content_type = false;
  for (const auto& [key, value] : failures[2].headers) has_content_type |= key == "Content-Type" && value == "text/plain";
  CHECK(has_content_type);

  // Termed: nothing is pending or redelivered, so, well past ack_wait, nothing arrives.
  CHECK(rill_test::wait_until([&] {
    const auto info = rill_test::consumer_info(conn, q.stream, q.durable);
    return info && info->ack_pending == 0 && info->pending == 0;
  }));
  CHECK(rx.recv_timeout(3 * q.ack_wait).error() == rill::recv_timeout_error::timeout);
  CHECK(sub.failures().try_recv().error() == rill::try_recv_error::empty);
  const auto info = rill_test::consumer_info(conn, q.stream, q.durable);
  REQUIRE(info);
  CHECK(info->redelivered == 0);

  // And the receiver keeps working.
  REQUIRE(tx.send(job{5, "after"}));
  auto after = rx.recv_timeout(10s);
  REQUIRE(after);
  CHECK(after->value().id == 5);
  CHECK(after->ack());
  WARN("bad payloads: 3 decode failures termed, 1 encode failure handed back, 2 good jobs delivered");
}

// Failure test 4.
TEST_CASE("a full stream blocks senders: send_timeout times out with the value, try_send is full, both work "
          "again once drained",
          "[nats][failure]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("backpressure");
  q.max_messages = 10;
  auto out = rill::nats::remote_sender<std::string>(
      conn, q, {.window = 4, .ack_timeout = 2s, .retry_delay = 20ms});
  REQUIRE(out);
  auto& [tx, pub] = *out;

  // Fill: the stream (10), the values refused and retried (window 4), the local channel (4).
  int accepted = 0;
  std::optional<rill::send_timeout_error<std::string>> refused;
  while (accepted < 100) {
    auto r = tx.send_timeout(std::to_string(accepted), 1s);
    if (!r) {
      refused = std::move(r.error());
      break;
    }
    ++accepted;
  }
  REQUIRE(refused);
  CHECK(refused->kind() == rill::errc::timeout);
  CHECK(refused->value == std::to_string(accepted));
  CHECK(accepted >= 10);
  CHECK(accepted <= 10 + 4 + 4);
  auto full = tx.try_send("extra");
  REQUIRE_FALSE(full);
  CHECK(full.error().kind() == rill::errc::full);
  CHECK(full.error().value == "extra");
  CHECK(pub.flush(200ms).error() == rill::errc::timeout);  // nothing drains the stream yet

  // Drain, and the same sender works again.
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 4});
  REQUIRE(in);
  auto& [rx, sub] = *in;
  std::set<std::string> received;
  const int more = 20;
  std::thread producer([&] {
    for (int i = 0; i < more; ++i) (void)tx.send_timeout("more" + std::to_string(i), 30s);
  });
  while (static_cast<int>(received.size()) < accepted + more) {
    auto d = rx.recv_timeout(30s);
    if (!d) break;
    received.insert(d->value());
    (void)d->ack();
  }
  producer.join();
  CHECK(static_cast<int>(received.size()) == accepted + more);
  CHECK(received.count(std::to_string(accepted - 1)) == 1);
  CHECK(received.count("more" + std::to_string(more - 1)) == 1);
  REQUIRE(pub.flush(30s));
  CHECK(pub.failures().try_recv().error() == rill::try_recv_error::empty);
  WARN("backpressure: " << accepted << " accepted before send_timeout timed out, then " << more
                        << " more; received " << received.size() << ", none lost");
}

// Failure test 3.
TEST_CASE("a slow consumer: the pump fetches only what prefetch has room for, the server hands out no more than "
          "max_ack_pending, and nothing is lost",
          "[nats][failure]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("slow");
  q.max_ack_pending = 20;
  constexpr std::size_t prefetch = 8;
  constexpr int count = 300;
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = prefetch});
  REQUIRE(in);
  auto& [rx, sub] = *in;
  for (int i = 0; i < count; ++i) REQUIRE(tx.send(std::to_string(i)));
  REQUIRE(pub.flush(30s));

  const auto server_view = [&] { return rill_test::consumer_info(conn, q.stream, q.durable); };
  // Nobody receives: the local channel fills to prefetch, and the server has
  // handed out exactly that many.
  REQUIRE(rill_test::wait_until([&] {
    const auto info = server_view();
    return rx.size() == prefetch && info && info->ack_pending == static_cast<std::int64_t>(prefetch);
  }));
  CHECK(server_view()->pending == count - prefetch);

  // A worker holds deliveries unacked: the pump refills the channel until
  // the server stops at max_ack_pending (20 = 12 held + 8 buffered).
  std::vector<rill::nats::delivery<std::string>> held;
  for (int i = 0; i < 12; ++i) {
    auto d = rx.recv_timeout(10s);
    REQUIRE(d);
    held.push_back(std::move(*d));
  }
  REQUIRE(rill_test::wait_until([&] {
    const auto info = server_view();
    return rx.size() == prefetch && info && info->ack_pending == q.max_ack_pending;
  }));
  held.push_back(std::move(rx.recv_timeout(10s).value()));
  // Room for one more locally, but the server hands out nothing beyond max_ack_pending.
  CHECK(server_view()->ack_pending == q.max_ack_pending);
  CHECK(rx.size() == prefetch - 1);

  // Ack everything, slowly enough that the channel is refilled every time.
  std::set<std::string> received;
  std::size_t largest_local = 0;
  std::int64_t largest_ack_pending = 0;
  for (auto& d : held) {
    received.insert(d.value());
    CHECK(d.ack());
  }
  while (static_cast<int>(received.size()) < count) {
    largest_local = std::max(largest_local, rx.size());
    if (received.size() % 50 == 0) {
      if (const auto info = server_view()) largest_ack_pending = std::max(largest_ack_pending, info->ack_pending);
    }
    auto d = rx.recv_timeout(10s);
    REQUIRE(d);
    CHECK(received.insert(d->value()).second);
    CHECK(d->ack());
  }
  CHECK(largest_local <= prefetch);
  CHECK(largest_ack_pending <= q.max_ack_pending);
  CHECK(rx.recv_timeout(200ms).error() == rill::recv_timeout_error::timeout);
  WARN("slow consumer: sent " << count << ", received " << received.size() << ", largest local size " << largest_local
                              << " (prefetch " << prefetch << "), largest ack pending seen " << largest_ack_pending
                              << " (max_ack_pending " << q.max_ack_pending << ")");
}

TEST_CASE("a consumer that stops with fewer slots free than a fetch batch still has its channel topped up to prefetch",
          "[nats][failure]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("topped");
  constexpr std::size_t prefetch = 8;
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  for (int i = 0; i < 100; ++i) REQUIRE(tx.send(std::to_string(i)));
  REQUIRE(pub.flush(30s));
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = prefetch});
  REQUIRE(in);
  auto& [rx, sub] = *in;
  const auto server_view = [&] { return rill_test::consumer_info(conn, q.stream, q.durable); };
  // The first fetch gets all it asks for: with that backlog the pump waits
  // for half the prefetch to be free before it fetches again.
  REQUIRE(rill_test::wait_until([&] { return rx.size() == prefetch; }));
  // Three taken, fewer than that half, and the worker stops receiving.
  std::vector<rill::nats::delivery<std::string>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::move(rx.recv_timeout(10s).value()));
  REQUIRE(rill_test::wait_until([&] {
    const auto info = server_view();
    return rx.size() == prefetch && info && info->ack_pending == static_cast<std::int64_t>(prefetch + 3);
  }));
  for (auto& d : held) CHECK(d.ack());
}

TEST_CASE("in_progress keeps a long job from being redelivered, and without it the job comes back after ack_wait",
          "[nats][failure]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("in_progress");
  q.ack_wait = 2s;
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 1});
  REQUIRE(in);
  auto& [rx, sub] = *in;
  const auto redelivered = [&] {
    const auto info = rill_test::consumer_info(conn, q.stream, q.durable);
    return info ? info->redelivered : -1;
  };

  REQUIRE(tx.send("long job"));
  auto job = rx.recv_timeout(10s);
  REQUIRE(job);
  // The job runs for more than twice ack_wait, saying so every 250 ms.
  const auto until = std::chrono::steady_clock::now() + 2 * q.ack_wait + 500ms;
  while (std::chrono::steady_clock::now() < until) {
    REQUIRE(job->in_progress());
    std::this_thread::sleep_for(250ms);
  }
  CHECK(redelivered() == 0);
  CHECK(sub.duplicates_dropped() == 0u);
  CHECK(job->ack());

  // The control: a job held silently past ack_wait is redelivered.
  REQUIRE(tx.send("silent job"));
  auto silent = rx.recv_timeout(10s);
  REQUIRE(silent);
  CHECK(rill_test::wait_until([&] { return redelivered() == 1; }));
  // dedup drops the redelivery while the first delivery is held.
  CHECK(rill_test::wait_until([&] { return sub.duplicates_dropped() >= 1u; }));
  CHECK(silent->ack());
}

// Failure test 6, connection lost for good.
TEST_CASE("a connection closed for good closes both local channels, hands back every value not stored and says why",
          "[nats][failure]") {
  rill_test::nats_server server;
  // No reconnect attempts: the first disconnection closes the connection.
  auto conn = rill::nats::connection::connect({.url = server.url(), .max_reconnect = 0});
  REQUIRE(conn);
  const auto q = rill_test::work_queue("lost");
  auto out = rill::nats::remote_sender<std::string>(*conn, q, {.window = 8});
  REQUIRE(out);
  auto& [tx, pub] = *out;
  auto in = rill::nats::remote_receiver<std::string>(*conn, q, {.prefetch = 4});
  REQUIRE(in);
  auto& [rx, sub] = *in;
  REQUIRE(tx.send("stored"));
  REQUIRE(pub.flush(30s));
  auto held = rx.recv_timeout(10s);
  REQUIRE(held);

  server.kill9();
  // Sent while the pump finds out: each value comes back, refused by the
  // closed channel or through failures().
  constexpr int racing = 5;
  std::set<std::string> back;
  for (int i = 0; i < racing; ++i) {
    if (auto r = tx.send_timeout("racing " + std::to_string(i), 10s); !r) back.insert(r.error().value);
  }
  REQUIRE(rill_test::wait_until([&] { return conn->is_closed(); }));
  // The pumps see it and close the local channels.
  REQUIRE(rill_test::wait_until([&] { return tx.is_closed(); }));
  while (back.size() < racing) {
    auto f = pub.failures().recv_timeout(10s);
    REQUIRE(f);
    CHECK(f->reason == rill::nats::errc::connection_closed);
    CHECK(back.insert(f->value).second);
  }
  CHECK(back.count("racing 0") == 1);
  CHECK(back.count("racing " + std::to_string(racing - 1)) == 1);
  auto refused = tx.send("after");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().value == "after");
  CHECK(rx.recv_timeout(10s).error() == rill::recv_timeout_error::disconnected);
  CHECK(pub.error() == rill::nats::errc::connection_closed);
  CHECK(sub.error() == rill::nats::errc::connection_closed);
  CHECK(pub.flush(30s).error() == rill::nats::errc::connection_closed);
  asio::io_context io;
  std::optional<std::error_code> async_flushed;
  pub.async_flush(asio::bind_executor(io, [&](std::error_code ec) { async_flushed = ec; }));
  CHECK_FALSE(async_flushed);  // completes on the io_context only
  io.run();
  CHECK(async_flushed == std::optional(make_error_code(rill::nats::errc::connection_closed)));
  CHECK(held->ack().error() == rill::nats::make_error_code(NATS_CONNECTION_CLOSED));
  CHECK(pub.failures().try_recv().error() == rill::try_recv_error::empty);  // "stored" was stored
  WARN("connection lost: " << racing << " values sent as it closed, " << back.size() << " handed back");
}

namespace {

rill::nats::queue_options crash_queue() {
  auto q = rill_test::work_queue("restart");
  q.ack_wait = 2s;
  return q;
}

void single_server_crash(bool dedup, void (rill_test::nats_server::*crash)(), const char* what) {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  rill_test::disrupt_mid_stream(conn, crash_queue(), [&] {
    (server.*crash)();
    server.restart();
  }, dedup, what);
}

}  // namespace

TEST_CASE("kill -9 mid-stream and restart on the same store: no id missing, dedup lets no repeat through",
          "[nats][failure]") {
  single_server_crash(true, &rill_test::nats_server::kill9, "kill -9");
}

TEST_CASE("kill -9 mid-stream without dedup: no id missing, every repeat is of an id already seen", "[nats][failure]") {
  single_server_crash(false, &rill_test::nats_server::kill9, "kill -9");
}

TEST_CASE("SIGTERM mid-stream and restart: no id missing, dedup lets no repeat through", "[nats][failure]") {
  single_server_crash(true, &rill_test::nats_server::stop, "SIGTERM");
}

TEST_CASE("a three-server cluster, its stream replicated three times: the server the client is on killed mid-stream "
          "and restarted; no id missing, dedup lets no repeat through",
          "[nats][failure][cluster]") {
  rill_test::nats_cluster cluster(3);
  auto conn = rill_test::connect(cluster.urls());
  REQUIRE(rill_test::wait_until([&] { return rill_test::jetstream_ready(conn); }, 60s));
  auto q = crash_queue();
  q.replicas = 3;
  std::size_t killed = cluster.size();
  rill_test::disrupt_mid_stream(conn, q, [&] {
    killed = cluster.member_at(rill_test::connected_url(conn));
    REQUIRE(killed < cluster.size());
    cluster.member(killed).kill9();
    cluster.member(killed).restart();
  }, true, "three-server cluster, kill -9 of the client's server");
}
