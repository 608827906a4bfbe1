// rill — the receiving handle of a channel.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/detail/receive_result.hpp>
#include <rill/error.hpp>

#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
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
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  receiver() noexcept = default;

  /// Blocks until a message arrives. Fails only when the channel is closed
  /// (or every sender is gone) and nothing is left buffered.
  RILL_NODISCARD_RECV expected<T, recv_error> recv() const {
    return detail::receive_result<T>(recv_error{}, [this](auto& destination) {
      (void)detail::blocking_recv(core(), destination, nullptr);
      return recv_error{};
    });
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

  /// Like recv(), but gives up with errc::timeout after `timeout`.
  template <class Rep, class Period>
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv_timeout(const std::chrono::duration<Rep, Period>& timeout) const {
    return recv_until(detail::deadline_after(timeout));
  }

  /// Like recv(), but gives up with errc::timeout at `deadline`.
  template <class Clock, class Duration>
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv_deadline(const std::chrono::time_point<Clock, Duration>& deadline) const {
    return recv_until(detail::to_steady_deadline(deadline));
  }

  /// Blocks until at least one message is ready, then appends up to `max`
  /// messages to `out` (anything with push_back(T&&)) under one lock. Returns
  /// how many were appended: 0 only when the channel is disconnected and
  /// drained, or when `max` is 0. Each message moves straight from the
  /// channel into push_back; if push_back throws (and leaves `out` as it
  /// was, as std::vector does), that message stays in the channel, with the
  /// rest, and the exception propagates.
  template <class Container>
  [[nodiscard("how many messages were appended; 0 when the channel is disconnected and drained")]] std::size_t
  recv_many(Container& out, std::size_t max) const {
    if (max == 0) return 0;
    detail::appender<Container> destination{out};
    const auto append = detail::receive_slot<T>::into(destination);
    bool disconnected = false;
    std::size_t taken = core().recv_batch(append, max, disconnected);
    if (taken != 0 || disconnected) return taken;
    if (detail::blocking_recv(core(), destination, nullptr) != detail::op_result::done) return 0;
    bool ignored = false;
    return 1 + core().recv_batch(append, max - 1, ignored);
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

  [[nodiscard]] std::size_t sender_count() const { return core().sender_count(); }
  [[nodiscard]] std::size_t receiver_count() const { return core().receiver_count(); }

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
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using reference = T&;

    iterator() = default;

    T& operator*() const { return *current_; }
    T* operator->() const { return &*current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }

    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return !it.current_; }

   private:
    friend class receiver;
    explicit iterator(const receiver* rx, bool blocking) : rx_(rx), blocking_(blocking) { advance(); }

    /// The next message moves straight into `current_`.
    void advance() {
      current_.reset();
      if (blocking_)
        (void)detail::blocking_recv(rx_->core(), current_, nullptr);
      else
        (void)rx_->core().recv(detail::receive_slot<T>::into(current_), nullptr, {});
    }

    const receiver* rx_ = nullptr;
    bool blocking_ = true;
    mutable std::optional<T> current_;
  };

  iterator begin() const { return iterator(this, true); }
  std::default_sentinel_t end() const noexcept { return {}; }

  /// What `try_iter()` returns: a range over the messages ready now.
  class try_range {
   public:
    iterator begin() { return iterator(rx_, false); }
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

  expected<T, recv_timeout_error> recv_until(detail::steady_deadline deadline) const {
    return detail::receive_result<T>(recv_timeout_error::timeout, [&](auto& destination) {
      return detail::blocking_recv(core(), destination, &deadline) == detail::op_result::disconnected
                 ? recv_timeout_error::disconnected
                 : recv_timeout_error::timeout;
    });
  }

  detail::core_handle<T, detail::channel_side::receive> handle_;
};

}  // namespace rill
