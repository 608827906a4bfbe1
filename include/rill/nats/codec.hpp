// rill::nats — how a value becomes a message payload and back.
//
// A codec for T is a type C with
//   static expected<void, std::error_code> encode(const T&, std::vector<std::byte>& out);
//   static expected<T, std::error_code>    decode(std::span<const std::byte> payload);
//   static constexpr std::string_view       content_type;
// encode appends to `out` (which the bridge clears and reuses, so encoding
// allocates only while the buffer grows). A codec reports bad input as an
// error value and never throws: a payload that does not decode is term()ed
// by the inbound pump and handed to failures(), and a value that does not
// encode is handed back through failures() unsent.
//
// The content type travels in each message's Content-Type header; a receiver
// rejects a payload whose header names another type (errc::wrong_content_type)
// and decodes one without the header (a message from a plain NATS client).
//
// Codecs here: bytes_codec (std::string and byte vectors; the default for
// them), trivial_codec<T> (trivially copyable T, raw bytes: both ends must
// share the architecture and the type's layout, so it is never a default)
// and json_codec<T> in <rill/nats/json.hpp>.
#pragma once

#include <rill/error.hpp>
#include <rill/nats/error.hpp>

#include <concepts>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace rill::nats {

/// What the bridge needs of a codec C for values of T (see the top of this
/// header): static encode and decode that report errors as values, and a
/// content_type for the Content-Type header.
template <class C, class T>
concept codec = requires(const T& value, std::vector<std::byte>& out, std::span<const std::byte> payload) {
  { C::encode(value, out) } -> std::same_as<expected<void, std::error_code>>;
  { C::decode(payload) } -> std::same_as<expected<T, std::error_code>>;
  { C::content_type } -> std::convertible_to<std::string_view>;
};

/// A contiguous sequence of single bytes that bytes_codec carries as it is.
template <class T>
concept byte_sequence =
    (std::same_as<T, std::string> || std::same_as<T, std::vector<std::byte>> || std::same_as<T, std::vector<char>> ||
     std::same_as<T, std::vector<unsigned char>> || std::same_as<T, std::vector<signed char>>);

/// The payload is the bytes of the string or vector, unchanged.
template <byte_sequence T>
struct bytes_codec {
  /// Sent in the Content-Type header; a receiver refuses other types.
  static constexpr std::string_view content_type = "application/octet-stream";

  /// Appends the bytes of `value` to `out`. Never fails.
  static expected<void, std::error_code> encode(const T& value, std::vector<std::byte>& out) {
    const auto* first = reinterpret_cast<const std::byte*>(value.data());
    out.insert(out.end(), first, first + value.size());
    return {};
  }

  /// A T holding the payload's bytes. Never fails (any payload is bytes).
  static expected<T, std::error_code> decode(std::span<const std::byte> payload) {
    const auto* first = reinterpret_cast<const typename T::value_type*>(payload.data());
    return T(first, first + payload.size());
  }
};

/// The payload is the object representation of T: only between processes
/// built for the same architecture with the same definition of T. Opt-in.
template <class T>
struct trivial_codec {
  static_assert(std::is_trivially_copyable_v<T>, "rill::nats::trivial_codec<T> needs a trivially copyable T");

  /// Sent in the Content-Type header; a receiver refuses other types.
  static constexpr std::string_view content_type = "application/x-rill-trivial";

  /// Appends the sizeof(T) bytes of `value` to `out`. Never fails.
  static expected<void, std::error_code> encode(const T& value, std::vector<std::byte>& out) {
    const auto* first = reinterpret_cast<const std::byte*>(&value);
    out.insert(out.end(), first, first + sizeof(T));
    return {};
  }

  /// Copies the payload into a T; errc::bad_payload unless it is exactly
  /// sizeof(T) bytes (the bytes themselves are not checked).
  static expected<T, std::error_code> decode(std::span<const std::byte> payload) {
    if (payload.size() != sizeof(T)) return unexpected(make_error_code(errc::bad_payload));
    T value;
    std::memcpy(&value, payload.data(), sizeof(T));
    return value;
  }
};

namespace detail {

template <class T>
inline constexpr bool no_default_codec = false;

template <class T>
struct default_codec {
  static_assert(no_default_codec<T>,
                "rill::nats: this message type has no default codec: pass one as the Codec argument: "
                "rill::nats::json_codec<T> (<rill/nats/json.hpp>), rill::nats::trivial_codec<T> (trivially "
                "copyable, same architecture at both ends), or rill::nats::bytes_codec<T> (std::string, byte vectors)");
};

template <byte_sequence T>
struct default_codec<T> {
  using type = bytes_codec<T>;
};

}  // namespace detail

/// bytes_codec<T> for std::string and byte vectors; any other T must name
/// its codec (a static_assert says which exist).
template <class T>
using default_codec_t = typename detail::default_codec<T>::type;

}  // namespace rill::nats
