// Uses rill as an outside project would: only the public umbrella header.
#include <rill/rill.hpp>

int main() {
  auto [tx, rx] = rill::channel<int>();
  tx.send(42);
  return rx.recv().value() == 42 ? 0 : 1;
}
