// rill — error values of channel operations.
//
// The set mirrors Rust's std::sync::mpsc: a send that fails always hands the
// value back inside its error, a receive fails only when nothing is buffered
// and nothing more can arrive (or when a try/timed form gives up). Every
// error also maps to a std::error_code in the "rill" category, which is what
// the asynchronous operations complete with. fmt formatters for every error
// type come with <rill/fmt.hpp>.
#pragma once

#include <rill/detail/config.hpp>

#include <tl/expected.hpp>

#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill {

/// The value-or-error type every blocking and non-blocking operation returns.
template <class T, class E>
using expected = tl::expected<T, E>;

// Why a result must not be dropped, as the compiler words the warning.
// tl::expected is not [[nodiscard]] itself, so every rill function that
// returns one carries the attribute.

/// On a send: a failed send hands its value back in the error.
#define RILL_NODISCARD_SEND \
  [[nodiscard("a failed send hands its value back in the error: dropping the result drops the value unseen")]]
/// On a receive or a select: what was received is in the result.
#define RILL_NODISCARD_RECV [[nodiscard("the message received, or why there is none, is in the result")]]

/// Wraps an error for returning from a function whose type is `expected`
/// (a using-declaration rather than an alias, so `unexpected(e)` deduces).
using tl::unexpected;

/// Why a channel operation did not complete.
enum class errc {
  disconnected = 1,  ///< the other side is gone or the channel was closed
  full,              ///< a bounded channel had no room (try forms only)
  empty,             ///< nothing was buffered (try forms only)
  timeout,           ///< the deadline passed first (timed forms only)
  stopped,           ///< a stop was requested through the wait's std::stop_token first
  lagged,            ///< a broadcast receiver fell behind and lost messages (broadcast only)
};

/// The "rill" error category: one object per program (detail/config.hpp
/// says how in each build mode), so that equal errors compare equal.
RILL_DECL const std::error_category& error_category() noexcept;

/// `e` as a std::error_code of the "rill" category; also what lets
/// `std::error_code ec = rill::errc::full;` compile (errc is registered as
/// an error-code enum).
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// A blocking send failed because the channel is disconnected; the value is
/// handed back.
template <class T>
struct RILL_NODISCARD_SEND send_error {
  /// The value that was not sent, moved back out of the send.
  T value;

  /// Always errc::disconnected: the only way a blocking send fails.
  errc kind() const noexcept { return errc::disconnected; }
  /// kind() as an error code of the "rill" category.
  std::error_code code() const noexcept { return make_error_code(kind()); }
  /// Takes the value back out of the error.
  T into_inner() && { return std::move(value); }
};

/// A try_send failed: the channel was full or disconnected; the value is
/// handed back.
template <class T>
struct RILL_NODISCARD_SEND try_send_error {
  errc reason;  ///< errc::full or errc::disconnected
  /// The value that was not sent, moved back out of the send.
  T value;

  /// Why: `reason`.
  errc kind() const noexcept { return reason; }
  /// True if the channel had no room: retrying later may succeed.
  bool is_full() const noexcept { return reason == errc::full; }
  /// True if every receiver is gone (or the channel was closed): no send
  /// will ever succeed again.
  bool is_disconnected() const noexcept { return reason == errc::disconnected; }
  /// kind() as an error code of the "rill" category.
  std::error_code code() const noexcept { return make_error_code(reason); }
  /// Takes the value back out of the error.
  T into_inner() && { return std::move(value); }
};

/// A send that can give up failed: send_timeout / send_deadline when the
/// deadline passed, the forms taking a std::stop_token when a stop was
/// requested, or the channel is disconnected; the value is handed back.
template <class T>
struct RILL_NODISCARD_SEND send_timeout_error {
  errc reason;  ///< errc::timeout, errc::stopped or errc::disconnected
  /// The value that was not sent, moved back out of the send.
  T value;

  /// Why: `reason`.
  errc kind() const noexcept { return reason; }
  /// True if the timeout or deadline passed before there was room.
  bool is_timeout() const noexcept { return reason == errc::timeout; }
  /// True if a stop was requested through the send's std::stop_token.
  bool is_stopped() const noexcept { return reason == errc::stopped; }
  /// True if every receiver is gone (or the channel was closed).
  bool is_disconnected() const noexcept { return reason == errc::disconnected; }
  /// kind() as an error code of the "rill" category.
  std::error_code code() const noexcept { return make_error_code(reason); }
  /// Takes the value back out of the error.
  T into_inner() && { return std::move(value); }
};

/// A blocking recv failed: the channel is disconnected and drained.
struct [[nodiscard("why nothing was received")]] recv_error {
  /// Always errc::disconnected: the only way a blocking recv fails.
  errc kind() const noexcept { return errc::disconnected; }
  /// kind() as an error code of the "rill" category.
  std::error_code code() const noexcept { return make_error_code(kind()); }
  /// All recv_errors are equal (there is one reason).
  friend bool operator==(recv_error, recv_error) noexcept = default;
};

