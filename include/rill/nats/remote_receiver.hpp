// rill::nats — the inbound bridge: a pump thread fetches from a durable pull
// consumer into a local rill channel of delivery<T>.
//
//   auto r = rill::nats::remote_receiver<Job, rill::nats::json_codec<Job>>(conn, queue, {.prefetch = 64});
//   auto& [rx, sub] = *r;
//   for (auto& d : rx) { run(d.value()); d.ack(); }
//
// Delivery: at least once; ack after processing. With dedup on (the
// default), the pump drops a message whose (producer, seq) this process has
// already been given: one acked or termed is acked again and dropped, one a
// worker still holds is dropped and left to the server (the worker's ack
// settles it). That makes delivery effectively-once while the process lives,
// which matters after a server crash: the restarted server forgets which ids
// it stored and which messages were acked, so repeats come back, some with
// num_delivered 1. Across restarts of this process, at least once. The
// table behind it keeps, per producer, a floor below which every seq is done
// and the seqs above it; seqs another process of a shared work queue handled
// leave gaps, so there it grows with what this process handles.
//
// Backpressure: the local channel holds `prefetch` deliveries, and the pump
// fetches only as many as it has room for, so what the server hands out and
// what waits here stays within prefetch; the consumer's max_ack_pending caps
// unacked deliveries across all workers. While the stream has a backlog (the
// last fetch came back full) the pump waits until half the channel is free,
// since each fetch is a round trip; once it has caught up it asks for all the
// room there is, so the channel fills to prefetch even while nobody
// receives. One slack: if the pump's thread falls more than 10 ms behind
// (nats.c lets a fetch wait 10 ms longer than the server's request lives),
// messages the server sent as a fetch ended arrive after it; the next fetch
// takes them first, and until then the server may have handed out up to one
// fetch more than prefetch.
//
// Bad payloads (the codec fails, or the Content-Type names another codec)
// are term()ed, so never redelivered, and reported through failures(); the
// pump goes on.
//
// Close: destroying the subscription stops the pump; receivers drain what
// the local channel holds and then see disconnected. Dropping every local
// receiver naks what the channel held, and the pump stops. A connection
// closed for good closes the local channel, and error() says why. Once the
// queue is closed by close_remote() (remote_close.hpp), the pump fetches
// until a fetch finds nothing left for its consumer, then closes the local
// channel: receivers drain it and see disconnected, with no error().
#pragma once

