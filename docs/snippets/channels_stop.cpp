// Stopping a blocked thread: a jthread's worker waits in rx.iter(stop), and
// ~jthread's request_stop() wakes it although the channel stays open.
#include <rill/rill.hpp>
#include <stop_token>
#include <thread>

int main() {
  auto [jobs, jobs_rx] = rill::channel<int>();
  auto [results_tx, results] = rill::channel<int>();
  {
    std::jthread worker([rx = jobs_rx, out = results_tx](std::stop_token stop) {
      for (int& job : rx.iter(stop))  // also ends when a stop is requested
        if (!out.send(job * job)) return;
    });
    for (int i = 1; i <= 3; ++i)
      if (!jobs.send(i)) return 1;
    for (int i = 0; i < 3; ++i) fmt::print("result {}\n", *results.recv());
  }  // ~jthread: request_stop(), then join(); the worker was blocked waiting
  fmt::print("worker joined; jobs channel closed: {}\n", jobs.is_closed());

  std::stop_source source;
  source.request_stop();  // a stop requested before the call fails it at once
  fmt::print("recv(stop): {}\n", jobs_rx.recv(source.get_token()).error());
}
