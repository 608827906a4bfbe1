// rill_bench: the cells of the channel kinds (oneshot, watch, broadcast),
// each beside the standard library's alternative and a rill channel (of
// capacity 1 for oneshot, one per receiver for broadcast).
#include "kinds_workloads.hpp"

namespace rill_bench {

void add_kinds_cells(registry& r) {
  auto add = [&](const char* section, const char* id, const char* label, const char* peer, const char* unit,
                 u64 n_start, u64 n_quick, measurement (*fn)(u64)) {
    r.push_back(make_cell(section, id, label, peer, unit, n_start, n_quick, fn));
  };
  add("oneshot", "oneshot-local", "rill::oneshot<u64>, one thread", "rill", "values/s", 200'000, 2'000,
      oneshot_same_thread<oneshot_reply>);
  add("oneshot", "sync1-local", "rill::sync_channel<u64>(1), one thread", "rill", "values/s", 200'000, 2'000,
      oneshot_same_thread<sync_channel_reply>);
  add("oneshot", "promise-local", "std::promise<u64> / std::future, one thread", "std", "values/s", 200'000, 2'000,
      oneshot_same_thread<promise_reply>);
  add("oneshot", "oneshot-reply", "rill::oneshot<u64>, reply from a worker thread", "rill", "rt/s", 20'000, 500,
      oneshot_reply_from_thread<oneshot_reply>);
  add("oneshot", "sync1-reply", "rill::sync_channel<u64>(1), reply from a worker thread", "rill", "rt/s", 20'000,
      500, oneshot_reply_from_thread<sync_channel_reply>);
  add("oneshot", "promise-reply", "std::promise<u64> / std::future, reply from a worker thread", "std", "rt/s",
      20'000, 500, oneshot_reply_from_thread<promise_reply>);

  add("watch", "watch", "rill::watch<u64>: readers wait in changed(), read by borrow()", "rill", "updates/s",
      50'000, 1'000, watch_rill);
  add("watch", "shared-mutex", "std::shared_mutex-protected u64: readers poll under a shared lock", "std",
      "updates/s", 50'000, 1'000, watch_shared_mutex);
  add("watch", "mutex-condvar", "std::mutex + condition_variable + version counter", "std", "updates/s", 50'000,
      1'000, watch_mutex_condvar);

  add("broadcast", "broadcast-1", "rill::broadcast<u64>(1024), 1 receiver", "rill", "msg/s", 200'000, 2'000,
      broadcast_rill<1>);
  add("broadcast", "channels-1", "1 rill::sync_channel<u64>(1024), 1 receiver", "rill", "msg/s", 200'000, 2'000,
      broadcast_separate_channels<1>);
  add("broadcast", "mutex-1", "std::mutex + condition variables + 1 queue", "std", "msg/s", 200'000, 2'000,
      broadcast_mutex_queues<1>);
  add("broadcast", "broadcast-4", "rill::broadcast<u64>(1024), 4 receivers", "rill", "msg/s", 100'000, 1'000,
      broadcast_rill<4>);
  add("broadcast", "channels-4", "4 rill::sync_channel<u64>(1024), one per receiver", "rill", "msg/s", 100'000,
      1'000, broadcast_separate_channels<4>);
  add("broadcast", "mutex-4", "std::mutex + condition variables + 4 queues", "std", "msg/s", 100'000, 1'000,
      broadcast_mutex_queues<4>);
  add("broadcast", "broadcast-16", "rill::broadcast<u64>(1024), 16 receivers", "rill", "msg/s", 50'000, 500,
      broadcast_rill<16>);
  add("broadcast", "channels-16", "16 rill::sync_channel<u64>(1024), one per receiver", "rill", "msg/s", 50'000, 500,
      broadcast_separate_channels<16>);
  add("broadcast", "mutex-16", "std::mutex + condition variables + 16 queues", "std", "msg/s", 50'000, 500,
      broadcast_mutex_queues<16>);
}

}  // namespace rill_bench
