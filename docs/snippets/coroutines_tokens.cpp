// The same operations with other completion tokens: a callback bound to an
// io_context, and std::future from a plain thread.
#include <rill/rill.hpp>
#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <optional>
#include <string>
#include <vector>

int main() {
  auto [tx, rx] = rill::sync_channel<std::string>(4);
  asio::io_context io;

  // A callback runs on its associated executor (here io's), inside io.run(): never inside send().
  rx.async_recv(asio::bind_executor(io, [](std::error_code error, std::string message) {
    if (!error) fmt::print("callback: {}\n", message);
  }));
  if (!tx.send("one")) return 1;
  io.run();

  // use_future needs no io_context: the completion runs on asio::system_executor.
  std::future<std::string> next = rx.async_recv(asio::use_future);
  if (!tx.send("two")) return 1;
  fmt::print("future: {}\n", next.get());

  // async_recv_many appends up to `max` ready messages at once, and completes with the count.
  for (const char* word : {"three", "four", "five"})
    if (!tx.send(word)) return 1;
  std::vector<std::string> batch;
  std::size_t count = rx.async_recv_many(batch, 10, asio::use_future).get();
  fmt::print("batch of {}: {} {} {}\n", count, batch[0], batch[1], batch[2]);

  // A refused send hands its value back in the optional (as_tuple(use_awaitable) does the same).
  rx.close();
  tx.async_send("six", asio::bind_executor(io, [](std::error_code error, std::optional<std::string> value) {
    fmt::print("after close: {}; handed back: {}\n", error.message(), *value);
  }));
  io.restart();
  io.run();
}
