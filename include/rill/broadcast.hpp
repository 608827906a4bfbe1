// rill — broadcast: every message to every receiver.
//
//   auto [tx, rx] = rill::broadcast<event>(64);       // the last 64 messages are kept
//   auto rx2 = tx.subscribe();                         // sees what is sent from now on
//   (void)tx.send(event{...});                         // both receivers will get it
//   for (;;) {
//     auto e = rx.recv();
//     if (e) handle(*e);
//     else if (e.error().is_lagged()) log("missed {}", e.error().missed());   // then goes on
//     else break;                                      // every sender gone, all read
//   }
//
// Semantics are tokio's `sync::broadcast`: a ring of `capacity` messages;
// every receiver gets every message sent after it subscribed, in order. A
// receiver that falls `capacity` behind loses the oldest ones and is told
// how many, once, before its next message (broadcast_overflow::lag, the
// default), or the senders wait for it (broadcast_overflow::wait).
//
// Each receiver gets its own T: the first readers of a message copy it, the
// last one moves it out, which frees its slot (detail/broadcast_core.hpp
// says why not a shared pointer). T must be copy-constructible.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/broadcast_core.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/detail/receive_result.hpp>
#include <rill/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace rill {

template <class T>
class broadcast_sender;
template <class T>
class broadcast_receiver;
template <class T>
class broadcast_recv_arm;

/// A broadcast keeping the last `capacity` messages (at least 1, else
/// std::invalid_argument), with what happens when a receiver falls that
/// far behind: `policy`. Returns its sender and a receiver.
template <class T>
std::pair<broadcast_sender<T>, broadcast_receiver<T>> broadcast(std::size_t capacity,
                                                                broadcast_overflow policy = broadcast_overflow::lag);

namespace detail {

/// A broadcast's send side as attempt_then_park sees it: what it withdraws
/// a parked sender from is the senders' queue.
template <class T>
struct broadcast_send_side {
  broadcast_core<T>& core;
  bool abort(waiter_base& w) noexcept { return core.abort_send(w); }
};

}  // namespace detail

/// The sending end of a broadcast. Cheap to copy: every copy is one more
/// sender, and receivers see disconnected once the last is gone (after
/// reading what they have not read). Safe to use from several threads at
/// once.
///
/// Every failed send hands the value back inside its error.
template <class T>
class broadcast_sender {
 public:
  /// The message type.
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  broadcast_sender() noexcept = default;

  /// Sends `value` to every receiver there is now. Under
  /// broadcast_overflow::lag it never blocks (it may overwrite the oldest
  /// message); under broadcast_overflow::wait it blocks while the oldest
  /// message has not been read by every receiver. Fails when no receiver
  /// is left or the broadcast is closed.
  RILL_NODISCARD_SEND expected<void, send_error<T>> send(T value) const {
    if (blocking_send(value, {}) == detail::blocking_result::done) return {};
    return unexpected(send_error<T>{std::move(value)});
  }

  /// Like send(), but gives up with errc::stopped once a stop is requested
  /// through `stop` (at once if it was before the call), having sent
  /// nothing.
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send(T value, std::stop_token stop) const {
    return send_limited(std::move(value), {nullptr, detail::stop_pointer(stop)});
  }

  /// Sends only if that needs no waiting: fails with errc::full under
  /// broadcast_overflow::wait while the oldest message is unread, and with
  /// errc::disconnected as send().
  RILL_NODISCARD_SEND expected<void, try_send_error<T>> try_send(T value) const {
    const detail::op_result r = core().send(value, nullptr);
    if (r == detail::op_result::done) return {};
    return unexpected(try_send_error<T>{r == detail::op_result::disconnected ? errc::disconnected : errc::full,
                                        std::move(value)});
  }

  /// Like send(), but gives up with errc::timeout after `timeout` (and with
  /// errc::stopped on a stop request through `stop`, as send(value, stop)).
  template <class Rep, class Period>
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send_timeout(
      T value, const std::chrono::duration<Rep, Period>& timeout, std::stop_token stop = {}) const {
    const detail::steady_deadline deadline = detail::deadline_after(timeout);
    return send_limited(std::move(value), {&deadline, detail::stop_pointer(stop)});
  }

