// rill::nats — a connection to a NATS server, shared by the bridges made on it.
//
//   auto conn = rill::nats::connection::connect({.url = "nats://127.0.0.1:4222"});
//   if (!conn) ... conn.error() says why;
//
// A connection is a cheap handle: copies share one nats.c connection, which
// lives until the last copy and the last bridge made on it are gone. By
// default it reconnects forever (max_reconnect = -1), so a server restart
// is invisible to the bridges but for retries. A connection closed for good
// (reconnecting gave up, or close()) ends every bridge on it: their local
// channels close and their error() says errc::connection_closed.
#pragma once

#include <rill/error.hpp>
#include <rill/nats/error.hpp>

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace rill::nats {

/// How connection::connect reaches the server and rides out its restarts.
/// An aggregate: set what you need with designated initializers,
/// `{.url = "nats://host:4222"}`.
struct connect_options {
  /// The server to connect to (`nats://host:port`), or the servers of a
  /// cluster as a comma-separated list of such URLs, which the client tries
  /// in turn and reconnects across; defaults to a local server on NATS's
  /// standard port.
  std::string url = "nats://127.0.0.1:4222";
  /// Reconnect attempts before the connection is closed for good; -1: forever.
  int max_reconnect = -1;
  /// Pause between reconnect attempts to the same server.
  std::chrono::milliseconds reconnect_wait{100};
  /// Flush every publish at once rather than batching writes: lower latency
  /// one message at a time, fewer messages per second in bulk.
  bool send_asap = false;
  /// Deadline of JetStream API requests (stream and consumer lookups, ack_sync)
  /// and of the first connection attempt.
  std::chrono::milliseconds request_timeout{5000};
  /// How often the client pings the server. Pings are how a network that
  /// silently stops carrying packets (no reset, no error) is noticed:
  /// within about ping_interval × (max_pings_outstanding + 1). nats.c's
  /// default, 2 minutes.
  std::chrono::milliseconds ping_interval{std::chrono::minutes(2)};
  /// Pings left unanswered in a row after which the connection is taken as
  /// dead and reconnected.
  int max_pings_outstanding = 2;
};

namespace detail {

// What the handles and the bridges share: the nats.c connection and the
// list of parties to tell when it is closed for good.
class connection_state {
 public:
  connection_state() = default;
  connection_state(const connection_state&) = delete;
  connection_state& operator=(const connection_state&) = delete;

  ~connection_state() {
    if (nc_ == nullptr) return;
    natsConnection_Close(nc_);
    // nats.c runs the closed callback on its own thread, with this object as
    // its closure: wait for it before this object goes.
    std::unique_lock lock(mutex_);
    closed_cv_.wait(lock, [&] { return closed_callback_done_; });
    lock.unlock();
    natsConnection_Destroy(nc_);
    kept_alive_.clear();
  }

  natsConnection* native() const noexcept { return nc_; }
  std::chrono::milliseconds request_timeout() const noexcept { return request_timeout_; }

  bool closed() const noexcept {
    // Acquire: pairs with the release store in closed_callback; the pumps
    // ask on every turn, so this is a load rather than the mutex.
    return closed_flag_.load(std::memory_order_acquire);
  }

  /// Registers `on_closed`, called once (on a nats.c thread, or here at once
  /// if already closed) when the connection is closed for good. The returned
  /// id unregisters it.
  std::uint64_t on_closed(std::function<void()> on_closed) {
    std::unique_lock lock(mutex_);
    if (closed_) {
      lock.unlock();
      on_closed();
      return 0;
    }
    const auto id = ++last_listener_;
    listeners_.emplace_back(id, std::move(on_closed));
    return id;
  }

  void remove_listener(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase_if(listeners_, [&](const auto& l) { return l.first == id; });
  }

  /// The URLs of a comma-separated list, each trimmed of spaces.
  static std::vector<std::string> split_urls(const std::string& list) {
    std::vector<std::string> urls;
    std::size_t begin = 0;
    while (begin <= list.size()) {
      const std::size_t comma = std::min(list.find(',', begin), list.size());
      std::string url = list.substr(begin, comma - begin);
      url.erase(0, url.find_first_not_of(' '));
      url.erase(url.find_last_not_of(' ') + 1);
      if (!url.empty()) urls.push_back(std::move(url));
      begin = comma + 1;
    }
    return urls;
  }

  static expected<std::shared_ptr<connection_state>, std::error_code> connect(const connect_options& o) {
    auto state = std::make_shared<connection_state>();
    state->request_timeout_ = o.request_timeout;
    natsOptions* opts = nullptr;
    natsStatus s = natsOptions_Create(&opts);
    // nats.c takes one URL, or a list through SetServers.
    const std::vector<std::string> urls = split_urls(o.url);
    std::vector<const char*> servers;
    for (const auto& url : urls) servers.push_back(url.c_str());
    if (s == NATS_OK) s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, o.max_reconnect);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, o.reconnect_wait.count());
    if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, o.send_asap);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, o.request_timeout.count());
    if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, o.ping_interval.count());
    if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, o.max_pings_outstanding);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &connection_state::closed_callback, state.get());
    if (s == NATS_OK) s = natsConnection_Connect(&state->nc_, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
      // No connection was made, so no closed callback will come.
      state->nc_ = nullptr;
      return unexpected(make_error_code(s));
    }
    return state;
  }

  void close() { natsConnection_Close(nc_); }

  /// Keeps `object` until this connection is destroyed: for what a nats.c
  /// callback of this connection may still reach.
  void keep_alive(std::shared_ptr<void> object) {
    std::lock_guard lock(mutex_);
    kept_alive_.push_back(std::move(object));
  }

 private:
  static void closed_callback(natsConnection*, void* closure) {
    auto* self = static_cast<connection_state*>(closure);
    std::vector<std::pair<std::uint64_t, std::function<void()>>> listeners;
    {
      std::lock_guard lock(self->mutex_);
      self->closed_ = true;
      self->closed_flag_.store(true, std::memory_order_release);
      listeners.swap(self->listeners_);
    }
    for (auto& [id, f] : listeners) f();
    // Last: the destructor may be waiting for this, and frees *self once the
    // lock is released; nothing of *self is touched after.
    std::lock_guard lock(self->mutex_);
    self->closed_callback_done_ = true;
    self->closed_cv_.notify_all();
  }

  natsConnection* nc_ = nullptr;
  std::chrono::milliseconds request_timeout_{};
  mutable std::mutex mutex_;
  std::condition_variable closed_cv_;
  bool closed_ = false;  // guarded by mutex_, with the listeners
  std::atomic<bool> closed_flag_{false};  // closed_, for readers without the lock
  bool closed_callback_done_ = false;
  std::uint64_t last_listener_ = 0;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> listeners_;
  std::vector<std::shared_ptr<void>> kept_alive_;
};

}  // namespace detail

