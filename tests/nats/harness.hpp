// What the rill::nats tests share: connecting to the fixture's server,
// waiting on a condition with a deadline, and asking the server about a
// consumer. Nothing here asserts: results go back to the test's thread.
#pragma once

#include "nats/server.hpp"

#include <rill/nats.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace rill_test {

/// A work queue named `name`: stream `name`, subject `name`.jobs, consumer "workers".
inline rill::nats::queue_options work_queue(const std::string& name) {
  rill::nats::queue_options q;
  q.stream = name;
  q.subject = name + ".jobs";
  q.durable = "workers";
  return q;
}

/// A connection that retries quickly, so that a restarted server is found
/// at once; `urls` may list several servers, comma-separated.
inline rill::nats::connection connect(const std::string& urls) {
  auto conn = rill::nats::connection::connect(
      {.url = urls, .reconnect_wait = std::chrono::milliseconds(20), .request_timeout = std::chrono::seconds(5)});
  if (!conn) throw std::runtime_error("connect to " + urls + " failed: " + conn.error().message());
  return std::move(*conn);
}

inline rill::nats::connection connect(const nats_server& server) { return connect(server.url()); }

/// Whether JetStream answers requests on this connection (a cluster does
/// once it has elected its meta leader).
inline bool jetstream_ready(const rill::nats::connection& conn) {
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, conn.native_handle(), nullptr) != NATS_OK) return false;
  jsAccountInfo* info = nullptr;
  const bool ready = js_GetAccountInfo(&info, js, nullptr, nullptr) == NATS_OK;
  if (ready) jsAccountInfo_Destroy(info);
  jsCtx_Destroy(js);
  return ready;
}

/// The URL of the server the connection is on now, or "" between servers.
inline std::string connected_url(const rill::nats::connection& conn) {
  char buffer[256] = {};
  if (natsConnection_GetConnectedUrl(conn.native_handle(), buffer, sizeof buffer) != NATS_OK) return {};
  return buffer;
}

/// Polls `done` until it holds or `deadline` passes; returns its last answer.
template <class Pred>
bool wait_until(Pred done, std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

struct consumer_state {
  std::int64_t ack_pending = 0;
  std::int64_t redelivered = 0;
  std::uint64_t pending = 0;  // not yet delivered
};

/// The server's view of a durable consumer, or nullopt if it cannot say now.
inline std::optional<consumer_state> consumer_info(const rill::nats::connection& conn, const std::string& stream,
                                                   const std::string& durable) {
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, conn.native_handle(), nullptr) != NATS_OK) return std::nullopt;
  jsConsumerInfo* info = nullptr;
  std::optional<consumer_state> result;
  if (js_GetConsumerInfo(&info, js, stream.c_str(), durable.c_str(), nullptr, nullptr) == NATS_OK) {
    result = consumer_state{info->NumAckPending, info->NumRedelivered, info->NumPending};
    jsConsumerInfo_Destroy(info);
  }
  jsCtx_Destroy(js);
  return result;
}

/// How many messages the stream holds now, or nullopt if the server cannot say.
inline std::optional<std::uint64_t> stream_messages(const rill::nats::connection& conn, const std::string& stream) {
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, conn.native_handle(), nullptr) != NATS_OK) return std::nullopt;
  jsStreamInfo* info = nullptr;
  std::optional<std::uint64_t> result;
  if (js_GetStreamInfo(&info, js, stream.c_str(), nullptr, nullptr) == NATS_OK) {
    result = info->State.Msgs;
    jsStreamInfo_Destroy(info);
  }
  jsCtx_Destroy(js);
  return result;
}

/// Publishes raw bytes with the given headers, as a client that is not rill would.
inline natsStatus publish_raw(const rill::nats::connection& conn, const std::string& subject, const std::string& payload,
                              const char* content_type) {
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, conn.native_handle(), nullptr);
  natsMsg* msg = nullptr;
  if (s == NATS_OK) s = natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
  if (s == NATS_OK && content_type != nullptr) s = natsMsgHeader_Set(msg, "Content-Type", content_type);
  if (s == NATS_OK) s = js_PublishMsg(nullptr, js, msg, nullptr, nullptr);
  natsMsg_Destroy(msg);
  jsCtx_Destroy(js);
  return s;
}

}  // namespace rill_test
