// The one place that knows which peers were found at build time: a peer
// added to bench/CMakeLists.txt gets its column and its cells here.
#include "peers.hpp"

#include "external.hpp"

namespace rill_bench {

const std::vector<peer_info>& peers() {
  static const std::vector<peer_info> all = {
      {"rill", "rill", true, ""},
      {"rill_task", "rill::task", true, ""},
#ifdef RILL_BENCH_HAVE_ASIO_CHANNELS
      {"asio_concurrent", "asio concurrent_channel", true, ""},
      {"asio_channel", "asio channel", true, ""},
#else
      {"asio_concurrent", "asio concurrent_channel", false, "asio/experimental/concurrent_channel.hpp not found"},
      {"asio_channel", "asio channel", false, "asio/experimental/channel.hpp not found"},
#endif
#ifdef RILL_BENCH_HAVE_MOODYCAMEL
      {"moodycamel", "moodycamel BlockingConcurrentQueue", true, ""},
#else
      {"moodycamel", "moodycamel BlockingConcurrentQueue", false,
       "concurrentqueue/blockingconcurrentqueue.h not found (libconcurrentqueue-dev)"},
#endif
#ifdef RILL_BENCH_HAVE_BOOST_FIBER
      {"boost_fiber", "boost.fiber buffered_channel", true, ""},
#else
      {"boost_fiber", "boost.fiber buffered_channel", false, "Boost.Fiber not found (libboost-fiber-dev)"},
#endif
      {"mutex", "mutex+condvar deque", true, ""},
      // Other languages (bench/external, cells_external.cpp): a program each.
      {"crossbeam", "crossbeam", external::rust.built(), external::rust.missing},
      {"rust_std", "rust std mpsc", external::rust.built(), external::rust.missing},
      {"go", "go chan", external::go.built(), external::go.missing},
      {"tokio", "tokio mpsc", external::rust.built(), external::rust.missing},
      {"flume", "flume async", external::rust.built(), external::rust.missing},
  };
  return all;
}

std::vector<const peer_info*> built_peers() {
  std::vector<const peer_info*> out;
  for (const auto& p : peers())
    if (p.built) out.push_back(&p);
  return out;
}

registry all_cells() {
  registry all;
  add_rill_cells(all);
  add_rill_task_cells(all);
  add_kinds_cells(all);
#ifdef RILL_BENCH_HAVE_ASIO_CHANNELS
  add_asio_cells(all);
#endif
#ifdef RILL_BENCH_HAVE_MOODYCAMEL
  add_moodycamel_cells(all);
#endif
#ifdef RILL_BENCH_HAVE_BOOST_FIBER
  add_boost_fiber_cells(all);
#endif
  add_mutex_cells(all);
  add_external_cells(all);
  return all;
}

}  // namespace rill_bench
