// One channel for threads and coroutines at once: a thread sends jobs, an
// asio::awaitable coroutine squares them, the main thread receives results.
#include <rill/rill.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <thread>

asio::awaitable<void> square_all(rill::receiver<int> jobs, rill::sender<int> results) {
  for (;;) {
    auto [error, job] = co_await jobs.async_recv(asio::experimental::as_tuple(asio::use_awaitable));
    if (error) co_return;  // rill::errc::disconnected: every sender is gone and the buffer is drained
    co_await results.async_send(job * job, asio::use_awaitable);  // throws if the results' receiver is gone
  }
}

int main() {
  auto [jobs_tx, jobs_rx] = rill::sync_channel<int>(2);
  auto [results_tx, results_rx] = rill::sync_channel<int>(2);
  asio::io_context io;
  asio::co_spawn(io, square_all(std::move(jobs_rx), std::move(results_tx)), asio::detached);
  std::thread io_thread([&io] { io.run(); });  // returns once the coroutine has finished
  std::thread producer([tx = std::move(jobs_tx)] {
    for (int i = 1; i <= 5; ++i)
      if (!tx.send(i)) return;  // blocks while the buffer is full: the coroutine sets the pace
  });
  for (int result : results_rx) fmt::print("{}\n", result);  // ends when the coroutine's sender goes
  producer.join();
  io_thread.join();
}
