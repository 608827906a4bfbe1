// rill_bench: the cells measured on rill — every standard workload, the
// select workloads (W12, W13, two-arm select vs recv), batches against one
// message at a time, and the channel side of the shared-memory comparison — plus the shared-memory alternatives and
// the floor of Asio's coroutines under W9-W11.
#include "asio_floor.hpp"
#include "batch_workloads.hpp"
#include "peers/rill_peer.hpp"
#include "select_workloads.hpp"
#include "workloads.hpp"

namespace rill_bench {

void add_rill_cells(registry& r) {
  add_standard_cells<rill_peer>(r);

  auto add = [&](const char* section, const char* id, const char* label, const char* peer, u64 n_start, u64 n_quick,
                 measurement (*fn)(u64)) { r.push_back(make_cell(section, id, label, peer, "msg/s", n_start, n_quick, fn)); };
  r.push_back(make_workload_cell("W12", "rill", w12_select_rx));
  r.push_back(make_workload_cell("W13", "rill", w13_select_both));

  add("select", "recv", "spsc_bounded_1024, consumer uses recv()", "rill", 50'000, 2'000,
      [](u64 n) { return spsc<rill_peer>(1024, n); });
  add("select", "select-2", "spsc_bounded_1024, consumer uses select(recv(rx), recv(idle))", "rill", 50'000, 2'000,
      select_two_arm_spsc);

  add("shared", "shared-channel", "rill channel bounded(1024), recv() per number", "rill", 50'000, 2'000,
      [](u64 n) { return mpsc<rill_peer>(1024, 4, n); });
  add("shared", "shared-recv-many", "rill channel bounded(1024), recv_many(256)", "rill", 50'000, 2'000,
      shared_rill_recv_many);
  add("shared", "shared-mutex-vector", "std::mutex-protected std::vector, summed after join", "std", 50'000, 2'000,
      shared_mutex_vector);
  add("shared", "shared-atomic", "one std::atomic<u64> counter, fetch_add per number", "std", 50'000, 2'000,
      shared_atomic_counter);
  add("shared", "shared-local", "local sums, one fetch_add per thread (no sharing: the floor)", "std", 1'000'000,
      2'000, shared_local_sums);
  r.back().n_max = 2'000'000'000;

  add_batch_cells(r);

  add("floor", "floor-ready", "co_await of an asio::awaitable that completes at once", "asio", 200'000, 2'000,
      asio_floor_ready_await);
  r.back().n_max = 200'000'000;
  add("floor", "floor-suspend", "suspend, queue on the io_context, resume (co_await asio::post)", "asio", 50'000,
      2'000, asio_floor_suspend_resume);
}

}  // namespace rill_bench
