// rill — the receiving handle of a channel.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/detail/receive_result.hpp>
#include <rill/error.hpp>
#include <rill/overflow.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace rill {

/// The receiving end of a channel. Cheap to copy: every copy is one more
/// consumer, and each message goes to exactly one of them. When the last
/// copy is destroyed the channel disconnects for senders, which fail at once
/// and get their values back, and buffered messages are destroyed.
template <class T>
class receiver {
 public:
  /// The message type.
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  receiver() noexcept = default;

  /// Blocks until a message arrives. Fails only when the channel is closed
  /// (or every sender is gone) and nothing is left buffered.
  RILL_NODISCARD_RECV expected<T, recv_error> recv() const {
    return detail::receive_result<T>(recv_error{}, [this](auto& destination) {
      (void)detail::blocking_recv(core(), destination, {});
      return recv_error{};
    });
  }

  /// Like recv(), but gives up with recv_timeout_error::stopped once a stop
  /// is requested through `stop` (a std::jthread's token, say), without
  /// closing the channel: a stopped receive has taken nothing. If the stop
  /// was requested before the call, it fails at once, even when a message
  /// is ready, so that `while (auto m = rx.recv(stop))` ends promptly.
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv(std::stop_token stop) const {
    return recv_limited({nullptr, detail::stop_pointer(stop)});
  }

  /// Takes a message only if one is ready: errc::empty if none is,
  /// errc::disconnected if none ever will be.
  RILL_NODISCARD_RECV expected<T, try_recv_error> try_recv() const {
    return detail::receive_result<T>(try_recv_error::empty, [this](auto& destination) {
      return core().recv(detail::receive_slot<T>::into(destination), nullptr, {}) == detail::op_result::disconnected
                 ? try_recv_error::disconnected
                 : try_recv_error::empty;
    });
  }

  /// Like recv(), but gives up with errc::timeout after `timeout` (and with
  /// errc::stopped on a stop request through `stop`, as recv(stop)).
  template <class Rep, class Period>
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv_timeout(const std::chrono::duration<Rep, Period>& timeout,
                                                                   std::stop_token stop = {}) const {
    const detail::steady_deadline deadline = detail::deadline_after(timeout);
    return recv_limited({&deadline, detail::stop_pointer(stop)});
  }

  /// Like recv(), but gives up with errc::timeout at `deadline` (and with
  /// errc::stopped on a stop request through `stop`, as recv(stop)).
  template <class Clock, class Duration>
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv_deadline(
      const std::chrono::time_point<Clock, Duration>& deadline, std::stop_token stop = {}) const {
    const detail::steady_deadline steady = detail::to_steady_deadline(deadline);
    return recv_limited({&steady, detail::stop_pointer(stop)});
  }

  /// Blocks until at least one message is ready, then appends up to `max`
  /// messages to `out` (anything with push_back(T&&)) under one lock. Returns
  /// how many were appended: 0 only when the channel is disconnected and
  /// drained, when `max` is 0, or when a stop was requested through `stop`
  /// (before the call, or while it waited). Each message moves straight from
  /// the channel into push_back; if push_back throws (and leaves `out` as it
  /// was, as std::vector does), that message stays in the channel, with the
  /// rest, and the exception propagates.
  template <class Container>
  [[nodiscard("how many messages were appended; 0 when the channel is disconnected and drained")]] std::size_t
  recv_many(Container& out, std::size_t max, std::stop_token stop = {}) const {
    const detail::wait_limit limit{nullptr, detail::stop_pointer(stop)};
    if (max == 0 || limit.stop_requested()) return 0;
    detail::appender<Container> destination{out};
    const auto append = detail::receive_slot<T>::into(destination);
    std::size_t taken = 0;
    if (core().recv_batch(append, max, taken) != detail::op_result::would_block) return taken;
    if (detail::blocking_recv(core(), destination, limit) != detail::blocking_result::done) return 0;
    std::size_t more = 0;
    if (max > 1) (void)core().recv_batch(append, max - 1, more);
    return 1 + more;
  }

  /// Appends to `out` up to `max` messages that are ready now, in order,
  /// under one lock, without blocking. Returns how many were appended (0
  /// when none was ready or the channel is disconnected and drained; then
  /// is_closed() tells which). A push_back that throws leaves its message
  /// in the channel, as recv_many.
  template <class Container>
  [[nodiscard("how many messages were appended")]] std::size_t try_recv_many(Container& out, std::size_t max) const {
    if (max == 0) return 0;
    detail::appender<Container> destination{out};
    std::size_t taken = 0;
    (void)core().recv_batch(detail::receive_slot<T>::into(destination), max, taken);
    return taken;
  }

