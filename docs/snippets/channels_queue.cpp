// rill::bounded_queue speaks the vocabulary of the C++ concurrent-queue
// proposal (P0260): push/pop report a closed queue by their result.
#include <rill/bounded_queue.hpp>
#include <fmt/core.h>
#include <optional>
#include <system_error>

int main() {
  rill::bounded_queue<int> q(2);
  std::error_code ec;
  bool pushed = q.push(1) && q.try_push(2, ec);
  bool third = q.try_push(3, ec);  // the queue is full
  fmt::print("pushed 1 and 2: {}; try_push(3): {} ({})\n", pushed, third, ec.message());

  q.close();  // no more pushes; what is queued stays for the consumers
  fmt::print("push after close: {}\n", q.push(4));
  while (std::optional<int> v = q.pop()) fmt::print("pop: {}\n", *v);
  auto last = q.pop(ec);
  fmt::print("pop on a closed, drained queue: {} ({})\n", last.has_value(), ec.message());
}
