// rill — fmt formatters for rill's error types: errors print as their
// message, e.g. "channel full". A send error does not print its value, which
// may not be formattable. The one header of rill that needs fmt.
#pragma once

#include <rill/error.hpp>

#include <fmt/format.h>

#include <type_traits>

// Specializations of fmt's trait, outside rill's namespace: the reference
// (Doxygen) skips them; the comment at the top of this header is their doc.
/// @cond RILL_TRAIT_SPECIALIZATIONS
template <>
struct fmt::formatter<rill::errc> : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(rill::errc e, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(rill::make_error_code(e).message(), ctx);
  }
};

template <>
struct fmt::formatter<rill::try_recv_error> : fmt::formatter<rill::errc> {
  template <class FormatContext>
  auto format(rill::try_recv_error e, FormatContext& ctx) const {
    return fmt::formatter<rill::errc>::format(static_cast<rill::errc>(e), ctx);
  }
};

template <>
struct fmt::formatter<rill::recv_timeout_error> : fmt::formatter<rill::errc> {
  template <class FormatContext>
  auto format(rill::recv_timeout_error e, FormatContext& ctx) const {
    return fmt::formatter<rill::errc>::format(static_cast<rill::errc>(e), ctx);
  }
};

template <>
struct fmt::formatter<rill::recv_error> : fmt::formatter<rill::errc> {
  template <class FormatContext>
  auto format(rill::recv_error e, FormatContext& ctx) const {
    return fmt::formatter<rill::errc>::format(e.kind(), ctx);
  }
};

// One formatter serves the three send errors: they differ only in which
// reasons they can carry.
template <template <class> class SendError, class T>
  requires std::is_same_v<SendError<T>, rill::send_error<T>> ||
           std::is_same_v<SendError<T>, rill::try_send_error<T>> ||
           std::is_same_v<SendError<T>, rill::send_timeout_error<T>>
struct fmt::formatter<SendError<T>> : fmt::formatter<rill::errc> {
  template <class FormatContext>
  auto format(const SendError<T>& e, FormatContext& ctx) const {
    return fmt::formatter<rill::errc>::format(e.kind(), ctx);
  }
};

// A broadcast's receive errors print as their reason, and a lag with how
// many messages were lost: "broadcast receiver lagged behind: messages were
// lost (3 missed)".
template <class E>
struct fmt::formatter<rill::broadcast_error<E>> : fmt::formatter<rill::errc> {
  template <class FormatContext>
  auto format(const rill::broadcast_error<E>& e, FormatContext& ctx) const {
    if (!e.is_lagged()) return fmt::formatter<rill::errc>::format(e.kind(), ctx);
    return fmt::formatter<fmt::string_view>::format(
        fmt::format("{} ({} missed)", rill::make_error_code(e.kind()).message(), e.missed()), ctx);
  }
};
/// @endcond
