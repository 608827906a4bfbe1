// rill::nats — the outbound bridge: a rill::sender<T> whose values a pump
// thread publishes to a JetStream stream.
//
//   auto r = rill::nats::remote_sender<Job, rill::nats::json_codec<Job>>(conn, queue, {.window = 4096});
//   auto& [tx, pub] = *r;          // or r.error(): stream mismatch, no JetStream, ...
//   tx.send(job);                  // any rill send: blocking, try, timed, async, select
//   pub.flush();                   // everything sent so far is stored by the stream
//
// Delivery: at least once. Each value is published with
// Nats-Msg-Id = "<producer>:<seq>" (message_id.hpp). A publish that the
// stream did not acknowledge (no ack within ack_timeout: the server crashed
// or the connection dropped) or that it refused for want of room
// (max_messages reached) is published again with the same id, after
// retry_delay, oldest first, until the stream takes it: the server drops the
// repeats it remembers, and receivers with dedup drop the rest. The pump
// keeps each value until the stream acks it, so that it can hand it back or
// publish it again even if nats.c loses track of the message.
// A publish the stream rejects for any other reason, and a value the codec
// cannot encode, come back through failures() with the value and the reason.
//
// Backpressure: at most `window` values wait for the stream's ack (nats.c
// PublishAsync MaxPending = window), and the local channel holds `window`
// more; past that, send() blocks, try_send() reports full and send_timeout()
// times out, each handing the value back. When the stream is full
// (max_messages with DiscardNew) the pump keeps retrying, so senders block
// until workers drain it.
//
// Order: values from one pump are published in the order sent, and retries
// are resent in seq order, so first deliveries keep that order unless a
// failed publish overtook a later one that the stream had stored.
//
// Close: dropping every local sender ends the input; the pump publishes what
// is left, waits for its acks and stops (the queue stays). Destroying the
// last copy of the publisher closes the local channel first (senders then
// fail with disconnected and keep their values) and does the same, so it
// waits for the stream while the connection is up. A connection closed for good ends
// the pump at once: the local channel is closed, every value not stored by
// the stream (buffered or awaiting its ack) comes back through failures()
// with errc::connection_closed, and error() says so. close_remote() closes
// the queue for every process (remote_close.hpp): this pump's local channel
// first, then, once all it held is stored, the queue's key, which every
// other pump of the queue watches; a pump that sees the key set closes its
// local channel, publishes what was sent before, and stops.
#pragma once

#include <rill/asio.hpp>
#include <rill/channel.hpp>
#include <rill/error.hpp>
#include <rill/nats/codec.hpp>
#include <rill/nats/connection.hpp>
#include <rill/nats/error.hpp>
#include <rill/nats/message_id.hpp>
#include <rill/nats/queue.hpp>
#include <rill/nats/remote_close.hpp>
#include <rill/receiver.hpp>
#include <rill/select.hpp>
#include <rill/sender.hpp>

#include <nats/nats.h>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_executor.hpp>
#include <asio/system_executor.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace rill::nats {

/// A value the pump could not publish, handed back with the reason: the
/// codec's error, the stream's rejection (a jsErrCode), or
/// errc::connection_closed.
template <class T>
struct publish_failure {
  /// The value that was sent locally but not stored by the stream.
  T value;
  /// Why it was not published (see above).
  std::error_code reason;
};

/// How the sending bridge publishes (remote_sender). An aggregate:
/// `{.window = 256}` sets one member and keeps the other defaults.
struct sender_options {
  /// Values awaiting the stream's ack at once (and the local channel's capacity).
  std::size_t window = 4096;
  /// The producer part of message ids; empty: a random one. It must not be
  /// reused by another pump within the stream's dedup window, since seq
  /// starts at 1 for every pump.
  std::string producer{};
  /// A publish not acked within this is published again (same id).
  std::chrono::milliseconds ack_timeout{5000};
  /// Pause before publishing again what failed or was refused.
  std::chrono::milliseconds retry_delay{50};
};

namespace detail {

// What nats.c's ack callback reaches, on nats.c's thread: one event per
// publish, and the pump's control channel to wake it. Shared, because a
// callback may still run after a pump that stopped with publishes in flight
// (the connection then keeps the sink until it is itself destroyed).
struct publish_sink {
  struct event {
    std::uint64_t seq;
    natsMsg* failed;  // the message, handed back for a retry; null on success
    natsStatus status;
    jsErrCode jerr;
  };
  enum class control { wake, flush };
  struct control_message {
    control kind;
    rill::sender<std::error_code> reply;  // flush only
  };

