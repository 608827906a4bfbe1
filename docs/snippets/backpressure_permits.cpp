// Permits: reserve room first, build the value only once there is room,
// then send without waiting. A permit dropped unused gives its room back.
#include <rill/rill.hpp>
#include <chrono>
#include <string>

std::string make_report(int n) { return fmt::format("report {}", n); }  // costly in real life

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::sync_channel<std::string>(2);

  if (auto p = tx.reserve()) {                  // waits for room, holding no value yet
    if (!p->send(make_report(1))) return 1;     // never waits, never refused for lack of room
  }
  {
    auto unused = tx.try_reserve();             // takes the second slot...
    fmt::print("reserved: {}, buffered {}\n", unused.has_value(), rx.size());
    auto none = tx.try_reserve();               // ...so there is no room left
    fmt::print("try_reserve: {}\n", none.error());
  }                                             // ...and gives it back here, unused
  auto p = tx.reserve_timeout(5ms);
  fmt::print("reserve_timeout after the release: {}\n", p.has_value());
  if (p && !p->send(make_report(2))) return 1;

  auto waiting = tx.reserve_timeout(5ms);       // full: times out, having reserved nothing
  fmt::print("reserve_timeout on a full channel: {}\n", waiting.error());

  std::vector<std::string> got;
  std::size_t n = rx.try_recv_many(got, 10);
  auto batch = tx.reserve_many(2);              // two slots at once
  for (int i = 3; batch && !batch->empty(); ++i)
    if (!batch->send(make_report(i))) return 1;
  n += rx.try_recv_many(got, 10);
  fmt::print("received {}: {}\n", n, fmt::join(got, ", "));
}
