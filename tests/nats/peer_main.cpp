// rill_nats_peer: a second process for the rill::nats tests, a worker or a
// producer on another "machine". It speaks on stdout, one line per event,
// and exits when its stdin closes (or when killed).
//
//   rill_nats_peer hold <url> <queue> <ack_wait_ms> <n>
//       receives n deliveries and holds them unacked: prints "held <value>"
//       for each, then "ready", then waits for stdin to close.
//   rill_nats_peer send <url> <queue> <count> <tag>
//       sends "<tag>:<i>" for i in [0, count), flushes, prints "done <producer>".
//
// <queue> names a work queue as rill_test::work_queue() does.
#include "nats/harness.hpp"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

int fail(const std::string& what) {
  std::cout << "error " << what << std::endl;
  return 1;
}

void wait_for_stdin_to_close() {
  char byte;
  while (::read(STDIN_FILENO, &byte, 1) > 0) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() != 5) return fail("usage: hold|send <url> <queue> <number> <number|tag>");
  auto conn = rill::nats::connection::connect({.url = args[1]});
  if (!conn) return fail("connect: " + conn.error().message());
  auto queue = rill_test::work_queue(args[2]);

  if (args[0] == "hold") {
    queue.ack_wait = std::chrono::milliseconds(std::stoll(args[3]));
    const auto n = std::stoul(args[4]);
    auto in = rill::nats::remote_receiver<std::string>(*conn, queue, {.prefetch = n});
    if (!in) return fail("remote_receiver: " + in.error().message());
    auto& [rx, sub] = *in;
    std::vector<rill::nats::delivery<std::string>> held;
    while (held.size() < n) {
      auto d = rx.recv();
      if (!d) return fail("recv: disconnected");
      std::cout << "held " << d->value() << std::endl;
      held.push_back(std::move(*d));
    }
    std::cout << "ready" << std::endl;
    wait_for_stdin_to_close();
    return 0;
  }

  if (args[0] == "send") {
    const auto count = std::stoll(args[3]);
    auto out = rill::nats::remote_sender<std::string>(*conn, queue);
    if (!out) return fail("remote_sender: " + out.error().message());
    auto& [tx, pub] = *out;
    for (long long i = 0; i < count; ++i) {
      if (!tx.send(args[4] + ":" + std::to_string(i))) return fail("send: disconnected");
    }
    if (auto flushed = pub.flush(); !flushed) return fail("flush: " + flushed.error().message());
    std::cout << "done " << pub.producer() << std::endl;
    return 0;
  }
  return fail("unknown mode " + args[0]);
}
