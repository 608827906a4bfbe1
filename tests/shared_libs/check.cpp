// Two shared libraries built with -fvisibility=hidden, both using rill:
//  1. an error made in one compares equal to the same error made in the
//     other and in the program (one "rill" category per program);
//  2. a channel made in one carries messages sent from the other;
//  3. destroying an io_context withdraws the operations both started on it:
//     their handlers are destroyed unrun, and the channels no longer see
//     them waiting.
// With rill compiled as a shared library all three hold. The header-only
// control (EXPECT_ONE_CATEGORY=0) shows why the compiled library exists:
// each library then has its own category, and check 1 finds them unequal.
#include "side.hpp"

#include <cstdio>

static int failures = 0;

static void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

int main() {
  const std::error_code from_a = a_disconnected();
  const std::error_code from_b = b_disconnected();
  const std::error_code here = rill::errc::disconnected;
  const bool one_category = from_a == from_b && from_a == here && &from_a.category() == &here.category();
#if EXPECT_ONE_CATEGORY
  check(one_category, "errors made in two hidden-visibility libraries compare equal");
#else
  check(!one_category, "header-only: each hidden-visibility library has its own category (control)");
#endif

  {
    auto [tx, rx] = a_make_channel();
    asio::io_context io;
    int ran = 0, dropped = 0;
    b_start_send(io, tx, 7, ran, dropped);
    const auto received = rx.recv_timeout(std::chrono::seconds(10));
    io.run();
    check(received && *received == 7 && ran == 1, "a channel made in side_a carries a message sent by side_b");
  }

  {
    auto [tx_a, rx_a] = a_make_channel();
    auto [tx_b, rx_b] = b_make_channel();
    int ran = 0, dropped = 0;
    {
      asio::io_context io;
      a_start_recv(io, rx_a, ran, dropped);
      b_start_send(io, tx_b, 1, ran, dropped);
      io.poll();  // both operations are now waiting in their channels
    }
    check(ran == 0 && dropped == 2, "an io_context's shutdown destroys the handlers of both libraries, unrun");
    // Withdrawn: no receiver waits on a's channel any more, and b's channel
    // holds no sender's value.
    check(tx_a.try_send(1).error().is_full(), "the receive started by side_a is withdrawn from its channel");
    check(rx_b.try_recv().error() == rill::try_recv_error::empty, "the send started by side_b is withdrawn");
  }
  return failures == 0 ? 0 : 1;
}
