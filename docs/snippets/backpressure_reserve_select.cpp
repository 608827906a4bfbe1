// A reserve arm in a select: a producer waits for room *or* a stop, without
// building its value first; an arm that lost has reserved nothing.
#include <rill/rill.hpp>
#include <stop_token>
#include <thread>

int main() {
  auto [tx, rx] = rill::sync_channel<int>(1);
  std::jthread producer([tx = tx](std::stop_token stop) {
    for (int i = 1;; ++i) {
      auto r = rill::select(rill::reserve(tx), rill::on_stop(stop));
      if (r.index() == 1) return;                    // stopped: nothing was reserved
      auto& permit = std::get<0>(r);                 // expected<permit<int>, errc>
      if (!permit || !permit->send(i)) return;       // disconnected
    }
  });
  for (int i = 0; i < 3; ++i) fmt::print("got {}\n", *rx.recv());
  producer.request_stop();  // wakes it if it waits for room: the channel stays open
  producer.join();
  fmt::print("producer stopped; channel closed: {}\n", rx.is_closed());
}
