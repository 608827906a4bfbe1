// A send arm offers a value; if another arm wins, the value was not sent.
// Pass the arm as an lvalue to get the value back with take_value().
#include <rill/rill.hpp>
#include <chrono>
#include <string>

int main() {
  using namespace std::chrono_literals;
  auto [out, out_rx] = rill::sync_channel<std::string>(1);
  if (!out.send("first")) return 1;  // the channel is now full

  auto offer = rill::send(out, std::string("second"));
  auto r = rill::select(offer, rill::timeout(5ms));  // no room: the timeout wins
  if (r.index() == 1) {
    std::optional<std::string> back = offer.take_value();
    fmt::print("timed out; the offer kept its value: {}\n", *back);
  }

  auto taken = out_rx.recv();  // makes room
  fmt::print("received {}\n", *taken);
  auto again = rill::select(rill::send(out, std::string("third")), rill::timeout(5ms));
  fmt::print("send arm won: {}; buffered now: {}\n", again.index() == 0 && std::get<0>(again).has_value(),
             out_rx.size());
}