  std::mutex mutex;
  std::vector<event> events;  // guarded by mutex
  // Set while a wake token is queued on `control`, so that a burst of acks
  // queues one token, not one per ack.
  std::atomic<bool> wake_queued{false};
  rill::sender<control_message> control_tx;

  void wake() {
    // acq_rel: pairs with the pump's release store of false; that the pump
    // sees the events pushed before this exchange is ordered by the mutex.
    if (!wake_queued.exchange(true, std::memory_order_acq_rel)) {
      (void)control_tx.try_send(control_message{control::wake, {}});
    }
  }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<publish_sink*>(closure);
    const char* id = nullptr;
    natsMsgHeader_Get(msg, message_id_header, &id);
    const auto parsed = parse_message_id(id != nullptr ? id : "");
    if (!parsed) {  // not one of ours: cannot happen, since only the pump publishes on this context
      natsMsg_Destroy(msg);
      return;
    }
    event e{parsed->second, nullptr, NATS_OK, static_cast<jsErrCode>(0)};
    if (pae != nullptr) {
      e.failed = msg;
      e.status = pae->Err;
      e.jerr = pae->ErrCode;
    } else {
      natsMsg_Destroy(msg);
    }
    {
      std::lock_guard lock(self->mutex);
      self->events.push_back(e);
    }
    self->wake();
  }
};

// Whether a failed publish is worth repeating: the stream may not have seen
// it (timeouts, a lost connection) or had no room for it yet.
inline bool retryable(natsStatus status, jsErrCode jerr) {
  if (static_cast<int>(jerr) != 0) {
    return jerr == JSStreamStoreFailedErr /* 10077: maximum messages exceeded */ ||
           jerr == JSInsufficientResourcesErr;
  }
  switch (status) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
    case NATS_SLOW_CONSUMER:
      return true;
    default:
      return false;
  }
}

template <class T, class Codec>
class outbound_pump {
 public:
  outbound_pump(std::shared_ptr<connection_state> conn, receiver<T> input, queue_options q, sender_options o)
      : conn_(std::move(conn)), input_(std::move(input)), queue_(std::move(q)), options_(std::move(o)),
        slots_(options_.window), sink_(std::make_shared<publish_sink>()) {
    if (options_.producer.empty()) options_.producer = random_producer();
    auto [failures_tx, failures_rx] = rill::channel<publish_failure<T>>();
    failures_tx_ = std::move(failures_tx);
    failures_rx_ = std::move(failures_rx);
    auto [control_tx, control_rx] = rill::channel<publish_sink::control_message>();
    sink_->control_tx = std::move(control_tx);
    control_rx_ = std::move(control_rx);
  }

  outbound_pump(const outbound_pump&) = delete;
  outbound_pump& operator=(const outbound_pump&) = delete;

  ~outbound_pump() {
    input_.close();
    if (thread_.joinable()) thread_.join();
    if (listener_ != 0) conn_->remove_listener(listener_);
  }

  expected<void, std::error_code> start() {
    if (options_.window == 0 || options_.window > (std::size_t{1} << 20)) {
      return unexpected(make_error_code(errc::invalid_option));
    }
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.PublishAsync.MaxPending = static_cast<std::int64_t>(options_.window);
    js_options.PublishAsync.AckHandler = &publish_sink::on_ack;
    js_options.PublishAsync.AckHandlerClosure = sink_.get();
    auto js = make_js_context(*conn_, &js_options);
    if (!js) return unexpected(js.error());
    js_ = std::move(*js);
    if (auto ok = ensure_stream(js_.get(), queue_); !ok) return ok;
    jsPubOptions_Init(&publish_options_);
    publish_options_.MaxWait = options_.ack_timeout.count();
    // The listener holds a copy of the control sender, which stays valid
    // whenever it runs.
    listener_ = conn_->on_closed([sink = sink_] { sink->wake(); });
    // A close seen later wakes the pump, which then closes its input; one
    // there already closes it now, before the first send.
    if (auto ok = close_watch_.start(*conn_, queue_, [sink = sink_] { sink->wake(); }); !ok) return ok;
    if (close_watch_.closed()) input_.close();
    thread_ = std::thread([this] { run(); });
    return {};
  }

