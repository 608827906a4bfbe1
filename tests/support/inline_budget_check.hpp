// rill tests — the check shared by the coroutine kinds that complete ready
// operations without suspending, within rill::detail::inline_budget.
#pragma once

#include <rill/rill.hpp>

#include <catch2/catch.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <cstddef>

namespace rill_test {

/// Runs `io`, on which a coroutine performs `operations` ready operations
/// (sending into `rx`'s channel, or receiving what was buffered and
/// counting in `in_order` those that came in order) and then sets
/// `finished`. A second coroutine re-posts itself meanwhile: it must get
/// about one turn per inline_budget operations (not one per operation, and
/// not none).
inline void run_and_check_inline_budget(asio::io_context& io, const bool& finished, bool sending,
                                        const rill::receiver<int>& rx, const int& in_order, int operations) {
  int turns = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    while (!finished) {
      ++turns;
      co_await asio::post(io, asio::use_awaitable);
    }
  }, asio::detached);
  io.run();
  REQUIRE(finished);
  CHECK(turns >= 8);
  CHECK(turns <= 11);
  if (sending) {
    CHECK(rx.size() == static_cast<std::size_t>(operations));
  } else {
    CHECK(in_order == operations);
  }
}

}  // namespace rill_test
