// The test's side of rill_nats_peer (peer_main.cpp): a child_process
// (process.hpp) running it.
#pragma once

#include "nats/process.hpp"

#include <string>
#include <utility>
#include <vector>

#ifndef RILL_TEST_NATS_PEER
#error "RILL_TEST_NATS_PEER (the path of rill_nats_peer) is set by tests/CMakeLists.txt"
#endif

namespace rill_test {

class nats_peer : public child_process {
 public:
  explicit nats_peer(std::vector<std::string> args) : child_process(RILL_TEST_NATS_PEER, std::move(args)) {}
};

}  // namespace rill_test
