// The undelivered hook also gets the messages still buffered when the last
// receiver goes, so a job accepted into a channel is never lost unseen.
#include <rill/rill.hpp>
#include <string>
#include <vector>

int main() {
  std::vector<std::string> requeue;  // where the jobs nobody took go
  auto [tx, rx] = rill::channel<std::string>([&requeue](std::string&& job) { requeue.push_back(std::move(job)); });
  for (const char* job : {"resize a.png", "resize b.png", "resize c.png"})
    if (!tx.send(job)) return 1;

  auto first = rx.recv();
  fmt::print("the consumer took: {}\n", *first);
  rx = {};  // the consumer quits with two jobs buffered
  fmt::print("handed to the hook: {}\n", fmt::join(requeue, ", "));

  auto late = tx.send("resize d.png");  // a failed send hands its value back instead
  fmt::print("a later send: {} ({} back)\n", late.error(), late.error().value);
  fmt::print("undelivered_count: {}\n", tx.undelivered_count());
}
