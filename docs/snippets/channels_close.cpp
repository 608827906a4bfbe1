// close() from either side: later sends fail and hand their value back, the
// buffer still drains. A weak sender does not keep the channel open.
#include <rill/rill.hpp>
#include <string>

int main() {
  auto [tx, rx] = rill::channel<std::string>();
  auto weak = tx.downgrade();
  if (auto strong = weak.upgrade())  // a sender, while one lives
    if (!strong->send("sent through a weak sender")) return 1;
  if (!tx.send("sent before close")) return 1;

  rx.close();  // the receiving side says: no more
  auto late = tx.send("sent after close");
  fmt::print("send after close: {} ('{}' handed back)\n", late.error(), late.error().value);
  fmt::print("closed: {}, still buffered: {}\n", tx.is_closed(), rx.size());
  for (std::string& m : rx) fmt::print("drained: {}\n", m);

  tx = {};  // the last (strong) sender is gone
  fmt::print("upgrade after the last sender went: {}\n", weak.upgrade().has_value());
}
