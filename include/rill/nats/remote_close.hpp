// rill::nats — closing a queue for every process that uses it.
//
// A local channel closes when its last sender goes; a queue joins senders
// and receivers in many processes, so "no more messages" must be said to
// all of them. close_remote() says it: it sets the queue's key in the
// JetStream key-value bucket `rill_queues` (key: the stream's name). Every
// pump watches that key from the moment it starts:
//
//   remote senders    their local channel is closed: a send fails with
//                     rill::errc::disconnected and hands its value back.
//                     Values sent before the pump saw the close are still
//                     published (they were sent), and the pump stops once
//                     they are stored.
//   remote receivers  go on fetching until a fetch finds nothing left for
//                     their consumer, then close their local channel:
//                     receivers drain it and see disconnected.
//
// publisher::close_remote() first closes its own local channel and waits
// until everything sent on it is stored, then sets the key: the receivers
// that drain after it get all of it. Values another process publishes
// after the receivers found the queue empty stay in the stream, as do
// deliveries another worker holds unacked and the server redelivers later;
// a receiver started on the queue later gets them. The close is kept by the
// server (the bucket is a file-backed stream) and holds for pumps started
// after it, until reopen_remote() clears it.
#pragma once

#include <rill/error.hpp>
#include <rill/nats/connection.hpp>
#include <rill/nats/error.hpp>
#include <rill/nats/queue.hpp>

#include <nats/nats.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace rill::nats {

namespace detail {

/// The key-value bucket that holds which queues are closed.
inline constexpr const char* remote_close_bucket = "rill_queues";
/// The value of a closed queue's key.
inline constexpr std::string_view remote_close_value = "closed";

/// The bucket's key for a stream: its name, with any byte a key may not
/// hold ('.' and beyond [-_a-zA-Z0-9]) written as =XX, so that every
/// stream has its own key.
inline std::string remote_close_key(std::string_view stream) {
  constexpr char hex[] = "0123456789ABCDEF";
  std::string key;
  for (const char c : stream) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (plain) {
      key += c;
    } else {
      key += '=';
      key += hex[byte >> 4];
      key += hex[byte & 0xF];
    }
  }
  return key;
}

struct kv_store_deleter {
  void operator()(kvStore* kv) const noexcept { kvStore_Destroy(kv); }
};
using kv_store = std::unique_ptr<kvStore, kv_store_deleter>;

/// The bucket, created (file storage, one value per key, as many replicas
/// as the queue that needs it first) if absent.
inline expected<kv_store, std::error_code> open_remote_close_bucket(jsCtx* js, const queue_options& queue) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js, remote_close_bucket);
  if (s == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = remote_close_bucket;
    cfg.History = 1;
    cfg.StorageType = js_FileStorage;
    cfg.Replicas = static_cast<int>(queue.replicas);
    // Another process creating it at the same time creates the same
    // bucket: the server takes an identical stream config twice.
    s = js_CreateKeyValue(&kv, js, &cfg);
  }
  if (s != NATS_OK) return unexpected(make_error_code(s));
  return kv_store(kv);
}

/// Sets (closed) or deletes (open) the queue's key.
inline expected<void, std::error_code> set_remote_closed(const connection_state& conn, const queue_options& queue,
                                                         bool closed) {
  if (queue.stream.empty()) return unexpected(make_error_code(errc::invalid_option));
  auto js = make_js_context(conn);
  if (!js) return unexpected(js.error());
  auto kv = open_remote_close_bucket(js->get(), queue);
  if (!kv) return unexpected(kv.error());
  const std::string key = remote_close_key(queue.stream);
  const natsStatus s = closed ? kvStore_PutString(nullptr, kv->get(), key.c_str(), remote_close_value.data())
                              : kvStore_Delete(kv->get(), key.c_str());
  if (s != NATS_OK) return unexpected(make_error_code(s));
  return {};
}

