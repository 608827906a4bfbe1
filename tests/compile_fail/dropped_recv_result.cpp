// A dropped receive result drops the message received: rill's receive and
// select functions are [[nodiscard]], and the test builds this with
// -Werror=unused-result, expecting the reason in the diagnostic.
#include <rill/channel.hpp>

int main() {
  auto [tx, rx] = rill::channel<int>();
  (void)tx.send(1);
  rx.try_recv();
}