#include <rill/channel.hpp>
#include <rill/error.hpp>
#include <rill/nats/codec.hpp>
#include <rill/nats/connection.hpp>
#include <rill/nats/delivery.hpp>
#include <rill/nats/error.hpp>
#include <rill/nats/message_id.hpp>
#include <rill/nats/queue.hpp>
#include <rill/nats/remote_close.hpp>
#include <rill/receiver.hpp>
#include <rill/sender.hpp>

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace rill::nats {

/// A message the codec could not read, after it was term()ed.
struct decode_failure {
  /// The payload, as it arrived.
  std::vector<std::byte> bytes;
  /// The subject it was published on.
  std::string subject;
  /// Its headers, as (name, value) pairs.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Why: errc::wrong_content_type when its Content-Type header names
  /// another codec, otherwise the error the codec's decode returned.
  std::error_code reason;
};

/// How the receiving bridge fetches (remote_receiver, pump_in). An
/// aggregate: `{.prefetch = 16}` sets one member and keeps the other
/// defaults.
struct receiver_options {
  /// Deliveries fetched ahead (the local channel's capacity).
  std::size_t prefetch = 64;
  /// Drop repeats of a (producer, seq) already given to this process.
  bool dedup = true;
  /// How long one fetch waits for messages; bounds how long destroying the
  /// subscription waits for the pump.
  std::chrono::milliseconds fetch_wait{100};
};

namespace detail {

template <class T, class Codec>
class inbound_pump final : public delivery_source {
 public:
  inbound_pump(std::shared_ptr<connection_state> conn, rill::sender<delivery<T>> output, queue_options q,
               receiver_options o)
      : conn_(std::move(conn)), output_(std::move(output)), queue_(std::move(q)), options_(o) {
    if (options_.dedup) dedup = &dedup_table_;
    auto [failures_tx, failures_rx] = rill::channel<decode_failure>();
    failures_tx_ = std::move(failures_tx);
    failures_rx_ = std::move(failures_rx);
  }

  inbound_pump(const inbound_pump&) = delete;
  inbound_pump& operator=(const inbound_pump&) = delete;

  // Runs when the subscription handle and every delivery are gone: the
  // thread was stopped by the handle (see subscription).
  ~inbound_pump() override {
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);
  }

  expected<void, std::error_code> start() {
    if (options_.prefetch == 0 || options_.prefetch > (std::size_t{1} << 20)) {
      return unexpected(make_error_code(errc::invalid_option));
    }
    auto js = make_js_context(*conn_);
    if (!js) return unexpected(js.error());
    js_ = std::move(*js);
    if (auto ok = ensure_stream(js_.get(), queue_); !ok) return ok;
    if (auto ok = ensure_consumer(js_.get(), queue_); !ok) return ok;
    jsSubOptions sub_options;
    jsSubOptions_Init(&sub_options);
    sub_options.Stream = queue_.stream.c_str();
    sub_options.Consumer = queue_.durable.c_str();
    jsErrCode jerr{};
    const natsStatus s =
        js_PullSubscribe(&sub_, js_.get(), queue_.subject.c_str(), queue_.durable.c_str(), nullptr, &sub_options, &jerr);
    if (s != NATS_OK) return unexpected(make_error_code(s, jerr));
    // The pump reads the flag before each fetch: no callback needed.
    if (auto ok = close_watch_.start(*conn_, queue_, {}); !ok) return ok;
    // Joined by the handle's stop(); deliveries that outlive the handle keep
    // this object (and the subscription their acks go through) alive.
    thread_ = std::thread([this] { run(); });
    return {};
  }

  void stop() {
    // Relaxed: the flag carries no data; join() orders the rest.
    stopping_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
    close_watch_.stop();
  }

  receiver<decode_failure> failures() const { return failures_rx_; }

  std::error_code error() const {
    std::lock_guard lock(error_mutex_);
    return error_;
  }

  bool closed_remotely() const noexcept { return close_watch_.closed(); }

  std::uint64_t duplicates_dropped() const noexcept {
    // Relaxed: a statistic, read without ordering against anything else.
    return duplicates_dropped_.load(std::memory_order_relaxed);
  }

 private:
  void run() {
    const auto capacity = *output_.capacity();
    bool backlog = false;  // the last fetch got all it asked for
    while (!stopping_.load(std::memory_order_relaxed)) {
      if (conn_->closed()) {
        set_error(make_error_code(errc::connection_closed));
        break;
      }
      if (output_.is_closed() || output_.receiver_count() == 0) break;  // every local receiver is gone
      // With a backlog, fetch in batches of at least half the prefetch,
      // since each fetch is a round trip. Caught up, a fetch waits on the
      // server for new messages anyway, so a small one costs no round trip
      // per poll.
      const std::size_t smallest_fetch = backlog ? std::max<std::size_t>(1, capacity / 2) : 1;
      // Waits, without polling, until that much is free: a reserve wakes as
      // receivers drain the channel. The slots go back at once (the batch
      // dies here); the pump is the channel's only sender, so they stay
      // free for the sends below, and the fetch asks for all there is.
      if (auto wait = output_.reserve_many_timeout(smallest_fetch, options_.fetch_wait); !wait) {
        if (wait.error() != rill::errc::timeout) break;  // every local receiver is gone
        // Receivers that stopped with fewer slots free than a batch would
        // otherwise never see them filled: after a quiet fetch_wait, any
        // room is worth a fetch. Then look at stop and the connection again.
        backlog = false;
        continue;
      }
      const std::size_t room = capacity - std::min(capacity, output_.size());
      // Read before the fetch: the closer stored its values before it set
      // the key, so a fetch that starts after the close and finds nothing
      // means nothing is left.
      const bool closed_remotely = close_watch_.closed();
      natsMsgList list{};
      jsErrCode jerr{};
      const natsStatus s = natsSubscription_Fetch(&list, sub_, static_cast<int>(room), options_.fetch_wait.count(), &jerr);
      backlog = s == NATS_OK && static_cast<std::size_t>(list.Count) == room;
      if (s == NATS_OK) {
        for (int i = 0; i < list.Count; ++i) accept(std::exchange(list.Msgs[i], nullptr));
        natsMsgList_Destroy(&list);
      } else if (s == NATS_TIMEOUT && closed_remotely) {
        break;  // drained
      } else if (s != NATS_TIMEOUT) {
        // Disconnected, or the server is restarting: nats.c reconnects.
        natsMsgList_Destroy(&list);
        std::this_thread::sleep_for(options_.fetch_wait);
      }
    }
    output_.close();
  }

  void accept(natsMsg* msg) {
    const char* content_type = nullptr;
    if (natsMsgHeader_Get(msg, content_type_header, &content_type) == NATS_OK &&
        std::string_view(content_type) != Codec::content_type) {
      reject(msg, make_error_code(errc::wrong_content_type));
      return;
    }
    const std::span payload(reinterpret_cast<const std::byte*>(natsMsg_GetData(msg)),
                            static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    auto value = Codec::decode(payload);
    if (!value) {
      reject(msg, value.error());
      return;
    }
    delivery_info info;
    if (jsMsgMetaData* meta = nullptr; natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      info.stream_seq = meta->Sequence.Stream;
      info.num_delivered = meta->NumDelivered;
      jsMsgMetaData_Destroy(meta);
    }
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, message_id_header, &id) == NATS_OK) {
      if (const auto parsed = parse_message_id(id)) info.id = message_id{std::string(parsed->first), parsed->second};
    }
    if (dedup != nullptr && !info.id.producer.empty()) {
      const auto verdict = dedup_table_.arrive(info.id.producer, info.id.seq);
      if (verdict != dedup_table::verdict::fresh) {
        // Relaxed: a statistic.
        duplicates_dropped_.fetch_add(1, std::memory_order_relaxed);
        if (verdict == dedup_table::verdict::duplicate_of_done) (void)natsMsg_Ack(msg, nullptr);
        natsMsg_Destroy(msg);
        return;
      }
    }
    // The channel has room (the fetch asked for no more), so this does not
    // block; if every receiver is gone it fails, and the delivery it hands
    // back naks as it is destroyed.
    (void)output_.send(delivery<T>(msg, std::move(*value), std::move(info), shared_from_this_source()));
  }

  void reject(natsMsg* msg, std::error_code reason) {
    decode_failure failure;
    const auto* data = reinterpret_cast<const std::byte*>(natsMsg_GetData(msg));
    failure.bytes.assign(data, data + natsMsg_GetDataLength(msg));
    failure.subject = natsMsg_GetSubject(msg);
    const char** keys = nullptr;
    int count = 0;
    if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
      for (int i = 0; i < count; ++i) {
        const char* value = nullptr;
        if (natsMsgHeader_Get(msg, keys[i], &value) == NATS_OK) failure.headers.emplace_back(keys[i], value);
      }
      std::free(static_cast<void*>(keys));
    }
    failure.reason = reason;
    (void)natsMsg_Term(msg, nullptr);
    natsMsg_Destroy(msg);
    (void)failures_tx_.send(std::move(failure));
  }

  std::shared_ptr<delivery_source> shared_from_this_source() { return self_.lock(); }

  void set_error(std::error_code e) {
    std::lock_guard lock(error_mutex_);
    error_ = e;
  }

 public:
  std::weak_ptr<inbound_pump> self_;  // set by pump_in, for deliveries to share ownership

 private:
  std::shared_ptr<connection_state> conn_;
  rill::sender<delivery<T>> output_;
  queue_options queue_;
  receiver_options options_;
  dedup_table dedup_table_;
  rill::sender<decode_failure> failures_tx_;
  receiver<decode_failure> failures_rx_;
  js_context js_;
  natsSubscription* sub_ = nullptr;
  remote_close_watch close_watch_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> duplicates_dropped_{0};
  mutable std::mutex error_mutex_;
  std::error_code error_;
  std::thread thread_;
};

}  // namespace detail

