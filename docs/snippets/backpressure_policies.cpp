// What a send on a full channel does under each overflow policy: five sends
// into a channel of three, what the receiver gets, what went to the hook.
#include <rill/rill.hpp>
#include <vector>

void run(const char* name, rill::overflow policy) {
  std::vector<int> dropped;  // the hook runs on the sending thread here: no lock needed
  auto [tx, rx] = rill::sync_channel<int>(3, policy, [&dropped](int&& m) { dropped.push_back(m); });
  for (int i = 1; i <= 5; ++i)
    if (!tx.send(i)) return;  // never waits under a dropping policy
  std::vector<int> got;
  std::size_t n = rx.try_recv_many(got, 10);
  fmt::print("{:<12} received {}: [{}]  dropped: [{}]  undelivered_count {}\n", name, n, fmt::join(got, " "),
             fmt::join(dropped, " "), tx.undelivered_count());
}

int main() {
  run("drop_oldest", rill::overflow::drop_oldest);
  run("drop_newest", rill::overflow::drop_newest);
  run("keep_latest", rill::overflow::keep_latest);

  auto [tx, rx] = rill::sync_channel<int>(3);  // overflow::wait, the default
  for (int i = 1; i <= 3; ++i)
    if (!tx.send(i)) return 1;
  auto full = tx.try_send(4);  // a blocking send would wait here for room
  fmt::print("{:<12} try_send(4): {}\n", "wait", full.error());
}