  /// Like send(), but gives up with errc::timeout at `deadline` (and with
  /// errc::stopped on a stop request through `stop`, as send(value, stop)).
  template <class Clock, class Duration>
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send_deadline(
      T value, const std::chrono::time_point<Clock, Duration>& deadline, std::stop_token stop = {}) const {
    const detail::steady_deadline steady = detail::to_steady_deadline(deadline);
    return send_limited(std::move(value), {&steady, detail::stop_pointer(stop)});
  }

  /// A new receiver, which gets every message sent from now on.
  [[nodiscard]] broadcast_receiver<T> subscribe() const {
    detail::broadcast_core<T>& c = core();
    c.retain();
    return broadcast_receiver<T>(&c, c.subscribe());
  }

  /// Closes the broadcast: sends fail from now on, waiting senders get
  /// their values back, and receivers read what they have not read, then
  /// see disconnected. Idempotent; affects every handle.
  void close() const { core().close(); }

  /// True once closed, or when no receiver is left: a send would fail.
  [[nodiscard]] bool is_closed() const { return core().send_closed(); }
  /// Receivers of the broadcast now (each gets the messages sent from now on).
  [[nodiscard]] std::size_t receiver_count() const { return core().receiver_count(); }
  /// Senders of the broadcast now; it closes when the last one goes.
  [[nodiscard]] std::size_t sender_count() const { return core().sender_count(); }
  /// How many messages are kept, as given to broadcast().
  [[nodiscard]] std::size_t capacity() const { return core().capacity(); }

  /// False for an empty handle (default-constructed or moved from); says
  /// nothing about whether the broadcast is closed (see is_closed()).
  explicit operator bool() const noexcept { return handle_.valid(); }

  /// Whether both handles belong to the same broadcast.
  friend bool operator==(const broadcast_sender& a, const broadcast_sender& b) noexcept {
    return a.handle_.get() == b.handle_.get();
  }

 private:
  friend std::pair<broadcast_sender, broadcast_receiver<T>> broadcast<T>(std::size_t, broadcast_overflow);
  explicit broadcast_sender(detail::broadcast_core<T>* core) noexcept : handle_(core) {}

  detail::broadcast_core<T>& core() const { return handle_.checked(); }

  /// Sends `value`, parking while there is no room; on anything but done,
  /// `value` is untouched.
  detail::blocking_result blocking_send(T& value, detail::wait_limit limit) const {
    detail::broadcast_core<T>& c = core();
    detail::broadcast_send_side<T> side{c};
    return detail::attempt_then_park(side, limit, [&](detail::waiter<T>& w) { return c.send(value, &w); });
  }

  expected<void, send_timeout_error<T>> send_limited(T value, detail::wait_limit limit) const {
    const detail::blocking_result r = blocking_send(value, limit);
    if (r == detail::blocking_result::done) return {};
    return unexpected(send_timeout_error<T>{detail::reason_of(r), std::move(value)});
  }

  detail::core_handle<T, detail::channel_side::send, detail::broadcast_core<T>> handle_;
};

/// The receiving end of a broadcast: a position in its stream of messages.
/// Copying makes an independent receiver at the same position (it gets
/// the same messages this one has yet to read). One receiver object is
/// used by one thread (or coroutine) at a time: receiving moves its
/// position.
template <class T>
class broadcast_receiver {
 public:
  /// The message type.
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  broadcast_receiver() noexcept = default;

  /// An independent receiver at `other`'s position: it gets the messages
  /// `other` has yet to read (and its lag, if it lags), and those are held
  /// until both read them.
  broadcast_receiver(const broadcast_receiver& other) noexcept
      : core_(other.core_), next_(other.next_), last_lag_(other.last_lag_) {
    if (core_ == nullptr) return;
    core_->retain();
    core_->add_receiver(next_);
  }

