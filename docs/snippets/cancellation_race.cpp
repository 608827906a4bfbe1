// A receive raced against a timer with Asio's `||`: the loser is cancelled,
// and a cancelled receive never loses a message.
#include <rill/rill.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> receive_with_timeout(rill::receiver<int> rx, rill::sender<int> tx) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
  // Nothing is sent yet: the timer wins and the receive is cancelled.
  auto first = co_await (rx.async_recv(asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
  fmt::print("first race: {}\n", first.index() == 0 ? "message" : "timer");

  if (!tx.send(5)) co_return;  // a message is ready now
  timer.expires_after(std::chrono::seconds(10));
  auto second = co_await (rx.async_recv(asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
  if (second.index() == 0) fmt::print("second race: message {}\n", std::get<0>(second));
}

int main() {
  auto [tx, rx] = rill::channel<int>();
  asio::io_context io;
  asio::co_spawn(io, receive_with_timeout(rx, tx), asio::detached);
  io.run();
  fmt::print("left in the channel: {}\n", rx.size());
}
