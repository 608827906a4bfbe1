// rill::task: a lazy coroutine that awaits child tasks and catches their
// exceptions; rill::spawn starts it with any completion token.
#include <rill/rill.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <stdexcept>
#include <string>

rill::task<int> parse(std::string text) {
  if (text.empty()) throw std::invalid_argument("empty line");
  co_return std::stoi(text);
}

rill::task<int> total(rill::receiver<std::string> lines) {
  fmt::print("total: started\n");
  int sum = 0;
  for (;;) {
    auto [error, line] = co_await lines.async_recv(asio::experimental::as_tuple(rill::use_task));
    if (error) co_return sum;  // disconnected and drained
    try {
      sum += co_await parse(line);  // starts the child; gives its value or rethrows its exception
    } catch (const std::invalid_argument& e) {
      fmt::print("skipped: {}\n", e.what());
    }
  }
}

int main() {
  auto [tx, rx] = rill::channel<std::string>();
  for (const char* line : {"10", "", "32"})
    if (!tx.send(line)) return 1;
  tx = {};  // the last sender goes: the receiver sees disconnected after the three lines

  asio::io_context io;
  rill::task<int> task = total(std::move(rx));  // lazy: nothing has run yet
  fmt::print("task created\n");
  std::future<int> sum = rill::spawn(io, std::move(task), asio::use_future);
  io.run();
  fmt::print("sum: {}\n", sum.get());

  // An exception the outermost task does not catch reaches the spawn's handler.
  std::future<int> failed = rill::spawn(io, parse(""), asio::use_future);
  io.restart();
  io.run();
  try {
    (void)failed.get();
  } catch (const std::invalid_argument& e) {
    fmt::print("spawn failed: {}\n", e.what());
  }
}
