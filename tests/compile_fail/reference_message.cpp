// Must not compile: a channel of references. Checked by CTest for the
// static_assert message, so the diagnostic a user sees stays readable.
#include <rill/channel.hpp>

int main() {
  auto [tx, rx] = rill::channel<int&>();
}
