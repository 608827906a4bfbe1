// A dropped send result drops the value a failed send hands back: rill's
// send functions are [[nodiscard]], and the test builds this with
// -Werror=unused-result, expecting the reason in the diagnostic.
#include <rill/channel.hpp>

int main() {
  auto [tx, rx] = rill::sync_channel<int>(1);
  tx.try_send(1);
}
