// rill_bench: the coroutine workloads W9-W11 with rill::task and
// rill::use_task, beside the asio::awaitable rows of rill_peer: the same
// channels, the same shapes (workloads.hpp), another coroutine type.
#include "common.hpp"

#include <rill/rill.hpp>

#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <thread>
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

}  // namespace

void add_rill_task_cells(registry& r) {
  r.push_back(make_workload_cell("W9", "rill_task", task_pingpong));
  r.push_back(make_workload_cell("W10", "rill_task", task_spsc));
  r.push_back(make_workload_cell("W11", "rill_task", task_from_thread));
}

}  // namespace rill_bench