  /// Takes over `other`'s place, leaving it empty.
  broadcast_receiver(broadcast_receiver&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)), next_(other.next_), last_lag_(other.last_lag_) {}

  /// Copy or move assignment: this receiver goes (see the destructor) and
  /// takes `other`'s place.
  broadcast_receiver& operator=(broadcast_receiver other) noexcept {
    std::swap(core_, other.core_);
    std::swap(next_, other.next_);
    std::swap(last_lag_, other.last_lag_);
    return *this;
  }

  /// The messages this receiver had not read are read by one receiver
  /// fewer: freed if it was the last, under the broadcast's lock (so T's
  /// destructor must not use the same broadcast).
  ~broadcast_receiver() {
    if (core_ == nullptr) return;
    core_->remove_receiver(next_);
    core_->release();
  }

  /// Blocks until the next message. Fails with errc::lagged (and how many
  /// messages were lost; the next receive returns the oldest one held),
  /// or errc::disconnected once every sender is gone (or close() was
  /// called) and this receiver has read everything.
  RILL_NODISCARD_RECV expected<T, broadcast_recv_error> recv() { return receive(recv_error{}, {}, true); }

  /// Like recv(), but gives up with errc::stopped once a stop is requested
  /// through `stop` (at once if it was before the call), having taken
  /// nothing.
  RILL_NODISCARD_RECV expected<T, broadcast_recv_timeout_error> recv(std::stop_token stop) {
    return receive(recv_timeout_error::timeout, {nullptr, detail::stop_pointer(stop)}, true);
  }

  /// Takes the next message only if it is there: errc::empty when this
  /// receiver has read everything sent so far, else as recv().
  RILL_NODISCARD_RECV expected<T, broadcast_try_recv_error> try_recv() {
    return receive(try_recv_error::empty, {}, false);
  }

  /// Like recv(), but gives up with errc::timeout after `timeout` (and with
  /// errc::stopped on a stop request through `stop`, as recv(stop)).
  template <class Rep, class Period>
  RILL_NODISCARD_RECV expected<T, broadcast_recv_timeout_error> recv_timeout(
      const std::chrono::duration<Rep, Period>& timeout, std::stop_token stop = {}) {
    const detail::steady_deadline deadline = detail::deadline_after(timeout);
    return receive(recv_timeout_error::timeout, {&deadline, detail::stop_pointer(stop)}, true);
  }

  /// Like recv(), but gives up with errc::timeout at `deadline` (and with
  /// errc::stopped on a stop request through `stop`, as recv(stop)).
  template <class Clock, class Duration>
  RILL_NODISCARD_RECV expected<T, broadcast_recv_timeout_error> recv_deadline(
      const std::chrono::time_point<Clock, Duration>& deadline, std::stop_token stop = {}) {
    const detail::steady_deadline steady = detail::to_steady_deadline(deadline);
    return receive(recv_timeout_error::timeout, {&steady, detail::stop_pointer(stop)}, true);
  }

  /// Receives asynchronously, with any Asio completion token (and
  /// rill::use_task in a rill::task); the signature is
  /// `void(std::error_code, T)` (`std::optional<T>` in place of T when T is
  /// not default-constructible). Fails with errc::disconnected as recv()
  /// does, errc::lagged on a lag (how many were lost: last_lag()), or
  /// asio::error::operation_aborted when cancelled through the handler's
  /// slot. Cancel-safe: the message is taken on the handler's executor
  /// right before the handler runs, so a cancelled receive has taken
  /// nothing and the message is there for the next one. The receiver must
  /// outlive the operation and not be moved meanwhile (the operation moves
  /// its position), as an Asio I/O object must.
  ///
  /// Part of the Asio layer: defined in <rill/async_broadcast.hpp>, which
  /// <rill/asio.hpp> includes.
  template <class CompletionToken>
  auto async_recv(CompletionToken&& token);

  /// How many messages the last lag this receiver reported made it lose
  /// (0 before any): the count for a lag reported through an error code.
  [[nodiscard]] std::uint64_t last_lag() const noexcept { return last_lag_; }

  /// Messages this receiver has yet to read (what a lag lost not counted).
  [[nodiscard]] std::size_t size() const { return core().unread_by(next_); }
  /// True when this receiver has read every message sent so far.
  [[nodiscard]] bool empty() const { return size() == 0; }

  /// True once every sender is gone or close() was called (messages not
  /// read yet are still received).
  [[nodiscard]] bool is_closed() const { return core().closed(); }
  /// Senders of the broadcast now.
  [[nodiscard]] std::size_t sender_count() const { return core().sender_count(); }
  /// Receivers of the broadcast now, this one included.
  [[nodiscard]] std::size_t receiver_count() const { return core().receiver_count(); }

  /// A new receiver of the same broadcast that starts at the next message
  /// sent (tokio's resubscribe), not where this one is.
  [[nodiscard]] broadcast_receiver resubscribe() const {
    detail::broadcast_core<T>& c = core();
    c.retain();
    return broadcast_receiver(&c, c.subscribe());
  }

  /// False for an empty handle (default-constructed or moved from); says
  /// nothing about whether the broadcast is closed (see is_closed()).
  explicit operator bool() const noexcept { return core_ != nullptr; }

  /// Whether both handles belong to the same broadcast.
  friend bool operator==(const broadcast_receiver& a, const broadcast_receiver& b) noexcept {
    return a.core_ == b.core_;
  }

 private:
  friend class broadcast_sender<T>;
  friend class broadcast_recv_arm<T>;  // a select arm (select_kinds.hpp)
  friend std::pair<broadcast_sender<T>, broadcast_receiver> broadcast<T>(std::size_t, broadcast_overflow);

  /// Adopts a receiver count and a reference the caller already holds.
  broadcast_receiver(detail::broadcast_core<T>* core, std::uint64_t next) noexcept : core_(core), next_(next) {}

  detail::broadcast_core<T>& core() const {
    if (core_ == nullptr)
      throw std::logic_error("rill: operation on an empty broadcast receiver (default-constructed or moved-from)");
    return *core_;
  }

  /// One receive: parking if `blocking` (within `limit`), else one try
  /// that reports `would_block` as `E`'s `when_empty`. A lag is recorded
  /// in last_lag_ and reported.
  template <class E>
  expected<T, broadcast_error<E>> receive(E when_empty, detail::wait_limit limit, bool blocking) {
    detail::broadcast_core<T>& c = core();
    return detail::receive_result<T>(broadcast_error<E>(when_empty), [&](auto& destination) -> broadcast_error<E> {
      auto sink = detail::copy_or_move_into<T>(destination);
      std::uint64_t missed = 0;
      auto attempt = [&](detail::waiter<T>* w) {
        const auto o = c.recv(next_, sink, w);
        missed = o.missed;
        return o.result;
      };
      detail::blocking_result r = detail::blocking_result::done;
      if (blocking) {
        r = detail::attempt_then_park(c, limit, [&](detail::waiter<T>& w) { return attempt(&w); });
      } else {
        const detail::op_result o = attempt(nullptr);
        if (o == detail::op_result::would_block) return when_empty;
        if (o == detail::op_result::disconnected) r = detail::blocking_result::disconnected;
      }
      if (r == detail::blocking_result::done) {
        if (missed == 0) return when_empty;  // a message: the placeholder is not returned
        last_lag_ = missed;
        return lagged{missed};
      }
      return disconnected_as<E>(r);
    });
  }

  /// How `E` says why a blocking receive gave up.
  template <class E>
  static E disconnected_as(detail::blocking_result r) noexcept {
    if constexpr (std::is_same_v<E, recv_error>)
      return recv_error{};
    else if constexpr (std::is_same_v<E, try_recv_error>)
      return try_recv_error::disconnected;
    else
      return static_cast<E>(detail::reason_of(r));
  }

  detail::broadcast_core<T>* core_ = nullptr;
  std::uint64_t next_ = 0;      ///< the sequence number of the next message to read
  std::uint64_t last_lag_ = 0;  ///< see last_lag()
};

template <class T>
std::pair<broadcast_sender<T>, broadcast_receiver<T>> broadcast(std::size_t capacity, broadcast_overflow policy) {
  static_assert(detail::check_message_type<T>());
  static_assert(std::is_copy_constructible_v<T>,
                "rill::broadcast copies each message to every receiver but the last: T must be copy-constructible");
  if (capacity == 0) throw std::invalid_argument("rill::broadcast: capacity must be at least 1");
  // The core starts with one sender, one receiver (at message 0) and a
  // reference for each; the two handles adopt them.
  auto* core = new detail::broadcast_core<T>(capacity, policy);
  return {broadcast_sender<T>(core), broadcast_receiver<T>(core, 0)};
}

}  // namespace rill
