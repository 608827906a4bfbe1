// async_select is the same select as an Asio asynchronous operation: here
// in an asio::awaitable coroutine, over two channels and a timeout arm.
#include <rill/rill.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <string>

asio::awaitable<void> consume(rill::receiver<int> jobs, rill::receiver<std::string> control) {
  using namespace std::chrono_literals;
  for (;;) {
    auto r = co_await rill::async_select(rill::recv(jobs), rill::recv(control), rill::timeout(20ms),
                                         asio::use_awaitable);
    switch (r->index()) {  // r: std::optional<select_result<...>>, engaged on success
      case 0:
        if (auto& job = std::get<0>(*r)) fmt::print("job {}\n", *job);
        break;
      case 1:
        if (auto& c = std::get<1>(*r)) fmt::print("control: {}\n", *c);
        break;
      case 2:  // rill::timed_out: the select has taken nothing
        fmt::print("idle: giving up\n");
        co_return;
    }
  }
}

int main() {
  asio::io_context io;
  auto [jobs_tx, jobs] = rill::channel<int>();
  auto [control_tx, control] = rill::channel<std::string>();
  if (!jobs_tx.send(1) || !jobs_tx.send(2)) return 1;  // no command: the control arm waits
  asio::co_spawn(io, consume(jobs, control), asio::detached);
  io.run();
}
