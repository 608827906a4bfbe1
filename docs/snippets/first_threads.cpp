// A first program with threads: one producer thread, the main thread as the
// consumer. The loop ends once every sender is gone and the channel is drained.
#include <rill/rill.hpp>
#include <thread>

int main() {
  auto [tx, rx] = rill::channel<std::string>();  // unbounded; sync_channel<T>(n) is bounded
  std::thread producer([tx = std::move(tx)] {
    for (int i = 0; i < 3; ++i) {
      if (!tx.send(fmt::format("message {}", i))) return;  // the receiver is gone: stop
    }
  });  // the lambda, and with it the last sender, is destroyed: the channel disconnects
  for (std::string& message : rx) fmt::print("{}\n", message);
  producer.join();
}
