// Giving up: a timeout arm wins when nothing else is ready in time, try_select
// never waits, and an on_stop arm wins once a stop is requested.
#include <rill/rill.hpp>
#include <chrono>
#include <stop_token>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::channel<int>();

  auto r = rill::select(rill::recv(rx), rill::timeout(5ms));
  fmt::print("empty channel: arm {} won (timed_out)\n", r.index());

  auto none = rill::try_select(rill::recv(rx));
  fmt::print("try_select on an empty channel: {}\n", none.has_value() ? "an arm won" : "nullopt");

  if (!tx.send(42)) return 1;
  auto ready = rill::select(rill::recv(rx), rill::deadline(std::chrono::steady_clock::now() + 1s));
  fmt::print("ready channel: arm {} won with {}\n", ready.index(), *std::get<0>(ready));

  std::stop_source source;
  source.request_stop();
  if (!tx.send(7)) return 1;  // ready, but a requested stop goes first
  auto s = rill::select(rill::recv(rx), rill::on_stop(source.get_token()));
  fmt::print("stop requested: arm {} won; still buffered: {}\n", s.index(), rx.size());
}
