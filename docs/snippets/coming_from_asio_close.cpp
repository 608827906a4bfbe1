// What close() does on a rill channel: buffered messages stay receivable, a
// waiting coroutine sender gets its value back, and a thread drains the rest.
#include <rill/rill.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <string>
#include <thread>

asio::awaitable<void> send_one(rill::sender<std::string> tx) {
  std::string message = "second";
  auto [error, value] = co_await tx.async_send(std::move(message), asio::experimental::as_tuple(asio::use_awaitable));
  if (error) fmt::print("coroutine: {}, got back \"{}\"\n", error.message(), *value);
}

int main() {
  auto [tx, rx] = rill::sync_channel<std::string>(1);
  if (!tx.send("first")) return 1;  // fills the buffer
  asio::io_context io;
  asio::co_spawn(io, send_one(tx), asio::detached);
  io.poll();   // the coroutine now waits for room
  tx.close();  // refuses new sends and wakes the waiting one with its value
  io.run();
  std::thread drain([rx = std::move(rx)] {  // a plain thread, blocking on the same channel
    while (auto message = rx.recv()) fmt::print("thread: {}\n", *message);
    fmt::print("thread: channel drained and closed\n");
  });
  drain.join();
}
