// A first program with coroutines: a producer and a consumer, both rill::task
// coroutines on one io_context, and a plain thread sending on the same channel.
#include <rill/rill.hpp>
#include <rill/task.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <thread>

rill::task<void> produce(rill::sender<int> tx) {
  for (int i = 1; i <= 3; ++i) co_await tx.async_send(i, rill::use_task);
}

rill::task<int> sum_all(rill::receiver<int> rx) {
  int sum = 0;
  for (;;) {
    auto [error, value] = co_await rx.async_recv(asio::experimental::as_tuple(rill::use_task));
    if (error) co_return sum;  // rill::errc::disconnected: every sender is gone, nothing is left
    sum += value;
  }
}

int main() {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(2);
  std::thread thread_sender([tx = tx] {
    if (auto sent = tx.send(100); !sent) fmt::print("not sent: {}\n", sent.error());
  });
  rill::spawn(io, produce(std::move(tx)), asio::detached);
  std::future<int> sum = rill::spawn(io, sum_all(std::move(rx)), asio::use_future);
  io.run();  // runs both coroutines until the consumer has seen the channel disconnect
  thread_sender.join();
  fmt::print("sum: {}\n", sum.get());
}
