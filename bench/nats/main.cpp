// rill_nats_bench: the NATS bridge against nats.c used directly, in the same
// run, on a nats-server it starts on loopback (tests/nats/server.hpp).
//
//   publish   direct: js_PublishMsgAsync, MaxPending 4096, each message with
//                     a Nats-Msg-Id (the server's dedup work is the same for
//                     both), then js_PublishAsyncComplete
//             bridge: remote_sender window 4096: send every value, flush()
//   consume   the stream pre-filled with the same messages, then
//             direct: natsSubscription_Fetch(256) and natsMsg_Ack each
//             bridge: remote_receiver prefetch 256; a coroutine co_awaits
//                     async_recv and acks each delivery: an asio::awaitable
//                     (use_awaitable) in one row, a rill::task (use_task)
//                     in the other
//   round trip  one value at a time through the bridge: send, receive, ack;
//             p50 and p99, with send_asap off and on
//
// Every row is the median of --runs runs (default 5), each on a fresh
// stream. Ratios are bridge / direct throughput: above 1, the bridge is faster.
//
//   rill_nats_bench [--runs N] [--quick]
#include "nats/server.hpp"

#include <rill/asio.hpp>
#include <rill/nats.hpp>
#include <rill/task.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "rill_nats_bench: %s\n", what.c_str());
  std::exit(1);
}

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) die(std::string(what) + ": " + natsStatus_GetText(s));
}

template <class T>
T take(rill::expected<T, std::error_code> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message());
  return std::move(*r);
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

rill::nats::queue_options queue_for(const std::string& name) {
  rill::nats::queue_options q;
  q.stream = name;
  q.subject = name + ".jobs";
  q.durable = "workers";
  return q;
}

// A stream of its own per run, deleted after it.
class fresh_queue {
 public:
  fresh_queue(const rill::nats::connection& conn, const std::string& name) : queue_(queue_for(name)) {
    check(natsConnection_JetStream(&js_, conn.native_handle(), nullptr), "JetStream context");
  }
  ~fresh_queue() {
    js_DeleteStream(js_, queue_.stream.c_str(), nullptr, nullptr);
    jsCtx_Destroy(js_);
  }
  const rill::nats::queue_options& queue() const { return queue_; }

 private:
  rill::nats::queue_options queue_;
  jsCtx* js_ = nullptr;
};

int run_counter = 0;
std::string next_name(const char* what) { return std::string(what) + std::to_string(++run_counter); }

// Publishes `count` payloads directly; returns msgs/s.
double publish_direct(const rill::nats::connection& conn, const rill::nats::queue_options& q, const std::string& payload,
                      int count) {
  jsOptions options;
  jsOptions_Init(&options);
  options.PublishAsync.MaxPending = 4096;
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, conn.native_handle(), &options), "JetStream context");
  // The stream as the bridge makes it.
  (void)take(rill::nats::remote_sender<std::string>(conn, q), "stream");
  std::string id;
  const auto start = clock_type::now();
  for (int i = 0; i < count; ++i) {
    natsMsg* msg = nullptr;
    check(natsMsg_Create(&msg, q.subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size())), "create");
    rill::nats::detail::format_message_id(id, "direct", static_cast<std::uint64_t>(i + 1));
    check(natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str()), "header");
    check(js_PublishMsgAsync(js, &msg, nullptr), "publish");
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = 60000;
  check(js_PublishAsyncComplete(js, &wait), "publish complete");
  const double rate = count / seconds_since(start);
  jsCtx_Destroy(js);
  return rate;
}

double publish_bridge(const rill::nats::connection& conn, const rill::nats::queue_options& q, const std::string& payload,
                      int count) {
  auto [tx, pub] = take(rill::nats::remote_sender<std::string>(conn, q, {.window = 4096}), "remote_sender");
  const auto start = clock_type::now();
  for (int i = 0; i < count; ++i) {
    if (!tx.send(payload)) die("send failed");
  }
  if (auto flushed = pub.flush(); !flushed) die("flush: " + flushed.error().message());
  return count / seconds_since(start);
}

void fill(const rill::nats::connection& conn, const rill::nats::queue_options& q, const std::string& payload, int count) {
  (void)publish_direct(conn, q, payload, count);
}

double consume_direct(const rill::nats::connection& conn, const rill::nats::queue_options& q, int count) {
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, conn.native_handle(), nullptr), "JetStream context");
  // The consumer as the bridge makes it.
  (void)take(rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 1}), "consumer");
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = q.stream.c_str();
  sub_options.Consumer = q.durable.c_str();
  natsSubscription* sub = nullptr;
  check(js_PullSubscribe(&sub, js, q.subject.c_str(), q.durable.c_str(), nullptr, &sub_options, nullptr), "subscribe");
  int received = 0;
  const auto start = clock_type::now();
  while (received < count) {
    natsMsgList list{};
    const natsStatus s = natsSubscription_Fetch(&list, sub, 256, 5000, nullptr);
    if (s == NATS_TIMEOUT) continue;
    check(s, "fetch");
    for (int i = 0; i < list.Count; ++i) {
      check(natsMsg_Ack(list.Msgs[i], nullptr), "ack");
      ++received;
    }
    natsMsgList_Destroy(&list);
  }
  const double rate = count / seconds_since(start);
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  return rate;
}