  /// Closes the local channel: senders fail with disconnected from now on,
  /// and the pump publishes what it holds and stops.
  void close_input() { input_.close(); }

  [[nodiscard]] bool closed_remotely() const noexcept { return close_watch_.closed(); }

  const std::shared_ptr<connection_state>& connection() const noexcept { return conn_; }
  const queue_options& queue() const noexcept { return queue_; }

  /// Asks the pump for a flush; the answer (no error once flushed, or why
  /// not) arrives on the returned channel, where the pump, or this function
  /// if the pump has stopped, puts it.
  receiver<std::error_code> request_flush() {
    auto [reply_tx, reply_rx] = rill::sync_channel<std::error_code>(1);
    auto request = publish_sink::control_message{publish_sink::control::flush, reply_tx};
    if (!sink_->control_tx.send(std::move(request))) {
      // The pump has stopped: after publishing everything, or for error().
      (void)reply_tx.try_send(error());
    }
    return reply_rx;
  }

  expected<void, std::error_code> flush(std::optional<std::chrono::milliseconds> timeout) {
    const auto reply_rx = request_flush();
    std::error_code result;
    if (timeout) {
      auto reply = reply_rx.recv_timeout(*timeout);
      if (!reply && reply.error() == rill::recv_timeout_error::timeout) return unexpected(make_error_code(rill::errc::timeout));
      result = reply ? *reply : error_or(make_error_code(rill::errc::disconnected));
    } else {
      auto reply = reply_rx.recv();
      result = reply ? *reply : error_or(make_error_code(rill::errc::disconnected));
    }
    if (result) return unexpected(result);
    return {};
  }

  receiver<publish_failure<T>> failures() const { return failures_rx_; }

  std::error_code error() const {
    std::lock_guard lock(error_mutex_);
    return error_;
  }

  const std::string& producer() const noexcept { return options_.producer; }

 private:
  enum class slot_state { free, in_flight, awaiting_retry };

  // One value between its first publish and the stream's ack, at index
  // seq % window: seqs in flight span less than `window`, so they never share
  // a slot.
  struct slot {
    std::optional<T> value;
    natsMsg* msg = nullptr;  // ours while awaiting a retry; nats.c's while in flight
    std::uint64_t seq = 0;
    slot_state state = slot_state::free;
    std::chrono::steady_clock::time_point published_at{};
  };

  // A flush waits for the values in the local channel when it arrived:
  // those are the next `target_taken - taken` the pump takes, since the
  // pump is the channel's only receiver.
  struct pending_flush {
    std::uint64_t target_taken;
    std::optional<std::uint64_t> target_seq;  // known once those are taken
    rill::sender<std::error_code> reply;
  };

  std::error_code error_or(std::error_code fallback) const {
    const auto e = error();
    return e ? e : fallback;
  }

  slot& slot_of(std::uint64_t seq) { return slots_[seq % slots_.size()]; }

  void run() {
    std::vector<publish_sink::event> events;
    bool input_open = true;
    while (true) {
      {
        std::lock_guard lock(sink_->mutex);
        events.swap(sink_->events);
      }
      for (const auto& e : events) settle(e);
      events.clear();
      if (conn_->closed()) {
        fail_everything();
        return;
      }
      if (input_open && close_watch_.closed()) input_.close();  // idempotent; drains below
      const auto now = std::chrono::steady_clock::now();
      if (const auto overdue = overdue_at(); overdue && now >= *overdue) reclaim_overdue();
      if (retry_at_ && now >= *retry_at_) resend();
      answer_flushes();
      if (!input_open && oldest_ == next_seq_) break;

      const bool room = input_open && next_seq_ - oldest_ < slots_.size();
      if (room && take_ready()) continue;
      auto input = rill::recv(input_, room);
      auto control = rill::recv(control_rx_);
      auto wake_at = std::min(retry_at_.value_or(now + std::chrono::hours(1)), overdue_at().value_or(now + std::chrono::hours(1)));
      auto r = rill::select(input, control, rill::deadline(wake_at));
      if (r.index() == 0) {
        auto& value = std::get<0>(r);
        if (value) {
          take(std::move(*value));
        } else {
          input_open = false;
        }
      } else if (r.index() == 1) {
        auto& message = std::get<1>(r);
        if (!message) continue;  // cannot happen: the sink holds a sender
        if (message->kind == publish_sink::control::wake) {
          // Release: a wake() after this store queues a new token, and the
          // events it announces are read below, after the lock.
          sink_->wake_queued.store(false, std::memory_order_release);
        } else {
          flushes_.push_back(pending_flush{taken_ + input_.size(), std::nullopt, std::move(message->reply)});
        }
      }
    }
    answer_flushes();
    close_control();
  }

