// The receive forms on one thread: try, timed, a batch, iteration, and the
// error a receive reports once the channel is disconnected and drained.
#include <rill/rill.hpp>
#include <chrono>
#include <vector>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::channel<int>();  // unbounded: send never blocks

  fmt::print("try_recv: {}\n", rx.try_recv().error());              // nothing buffered
  fmt::print("recv_timeout: {}\n", rx.recv_timeout(5ms).error());   // gave up after 5 ms

  for (int i = 1; i <= 6; ++i)
    if (!tx.send(i)) return 1;
  std::vector<int> batch;
  std::size_t n = rx.recv_many(batch, 4);  // up to 4 messages under one lock
  fmt::print("recv_many took {}: {}\n", n, fmt::join(batch, " "));

  tx = {};  // the last sender is gone: what is buffered can still be read
  for (int m : rx) fmt::print("iteration: {}\n", m);  // ends once drained
  fmt::print("recv: {}\n", rx.recv().error());
}
