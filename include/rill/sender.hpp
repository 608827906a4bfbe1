// rill — the sending handle of a channel.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/error.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace rill {

template <class T>
class receiver;

/// The sending end of a channel. Cheap to copy: every copy is one more
/// producer, and the channel disconnects for receivers when the last copy is
/// destroyed (after they drain what is buffered). Safe to use from several
/// threads at once; one handle object is not meant to be assigned while
/// others use it, like any C++ value.
///
/// Every failed send hands the value back inside its error.
template <class T>
class sender {
 public:
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  sender() noexcept = default;

  /// Sends `value`, blocking while a bounded channel is full (for a
  /// rendezvous channel, until a receiver takes it). Fails only when the
  /// channel is closed or every receiver is gone.
  RILL_NODISCARD_SEND expected<void, send_error<T>> send(T value) const {
    const auto r = detail::blocking_send(core(), value, nullptr);
    if (r == detail::op_result::done) return {};
    return unexpected(send_error<T>{std::move(value)});
  }

  /// Sends `value` only if that needs no waiting: fails with errc::full when
  /// a bounded channel has no room (a rendezvous channel: no receiver is
  /// waiting) and with errc::disconnected when closed.
  RILL_NODISCARD_SEND expected<void, try_send_error<T>> try_send(T value) const {
    const auto r = core().send(value, nullptr);
    if (r == detail::op_result::done) return {};
    const errc why = r == detail::op_result::disconnected ? errc::disconnected : errc::full;
    return unexpected(try_send_error<T>{why, std::move(value)});
  }

  /// Like send(), but gives up with errc::timeout after `timeout`.
  template <class Rep, class Period>
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send_timeout(T value, const std::chrono::duration<Rep, Period>& timeout) const {
    return send_until(value, detail::deadline_after(timeout));
  }

  /// Like send(), but gives up with errc::timeout at `deadline`.
  template <class Clock, class Duration>
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send_deadline(
      T value, const std::chrono::time_point<Clock, Duration>& deadline) const {
    return send_until(value, detail::to_steady_deadline(deadline));
  }

  /// Sends `value` asynchronously: completes once the message is buffered
  /// or, on a rendezvous channel, held by a receiver. Any Asio completion
  /// token works; the signature is `void(std::error_code, std::optional<T>)`
  /// and the optional holds the value handed back when the send failed:
  /// errc::disconnected, or asio::error::operation_aborted when cancelled
  /// (through the handler's cancellation slot, any cancellation type) before
  /// a receiver took it. A send already taken completes with success even if
  /// a cancellation arrives later: its message was delivered. With a token
  /// that turns errors into exceptions (asio::use_awaitable), the value is
  /// destroyed with the exception; use as_tuple to get it back.
  /// The handler runs on its associated executor (asio::system_executor if
  /// it has none), never inside another thread's call. With
  /// asio::use_awaitable a send that can complete at once does so without
  /// suspending the coroutine (within a budget, see detail/awaitable_ops.hpp).
  ///
  /// Part of the Asio layer: defined in <rill/async_send.hpp>, which
  /// <rill/asio.hpp> and <rill/rill.hpp> include. Without it a call fails to
  /// compile ("use of ... before deduction of 'auto'").
  template <class CompletionToken>
  auto async_send(T value, CompletionToken&& token) const;


  /// Closes the channel: new sends fail, waiting senders get their values
  /// back, receivers drain what is buffered and then see disconnected.
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

  /// False for a default-constructed or moved-from handle.
  explicit operator bool() const noexcept { return handle_.valid(); }

  /// Whether both handles belong to the same channel.
  friend bool operator==(const sender& a, const sender& b) noexcept { return a.handle_.get() == b.handle_.get(); }

 private:
  friend struct detail::channel_access;

  explicit sender(detail::channel_core<T>* core) noexcept : handle_(core) {}

  detail::channel_core<T>& core() const { return handle_.checked(); }

  expected<void, send_timeout_error<T>> send_until(T& value, detail::steady_deadline deadline) const {
    const auto r = detail::blocking_send(core(), value, &deadline);
    if (r == detail::op_result::done) return {};
    const errc why = r == detail::op_result::disconnected ? errc::disconnected : errc::timeout;
    return unexpected(send_timeout_error<T>{why, std::move(value)});
  }

  detail::core_handle<T, detail::channel_side::send> handle_;
};

}  // namespace rill
