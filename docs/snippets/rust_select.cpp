// crossbeam-channel's try_send and select! with a timeout, in rill: errors
// are values that hand the message back, and select reports its arm by index.
#include <rill/rill.hpp>

#include <chrono>
#include <string>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::sync_channel<int>(1);         // let (tx, rx) = bounded(1);
  auto [quit_tx, quit_rx] = rill::channel<std::string>();  // let (quit_tx, quit_rx) = unbounded();

  (void)tx.try_send(1);
  auto full = tx.try_send(2);                          // Err(TrySendError::Full(2))
  if (!full) fmt::print("try_send(2): {}, value {} handed back\n", full.error(), full.error().value);

  for (int round = 0; round < 3; ++round) {
    if (round == 2) (void)quit_tx.send("stop");
    // select! { recv(rx) -> v => ..., recv(quit_rx) -> q => ..., default(Duration::from_millis(10)) => ... }
    auto r = rill::select(rill::recv(rx), rill::recv(quit_rx), rill::timeout(10ms));
    switch (r.index()) {
      case 0: fmt::print("got {}\n", std::get<0>(r).value()); break;
      case 1: fmt::print("quit: {}\n", std::get<1>(r).value()); break;
      case 2: fmt::print("timed out\n"); break;
    }
  }
}