  /// Receives asynchronously. Any Asio completion token works; the
  /// signature is `void(std::error_code, T)` (`std::optional<T>` in place of
  /// `T` when T is not default-constructible), failing with
  /// errc::disconnected once the channel is closed and drained, or with
  /// asio::error::operation_aborted when cancelled through the handler's
  /// cancellation slot (any cancellation type). Cancel-safe: the message is
  /// taken on the handler's executor right before the handler runs, so a
  /// cancelled receive has taken nothing and the message stays in the
  /// channel for the next receiver. The handler runs on its associated
  /// executor (asio::system_executor if it has none), never inside another
  /// thread's call. With asio::use_awaitable a ready message is returned to
  /// the coroutine without suspending it (within a budget, see
  /// detail/awaitable_ops.hpp).
  ///
  /// Part of the Asio layer: defined in <rill/async_recv.hpp>, which
  /// <rill/asio.hpp> and <rill/rill.hpp> include. Without it a call fails to
  /// compile ("use of ... before deduction of 'auto'").
  template <class CompletionToken>
  auto async_recv(CompletionToken&& token) const;


  /// Receives a batch asynchronously: completes once at least one message
  /// is ready, having appended up to `max` of them to `out` (anything with
  /// push_back(T&&)) in order under one lock, or fails as async_recv does.
  /// The signature is `void(std::error_code, std::size_t)`, the count
  /// appended (0 on failure). `out` must outlive the operation; it is
  /// touched only on the handler's executor, right before the handler runs,
  /// which makes the receive cancel-safe as async_recv: a cancelled one has
  /// appended nothing and left every message in the channel. Throws
  /// std::invalid_argument when `max` is 0.
  ///
  /// Part of the Asio layer: defined in <rill/async_recv.hpp>.
  template <class Container, class CompletionToken>
  auto async_recv_many(Container& out, std::size_t max, CompletionToken&& token) const;

  /// Closes the channel from the receiving side: new sends fail and waiting
  /// senders get their values back; what is buffered can still be received.
  /// Idempotent; affects every handle of the channel.
  void close() const { core().close(); }

  /// True once the channel is closed or either side is entirely gone.
  [[nodiscard]] bool is_closed() const { return core().is_closed(); }

  /// Messages buffered now.
  [[nodiscard]] std::size_t size() const { return core().size(); }

  /// The buffer size given to sync_channel (0 for rendezvous); empty for an
  /// unbounded channel.
  [[nodiscard]] std::optional<std::size_t> capacity() const { return core().capacity(); }

  /// Live sender handles of the channel (every copy counts; weak senders
  /// do not). 0 means no message can arrive beyond those buffered.
  [[nodiscard]] std::size_t sender_count() const { return core().sender_count(); }
  /// Live receiver handles of the channel, this one included.
  [[nodiscard]] std::size_t receiver_count() const { return core().receiver_count(); }
  /// Weak senders (sender::downgrade) of the channel.
  [[nodiscard]] std::size_t weak_sender_count() const { return core().weak_sender_count(); }

  // Metrics: cheap reads without the channel's lock, each recent but not
  // all from the same instant, so approximate while the channel is in use.

  /// Senders blocked or suspended waiting for room (or, on a rendezvous
  /// channel, for a receiver). Approximate: it may still count an arm of a
  /// select that has completed on another channel, until a partner meets it.
  [[nodiscard]] std::size_t waiting_senders() const { return core().waiting_senders(); }
  /// Receivers blocked or suspended waiting for a message; approximate as
  /// waiting_senders().
  [[nodiscard]] std::size_t waiting_receivers() const { return core().waiting_receivers(); }
  /// The most messages buffered at once since the channel was made or
  /// reset_high_water_mark() was called (always 0 on a rendezvous channel).
  [[nodiscard]] std::size_t high_water_mark() const { return core().high_water_mark(); }
  /// Restarts the high-water mark from the number of messages buffered now.
  void reset_high_water_mark() const { core().reset_high_water_mark(); }
  /// Messages the channel destroyed without delivering them: dropped by
  /// its overflow policy, or buffered when the last receiver went. Each
  /// went to the undelivered hook, if the channel has one.
  [[nodiscard]] std::uint64_t undelivered_count() const { return core().undelivered_count(); }
  /// What a send on a full channel does (sync_channel's policy; `wait` for
  /// unbounded and rendezvous channels).
  [[nodiscard]] overflow overflow_policy() const { return core().overflow_policy(); }

  /// False for an empty handle (default-constructed or moved from), on
  /// which every operation throws std::logic_error; says nothing about
  /// whether the channel is still connected (see is_closed()).
  explicit operator bool() const noexcept { return handle_.valid(); }

