// A watch holds one value: receivers see the latest version, not every
// change, and are told when there is a version they have not seen.
#include <rill/rill.hpp>
#include <string>
#include <thread>

struct config {
  int stage = 0;
  std::string mode = "idle";
};

int main() {
  auto [tx, rx] = rill::watch<config>(config{});
  for (int i = 1; i <= 3; ++i) tx.send_modify([i](config& c) { c.stage = i; });  // under the write lock

  if (rx.changed()) {  // three changes, one wake-up: the latest version
    auto c = rx.borrow_and_update();  // a read lock, held while `c` lives
    fmt::print("stage {}, mode {}\n", c->stage, c->mode);
  }
  bool told = tx.send_if_modified([](config& c) { return c.stage != 3; });  // no change: nobody told
  fmt::print("told: {}, has_changed: {}\n", told, rx.has_changed());

  std::thread follower([rx = tx.subscribe()]() mutable {  // has seen the current value
    while (rx.changed())                                  // fails once every sender is gone
      if (rx.borrow()->mode == "running") return fmt::print("follower saw running\n");
  });
  if (!tx.send(config{4, "running"})) return 1;  // fails only when no receiver is left
  follower.join();

  tx = {};  // the last sender goes
  auto last = rx.changed();  // stage 4 was not seen by rx yet: still reported
  auto end = rx.changed();   // seen, and no sender left to change it
  fmt::print("after the last sender: changed {}, then {}\n", last.has_value(), end.error());
}
