// A bounded channel shared by two producer threads. Copying a sender adds a
// producer; the receiver's loop ends once every sender is gone and it drained.
#include <rill/rill.hpp>
#include <thread>

int main() {
  auto [tx, rx] = rill::sync_channel<int>(2);  // room for 2 messages, allocated once
  if (!tx.send(1) || !tx.send(2)) return 1;     // there is room: neither send blocks
  auto full = tx.try_send(3);                   // no room, and try_send never waits
  fmt::print("buffered {} of {}; try_send: {}, {} handed back\n", rx.size(), *rx.capacity(),
             full.error(), full.error().value);

  // Two more producers: each thread owns a copy of the sender.
  std::thread a([tx = tx] { for (int i = 10; i < 13; ++i) if (!tx.send(i)) return; });
  std::thread b([tx = tx] { for (int i = 20; i < 23; ++i) if (!tx.send(i)) return; });
  tx = {};  // main gives up its own sender: the threads' copies keep the channel open

  int count = 0, sum = 0;
  for (int m : rx) {  // blocks for each message; the order across producers varies
    ++count;
    sum += m;
  }
  a.join();
  b.join();
  fmt::print("received {} messages, sum {}; senders left: {}\n", count, sum, rx.sender_count());
}
