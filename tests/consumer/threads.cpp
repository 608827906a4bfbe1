// Uses rill's thread layer as an outside project would: <rill/channel.hpp>
// and the rill::rill target, without Asio or fmt.
#include <rill/channel.hpp>

#include <system_error>
#include <thread>

int main() {
  auto [tx, rx] = rill::sync_channel<int>(1);
  std::thread producer([tx = std::move(tx)] {
    for (int i = 1; i <= 3; ++i)
      if (!tx.send(i)) return;
  });
  int sum = 0;
  for (int v : rx) sum += v;
  producer.join();
  const std::error_code disconnected = rill::errc::disconnected;
  return sum == 6 && disconnected.category().name() == std::string_view("rill") ? 0 : 1;
}
