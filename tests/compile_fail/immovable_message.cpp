// Must not compile: a message type that cannot be moved.
#include <rill/channel.hpp>

#include <mutex>

int main() {
  auto [tx, rx] = rill::channel<std::mutex>();
}
