// Go's make(chan T, n), close(ch), for range and v, ok := <-ch in rill.
// The channel closes by itself when its last sender is destroyed.
#include <rill/rill.hpp>

#include <thread>

int main() {
  auto [tx, rx] = rill::sync_channel<int>(2);  // ch := make(chan int, 2)

  std::thread producer([tx = std::move(tx)] {  // go func() { ... }()
    for (int i = 1; i <= 3; ++i) {
      if (!tx.send(i * i)) return;  // ch <- i*i (no panic: a failed send is a value)
    }
  });  // the thread's sender is destroyed: the same as close(ch)

  for (int v : rx) fmt::print("received {}\n", v);  // for v := range ch
  producer.join();

  auto r = rx.recv();  // v, ok := <-ch
  if (!r) fmt::print("ok == false: {}\n", r.error());

  rx.close();  // closing twice, or from the receiving side, is allowed
  rx.close();
  fmt::print("closed: {}\n", rx.is_closed());
}
