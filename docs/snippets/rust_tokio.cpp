// tokio's request/reply: a task serving requests from an mpsc channel and
// answering each through a oneshot. In rill: rill::task on an io_context.
#include <rill/rill.hpp>

#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>

#include <utility>

struct request {
  int n;
  rill::oneshot_sender<int> reply;  // oneshot::Sender<i32>
};

rill::task<void> squarer(rill::receiver<request> requests) {
  for (;;) {  // while let Some(req) = rx.recv().await
    auto [ec, req] = co_await requests.async_recv(asio::experimental::as_tuple(rill::use_task));
    if (ec) co_return;  // None: every sender is gone
    (void)std::move(req.reply).send(req.n * req.n);  // let _ = req.reply.send(n * n);
  }
}

rill::task<void> client(rill::sender<request> requests) {
  for (int n = 1; n <= 3; ++n) {
    auto [reply_tx, reply_rx] = rill::oneshot<int>();  // oneshot::channel()
    request req{n, std::move(reply_tx)};
    co_await requests.async_send(std::move(req), rill::use_task);  // tx.send(req).await?
    int square = co_await reply_rx.async_recv(rill::use_task);     // reply_rx.await?
    fmt::print("{} squared is {}\n", n, square);
  }
}  // requests is destroyed here: the squarer's loop ends

int main() {
  asio::io_context io;  // a current-thread runtime
  auto [tx, rx] = rill::sync_channel<request>(8);  // mpsc::channel(8)
  rill::spawn(io, squarer(std::move(rx)), asio::detached);  // tokio::spawn
  rill::spawn(io, client(std::move(tx)), asio::detached);
  io.run();
}
