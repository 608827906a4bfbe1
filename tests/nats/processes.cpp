// Scenarios with a second process (rill_nats_peer) on loopback: a worker
// killed while it holds deliveries, and producers in other processes.
#include "nats/harness.hpp"
#include "nats/peer.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

using namespace std::chrono_literals;

// Failure test 2.
TEST_CASE("a worker process killed while it holds deliveries: another gets them after ack_wait, num_delivered 2",
          "[nats][failure]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  auto q = rill_test::work_queue("killed_worker");
  q.ack_wait = 2s;
  auto out = rill::nats::remote_sender<std::string>(conn, q);
  REQUIRE(out);
  auto& [tx, pub] = *out;
  constexpr int count = 5;
  for (int i = 0; i < count; ++i) REQUIRE(tx.send(std::to_string(i)));
  REQUIRE(pub.flush(30s));

  rill_test::nats_peer worker({"hold", server.url(), q.stream, std::to_string(q.ack_wait.count()), std::to_string(count)});
  std::set<std::string> held;
  for (auto line = worker.read_line(); line && *line != "ready"; line = worker.read_line()) {
    REQUIRE(line->rfind("held ", 0) == 0);
    held.insert(line->substr(5));
  }
  REQUIRE(held.size() == count);
  worker.kill9();

  auto in = rill::nats::remote_receiver<std::string>(conn, q);
  REQUIRE(in);
  auto& [rx, sub] = *in;
  std::set<std::string> received;
  for (int i = 0; i < count; ++i) {
    auto d = rx.recv_timeout(10 * q.ack_wait);
    REQUIRE(d);
    CHECK(d->info().num_delivered == 2u);
    received.insert(d->value());
    CHECK(d->ack());
  }
  CHECK(received == held);
  WARN("killed worker: " << count << " held by the killed process, " << received.size()
                         << " redelivered to another, each with num_delivered 2");
}

// Failure test 6, ordering.
TEST_CASE("two producer processes, 10k values each: every value arrives, first deliveries in order per producer",
          "[nats][failure]") {
  rill_test::nats_server server;
  auto conn = rill_test::connect(server);
  const auto q = rill_test::work_queue("two_producers");
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 256});
  REQUIRE(in);
  auto& [rx, sub] = *in;

  constexpr int per_producer = 10000;
  rill_test::nats_peer a({"send", server.url(), q.stream, std::to_string(per_producer), "a"});
  rill_test::nats_peer b({"send", server.url(), q.stream, std::to_string(per_producer), "b"});

  std::map<std::string, std::uint64_t> last_seq;        // per producer, of first deliveries
  std::map<std::string, std::string> tag_of_producer;   // the tag each producer sent
  std::set<std::string> received;
  int out_of_order = 0;
  while (received.size() < 2 * per_producer) {
    auto d = rx.recv_timeout(30s);
    REQUIRE(d);
    const auto& id = d->info().id;
    const std::string tag = d->value().substr(0, 1);
    auto [known, fresh] = tag_of_producer.try_emplace(id.producer, tag);
    CHECK(known->second == tag);
    CHECK(d->value() == tag + ":" + std::to_string(id.seq - 1));  // the producer's seq counts its values
    if (d->info().num_delivered == 1) {
      if (id.seq <= last_seq[id.producer]) ++out_of_order;
      last_seq[id.producer] = id.seq;
    }
    CHECK(received.insert(d->value()).second);
    CHECK(d->ack());
  }
  CHECK(out_of_order == 0);
  CHECK(tag_of_producer.size() == 2u);
  const auto done_a = a.read_line();
  const auto done_b = b.read_line();
  REQUIRE(done_a);
  REQUIRE(done_b);
  CHECK(done_a->rfind("done ", 0) == 0);
  CHECK(done_b->rfind("done ", 0) == 0);
  CHECK(a.finish() == 0);
  CHECK(b.finish() == 0);
  WARN("two producers: " << 2 * per_producer << " sent from two processes, " << received.size()
                         << " received, first deliveries out of order per producer: " << out_of_order);
}