  // No flush can wait for a pump that has stopped: later ones fail to send,
  // and those queued now are answered (everything was flushed, or error_).
  void close_control() {
    control_rx_.close();
    while (auto message = control_rx_.try_recv()) {
      if (message->kind == publish_sink::control::flush) (void)message->reply.try_send(error());
    }
  }

  // The fast path: takes what the local channel already holds, up to a
  // batch, without the cost of a select; between batches the loop settles
  // acks. Returns whether it took anything.
  bool take_ready() {
    constexpr int batch = 64;
    int taken = 0;
    while (taken < batch && next_seq_ - oldest_ < slots_.size()) {
      auto value = input_.try_recv();
      if (!value) break;
      take(std::move(*value));
      ++taken;
    }
    return taken > 0;
  }

  void take(T value) {
    ++taken_;
    const std::uint64_t seq = next_seq_;
    auto msg = make_message(value, seq);
    if (!msg) {
      (void)failures_tx_.send(publish_failure<T>{std::move(value), msg.error()});
      return;
    }
    ++next_seq_;
    slot& sl = slot_of(seq);
    sl.value.emplace(std::move(value));
    sl.msg = *msg;
    sl.seq = seq;
    publish(sl);
  }

  // The message for `value` as seq: payload, id and content type.
  expected<natsMsg*, std::error_code> make_message(const T& value, std::uint64_t seq) {
    buffer_.clear();
    if (auto encoded = Codec::encode(value, buffer_); !encoded) return unexpected(encoded.error());
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, queue_.subject.c_str(), nullptr, reinterpret_cast<const char*>(buffer_.data()),
                                  static_cast<int>(buffer_.size()));
    format_message_id(id_, options_.producer, seq);
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, message_id_header, id_.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, content_type_header, content_type_.c_str());
    if (s != NATS_OK) {
      natsMsg_Destroy(msg);
      return unexpected(make_error_code(s));
    }
    return msg;
  }

  // When did the oldest publish in flight become overdue: its ack (or nats.c's
  // timeout for it) should have come within ack_timeout.
  std::optional<std::chrono::steady_clock::time_point> overdue_at() {
    if (oldest_ == next_seq_) return std::nullopt;
    const slot& sl = slot_of(oldest_);
    if (sl.state != slot_state::in_flight) return std::nullopt;
    return sl.published_at + 2 * options_.ack_timeout;
  }

  // nats.c settles each publish once, by its ack or by its ack_timeout; a
  // publish it never settles (its timeout notice can be dropped when the
  // reply subscription is overloaded) would hold the window for ever. So,
  // past twice ack_timeout, the pump takes every message back from nats.c
  // (no callback comes for them after that) and publishes each value in
  // flight again from the value it keeps, with the same id.
  void reclaim_overdue() {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK) natsMsgList_Destroy(&pending);
    for (std::uint64_t seq = oldest_; seq < next_seq_; ++seq) {
      slot& sl = slot_of(seq);
      if (sl.state != slot_state::in_flight) continue;
      auto msg = make_message(*sl.value, seq);
      if (!msg) {  // cannot happen for a codec that encoded the value before
        (void)failures_tx_.send(publish_failure<T>{std::move(*sl.value), msg.error()});
        release(sl);
        continue;
      }
      sl.msg = *msg;
      sl.state = slot_state::awaiting_retry;
    }
    schedule_retry();
  }

  // Hands the slot's message to nats.c; on failure keeps it for a retry.
  bool publish(slot& sl) {
    sl.state = slot_state::in_flight;
    sl.published_at = std::chrono::steady_clock::now();
    const natsStatus s = js_PublishMsgAsync(js_.get(), &sl.msg, &publish_options_);
    if (s == NATS_OK) return true;  // nats.c owns the message now (sl.msg is null)
    sl.state = slot_state::awaiting_retry;
    schedule_retry();
    return false;
  }

  void schedule_retry() {
    if (!retry_at_) retry_at_ = std::chrono::steady_clock::now() + options_.retry_delay;
  }

  void resend() {
    retry_at_.reset();
    for (std::uint64_t seq = oldest_; seq < next_seq_; ++seq) {
      slot& sl = slot_of(seq);
      if (sl.state == slot_state::awaiting_retry && !publish(sl)) return;
    }
  }

  void settle(const publish_sink::event& e) {
    slot& sl = slot_of(e.seq);
    if (sl.state != slot_state::in_flight || sl.seq != e.seq) {
      // An ack for a publish taken back by fail_everything: not ours anymore.
      natsMsg_Destroy(e.failed);
      return;
    }
    if (e.failed == nullptr) {
      release(sl);
    } else if (retryable(e.status, e.jerr)) {
      sl.msg = e.failed;
      sl.state = slot_state::awaiting_retry;
      schedule_retry();
    } else {
      natsMsg_Destroy(e.failed);
      (void)failures_tx_.send(publish_failure<T>{std::move(*sl.value), make_error_code(e.status, e.jerr)});
      release(sl);
    }
  }

  void release(slot& sl) {
    sl.value.reset();
    sl.msg = nullptr;
    sl.state = slot_state::free;
    while (oldest_ < next_seq_ && slot_of(oldest_).state == slot_state::free) ++oldest_;
  }

  void answer_flushes() {
    std::erase_if(flushes_, [&](pending_flush& f) {
      if (!f.target_seq && taken_ >= f.target_taken) f.target_seq = next_seq_ - 1;
      if (!f.target_seq || oldest_ <= *f.target_seq) return false;
      (void)f.reply.try_send(std::error_code{});
      return true;
    });
  }

  // The connection is closed for good: every value not stored by the stream
  // goes back through failures(), in seq order, then what the local channel
  // still holds.
  void fail_everything() {
    {
      std::lock_guard lock(error_mutex_);
      error_ = make_error_code(errc::connection_closed);
    }
    input_.close();
    // Take back what nats.c still holds, so that no ack callback comes for it.
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK) natsMsgList_Destroy(&pending);
    for (std::uint64_t seq = oldest_; seq < next_seq_; ++seq) {
      slot& sl = slot_of(seq);
      if (sl.state == slot_state::free) continue;
      if (sl.state == slot_state::awaiting_retry) natsMsg_Destroy(sl.msg);
      (void)failures_tx_.send(publish_failure<T>{std::move(*sl.value), error_});
      sl.value.reset();
      sl.msg = nullptr;
      sl.state = slot_state::free;
    }
    oldest_ = next_seq_;
    while (auto value = input_.try_recv()) {
      (void)failures_tx_.send(publish_failure<T>{std::move(*value), error_});
    }
    for (auto& f : flushes_) (void)f.reply.try_send(error_);
    flushes_.clear();
    close_control();
    // A callback may still be running for a publish taken back above: the
    // connection keeps the sink until it is destroyed itself.
    conn_->keep_alive(sink_);
  }

  std::shared_ptr<connection_state> conn_;
  receiver<T> input_;
  queue_options queue_;
  sender_options options_;
  std::vector<slot> slots_;
  std::shared_ptr<publish_sink> sink_;
  receiver<publish_sink::control_message> control_rx_;
  rill::sender<publish_failure<T>> failures_tx_;
  receiver<publish_failure<T>> failures_rx_;
  js_context js_;
  jsPubOptions publish_options_{};
  std::uint64_t listener_ = 0;
  remote_close_watch close_watch_;

  // The pump thread's own state.
  std::uint64_t next_seq_ = 1;  // the seq of the next value taken
  std::uint64_t oldest_ = 1;    // the oldest seq not yet settled (next_seq_ when none)
  std::uint64_t taken_ = 0;     // values taken from the local channel
  std::optional<std::chrono::steady_clock::time_point> retry_at_;
  std::vector<pending_flush> flushes_;
  std::vector<std::byte> buffer_;
  std::string id_;
  const std::string content_type_{Codec::content_type};  // NUL-terminated, for nats.c

  mutable std::mutex error_mutex_;
  std::error_code error_;  // guarded by error_mutex_

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace detail

