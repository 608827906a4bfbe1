// Before: a producer and a consumer coroutine on Asio's concurrent_channel.
// The channel has no notion of senders: the producer must close() it by hand.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

using channel = asio::experimental::concurrent_channel<void(asio::error_code, int)>;

asio::awaitable<void> produce(channel& ch) {
  for (int i = 1; i <= 3; ++i) co_await ch.async_send(asio::error_code{}, i, asio::use_awaitable);
  ch.close();  // capacity 0: every value has been taken by now, so close() cannot discard one
}

asio::awaitable<void> consume(channel& ch) {
  for (;;) {
    auto [error, value] = co_await ch.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
    if (error) break;  // asio::experimental::error::channel_closed
    fmt::print("got {}\n", value);
  }
  fmt::print("closed\n");
}

int main() {
  asio::io_context io;
  channel ch(io, 0);  // bound to io's executor; owned here, shared by reference
  asio::co_spawn(io, consume(ch), asio::detached);
  asio::co_spawn(io, produce(ch), asio::detached);
  io.run();
}
