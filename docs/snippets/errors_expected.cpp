// Results are tl::expected, so they chain: map, and_then, or_else, value_or.
// A function of your own can return rill::expected too.
#include <rill/rill.hpp>
#include <string>

// Reads one line of input and parses it; fails with the channel's reason.
rill::expected<int, rill::try_recv_error> next_number(const rill::receiver<std::string>& rx) {
  return rx.try_recv().map([](const std::string& s) { return std::stoi(s); });
}

int main() {
  auto [tx, rx] = rill::channel<std::string>();
  for (const char* s : {"20", "22"})
    if (!tx.send(s)) return 1;

  int sum = next_number(rx).value_or(0) + next_number(rx).value_or(0);
  fmt::print("sum {}\n", sum);

  auto empty = next_number(rx).or_else([](rill::try_recv_error e) -> rill::expected<int, rill::try_recv_error> {
    fmt::print("no number: {}\n", e);
    return -1;  // recover with a default
  });
  fmt::print("recovered: {}\n", *empty);

  tx.close();
  auto failed = next_number(rx).and_then([](int n) -> rill::expected<int, rill::try_recv_error> {
    return n * 2;  // not reached: there is no number
  });
  if (!failed) fmt::print("after close: {}\n", failed.error());
}