/// The pump's handle, copyable: the copies share the pump thread, which the
/// last one stops (see the top of this file for how). failures() is an
/// unbounded channel: read it, or values that failed pile up there.
template <class T, class Codec = default_codec_t<T>>
class publisher {
 public:
  /// Waits until every value sent on the local channel before this call is
  /// stored by the stream or handed back through failures(); fails with
  /// errc::connection_closed if the connection closes for good first.
  [[nodiscard]] expected<void, std::error_code> flush() const { return pump_->flush(std::nullopt); }

  /// Like flush(), but gives up with rill::errc::timeout after `timeout`.
  [[nodiscard]] expected<void, std::error_code> flush(std::chrono::milliseconds timeout) const {
    return pump_->flush(timeout);
  }

  /// Values that will not be published, with the reason.
  [[nodiscard]] receiver<publish_failure<T>> failures() const { return pump_->failures(); }

  /// flush() for coroutines and callbacks: completes with
  /// `void(std::error_code)` (no error once flushed) on the handler's
  /// associated executor, with any Asio completion token. Not cancellable:
  /// the request stays with the pump, which answers it once.
  template <class CompletionToken>
  auto async_flush(CompletionToken&& token) const {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [pump = pump_](auto handler) {
          auto reply_rx = pump->request_flush();
          const auto executor = asio::get_associated_executor(handler, asio::system_executor());
          // The handler holds the reply channel's receiver, so that the
          // channel lives until the answer comes.
          reply_rx.async_recv(asio::bind_executor(
              executor, [handler = std::move(handler), reply_rx, pump](std::error_code ec, std::error_code result) mutable {
                if (ec) result = pump->error() ? pump->error() : ec;
                std::move(handler)(result);
              }));
        },
        token);
  }

  /// Why the pump stopped early (errc::connection_closed), or no error.
  [[nodiscard]] std::error_code error() const { return pump_->error(); }

  /// Closes the queue for every process that uses it (remote_close.hpp):
  /// closes the local channel (its senders fail with disconnected and keep
  /// their values), waits until everything sent on it before is stored by
  /// the stream (as flush()), then marks the queue closed, so remote
  /// receivers drain it, this pump's values included, and then see
  /// disconnected, and other remote senders are closed. Fails, and leaves
  /// the queue open, if the flush or the marking fails.
  [[nodiscard]] expected<void, std::error_code> close_remote() const {
    pump_->close_input();
    if (auto flushed = pump_->flush(std::nullopt); !flushed) return flushed;
    return detail::set_remote_closed(*pump_->connection(), pump_->queue(), true);
  }

  /// Whether this pump saw the queue closed by close_remote(), here or in
  /// another process.
  [[nodiscard]] bool closed_remotely() const noexcept { return pump_->closed_remotely(); }

  /// The producer part of this pump's message ids.
  [[nodiscard]] const std::string& producer() const noexcept { return pump_->producer(); }

 private:
  template <class U, class C>
  friend expected<publisher<U, C>, std::error_code> pump_out(const connection&, receiver<U>, const queue_options&,
                                                             const sender_options&);

  explicit publisher(std::shared_ptr<detail::outbound_pump<T, Codec>> pump) : pump_(std::move(pump)) {}

  std::shared_ptr<detail::outbound_pump<T, Codec>> pump_;
};