/// Watches a queue's key for a pump, on a thread of its own (nats.c's
/// watcher is a blocking call). start() returns once the key's present
/// state is known, so a pump started on a closed queue is closed before
/// its first value; a close set later calls on_closed once, from the
/// watch's thread. The watcher is an ordered consumer of the bucket's
/// stream, which nats.c re-creates after a lost connection, so a close
/// set while this process was cut off still arrives.
class remote_close_watch {
 public:
  remote_close_watch() = default;
  remote_close_watch(const remote_close_watch&) = delete;
  remote_close_watch& operator=(const remote_close_watch&) = delete;
  ~remote_close_watch() { stop(); }

  expected<void, std::error_code> start(const connection_state& conn, const queue_options& queue,
                                        std::function<void()> on_closed) {
    auto js = make_js_context(conn);
    if (!js) return unexpected(js.error());
    js_ = std::move(*js);
    auto kv = open_remote_close_bucket(js_.get(), queue);
    if (!kv) return unexpected(kv.error());
    kv_ = std::move(*kv);
    const std::string key = remote_close_key(queue.stream);
    natsStatus s = kvStore_Watch(&watcher_, kv_.get(), key.c_str(), nullptr);
    if (s != NATS_OK) return unexpected(make_error_code(s));
    // The present value, if any, then a null entry: the initial state.
    for (;;) {
      kvEntry* entry = nullptr;
      s = kvWatcher_Next(&entry, watcher_, conn.request_timeout().count());
      if (s != NATS_OK) return unexpected(make_error_code(s));
      if (entry == nullptr) break;
      observe(entry);
    }
    on_closed_ = std::move(on_closed);
    thread_ = std::thread([this] { run(); });
    return {};
  }

  /// Whether the queue was closed when start() looked, or since.
  [[nodiscard]] bool closed() const noexcept {
    // Acquire: pairs with observe()'s release; nothing else is published
    // through the flag, but a pump reading true acts on the close at once.
    return closed_.load(std::memory_order_acquire);
  }

  void stop() {
    if (watcher_ == nullptr) return;
    kvWatcher_Stop(watcher_);  // a waiting kvWatcher_Next returns at once
    if (thread_.joinable()) thread_.join();
    kvWatcher_Destroy(watcher_);
    watcher_ = nullptr;
  }

 private:
  void run() {
    for (;;) {
      kvEntry* entry = nullptr;
      const natsStatus s = kvWatcher_Next(&entry, watcher_, 1000);
      if (s == NATS_ILLEGAL_STATE) return;  // stopped
      if (s != NATS_OK || entry == nullptr) continue;  // timeout, or a reconnect's new initial state
      const bool was_closed = closed();
      observe(entry);
      if (!was_closed && closed() && on_closed_) on_closed_();
    }
  }

  // Takes the entry; a put of "closed" closes, a delete or purge reopens
  // (seen only by pumps that start after it: a pump that saw the close has
  // already closed its channel).
  void observe(kvEntry* entry) {
    const bool put = kvEntry_Operation(entry) == kvOp_Put;
    const bool closed = put && std::string_view(kvEntry_ValueString(entry)) == remote_close_value;
    kvEntry_Destroy(entry);
    if (closed) closed_.store(true, std::memory_order_release);
  }

  js_context js_;
  kv_store kv_;
  kvWatcher* watcher_ = nullptr;
  std::function<void()> on_closed_;
  std::atomic<bool> closed_{false};
  std::thread thread_;
};

}  // namespace detail

/// Closes the queue for every process that uses it (see the top of this
/// header): remote senders fail with disconnected from then on, remote
/// receivers drain the stream and then see disconnected. Unlike
/// publisher::close_remote(), it does not wait for any local values.
[[nodiscard]] inline expected<void, std::error_code> close_remote(const connection& conn, const queue_options& queue) {
  return detail::set_remote_closed(*conn.state(), queue, true);
}

/// Clears a close set by close_remote(), for pumps started from now on;
/// pumps that saw the close stay closed.
[[nodiscard]] inline expected<void, std::error_code> reopen_remote(const connection& conn, const queue_options& queue) {
  return detail::set_remote_closed(*conn.state(), queue, false);
}

}  // namespace rill::nats
