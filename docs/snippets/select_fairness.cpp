// Among arms ready at once a random one wins, so a busy channel cannot
// starve another; select_order::biased makes the first ready arm win.
#include <rill/rill.hpp>

int main() {
  auto [a_tx, a] = rill::channel<int>();
  auto [b_tx, b] = rill::channel<int>();
  constexpr int rounds = 10'000;
  for (int i = 0; i < rounds; ++i)
    if (!a_tx.send(i) || !b_tx.send(i)) return 1;  // both channels always ready

  int a_won = 0;
  for (int i = 0; i < rounds; ++i) {
    auto r = rill::select(rill::recv(a), rill::recv(b));
    if (r.index() == 0) ++a_won;
  }
  // Binomial: 40 % is 20 standard deviations below the mean of 50 %.
  fmt::print("random order: each arm won at least 40 %: {}\n",
             a_won > rounds * 4 / 10 && a_won < rounds * 6 / 10);

  int biased_a = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = rill::select(rill::select_order::biased, rill::recv(a), rill::recv(b));
    if (r.index() == 0) ++biased_a;
  }
  fmt::print("biased order: the first arm won {} of 100\n", biased_a);
}
