// async_select inside a rill::task: a receive arm and a timeout arm, awaited
// with rill::use_task. A recv arm on a disconnected, drained channel wins too.
#include <rill/rill.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>

using namespace std::chrono_literals;

rill::task<void> watch(rill::receiver<int> rx, rill::sender<int> tx) {
  for (;;) {
    auto result = co_await rill::async_select(rill::recv(rx), rill::timeout(20ms), rill::use_task);
    if (result->index() == 1) {  // rill::timed_out: nothing arrived for 20 ms, and nothing was taken
      fmt::print("quiet for 20 ms: dropping the last sender\n");
      tx = {};
      continue;
    }
    auto& message = std::get<0>(*result);  // rill::expected<int, rill::recv_error>
    if (!message) {
      fmt::print("disconnected\n");
      co_return;
    }
    fmt::print("message {}\n", *message);
  }
}

int main() {
  auto [tx, rx] = rill::sync_channel<int>(4);
  for (int i = 1; i <= 2; ++i)
    if (!tx.send(i)) return 1;
  asio::io_context io;
  rill::spawn(io, watch(std::move(rx), std::move(tx)), asio::detached);
  io.run();
}
