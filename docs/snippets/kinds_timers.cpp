// Timer channels are receivers of rill::instant: after() gets one message,
// tick() one per period, never() none; any receive or select arm takes them.
#include <rill/rill.hpp>
#include <chrono>

int main() {
  using namespace std::chrono_literals;
  auto once = rill::after(2ms);
  rill::instant due = *once.recv();  // blocks until the timer is due
  fmt::print("after: due instant has passed: {}\n", due <= std::chrono::steady_clock::now());
  fmt::print("after, again: {}\n", once.try_recv().error());  // silent from now on, never disconnected

  auto ticks = rill::tick(2ms);
  rill::instant first = *ticks.recv();
  rill::instant second = *ticks.recv();  // a tick missed meanwhile is skipped, not queued
  fmt::print("tick: whole periods apart: {}\n", (second - first) % 2ms == 0ms && second > first);

  auto nothing = rill::never<int>();  // a select arm that is there but never wins
  auto r = rill::select(rill::recv(nothing), rill::recv(rill::after(1ms)));
  fmt::print("select: arm {} won\n", r.index());
}