  /// Whether both handles belong to the same channel.
  friend bool operator==(const receiver& a, const receiver& b) noexcept {
    return a.handle_.get() == b.handle_.get();
  }

  // ---- iteration ----------------------------------------------------------

  /// Iterates by blocking recv() until the channel is disconnected and
  /// drained: `for (T& message : rx) ...`. Each message is owned by the
  /// iterator until the next increment; move from it to keep it.
  class iterator {
   public:
    /// The message type.
    using value_type = T;
    /// Required of an input iterator; unused.
    using difference_type = std::ptrdiff_t;
    /// What operator* gives.
    using reference = T&;

    /// A past-the-end iterator (equal to the sentinel).
    iterator() = default;

    /// The current message, owned by the iterator until the next increment.
    T& operator*() const { return *current_; }
    /// The current message's members.
    T* operator->() const { return &*current_; }
    /// Receives the next message, blocking as the range does; at the end
    /// (disconnected and drained, stopped, or for try_iter() nothing ready)
    /// the iterator equals the sentinel.
    iterator& operator++() {
      advance();
      return *this;
    }
    /// As the prefix form; returns nothing (a single-pass input iterator).
    void operator++(int) { advance(); }

    /// True once the iteration is over: no current message.
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return !it.current_; }

   private:
    friend class receiver;
    /// A blocking iterator waits with `limit`; one that does not block
    /// (try_iter) has none.
    iterator(const receiver* rx, std::optional<detail::wait_limit> limit) : rx_(rx), limit_(limit) { advance(); }

    /// The next message moves straight into `current_`.
    void advance() {
      current_.reset();
      if (limit_)
        (void)detail::blocking_recv(rx_->core(), current_, *limit_);
      else
        (void)rx_->core().recv(detail::receive_slot<T>::into(current_), nullptr, {});
    }

    const receiver* rx_ = nullptr;
    std::optional<detail::wait_limit> limit_;
    mutable std::optional<T> current_;
  };

  /// Blocks for the first message (see iterator); the loop ends when the
  /// channel is disconnected and drained.
  iterator begin() const { return iterator(this, detail::wait_limit{}); }
  /// The sentinel an iterator equals once the iteration is over.
  std::default_sentinel_t end() const noexcept { return {}; }

  /// What `iter(stop)` returns: a blocking range that also ends on a stop.
  class stoppable_range {
   public:
    /// Blocks for the first message; the iteration ends once the channel
    /// is disconnected and drained or a stop is requested.
    iterator begin() { return iterator(rx_, detail::wait_limit{nullptr, detail::stop_pointer(stop_)}); }
    /// The sentinel an iterator equals once the iteration is over.
    std::default_sentinel_t end() const noexcept { return {}; }

   private:
    friend class receiver;
    stoppable_range(const receiver* rx, std::stop_token stop) noexcept : rx_(rx), stop_(std::move(stop)) {}
    const receiver* rx_;
    std::stop_token stop_;
  };

  /// Iterates like `for (T& message : rx)`, and also ends once a stop is
  /// requested through `stop`: `for (T& job : rx.iter(stop)) ...` in a
  /// std::jthread ends when the thread is asked to stop, without closing the
  /// channel. The range owns its copy of the token.
  stoppable_range iter(std::stop_token stop) const { return stoppable_range(this, std::move(stop)); }

  /// What `try_iter()` returns: a range over the messages ready now.
  class try_range {
   public:
    /// Takes the first ready message, if any, without blocking.
    iterator begin() { return iterator(rx_, std::nullopt); }
    /// The sentinel an iterator equals once the iteration is over.
    std::default_sentinel_t end() const noexcept { return {}; }

   private:
    friend class receiver;
    explicit try_range(const receiver* rx) noexcept : rx_(rx) {}
    const receiver* rx_;
  };

  /// Iterates over the messages that are ready, without blocking:
  /// `for (T& message : rx.try_iter()) ...` ends at the first try_recv() that
  /// finds the channel empty or disconnected.
  try_range try_iter() const { return try_range(this); }

 private:
  friend struct detail::channel_access;

  explicit receiver(detail::channel_core<T>* core) noexcept : handle_(core) {}

  detail::channel_core<T>& core() const { return handle_.checked(); }

  expected<T, recv_timeout_error> recv_limited(detail::wait_limit limit) const {
    return detail::receive_result<T>(recv_timeout_error::timeout, [&](auto& destination) {
      return static_cast<recv_timeout_error>(detail::reason_of(detail::blocking_recv(core(), destination, limit)));
    });
  }

  detail::core_handle<T, detail::channel_side::receive> handle_;
};

}  // namespace rill
