// rill_bench: the coroutine workloads W9-W11 with rill::task and
// rill::use_task, beside the asio::awaitable rows of rill_peer: the same
// channels, the same shapes (workloads.hpp), another coroutine type; and
// W12, W13 with tasks selecting, all on one thread, beside the selecting
// threads of rill's rows and Go's goroutines.
#include "common.hpp"
#include "select_workloads.hpp"

#include <rill/rill.hpp>

#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <array>
#include <thread>
#include <tuple>
#include <utility>

namespace rill_bench {
namespace {

/// W9: two tasks on one thread bounce one message over two channels of
/// capacity 1; n round trips.
measurement task_pingpong(u64 n) {
  u64 last = 0;
  asio::io_context io(1);
  auto [a_tx, a_rx] = rill::sync_channel<u64>(1);
  auto [b_tx, b_rx] = rill::sync_channel<u64>(1);
  auto echo = [](rill::receiver<u64> in, rill::sender<u64> out, u64 n) -> rill::task<void> {
    for (u64 i = 0; i < n; ++i) co_await out.async_send(co_await in.async_recv(rill::use_task) + 1, rill::use_task);
  };
  auto drive = [](rill::sender<u64> out, rill::receiver<u64> in, u64 n, u64& last) -> rill::task<void> {
    for (u64 i = 0; i < n; ++i) {
      co_await out.async_send(i, rill::use_task);
      last = co_await in.async_recv(rill::use_task);
    }
  };
  rill::spawn(io, echo(std::move(a_rx), std::move(b_tx), n), asio::detached);
  rill::spawn(io, drive(std::move(a_tx), std::move(b_rx), n, last), asio::detached);
  const auto start = clock_type::now();
  io.run();
  const double s = seconds_since(start);
  check(last == n, "task pingpong count");
  return {s, n};
}

rill::task<void> send_all(rill::sender<u64> tx, u64 n) {
  for (u64 i = 0; i < n; ++i) co_await tx.async_send(i, rill::use_task);
}

rill::task<void> sum_all(rill::receiver<u64> rx, u64 n, u64& sum) {
  for (u64 i = 0; i < n; ++i) sum += co_await rx.async_recv(rill::use_task);
}

/// W10: a producer and a consumer task on one thread, bounded 1024.
measurement task_spsc(u64 n) {
  u64 sum = 0;
  asio::io_context io(1);
  auto [tx, rx] = rill::sync_channel<u64>(1024);
  rill::spawn(io, send_all(std::move(tx), n), asio::detached);
  rill::spawn(io, sum_all(std::move(rx), n, sum), asio::detached);
  const auto start = clock_type::now();
  io.run();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "task spsc sum");
  return {s, n};
}

/// W11: a plain thread sends with its blocking send; a task on the calling
/// thread receives; bounded 1024.
measurement task_from_thread(u64 n) {
  u64 sum = 0;
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<u64>(1024);
  rill::spawn(io, sum_all(std::move(rx), n, sum), asio::detached);
  const auto start = clock_type::now();
  std::thread producer([tx = std::move(tx), n] {
    for (u64 i = 0; i < n; ++i) check(tx.send(i).has_value(), "rill send");
  });
  io.run();
  producer.join();
  const double s = seconds_since(start);
  check(sum == expected_sum(n), "thread to task sum");
  return {s, n};
}

rill::task<void> send_range(rill::sender<u64> tx, u64 first, u64 end) {
  for (u64 i = first; i < end; ++i) co_await tx.async_send(i, rill::use_task);
}

constexpr unsigned select_width = 4;  ///< channels a W12/W13 select spans
using select_receivers = std::array<rill::receiver<u64>, select_width>;

/// Receives with one async_select over the 4 receivers per message until
/// every channel is disconnected and drained, adding to `sum` and `got`.
rill::task<void> select_receive_all(select_receivers rx, u64& sum, u64& got) {
  std::array<bool, select_width> live{true, true, true, true};
  while (live[0] || live[1] || live[2] || live[3]) {
    // Arms named first: GCC 12 may destroy a temporary passed straight
    // into a co_await'ed call twice.
    auto a0 = rill::recv(rx[0], live[0]), a1 = rill::recv(rx[1], live[1]), a2 = rill::recv(rx[2], live[2]),
         a3 = rill::recv(rx[3], live[3]);
    auto won = co_await rill::async_select(std::move(a0), std::move(a1), std::move(a2), std::move(a3), rill::use_task);
    auto& r = *won;  // always set without an error, which would throw
    auto& m = detail::winner(r);
    if (m) {
      sum += *m;
      ++got;
    } else {
      live[r.index()] = false;  // every sender of that channel is done, and it is drained
    }
  }
}

/// Runs `io` until its tasks are done, checks that `got` and `sum` are all
/// n messages, and returns the time it took.
measurement timed_selects(asio::io_context& io, u64 n, const u64& sum, const u64& got, const char* what) {
  const auto start = clock_type::now();
  io.run();
  const double s = seconds_since(start);
  check(got == n && sum == expected_sum(n), what);
  return {s, n};
}

/// W12: 4 producer tasks, each on its own bounded(1024) channel; a consumer
/// task receives all n with one async_select over the 4 receivers per
/// message. All on one io_context thread.
measurement task_select_rx(u64 n) {
  asio::io_context io(1);
  std::array<rill::sender<u64>, select_width> tx;
  select_receivers rx;
  for (unsigned p = 0; p < select_width; ++p) std::tie(tx[p], rx[p]) = rill::sync_channel<u64>(1024);
  for (unsigned p = 0; p < select_width; ++p)
    rill::spawn(io, send_range(std::move(tx[p]), n * p / select_width, n * (p + 1) / select_width), asio::detached);
  u64 sum = 0, got = 0;
  rill::spawn(io, select_receive_all(std::move(rx), sum, got), asio::detached);
  return timed_selects(io, n, sum, got, "task select_rx sum");
}

/// W13: 4 sender tasks each send with one async_select over send arms on 4
/// shared bounded(1024) channels; 4 receiver tasks select over receive arms
/// on the same 4 until every channel is disconnected and drained. All on
/// one io_context thread.
measurement task_select_both(u64 n) {
  constexpr unsigned senders = 4, receivers = 4;
  asio::io_context io(1);
  std::array<rill::sender<u64>, select_width> tx;
  select_receivers rx;
  for (unsigned c = 0; c < select_width; ++c) std::tie(tx[c], rx[c]) = rill::sync_channel<u64>(1024);
  auto send_part = [](std::array<rill::sender<u64>, select_width> tx, u64 first, u64 end) -> rill::task<void> {
    for (u64 i = first; i < end; ++i) {
      auto a0 = rill::send(tx[0], i), a1 = rill::send(tx[1], i), a2 = rill::send(tx[2], i), a3 = rill::send(tx[3], i);
      auto won = co_await rill::async_select(std::move(a0), std::move(a1), std::move(a2), std::move(a3), rill::use_task);
      check(detail::winner(*won).has_value(), "task select_both send");
    }
  };
  for (unsigned p = 0; p < senders; ++p)
    rill::spawn(io, send_part(tx, n * p / senders, n * (p + 1) / senders), asio::detached);
  for (auto& t : tx) t = {};  // only the sender tasks keep the channels open now
  u64 sum = 0, got = 0;
  for (unsigned c = 0; c < receivers; ++c) rill::spawn(io, select_receive_all(rx, sum, got), asio::detached);
  return timed_selects(io, n, sum, got, "task select_both sum");
}

}  // namespace

void add_rill_task_cells(registry& r) {
  r.push_back(make_workload_cell("W9", "rill_task", task_pingpong));
  r.push_back(make_workload_cell("W10", "rill_task", task_spsc));
  r.push_back(make_workload_cell("W11", "rill_task", task_from_thread));
  r.push_back(make_workload_cell("W12", "rill_task", task_select_rx));
  r.push_back(make_workload_cell("W13", "rill_task", task_select_both));
}

}  // namespace rill_bench
