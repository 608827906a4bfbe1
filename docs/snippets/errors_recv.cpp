// Receive errors are small enums (recv_error is an empty struct): switch on
// them, print them, or turn them into a std::error_code.
#include <rill/rill.hpp>
#include <chrono>
#include <system_error>

// What a consumer polling a channel does with each outcome.
void poll(const rill::receiver<int>& rx) {
  auto m = rx.try_recv();  // expected<int, try_recv_error>
  if (m) return fmt::print("got {}\n", *m);
  switch (m.error()) {
    case rill::try_recv_error::empty: return fmt::print("nothing yet\n");
    case rill::try_recv_error::disconnected: return fmt::print("done: {}\n", m.error());
  }
}

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::channel<int>();
  poll(rx);
  if (!tx.send(7)) return 1;
  poll(rx);
  tx = {};
  poll(rx);

  auto r = rx.recv_timeout(1ms);  // expected<int, recv_timeout_error>
  std::error_code ec = r.error();  // the enums convert implicitly
  fmt::print("recv_timeout: {} ({})\n", r.error(), ec == rill::errc::disconnected ? "disconnected" : "other");
}
