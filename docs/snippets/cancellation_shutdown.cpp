// Destroying an io_context with operations still waiting: their handlers and
// coroutine frames are destroyed unrun, and the channel works on.
#include <rill/rill.hpp>
#include <asio/bind_executor.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <memory>

rill::task<void> wait_forever(rill::receiver<int> rx, std::shared_ptr<int> held_by_frame) {
  (void)held_by_frame;
  auto [error, value] = co_await rx.async_recv(asio::experimental::as_tuple(rill::use_task));
  fmt::print("never printed: {} {}\n", error.message(), value);
}

int main() {
  auto [tx, rx] = rill::channel<int>();
  auto alive = std::make_shared<int>(0);
  {
    asio::io_context io;
    rill::spawn(io, wait_forever(rx, alive), asio::detached);
    rx.async_recv(asio::bind_executor(io, [alive](std::error_code, int) { fmt::print("never printed\n"); }));
    io.poll();  // both wait in the channel
    fmt::print("owners while waiting: {}\n", alive.use_count());
  }  // the io_context goes: the task's frame and the callback are destroyed, unrun
  fmt::print("owners after: {}\n", alive.use_count());
  if (!tx.send(3)) return 1;  // the withdrawn receives took nothing and left no trace
  fmt::print("next receive: {}\n", *rx.try_recv());
}
