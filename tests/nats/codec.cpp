// The codecs, the error category and message ids: no server needed.
#include <rill/nats/codec.hpp>
#include <rill/nats/error.hpp>
#include <rill/nats/json.hpp>
#include <rill/nats/message_id.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

struct job {
  int id = 0;
  std::string name;
  friend bool operator==(const job&, const job&) = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(job, id, name)

struct point {
  std::int32_t x;
  std::int32_t y;
};

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("bytes_codec carries strings and byte vectors unchanged, and is their default", "[nats][codec]") {
  static_assert(std::is_same_v<rill::nats::default_codec_t<std::string>, rill::nats::bytes_codec<std::string>>);
  static_assert(std::is_same_v<rill::nats::default_codec_t<std::vector<std::byte>>,
                               rill::nats::bytes_codec<std::vector<std::byte>>>);
  std::vector<std::byte> out;
  const std::string text("a\0b", 3);
  REQUIRE(rill::nats::bytes_codec<std::string>::encode(text, out));
  REQUIRE(out.size() == 3);
  CHECK(rill::nats::bytes_codec<std::string>::decode(out).value() == text);
  const std::vector<std::byte> bytes = {std::byte{0xff}, std::byte{0}};
  out.clear();
  REQUIRE(rill::nats::bytes_codec<std::vector<std::byte>>::encode(bytes, out));
  CHECK(rill::nats::bytes_codec<std::vector<std::byte>>::decode(out).value() == bytes);
}

TEST_CASE("trivial_codec round-trips a trivially copyable value and rejects a payload of the wrong size",
          "[nats][codec]") {
  using codec = rill::nats::trivial_codec<point>;
  std::vector<std::byte> out;
  REQUIRE(codec::encode(point{3, -4}, out));
  REQUIRE(out.size() == sizeof(point));
  const auto back = codec::decode(out);
  REQUIRE(back);
  CHECK(back->x == 3);
  CHECK(back->y == -4);
  out.pop_back();
  CHECK(codec::decode(out).error() == rill::nats::errc::bad_payload);
}

TEST_CASE("json_codec round-trips, and reports malformed, mis-shaped and unencodable values as errors",
          "[nats][codec]") {
  using codec = rill::nats::json_codec<job>;
  std::vector<std::byte> out;
  REQUIRE(codec::encode(job{7, "seven"}, out));
  CHECK(codec::decode(out).value() == job{7, "seven"});
  CHECK(codec::decode(as_bytes("{\"id\":")).error() == rill::nats::errc::bad_payload);
  CHECK(codec::decode(as_bytes("{\"id\":\"not a number\",\"name\":\"x\"}")).error() == rill::nats::errc::bad_payload);
  CHECK(codec::decode(as_bytes("[1,2]")).error() == rill::nats::errc::bad_payload);
  out.clear();
  CHECK(codec::encode(job{1, "\xff\xfe not UTF-8"}, out).error() == rill::nats::errc::encode_failed);
}

TEST_CASE("rill.nats errors carry nats.c statuses, JetStream codes and the bridge's own", "[nats][codec]") {
  const auto timeout = rill::nats::make_error_code(NATS_TIMEOUT);
  CHECK(std::string(timeout.category().name()) == "rill.nats");
  CHECK(timeout.message() == natsStatus_GetText(NATS_TIMEOUT));
  CHECK_FALSE(rill::nats::make_error_code(NATS_OK));
  const auto not_found = rill::nats::make_error_code(NATS_ERR, JSStreamNotFoundErr);
  CHECK(not_found.value() == 10059);
  CHECK(not_found == rill::nats::make_error_code(JSStreamNotFoundErr));
  CHECK(not_found != rill::nats::make_error_code(NATS_ERR));
  const std::error_code mismatch = rill::nats::errc::config_mismatch;
  CHECK(mismatch.category() == rill::nats::error_category());
  CHECK(mismatch.message().find("configuration") != std::string::npos);
}

TEST_CASE("message ids are <producer>:<seq>, and anything else is not one", "[nats][codec]") {
  std::string id;
  rill::nats::detail::format_message_id(id, "p:1", 42);
  CHECK(id == "p:1:42");
  const auto parsed = rill::nats::detail::parse_message_id(id);
  REQUIRE(parsed);
  CHECK(parsed->first == "p:1");
  CHECK(parsed->second == 42u);
  CHECK_FALSE(rill::nats::detail::parse_message_id("no-colon"));
  CHECK_FALSE(rill::nats::detail::parse_message_id(":5"));
  CHECK_FALSE(rill::nats::detail::parse_message_id("p:"));
  CHECK_FALSE(rill::nats::detail::parse_message_id("p:12x"));
  CHECK(rill::nats::detail::random_producer() != rill::nats::detail::random_producer());
}
