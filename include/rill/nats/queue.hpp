// rill::nats — a queue: the JetStream stream (and, for receivers, the durable
// consumer) that joins remote senders to remote receivers.
//
// The bridge creates the stream and the consumer when they are absent and
// checks them when they are present: a mismatch with these options is
// errc::config_mismatch. It never deletes, updates or re-creates them, so a
// queue and what it holds outlive every process that uses it.
//
// kind:
//   work_queue  every message goes to one worker of the durable consumer,
//               and leaves the stream once acked (WorkQueue retention).
//   fan_out     every durable consumer (one per `durable` name: a group of
//               workers) gets every message (Limits retention: messages stay
//               until max_messages or an operator removes them).
#pragma once

#include <rill/error.hpp>
#include <rill/nats/connection.hpp>
#include <rill/nats/error.hpp>

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rill::nats {

/// How a queue's stream hands out messages (its JetStream retention; see
/// the top of this header).
/// `work_queue`: each message goes to one worker, and leaves the stream
/// once acked (WorkQueue retention). `fan_out`: each durable consumer gets
/// every message, and messages stay (Limits retention).
enum class queue_kind { work_queue, fan_out };

// Every member has an initializer, so that designated initializers may
// leave any out without a -Wmissing-field-initializers warning.
/// The queue a bridge joins: the stream (created or checked by either
/// side) and, for a receiver, its durable consumer. Both sides of one queue
/// must agree on the stream settings, else errc::config_mismatch.
struct queue_options {
  std::string stream{};    ///< stream name
  std::string subject{};   ///< the one subject messages are published on
  std::string durable{};   ///< consumer name; receivers only
  /// The stream's retention: one worker per message (the default) or
  /// every consumer group gets every message.
  queue_kind kind = queue_kind::work_queue;
  /// How long the server remembers a Nats-Msg-Id to drop a repeated publish.
  std::chrono::milliseconds dedup_window = std::chrono::minutes(2);
  /// How long a delivery may stay unacked before the server redelivers it.
  std::chrono::milliseconds ack_wait = std::chrono::seconds(30);
  /// Deliveries unacked at once across all workers of the consumer.
  std::int64_t max_ack_pending = 1000;
  /// Deliveries of one message before the server gives up on it; -1: no limit.
  std::int64_t max_deliver = -1;
  /// With a value, the stream holds at most this many messages and refuses
  /// more (DiscardNew): remote senders then block until workers drain it.
  std::optional<std::int64_t> max_messages{};
  /// Copies of the stream the servers of a cluster keep (JetStream's R1,
  /// R3, R5); a stream survives as long as a majority of them runs. 1 on a
  /// single server.
  std::int64_t replicas = 1;
};

namespace detail {

inline std::int64_t to_nanoseconds(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

// A nats.c JetStream context, destroyed with its owner.
struct js_context_deleter {
  void operator()(jsCtx* js) const noexcept { jsCtx_Destroy(js); }
};
using js_context = std::unique_ptr<jsCtx, js_context_deleter>;

inline expected<js_context, std::error_code> make_js_context(const connection_state& conn, jsOptions* options = nullptr) {
  jsOptions defaults;
  if (options == nullptr) {
    jsOptions_Init(&defaults);
    options = &defaults;
  }
  options->Wait = conn.request_timeout().count();
  jsCtx* js = nullptr;
  const natsStatus s = natsConnection_JetStream(&js, conn.native(), options);
  if (s != NATS_OK) return unexpected(make_error_code(s));
  return js_context(js);
}

inline jsRetentionPolicy retention_of(queue_kind kind) {
  return kind == queue_kind::work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
}

/// Creates the queue's stream, or checks the one there.
inline expected<void, std::error_code> ensure_stream(jsCtx* js, const queue_options& q) {
  if (q.stream.empty() || q.subject.empty() || q.replicas < 1) {
    return unexpected(make_error_code(errc::invalid_option));
  }
  const std::int64_t max_msgs = q.max_messages.value_or(-1);
  const jsDiscardPolicy discard = q.max_messages ? js_DiscardNew : js_DiscardOld;
  jsStreamInfo* info = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_GetStreamInfo(&info, js, q.stream.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {q.subject.c_str()};
    cfg.Name = q.stream.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Retention = retention_of(q.kind);
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = to_nanoseconds(q.dedup_window);
    cfg.MaxMsgs = max_msgs;
    cfg.Discard = discard;
    cfg.Replicas = q.replicas;
    jerr = {};
    s = js_AddStream(&info, js, &cfg, nullptr, &jerr);
    // Another process may have created it in between: check theirs.
    if (s != NATS_OK && jerr == JSStreamNameExistErr) {
      jerr = {};
      s = js_GetStreamInfo(&info, js, q.stream.c_str(), nullptr, &jerr);
    }
  }
  if (s != NATS_OK) return unexpected(make_error_code(s, jerr));
  const jsStreamConfig& cfg = *info->Config;
  bool has_subject = false;
  for (int i = 0; i < cfg.SubjectsLen; ++i) has_subject = has_subject || q.subject == cfg.Subjects[i];
  const bool matches = has_subject && cfg.Retention == retention_of(q.kind) &&
                       cfg.Duplicates == to_nanoseconds(q.dedup_window) && cfg.MaxMsgs == max_msgs &&
                       cfg.Replicas == q.replicas &&
                       (!q.max_messages || cfg.Discard == js_DiscardNew);
  jsStreamInfo_Destroy(info);
  if (!matches) return unexpected(make_error_code(errc::config_mismatch));
  return {};
}

/// Creates the queue's durable pull consumer, or checks the one there.
inline expected<void, std::error_code> ensure_consumer(jsCtx* js, const queue_options& q) {
  if (q.durable.empty() || q.max_ack_pending <= 0) return unexpected(make_error_code(errc::invalid_option));
  jsConsumerInfo* info = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_GetConsumerInfo(&info, js, q.stream.c_str(), q.durable.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND) {
    jsConsumerConfig cfg;
    jsConsumerConfig_Init(&cfg);
    cfg.Durable = q.durable.c_str();
    cfg.AckPolicy = js_AckExplicit;
    cfg.AckWait = to_nanoseconds(q.ack_wait);
    cfg.MaxAckPending = q.max_ack_pending;
    cfg.MaxDeliver = q.max_deliver;
    cfg.FilterSubject = q.subject.c_str();
    jerr = {};
    s = js_AddConsumer(&info, js, q.stream.c_str(), &cfg, nullptr, &jerr);
  }
  if (s != NATS_OK) return unexpected(make_error_code(s, jerr));
  const jsConsumerConfig& cfg = *info->Config;
  const bool matches = cfg.AckPolicy == js_AckExplicit && cfg.AckWait == to_nanoseconds(q.ack_wait) &&
                       cfg.MaxAckPending == q.max_ack_pending && cfg.MaxDeliver == q.max_deliver &&
                       cfg.FilterSubject != nullptr && q.subject == cfg.FilterSubject && cfg.DeliverSubject == nullptr;
  jsConsumerInfo_Destroy(info);
  if (!matches) return unexpected(make_error_code(errc::config_mismatch));
  return {};
}

}  // namespace detail

}  // namespace rill::nats
