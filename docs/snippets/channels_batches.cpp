// Batches: try_send_many sends the prefix that fits and leaves the rest in
// the range, untouched; emplace builds the message in its buffer slot.
#include <rill/rill.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

int main() {
  auto [tx, rx] = rill::sync_channel<std::string>(3);
  std::vector<std::string> words{"alpha", "beta", "gamma", "delta", "epsilon"};

  std::size_t sent = tx.try_send_many(words);  // room for 3: those are moved from
  fmt::print("sent {}; still in the vector: {}\n", sent,
             fmt::join(words.begin() + static_cast<std::ptrdiff_t>(sent), words.end(), " "));

  std::vector<std::string> got;
  std::size_t n = rx.try_recv_many(got, 10);  // what is ready, never blocks
  fmt::print("received {}: {}\n", n, fmt::join(got, " "));

  sent = tx.try_send_many(std::span(words).subspan(sent));  // send the rest
  if (!tx.emplace(3, '!')) return 1;                        // std::string(3, '!')
  got.clear();
  n = rx.try_recv_many(got, 10);
  fmt::print("sent {} more; received {}: {}\n", sent, n, fmt::join(got, " "));
}
