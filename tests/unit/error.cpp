// Error values: the errc category, error codes, values handed back, and the
// fmt formatters.
#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <system_error>

TEST_CASE("error: errc maps into the rill error category", "[error]") {
  const std::error_code ec = rill::errc::full;
  CHECK(ec.category().name() == std::string("rill"));
  CHECK(ec.message() == "channel full");
  CHECK(ec == rill::errc::full);
  CHECK(ec != rill::errc::empty);
  CHECK(make_error_code(rill::errc::timeout).message() == "channel operation timed out");
  CHECK(make_error_code(rill::try_recv_error::empty) == rill::errc::empty);
  CHECK(make_error_code(rill::recv_timeout_error::disconnected) == rill::errc::disconnected);
}

TEST_CASE("error: every failed send hands the value back", "[error]") {
  auto [tx, rx] = rill::sync_channel<std::unique_ptr<int>>(1);
  REQUIRE(tx.try_send(std::make_unique<int>(1)));
  auto full = tx.try_send(std::make_unique<int>(2));
  REQUIRE_FALSE(full);
  CHECK(full.error().is_full());
  CHECK(*full.error().value == 2);

  auto timed_out = tx.send_timeout(std::make_unique<int>(3), std::chrono::milliseconds(1));
  REQUIRE_FALSE(timed_out);
  CHECK(timed_out.error().is_timeout());
  CHECK(*std::move(timed_out.error()).into_inner() == 3);

  rx = {};
  auto gone = tx.send(std::make_unique<int>(4));
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code() == rill::errc::disconnected);
  CHECK(*gone.error().value == 4);
  auto try_gone = tx.try_send(std::make_unique<int>(5));
  CHECK(try_gone.error().is_disconnected());
  CHECK(*try_gone.error().value == 5);
}

TEST_CASE("error: fmt formatters print the reason", "[error]") {
  CHECK(fmt::format("{}", rill::errc::disconnected) == "channel disconnected");
  CHECK(fmt::format("{}", rill::try_recv_error::empty) == "channel empty");
  CHECK(fmt::format("{}", rill::recv_timeout_error::timeout) == "channel operation timed out");
  CHECK(fmt::format("{}", rill::recv_error{}) == "channel disconnected");
  struct unprintable {};
  CHECK(fmt::format("{}", rill::send_error<unprintable>{}) == "channel disconnected");
  CHECK(fmt::format("{}", rill::try_send_error<int>{rill::errc::full, 1}) == "channel full");
  CHECK(fmt::format("[{:>8}]", rill::send_timeout_error<int>{rill::errc::timeout, 1}) ==
        "[channel operation timed out]");
  CHECK(fmt::format("[{:>14}]", rill::errc::full) == "[  channel full]");
}
