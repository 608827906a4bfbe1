// A stream disrupted in the middle (failures.cpp, network.cpp): values
// keep flowing through a remote sender and a remote receiver while a test
// crashes a server or cuts the network, and every one must arrive.
#pragma once

#include "nats/harness.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>

namespace rill_test {

/// A producer thread sends `count` values through a remote sender while
/// the test's thread receives and acks them through a remote receiver and,
/// once the producer is a quarter of the way through (so publishes are in
/// flight), calls `disrupt` (a server crashed and restarted, the network
/// cut and restored). Checks that no id is missing and none invented, no
/// send failed, nothing came back as a failure, and with dedup that no
/// repeat reached the receiver. The test's thread calls `disrupt`: the
/// fixture's server dies with the thread that started it.
inline void disrupt_mid_stream(const rill::nats::connection& conn, const rill::nats::queue_options& q,
                               const std::function<void()>& disrupt, bool dedup, const char* what,
                               int count = 20000) {
  using namespace std::chrono_literals;
  auto out = rill::nats::remote_sender<std::string>(conn, q, {.window = 256, .ack_timeout = 1s, .retry_delay = 20ms});
  REQUIRE(out);
  auto& [tx, pub] = *out;
  auto in = rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 64, .dedup = dedup});
  REQUIRE(in);
  auto& [rx, sub] = *in;

  std::atomic<int> sent{0};
  std::atomic<int> send_failures{0};
  // Relaxed: counters read for the decision to disrupt and for the report.
  std::thread producer([&] {
    for (int i = 0; i < count; ++i) {
      if (!tx.send_timeout(std::to_string(i), 60s)) send_failures.fetch_add(1, std::memory_order_relaxed);
      sent.fetch_add(1, std::memory_order_relaxed);
    }
  });

  std::set<int> seen;
  int deliveries = 0;
  int repeats_seen = 0;
  int sent_at_disruption = -1;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (static_cast<int>(seen.size()) < count && std::chrono::steady_clock::now() < deadline) {
    if (sent_at_disruption < 0 && sent.load(std::memory_order_relaxed) >= count / 4) {
      sent_at_disruption = sent.load(std::memory_order_relaxed);
      disrupt();
    }
    auto d = rx.recv_timeout(1s);
    if (!d) continue;
    ++deliveries;
    const int value = std::stoi(d->value());
    if (!seen.insert(value).second) ++repeats_seen;
    (void)d->ack();
  }
  producer.join();
  REQUIRE(pub.flush(30s));
  CHECK(sent_at_disruption >= count / 4);
  CHECK(sent_at_disruption < count);  // mid-stream: the producer was not done
  CHECK(send_failures.load() == 0);
  CHECK(static_cast<int>(seen.size()) == count);  // no id missing
  CHECK(*seen.begin() == 0);
  CHECK(*seen.rbegin() == count - 1);             // and none invented
  if (dedup) CHECK(repeats_seen == 0);
  CHECK(pub.failures().try_recv().error() == rill::try_recv_error::empty);
  WARN(what << (dedup ? ", dedup on" : ", dedup off") << ": sent " << count << " (" << sent_at_disruption
            << " before the disruption), delivered " << deliveries
            << ", distinct " << seen.size() << ", repeats reaching the worker " << repeats_seen
            << ", repeats dropped by dedup " << sub.duplicates_dropped());
}

}  // namespace rill_test