/// A connection to a NATS server, shared by the bridges made on it (see
/// the top of this header). A cheap handle: copies share one nats.c
/// connection, which lives until the last copy and the last bridge made on
/// it are gone.
class connection {
 public:
  /// Connects to opts.url; fails with the nats.c status (NATS_NO_SERVER when
  /// nothing listens there).
  [[nodiscard]] static expected<connection, std::error_code> connect(const connect_options& opts) {
    auto state = detail::connection_state::connect(opts);
    if (!state) return unexpected(state.error());
    return connection(std::move(*state));
  }

  /// The nats.c connection, for what the bridge does not offer. Do not close
  /// or destroy it: use close().
  [[nodiscard]] natsConnection* native_handle() const noexcept { return state_->native(); }

  /// Closes the connection for good: every bridge on it ends.
  void close() const { state_->close(); }

  /// True once the connection is closed for good (reconnecting gave up,
  /// or close()); false while it is connected or reconnecting.
  [[nodiscard]] bool is_closed() const { return state_->closed(); }

  /// For the bridges: the shared state they keep alive.
  [[nodiscard]] const std::shared_ptr<detail::connection_state>& state() const noexcept { return state_; }

 private:
  explicit connection(std::shared_ptr<detail::connection_state> state) : state_(std::move(state)) {}

  std::shared_ptr<detail::connection_state> state_;
};

}  // namespace rill::nats
