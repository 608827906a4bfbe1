// dynamic_select serves a set of arms of one message type that changes at
// run time: here three connections' channels and a oneshot reply.
#include <rill/rill.hpp>
#include <string>
#include <vector>

int main() {
  rill::dynamic_select<std::string> sel;
  std::vector<rill::sender<std::string>> connections;
  for (int i = 0; i < 3; ++i) {
    auto [tx, rx] = rill::channel<std::string>();
    if (!tx.send(fmt::format("hello from connection {}", i))) return 1;
    connections.push_back(std::move(tx));
    sel.add(rx);  // the select keeps its own copy of the receiver: index i
  }
  auto [reply_tx, reply_rx] = rill::oneshot<std::string>();
  std::size_t reply_arm = sel.add(std::move(reply_rx));  // owned by the select
  if (!std::move(reply_tx).send("the reply")) return 1;
  connections.clear();  // every connection's sender goes: their channels drain, then disconnect

  std::vector<std::string> lines(sel.size());
  int disconnected = 0;
  std::size_t live = sel.size();
  while (live > 0) {
    rill::selected<std::string> r = sel.select();
    if (auto& m = r.recv_result()) {
      lines[r.index] = *m;
      if (r.index == reply_arm) --live;  // a oneshot arm is off for good once it won
    } else {
      ++disconnected;
      sel.disable(r.index);  // off until enable(i)
      --live;
    }
  }
  for (const std::string& line : lines) fmt::print("{}\n", line);
  fmt::print("{} channels disconnected\n", disconnected);
}
