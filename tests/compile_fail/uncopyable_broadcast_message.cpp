// Must not compile: a broadcast copies each message to every receiver but
// the last, so a move-only message type is refused with a clear message.
#include <rill/broadcast.hpp>

#include <memory>

int main() {
  auto [tx, rx] = rill::broadcast<std::unique_ptr<int>>(4);
}
