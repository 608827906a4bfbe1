// Must not compile: a remote sender of a type with no default codec, and no
// codec given. The static_assert names the codecs that exist.
#include <rill/nats.hpp>

struct job {
  int id;
};

int main() {
  auto conn = rill::nats::connection::connect({});
  auto out = rill::nats::remote_sender<job>(*conn, {});
}
