// Uses every layer of rill as an outside project would: the umbrella header
// and the rill::asio and rill::fmt targets.
#include <rill/rill.hpp>

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <fmt/format.h>

#include <optional>
#include <system_error>

int main() {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  std::optional<int> received;
  rx.async_recv(asio::bind_executor(io, [&](std::error_code ec, int v) {
    if (!ec) received = v;
  }));
  if (!tx.send(42)) return 1;
  io.run();
  const std::string disconnected = fmt::format("{}", rill::errc::disconnected);
  return received == 42 && disconnected == "channel disconnected" ? 0 : 1;
}