/// The lower level: publishes what arrives on `input`, a channel the caller
/// made (bounded or not). Creates or checks the stream first.
template <class T, class Codec = default_codec_t<T>>
[[nodiscard]] expected<publisher<T, Codec>, std::error_code> pump_out(const connection& conn, receiver<T> input,
                                                                      const queue_options& queue,
                                                                      const sender_options& options = {}) {
  static_assert(codec<Codec, T>, "rill::nats: Codec must be a codec for T (see <rill/nats/codec.hpp>)");
  auto pump = std::make_shared<detail::outbound_pump<T, Codec>>(conn.state(), std::move(input), queue, options);
  if (auto started = pump->start(); !started) return unexpected(started.error());
  return publisher<T, Codec>(std::move(pump));
}

/// A bounded local channel of capacity `options.window` and its pump.
template <class T, class Codec = default_codec_t<T>>
[[nodiscard]] expected<std::pair<rill::sender<T>, publisher<T, Codec>>, std::error_code> remote_sender(
    const connection& conn, const queue_options& queue, const sender_options& options = {}) {
  auto [tx, rx] = rill::sync_channel<T>(options.window);
  auto pub = pump_out<T, Codec>(conn, std::move(rx), queue, options);
  if (!pub) return unexpected(pub.error());
  return std::pair{std::move(tx), std::move(*pub)};
}

}  // namespace rill::nats
