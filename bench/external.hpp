// rill_bench: the programs that measure the peers in other languages
// (bench/external: crossbeam-channel, Rust's std::sync::mpsc, tokio's mpsc
// and flume in Rust; Go's channels), as bench/CMakeLists.txt built them, or
// why it did not. CMake defines the four macros for peers.cpp and
// cells_external.cpp only: a path, or "" and the reason.
#pragma once

namespace rill_bench::external {

struct program {
  const char* path;     ///< "" when not built
  const char* missing;  ///< why not
  bool built() const { return path[0] != '\0'; }
};

inline constexpr program rust{RILL_BENCH_RUST_PEERS, RILL_BENCH_RUST_MISSING};
inline constexpr program go{RILL_BENCH_GO_PEERS, RILL_BENCH_GO_MISSING};

}  // namespace rill_bench::external
