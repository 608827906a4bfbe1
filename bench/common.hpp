// rill_bench: what every adapter and workload shares — the message types, the
// capability flags a peer declares, the result of one timed run, and the
// registry of cells (one workload measured on one peer).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace rill_bench {

using u64 = std::uint64_t;
using clock_type = std::chrono::steady_clock;

/// Capacity meaning "unbounded" for the adapters' queue constructors.
inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

/// A message of `Bytes` bytes (a multiple of 8); the first word carries the
/// value the workloads sum to check that every message arrived once.
template <std::size_t Bytes>
struct payload {
  static_assert(Bytes % 8 == 0 && Bytes >= 8);
  std::array<u64, Bytes / 8> words;
};

template <class T>
T make_message(u64 i) {
  if constexpr (std::is_same_v<T, u64>) {
    return i;
  } else {
    T m{};
    m.words[0] = i;
    return m;
  }
}

template <class T>
u64 message_value(const T& m) {
  if constexpr (std::is_same_v<T, u64>) {
    return m;
  } else {
    return m.words[0];
  }
}

/// What each peer's API allows; a workload runs on a peer only if its
/// requirements are met, and shows "-" otherwise.
struct capabilities {
  bool unbounded = false;    ///< a queue without a capacity limit
  bool bounded = false;      ///< a capacity limit with a blocking send
  bool rendezvous = false;   ///< capacity 0: send waits for a receiver
  bool threads = false;      ///< usable from plain threads (blocking send/recv)
  bool asio_async = false;   ///< co_await on an Asio io_context
  bool fibers = false;       ///< its own coroutines (Boost.Fiber fibers)
  bool select = false;       ///< waits on several channels at once
  bool timed_recv = false;   ///< a receive with a timeout
};

/// The outcome of one timed run of a workload.
struct measurement {
  double seconds = 0;  ///< wall time of the measured part
  u64 messages = 0;    ///< messages (or round trips) it moved
  /// For workloads that report statistics instead of a rate (timeout
  /// overshoot): the figures, in the cell's unit. NaN when unused.
  double metric[2] = {std::nan(""), std::nan("")};
};

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

/// Kills the (child) process when a workload sees a wrong result: the
/// parent reports the cell as failed.
[[noreturn]] inline void check_failed(const char* what) {
  std::fprintf(stderr, "rill_bench: check failed: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, const char* what) {
  if (!ok) check_failed(what);
}

inline u64 expected_sum(u64 n) { return n == 0 ? 0 : n * (n - 1) / 2; }

/// One workload on one peer.
struct cell {
  std::string section;   ///< workloads, size, scaling, select, timeout, shared, floor
  std::string id;        ///< row id: W1..W13, size-64B, producers-4, ...
  std::string label;     ///< row description
  std::string peer;      ///< peer key (see peers() in peers.cpp)
  std::string unit;      ///< "msg/s", "rt/s" or "us"
  bool higher_better = true;
  u64 n_start = 20'000;  ///< first calibration count
  u64 n_quick = 2'000;   ///< the count for --quick
  u64 granularity = 64;  ///< counts are rounded to a multiple of this
  u64 n_max = 20'000'000;
  bool fixed_n = false;  ///< no calibration: n is a sample count (timeouts)
  u64 n_fixed = 0;
  std::array<std::string, 2> metric_names{};  ///< for fixed_n cells
  /// False for a cell whose messages move in another program (bench/external):
  /// this binary's allocation counter cannot see that program's heap, and
  /// the report shows "n/a".
  bool counts_allocations = true;
  std::function<measurement(u64)> run;
};

using registry = std::vector<cell>;

/// A cell measured by `run`, with the calibration counts of its kind.
inline cell make_cell(const char* section, std::string id, std::string label, std::string peer, const char* unit,
                      u64 n_start, u64 n_quick, std::function<measurement(u64)> run) {
  cell x;
  x.section = section;
  x.id = std::move(id);
  x.label = std::move(label);
  x.peer = std::move(peer);
  x.unit = unit;
  x.n_start = n_start;
  x.n_quick = n_quick;
  x.run = std::move(run);
  return x;
}

/// A row of the workloads table (W1-W13): the same id, label, unit and
/// calibration counts for every peer, whichever language measures it.
struct workload_row {
  const char* id;
  const char* label;
  const char* unit;
  u64 n_start;
  u64 n_quick;
};

inline constexpr workload_row workload_rows[] = {
    {"W1", "spsc_unbounded", "msg/s", 50'000, 2'000},
    {"W2", "mpsc_unbounded (4 producers)", "msg/s", 50'000, 2'000},
    {"W3", "spsc_bounded_1024", "msg/s", 50'000, 2'000},
    {"W4", "mpsc_bounded_1024 (4 producers)", "msg/s", 50'000, 2'000},
    {"W5", "spsc_bounded_1", "msg/s", 5'000, 500},
    {"W6", "rendezvous (capacity 0)", "msg/s", 5'000, 500},
    {"W7", "pingpong_threads", "rt/s", 5'000, 500},
    {"W8", "mpmc_bounded_1024 (4+4 threads)", "msg/s", 20'000, 2'000},
    {"W9", "async_pingpong_single_thread", "rt/s", 20'000, 1'000},
    {"W10", "async_spsc_bounded_1024_single_thread", "msg/s", 50'000, 2'000},
    {"W11", "mixed_thread_to_coroutine (bounded 1024)", "msg/s", 20'000, 2'000},
    {"W12", "select_rx (4 producers, 4 bounded(1024) channels, 1 selecting consumer)", "msg/s", 20'000, 2'000},
    {"W13", "select_both (4 senders and 4 receivers selecting over 4 bounded(1024) channels)", "msg/s", 20'000,
     2'000},
};

inline const workload_row& workload_row_of(std::string_view id) {
  for (const auto& w : workload_rows)
    if (id == w.id) return w;
  check_failed("no such workload row");
}

/// The cell of workload `id` (W1-W13) on `peer`, measured by `run`.
inline cell make_workload_cell(std::string_view id, std::string peer, std::function<measurement(u64)> run) {
  const workload_row& w = workload_row_of(id);
  return make_cell("workloads", w.id, w.label, std::move(peer), w.unit, w.n_start, w.n_quick, std::move(run));
}

// Registration, one function per peer (each in its own translation unit).
void add_rill_cells(registry& r);
void add_rill_task_cells(registry& r);
/// oneshot and watch, beside their hand-built alternatives (cells_kinds.cpp).
void add_kinds_cells(registry& r);
void add_mutex_cells(registry& r);
/// The peers in other languages (bench/external), those built in.
void add_external_cells(registry& r);
#ifdef RILL_BENCH_HAVE_ASIO_CHANNELS
void add_asio_cells(registry& r);
#endif
#ifdef RILL_BENCH_HAVE_MOODYCAMEL
void add_moodycamel_cells(registry& r);
#endif
#ifdef RILL_BENCH_HAVE_BOOST_FIBER
void add_boost_fiber_cells(registry& r);
#endif

/// Heap allocations so far in this process (replaced global operator new,
/// plus allocators of peers that bypass it, see alloc_counter.cpp).
u64 allocation_count() noexcept;
void count_allocation() noexcept;

}  // namespace rill_bench
