// The network between a client and its server cut without stopping either:
// the server runs in a network namespace of the test's own (netns.hpp),
// and the link to it goes down mid-stream and comes back.
#include "nats/harness.hpp"
#include "nats/mid_stream.hpp"
#include "nats/netns.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace std::chrono_literals;

TEST_CASE("the network cut mid-stream and restored: the client notices by its pings, reconnects, and no id is missing",
          "[nats][failure][network]") {
  rill_test::network_namespace ns;
  rill_test::nats_server server({.address = ns.inside_address(), .launcher = ns.launcher()});
  // Pings every 100 ms, two unanswered: a dead link is noticed in about 0.3 s.
  auto connected = rill::nats::connection::connect({.url = server.url(),
                                                    .reconnect_wait = 20ms,
                                                    .request_timeout = 5s,
                                                    .ping_interval = 100ms,
                                                    .max_pings_outstanding = 2});
  REQUIRE(connected);
  auto& conn = *connected;
  auto q = rill_test::work_queue("cut");
  q.ack_wait = 2s;
  bool noticed = false;
  rill_test::disrupt_mid_stream(conn, q, [&] {
    ns.cut();
    // Neither side saw an error: the client finds out from its pings.
    noticed = rill_test::wait_until(
        [&] { return natsConnection_Status(conn.native_handle()) != NATS_CONN_STATUS_CONNECTED; }, 30s);
    ns.restore();
  }, true, "network cut and restored", 5000);

  natsStatistics* stats = nullptr;
  std::uint64_t reconnects = 0;
  if (natsStatistics_Create(&stats) == NATS_OK) {
    if (natsConnection_GetStats(conn.native_handle(), stats) == NATS_OK) {
      natsStatistics_GetCounts(stats, nullptr, nullptr, nullptr, nullptr, &reconnects);
    }
    natsStatistics_Destroy(stats);
  }
  CHECK(noticed);
  CHECK(reconnects == 1u);
  CHECK(natsConnection_Status(conn.native_handle()) == NATS_CONN_STATUS_CONNECTED);
}
