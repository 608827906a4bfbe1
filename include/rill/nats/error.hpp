// rill::nats — errors of the NATS JetStream layer, in one category, "rill.nats".
//
// One category holds three kinds of codes, told apart by range:
//   1 .. 999        nats.c's natsStatus (NATS_TIMEOUT, NATS_CONNECTION_CLOSED, ...)
//   1000 .. 1999    the bridge's own errors (rill::nats::errc)
//   10000 and up    JetStream's jsErrCode (JSStreamNotFoundErr, ...), as the
//                   server reports them
// so that one std::error_code carries whichever layer failed; compare it with
// make_error_code(NATS_TIMEOUT), make_error_code(JSStreamNotFoundErr) or
// rill::nats::errc::bad_payload.
#pragma once

#include <nats/nats.h>

#include <string>
#include <system_error>

namespace rill::nats {

/// The bridge's own errors.
enum class errc {
  /// A stream or consumer exists with a configuration other than the one
  /// asked for (the bridge never changes or re-creates them).
  config_mismatch = 1000,
  /// A payload could not be decoded (malformed, truncated, wrong size).
  bad_payload,
  /// A payload's Content-Type header names another codec.
  wrong_content_type,
  /// The codec could not encode a value.
  encode_failed,
  /// The connection was closed for good (reconnecting gave up, or it was closed).
  connection_closed,
  /// An option is out of range, or a name is empty.
  invalid_option,
  /// The delivery was already acked, naked or termed, or holds no message.
  not_pending,
};

namespace detail {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "rill.nats"; }

  std::string message(int code) const override {
    if (code >= 10000) return "JetStream error " + std::to_string(code);
    switch (code) {
      case static_cast<int>(errc::config_mismatch):
        return "the stream or consumer exists with another configuration";
      case static_cast<int>(errc::bad_payload):
        return "the payload could not be decoded";
      case static_cast<int>(errc::wrong_content_type):
        return "the payload's Content-Type names another codec";
      case static_cast<int>(errc::encode_failed):
        return "the value could not be encoded";
      case static_cast<int>(errc::connection_closed):
        return "the NATS connection is closed for good";
      case static_cast<int>(errc::invalid_option):
        return "an option is out of range, or a name is empty";
      case static_cast<int>(errc::not_pending):
        return "the delivery was already settled, or holds no message";
      default:
        break;
    }
    if (code > 0 && code < 1000) return natsStatus_GetText(static_cast<natsStatus>(code));
    return "unknown rill.nats error " + std::to_string(code);
  }
};

}  // namespace detail

/// The "rill.nats" category. The layer is header-only: the static in this
/// inline function is one object per binary (two shared libraries built with
/// hidden visibility would each have their own).
inline const std::error_category& error_category() noexcept {
  static const detail::category_impl category;
  return category;
}

/// `e` as a std::error_code of the "rill.nats" category; also what lets
/// `ec == rill::nats::errc::bad_payload` compile (errc is registered as an
/// error-code enum).
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

/// nats.c's status as an error code (NATS_OK gives the empty error code).
inline std::error_code make_error_code(natsStatus s) noexcept {
  if (s == NATS_OK) return {};
  return {static_cast<int>(s), error_category()};
}

/// A JetStream error code as an error code (0 gives the empty error code).
inline std::error_code make_error_code(jsErrCode e) noexcept {
  if (static_cast<int>(e) == 0) return {};
  return {static_cast<int>(e), error_category()};
}

/// What a failed nats.c JetStream call reports: the JetStream code when the
/// server gave one, the status otherwise.
inline std::error_code make_error_code(natsStatus s, jsErrCode e) noexcept {
  return static_cast<int>(e) != 0 ? make_error_code(e) : make_error_code(s);
}

}  // namespace rill::nats

template <>
struct std::is_error_code_enum<rill::nats::errc> : std::true_type {};
