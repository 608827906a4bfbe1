// std::sync::mpsc's worker pattern in rill: a sender copied into each thread
// (Rust: tx.clone()), the original dropped, the receiver iterated to the end.
#include <rill/rill.hpp>

#include <algorithm>
#include <thread>
#include <vector>

int main() {
  auto [tx, rx] = rill::channel<int>();  // let (tx, rx) = mpsc::channel();
  std::vector<std::thread> workers;
  for (int id = 1; id <= 3; ++id) {
    workers.emplace_back([id, tx = tx] {  // let tx = tx.clone(); thread::spawn(move || ...)
      for (int job = 0; job < 3; ++job) {
        if (!tx.send(id * 10 + job)) return;  // tx.send(v): the error is a value, not a panic
      }
    });
  }
  tx = {};  // drop(tx): only the workers' copies keep the channel open

  std::vector<int> results;
  for (int r : rx) results.push_back(r);  // for r in rx { ... }: ends when every worker is done
  for (std::thread& w : workers) w.join();

  std::sort(results.begin(), results.end());  // order across senders is not fixed
  fmt::print("{} results:", results.size());
  for (int r : results) fmt::print(" {}", r);
  fmt::print("\n");
  fmt::print("after the loop: {}\n", rx.recv().error());  // Err(RecvError)
}