using delivery_receiver = rill::receiver<rill::nats::delivery<std::string>>;

asio::awaitable<void> consume_awaitable(delivery_receiver& rx, int count) {
  for (int i = 0; i < count; ++i) {
    auto d = co_await rx.async_recv(asio::use_awaitable);
    if (!d.ack()) die("ack failed");
  }
}

rill::task<void> consume_task(delivery_receiver& rx, int count) {
  for (int i = 0; i < count; ++i) {
    auto d = co_await rx.async_recv(rill::use_task);
    if (!d.ack()) die("ack failed");
  }
}

enum class coroutine { awaitable, task };

double consume_bridge(const rill::nats::connection& conn, const rill::nats::queue_options& q, int count, coroutine kind) {
  auto [rx, sub] = take(rill::nats::remote_receiver<std::string>(conn, q, {.prefetch = 256}), "remote_receiver");
  asio::io_context io;
  const auto start = clock_type::now();
  if (kind == coroutine::awaitable) {
    asio::co_spawn(io, consume_awaitable(rx, count), asio::detached);
  } else {
    rill::spawn(io, consume_task(rx, count), asio::detached);
  }
  io.run();
  return count / seconds_since(start);
}

struct latency {
  double p50_us;
  double p99_us;
};

latency round_trip(const std::string& url, bool send_asap, const std::string& payload, int count) {
  auto conn = take(rill::nats::connection::connect({.url = url, .send_asap = send_asap}), "connect");
  fresh_queue fresh(conn, next_name("rtt"));
  auto [tx, pub] = take(rill::nats::remote_sender<std::string>(conn, fresh.queue()), "remote_sender");
  auto [rx, sub] = take(rill::nats::remote_receiver<std::string>(conn, fresh.queue(), {.prefetch = 1}), "remote_receiver");
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const auto start = clock_type::now();
    if (!tx.send(payload)) die("send failed");
    auto d = rx.recv();
    if (!d) die("recv failed");
    if (!d->ack()) die("ack failed");
    samples.push_back(seconds_since(start) * 1e6);
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 99 / 100]};
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--quick") {
      quick = true;
      runs = 1;
    } else {
      die("usage: rill_nats_bench [--runs N] [--quick]");
    }
  }
  rill_test::nats_server server;
  auto conn = take(rill::nats::connection::connect({.url = server.url()}), "connect");

  std::printf("| workload | size | direct (msg/s) | bridge (msg/s) | bridge / direct |\n");
  std::printf("| --- | --- | --- | --- | --- |\n");
  for (const std::size_t size : {std::size_t{32}, std::size_t{1024}}) {
    const std::string payload(size, 'x');
    const int count = quick ? 200 : (size == 32 ? 50000 : 20000);
    std::vector<double> pub_direct, pub_bridge, con_direct, con_awaitable, con_task;
    for (int r = 0; r < runs; ++r) {
      {
        fresh_queue fresh(conn, next_name("pd"));
        pub_direct.push_back(publish_direct(conn, fresh.queue(), payload, count));
      }
      {
        fresh_queue fresh(conn, next_name("pb"));
        pub_bridge.push_back(publish_bridge(conn, fresh.queue(), payload, count));
      }
      {
        fresh_queue fresh(conn, next_name("cd"));
        fill(conn, fresh.queue(), payload, count);
        con_direct.push_back(consume_direct(conn, fresh.queue(), count));
      }
      {
        fresh_queue fresh(conn, next_name("ca"));
        fill(conn, fresh.queue(), payload, count);
        con_awaitable.push_back(consume_bridge(conn, fresh.queue(), count, coroutine::awaitable));
      }
      {
        fresh_queue fresh(conn, next_name("ct"));
        fill(conn, fresh.queue(), payload, count);
        con_task.push_back(consume_bridge(conn, fresh.queue(), count, coroutine::task));
      }
    }
    const auto row = [&](const char* what, const std::vector<double>& direct, const std::vector<double>& bridge) {
      std::printf("| %s | %zu B | %.0f | %.0f | %.2f |\n", what, size, median(direct), median(bridge),
                  median(bridge) / median(direct));
    };
    row("publish", pub_direct, pub_bridge);
    row("consume, asio::awaitable", con_direct, con_awaitable);
    row("consume, rill::task", con_direct, con_task);
  }

  std::printf("\n| round trip through the bridge, one at a time | p50 (us) | p99 (us) |\n| --- | --- | --- |\n");
  for (const bool asap : {false, true}) {
    const auto l = round_trip(server.url(), asap, std::string(32, 'x'), quick ? 50 : 2000);
    std::printf("| 32 B, send_asap %s | %.0f | %.0f |\n", asap ? "on" : "off", l.p50_us, l.p99_us);
  }
  std::printf("\nmedian of %d run(s); nats-server on 127.0.0.1, file store in %s\n", runs,
              std::filesystem::temp_directory_path().c_str());
  return 0;
}
