// A rendezvous channel (capacity 0) has no buffer: a send completes only
// when a receiver takes the message, so the two threads meet.
#include <rill/rill.hpp>
#include <thread>

int main() {
  auto [tx, rx] = rill::sync_channel<std::string>(0);
  auto early = tx.try_send("too early");  // nobody is waiting to take it
  fmt::print("try_send with no receiver waiting: {}\n", early.error());

  std::thread producer([tx = std::move(tx)] {
    if (!tx.send("hello")) return;        // blocks until main has the message
  });
  auto m = rx.recv();
  fmt::print("received: {}\n", *m);
  producer.join();
  fmt::print("capacity {}, buffered {}\n", *rx.capacity(), rx.size());
}
