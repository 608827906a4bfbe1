// Request and reply: each request carries a oneshot sender. A worker that
// drops it without replying makes the client's wait fail at once.
#include <rill/rill.hpp>
#include <thread>

struct request {
  int number;
  rill::oneshot_sender<int> reply;  // move-only: one reply, once
};

int main() {
  auto [requests, worker_rx] = rill::channel<request>();
  std::thread worker([rx = worker_rx] {
    for (request& r : rx) {
      if (r.number < 0) continue;  // no reply: r.reply is destroyed unsent
      if (!std::move(r.reply).send(r.number * r.number)) continue;  // the client gave up
    }
  });

  for (int n : {7, -1}) {
    auto [reply_tx, reply_rx] = rill::oneshot<int>();
    if (!requests.send(request{n, std::move(reply_tx)})) return 1;
    rill::expected<int, rill::recv_error> reply = reply_rx.recv();
    if (reply) fmt::print("{} squared is {}\n", n, *reply);
    else fmt::print("no reply for {}: {}\n", n, reply.error());
  }
  requests = {};  // the worker's loop ends
  worker.join();
}