/// A try_recv failed: nothing was buffered, or the channel is disconnected
/// and drained.
enum class [[nodiscard("why nothing was received")]] try_recv_error { empty = static_cast<int>(errc::empty), disconnected = static_cast<int>(errc::disconnected) };

/// A receive that can give up failed: recv_timeout / recv_deadline when the
/// deadline passed, the forms taking a std::stop_token when a stop was
/// requested, or the channel is disconnected and drained.
enum class [[nodiscard("why nothing was received")]] recv_timeout_error {
  timeout = static_cast<int>(errc::timeout),
  disconnected = static_cast<int>(errc::disconnected),
  stopped = static_cast<int>(errc::stopped),
};

/// A broadcast receiver fell behind (broadcast_overflow::lag): `missed`
/// messages were overwritten before it read them. Reported once; the next
/// receive returns the oldest message still held.
struct lagged {
  std::uint64_t missed;  ///< how many messages this receiver lost
  /// Equal when `missed` is.
  friend bool operator==(lagged, lagged) noexcept = default;
};

/// A receive on a broadcast failed: the reasons of `E` (recv_error,
/// try_recv_error or recv_timeout_error, after the receive form, as on a
/// channel) or a lag, which carries how many messages were missed (tokio's
/// `RecvError::Lagged(n)`). One template rather than three structs: the
/// forms differ only in which reasons `E` can hold, and it holds only
/// those.
template <class E>
class [[nodiscard("why nothing was received")]] broadcast_error {
 public:
  /// The reasons a receive form shares with a channel's; implicit, so
  /// that `return try_recv_error::empty;` reads as it does on a channel.
  broadcast_error(E e) noexcept : reason_(kind_of(e)) {}
  /// A lag: `l.missed` messages were lost.
  broadcast_error(lagged l) noexcept : reason_(errc::lagged), missed_(l.missed) {}

  /// Why: one of `E`'s reasons, or errc::lagged.
  errc kind() const noexcept { return reason_; }
  /// kind() as an error code of the "rill" category.
  std::error_code code() const noexcept { return make_error_code(reason_); }

  /// True if this receiver fell behind and lost missed() messages; the
  /// next receive returns the oldest message still held.
  bool is_lagged() const noexcept { return reason_ == errc::lagged; }
  /// True if every sender is gone (or the broadcast was closed) and this
  /// receiver has read everything.
  bool is_disconnected() const noexcept { return reason_ == errc::disconnected; }
  /// True if nothing was there to read (try_recv only).
  bool is_empty() const noexcept { return reason_ == errc::empty; }
  /// True if the timeout or deadline passed first (timed forms only).
  bool is_timeout() const noexcept { return reason_ == errc::timeout; }
  /// True if a stop was requested through the receive's std::stop_token.
  bool is_stopped() const noexcept { return reason_ == errc::stopped; }

  /// With a lag: how many messages were lost; 0 otherwise.
  std::uint64_t missed() const noexcept { return missed_; }

  /// Equal when the reason and the count of missed messages are.
  friend bool operator==(const broadcast_error&, const broadcast_error&) noexcept = default;

 private:
  static errc kind_of(E e) noexcept {
    if constexpr (std::is_enum_v<E>)
      return static_cast<errc>(e);
    else
      return e.kind();
  }

  errc reason_;
  std::uint64_t missed_ = 0;
};

/// A broadcast's recv(): errc::disconnected (every sender gone, or closed,
/// and all read) or errc::lagged.
using broadcast_recv_error = broadcast_error<recv_error>;
/// A broadcast's try_recv(): errc::empty, errc::disconnected or errc::lagged.
using broadcast_try_recv_error = broadcast_error<try_recv_error>;
/// A broadcast's timed and stoppable receives: errc::timeout, errc::stopped,
/// errc::disconnected or errc::lagged.
using broadcast_recv_timeout_error = broadcast_error<recv_timeout_error>;

/// `e` as a std::error_code of the "rill" category (same value as the
/// matching errc, so it compares equal to it).
inline std::error_code make_error_code(try_recv_error e) noexcept {
  return {static_cast<int>(e), error_category()};
}
/// `e` as a std::error_code of the "rill" category (same value as the
/// matching errc, so it compares equal to it).
inline std::error_code make_error_code(recv_timeout_error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rill

template <>
struct std::is_error_code_enum<rill::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<rill::try_recv_error> : std::true_type {};
template <>
struct std::is_error_code_enum<rill::recv_timeout_error> : std::true_type {};

#if defined(RILL_HEADER_ONLY)
#include <rill/detail/impl/error.ipp>
#endif