/// The inbound pump's handle, move-only: destroying it stops the pump (within
/// fetch_wait); deliveries already received stay valid and can be settled.
/// failures() is an unbounded channel: read it, or reports pile up there.
template <class T, class Codec = default_codec_t<T>>
class subscription {
 public:
  /// Takes over `other`'s pump; `other` is left empty and must not be
  /// used but to be destroyed or assigned to.
  subscription(subscription&&) noexcept = default;
  /// Stops this subscription's own pump, as the destructor does (blocking
  /// up to fetch_wait), then takes over `other`'s; `other` is left empty.
  subscription& operator=(subscription&& other) noexcept {
    if (this != &other) {
      if (pump_) pump_->stop();
      pump_ = std::move(other.pump_);
    }
    return *this;
  }
  ~subscription() {
    if (pump_) pump_->stop();
  }

  /// Payloads that could not be decoded (each was term()ed).
  [[nodiscard]] receiver<decode_failure> failures() const { return pump_->failures(); }

  /// Why the pump stopped early (errc::connection_closed), or no error.
  [[nodiscard]] std::error_code error() const { return pump_->error(); }

  /// Whether the queue was closed by close_remote(), here or in another
  /// process; once the pump has drained it, receivers see disconnected.
  [[nodiscard]] bool closed_remotely() const noexcept { return pump_->closed_remotely(); }

