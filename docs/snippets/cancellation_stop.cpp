// Threads are cancelled with std::stop_token: a blocking receive gives up with
// `stopped` when a stop is requested, here by std::jthread's destructor.
#include <rill/rill.hpp>
#include <thread>

int main() {
  auto [tx, rx] = rill::channel<int>();
  auto [done_tx, done_rx] = rill::channel<std::string>();
  {
    std::jthread worker([rx = rx, done_tx = done_tx](std::stop_token stop) {
      for (;;) {
        auto message = rx.recv(stop);  // waits for a message, disconnection, or a stop request
        if (message) {
          if (!done_tx.send(fmt::format("got {}", *message))) return;
        } else {
          bool stopped = message.error() == rill::recv_timeout_error::stopped;
          if (!done_tx.send(stopped ? "stop requested" : "disconnected")) return;
          return;
        }
      }
    });
    if (!tx.send(1)) return 1;
    fmt::print("{}\n", *done_rx.recv());  // the worker has taken 1 and waits again
  }  // ~jthread: request_stop(), then join(); tx is still alive, so only the stop ends the wait
  fmt::print("{}\n", *done_rx.recv());
}
