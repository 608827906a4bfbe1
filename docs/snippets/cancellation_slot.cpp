// Cancelling operations through a cancellation slot: what each outcome leaves
// in the channel. Callbacks run on `io`, so the order below is exact.
#include <rill/rill.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <optional>

int main() {
  asio::io_context io;
  auto [tx, rx] = rill::channel<int>();
  auto on_recv = [](std::error_code error, int value) {
    if (error) fmt::print("receive: {}\n", error == asio::error::operation_aborted ? "aborted" : "failed");
    else fmt::print("receive: {}\n", value);
  };

  // 1. A receive cancelled while it waits has taken nothing.
  asio::cancellation_signal signal;
  rx.async_recv(asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, on_recv)));
  io.poll();  // the receive now waits in the channel
  signal.emit(asio::cancellation_type::terminal);
  io.run();

  // 2. Woken by a send, then cancelled before its handler ran: still aborted,
  //    and the message stays in the channel for the next receiver.
  io.restart();
  rx.async_recv(asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io, on_recv)));
  io.poll();
  if (!tx.send(7)) return 1;                       // wakes the receive; its completion is queued on io
  signal.emit(asio::cancellation_type::terminal);  // arrives before that completion runs
  io.run();
  fmt::print("still in the channel: {}\n", *rx.try_recv());

  // 3. A send cancelled while it waits (no receiver on a rendezvous channel) hands its value back.
  auto [rtx, rrx] = rill::sync_channel<int>(0);
  io.restart();
  rtx.async_send(42, asio::bind_cancellation_slot(signal.slot(), asio::bind_executor(io,
      [](std::error_code error, std::optional<int> value) {
        fmt::print("send: {}, value handed back: {}\n", error == asio::error::operation_aborted ? "aborted" : "?", *value);
      })));
  io.poll();
  signal.emit(asio::cancellation_type::terminal);
  io.run();
  fmt::print("delivered: {}\n", rrx.try_recv() ? "yes" : "nothing");
}
