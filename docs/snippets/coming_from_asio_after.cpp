// After: the same program on a rill channel. The coroutines own their ends;
// the channel ends when the producer's sender is destroyed, buffer drained first.
#include <rill/rill.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

asio::awaitable<void> produce(rill::sender<int> tx) {
  for (int i = 1; i <= 3; ++i) co_await tx.async_send(i, asio::use_awaitable);
}  // tx is destroyed here: the last sender is gone

asio::awaitable<void> consume(rill::receiver<int> rx) {
  for (;;) {
    auto [error, value] = co_await rx.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
    if (error) break;  // rill::errc::disconnected, after every buffered value was received
    fmt::print("got {}\n", value);
  }
  fmt::print("closed\n");
}

int main() {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(4);  // bound to no executor; any buffer size is safe
  asio::co_spawn(io, consume(std::move(rx)), asio::detached);
  asio::co_spawn(io, produce(std::move(tx)), asio::detached);
  io.run();
}
