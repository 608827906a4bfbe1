// rill::nats — json_codec<T>: values as JSON, through nlohmann::json (3.11).
//
// T needs nlohmann's to_json/from_json (NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE
// or hand-written). nlohmann reports errors by throwing; the codec turns them
// into error values, as codecs must: malformed JSON, or JSON of the wrong
// shape for T, is errc::bad_payload, and a value that cannot be serialised
// (a string that is not UTF-8) is errc::encode_failed.
#pragma once

#include <rill/nats/codec.hpp>

#include <nlohmann/json.hpp>

#include <exception>

namespace rill::nats {

/// Values of T as JSON text, through nlohmann::json's to_json/from_json
/// for T (see the top of this header). Never the default: name it as the
/// Codec argument.
template <class T>
struct json_codec {
  /// Sent in the Content-Type header; a receiver refuses other types.
  static constexpr std::string_view content_type = "application/json";

  /// Appends `value`'s JSON text to `out`; errc::encode_failed if nlohmann
  /// throws (a string that is not UTF-8, say).
  static expected<void, std::error_code> encode(const T& value, std::vector<std::byte>& out) {
    try {
      const std::string text = nlohmann::json(value).dump();
      const auto* first = reinterpret_cast<const std::byte*>(text.data());
      out.insert(out.end(), first, first + text.size());
      return {};
    } catch (const std::exception&) {
      return unexpected(make_error_code(errc::encode_failed));
    }
  }

  /// Parses the payload as JSON and converts it to T; errc::bad_payload
  /// for malformed JSON or JSON of the wrong shape for T.
  static expected<T, std::error_code> decode(std::span<const std::byte> payload) {
    const auto* first = reinterpret_cast<const char*>(payload.data());
    // The non-throwing parse: a discarded value means malformed input.
    const auto json = nlohmann::json::parse(first, first + payload.size(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return unexpected(make_error_code(errc::bad_payload));
    try {
      return json.template get<T>();
    } catch (const std::exception&) {
      return unexpected(make_error_code(errc::bad_payload));
    }
  }
};

}  // namespace rill::nats