  /// Repeats of a (producer, seq) dropped by dedup so far.
  [[nodiscard]] std::uint64_t duplicates_dropped() const noexcept { return pump_->duplicates_dropped(); }

 private:
  template <class U, class C>
  friend expected<subscription<U, C>, std::error_code> pump_in(const connection&, rill::sender<delivery<U>>,
                                                               const queue_options&, const receiver_options&);

  explicit subscription(std::shared_ptr<detail::inbound_pump<T, Codec>> pump) : pump_(std::move(pump)) {}

  std::shared_ptr<detail::inbound_pump<T, Codec>> pump_;
};

/// The lower level: fetches into `output`, a bounded channel the caller made
/// (its capacity is the prefetch; options.prefetch is not used). Creates or
/// checks the stream and the durable consumer first.
template <class T, class Codec = default_codec_t<T>>
[[nodiscard]] expected<subscription<T, Codec>, std::error_code> pump_in(const connection& conn,
                                                                        rill::sender<delivery<T>> output,
                                                                        const queue_options& queue,
                                                                        const receiver_options& options = {}) {
  static_assert(codec<Codec, T>, "rill::nats: Codec must be a codec for T (see <rill/nats/codec.hpp>)");
  if (!output.capacity() || *output.capacity() == 0) return unexpected(make_error_code(errc::invalid_option));
  receiver_options o = options;
  o.prefetch = *output.capacity();
  auto pump = std::make_shared<detail::inbound_pump<T, Codec>>(conn.state(), std::move(output), queue, o);
  pump->self_ = pump;
  if (auto started = pump->start(); !started) return unexpected(started.error());
  return subscription<T, Codec>(std::move(pump));
}

/// A local channel of capacity `options.prefetch` and its pump.
template <class T, class Codec = default_codec_t<T>>
[[nodiscard]] expected<std::pair<rill::receiver<delivery<T>>, subscription<T, Codec>>, std::error_code>
remote_receiver(const connection& conn, const queue_options& queue, const receiver_options& options = {}) {
  if (options.prefetch == 0) return unexpected(make_error_code(errc::invalid_option));
  auto [tx, rx] = rill::sync_channel<delivery<T>>(options.prefetch);
  auto sub = pump_in<T, Codec>(conn, std::move(tx), queue, options);
  if (!sub) return unexpected(sub.error());
  return std::pair{std::move(rx), std::move(*sub)};
}

}  // namespace rill::nats
