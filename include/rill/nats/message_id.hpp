// rill::nats — a message's identity: Nats-Msg-Id = "<producer>:<seq>".
//
// The producer is chosen once per outbound pump (random unless set), and seq
// counts that pump's messages from 1. A retried publish reuses its id, so the
// server drops the repeat within the stream's dedup window; a receiver with
// dedup on drops repeats the server let through (after a crash or restart
// the server forgets the ids).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace rill::nats {

/// A message's identity, sent as its Nats-Msg-Id header
/// "<producer>:<seq>" (see the top of this header): what the server's and
/// a receiver's deduplication compare.
struct message_id {
  /// The outbound pump's name: random unless sender_options sets one.
  std::string producer{};
  /// The pump's count of messages, from 1.
  std::uint64_t seq = 0;

  /// Equal when both the producer and the seq are.
  friend bool operator==(const message_id&, const message_id&) = default;
};

namespace detail {

inline constexpr const char* message_id_header = "Nats-Msg-Id";
inline constexpr const char* content_type_header = "Content-Type";

/// Writes "<producer>:<seq>" into `out` (reused, so no allocation once it is
/// long enough).
inline void format_message_id(std::string& out, std::string_view producer, std::uint64_t seq) {
  out.assign(producer);
  out.push_back(':');
  char digits[20];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, seq);
  out.append(digits, end);
}

/// The seq after the last ':' and the producer before it; nullopt when the
/// id was not made by a rill producer.
inline std::optional<std::pair<std::string_view, std::uint64_t>> parse_message_id(std::string_view id) {
  const auto colon = id.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::uint64_t seq = 0;
  const char* first = id.data() + colon + 1;
  const char* last = id.data() + id.size();
  const auto [end, ec] = std::from_chars(first, last, seq);
  if (ec != std::errc{} || end != last || first == last) return std::nullopt;
  return std::pair{id.substr(0, colon), seq};
}

/// A producer name unlikely to repeat across processes and restarts, which
/// matters: a producer that reappeared within the dedup window with its seq
/// back at 1 would have its new messages dropped as repeats.
inline std::string random_producer() {
  std::random_device entropy;
  // 60 bits: at most 15 hex digits, which std::string keeps without
  // allocating, and every delivery carries a copy.
  const std::uint64_t bits = ((static_cast<std::uint64_t>(entropy()) << 32) ^ entropy()) >> 4;
  char text[16];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, bits, 16);
  return std::string(text, end);
}

}  // namespace detail

}  // namespace rill::nats
