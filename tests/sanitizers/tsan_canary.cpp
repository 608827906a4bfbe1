// Run only in the ThreadSanitizer build, where it must be reported: proves
// that the build's race detection sees through the way rill's tests hand
// work between threads (an Asio handler run by another thread, a channel).
//
// The TSan build defines ASIO_DISABLE_FENCED_BLOCK. Asio otherwise brackets
// every handler it invokes with standalone fences, which GCC's TSan does
// not model (it warns "atomic_thread_fence is not supported"). A fence it
// ignores can only hide a happens-before edge from it, so it could report a
// race that is none, never miss one; and those fences add nothing here,
// since a handler reaches its thread through the scheduler's mutex, which
// TSan does model. Without them the build checks exactly what it claims.
#include <rill/rill.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <cstdio>
#include <cstring>
#include <thread>

namespace {

int unguarded = 0;

}  // namespace

int main(int argc, char** argv) {
  const bool race = argc > 1 && std::strcmp(argv[1], "race") == 0;
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  asio::post(io, [&, tx = tx] {
    unguarded = 1;             // written on the io_context's thread
    (void)tx.send(unguarded);  // ... and published through the channel
  });
  std::thread runner([&io] { io.run(); });
  int seen = 0;
  if (race) {
    seen = unguarded;  // read with no ordering at all: a data race
  } else {
    seen = *rx.recv();  // ordered by the channel: no race
    seen += unguarded;
  }
  runner.join();
  std::printf("seen %d\n", seen);
  return 0;
}
