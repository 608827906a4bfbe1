// Must not compile: a channel of const messages cannot move them out.
#include <rill/channel.hpp>

int main() {
  auto [tx, rx] = rill::channel<const int>();
}
