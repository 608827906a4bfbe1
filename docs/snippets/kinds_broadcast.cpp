// A broadcast delivers every message to every receiver; under the default
// policy (lag) a receiver that fell behind is told how many it lost.
#include <rill/rill.hpp>

void drain(const char* name, rill::broadcast_receiver<int>& rx) {
  for (;;) {
    auto m = rx.try_recv();
    if (m) fmt::print("{}: {}\n", name, *m);
    else if (m.error().is_lagged()) fmt::print("{}: lagged, {} missed\n", name, m.error().missed());
    else return fmt::print("{}: {}\n", name, m.error());  // empty, or disconnected
  }
}

int main() {
  auto [tx, early] = rill::broadcast<int>(2);  // holds the last 2 messages
  if (!tx.send(1)) return 1;
  auto late = tx.subscribe();  // gets what is sent from now on
  for (int i = 2; i <= 4; ++i)
    if (!tx.send(i)) return 1;

  drain("early", early);  // 1 and 2 were overwritten before it read them
  drain("late", late);    // 2 was overwritten
  tx = {};                // the last sender goes
  drain("early", early);
}
