// Go's select in rill: default (try_select), time.After (a timeout arm), and
// a nil channel to switch off a case whose channel is closed (enabled flag).
#include <rill/rill.hpp>

#include <chrono>

int main() {
  using namespace std::chrono_literals;
  auto [a_tx, a_rx] = rill::channel<int>();
  auto [b_tx, b_rx] = rill::channel<int>();

  // select { case v := <-a: ...; default: ... }
  if (!rill::try_select(rill::recv(a_rx))) fmt::print("default: nothing ready\n");

  // select { case v := <-a: ...; case <-time.After(10 * time.Millisecond): ... }
  auto r = rill::select(rill::recv(a_rx), rill::timeout(10ms));
  if (r.index() == 1) fmt::print("timed out\n");

  for (int i = 1; i <= 3; ++i) (void)a_tx.send(i);
  for (int i = 10; i <= 20; i += 10) (void)b_tx.send(i);
  a_tx = {};  // close(a)
  b_tx = {};  // close(b)

  // for a != nil || b != nil { select { case v, ok := <-a: if !ok { a = nil } ... } }
  bool a_open = true, b_open = true;
  int sum = 0, count = 0;
  while (a_open || b_open) {
    auto m = rill::select(rill::recv(a_rx, a_open), rill::recv(b_rx, b_open));
    auto& got = m.index() == 0 ? std::get<0>(m) : std::get<1>(m);
    if (!got) {
      (m.index() == 0 ? a_open : b_open) = false;  // a = nil: this case is off from now on
      continue;
    }
    sum += *got;
    ++count;
  }
  fmt::print("{} values, sum {}\n", count, sum);
}
