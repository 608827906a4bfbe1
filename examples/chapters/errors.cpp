// Chapter 4 · Error handling · 错误处理
//
// Every operation returns a value-or-error (rill::expected, like Rust's
// Result), and the errors are the ones Rust's std::sync::mpsc has: a send
// fails only when nobody can receive, and then hands the value back; a
// receive fails only when nothing more can arrive; the try and timed forms
// add "full", "empty" and "timeout". Coroutines get the same errors as
// std::error_code values in the "rill" category.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"

#include <chrono>
#include <string>
#include <system_error>
#include <thread>

namespace tour {
namespace {

using namespace std::chrono_literals;

void disconnected(page& p) {
  {
    auto [tx, rx] = rill::channel<std::string>();
    rx = {};  // nobody will ever receive
    auto sent = tx.send("parcel");
    auto tried = tx.try_send("parcel");
    auto timed = tx.send_timeout("parcel", 1ms);
    p.say("no receiver:  send -> \"{}\", try_send -> \"{}\", send_timeout -> \"{}\"", sent.error(), tried.error(),
          timed.error());
    p.check(sent.error().value == "parcel" && tried.error().is_disconnected() && timed.error().is_disconnected(),
            "every send fails at once with disconnected and hands \"parcel\" back");
    std::string back = std::move(sent.error()).into_inner();  // take the value out of the error
    p.check(back == "parcel", "into_inner() moves the value out of the error");
  }
  {
    auto [tx, rx] = rill::channel<std::string>();
    (void)tx.send("last words");
    tx = {};  // nobody will ever send again
    auto buffered = rx.recv();
    auto after = rx.recv();
    auto tried = rx.try_recv();
    auto timed = rx.recv_timeout(1ms);
    p.say("no sender:    recv -> \"{}\", then recv -> \"{}\", try_recv -> \"{}\", recv_timeout -> \"{}\"",
          *buffered, after.error(), tried.error(), timed.error());
    p.check(buffered == "last words", "what was sent before the senders left is still received");
    p.check(!after && tried.error() == rill::try_recv_error::disconnected &&
                timed.error() == rill::recv_timeout_error::disconnected,
            "then every receive reports disconnected, without waiting");
  }
}

void nonblocking(page& p) {
  auto [tx, rx] = rill::sync_channel<int>(1);
  auto empty = rx.try_recv();
  (void)tx.try_send(1);
  auto full = tx.try_send(2);
  p.say("try_recv on an empty channel -> \"{}\"; try_send on a full one -> \"{}\" (value {} back)", empty.error(),
        full.error(), full.error().value);
  p.check(empty.error() == rill::try_recv_error::empty, "try_recv: empty, distinct from disconnected");
  p.check(full.error().is_full() && full.error().value == 2, "try_send: full, with the value handed back");

  // The usual loop around a non-blocking receive: handle all three outcomes.
  int handled = 0;
  for (bool done = false; !done;) {
    if (auto m = rx.try_recv()) {
      ++handled;
    } else if (m.error() == rill::try_recv_error::empty) {
      tx = {};  // here: do other work; this example ends the channel instead
    } else {
      done = true;  // disconnected: nothing more will come
    }
  }
  p.check(handled == 1, "a try_recv loop: message, empty (do other work), disconnected (stop)");
}

void timeouts(page& p) {
  auto [tx, rx] = rill::sync_channel<std::string>(1);
  auto waited = rx.recv_timeout(2ms);
  p.say("recv_timeout(2ms) on an empty channel -> \"{}\"", waited.error());
  p.check(waited.error() == rill::recv_timeout_error::timeout, "recv_timeout gives up with timeout");

  (void)tx.send("occupant");
  auto refused = tx.send_timeout("latecomer", 2ms);
  p.say("send_timeout(2ms) on a full channel -> \"{}\", value \"{}\" handed back", refused.error(),
        refused.error().value);
  p.check(refused.error().is_timeout() && refused.error().value == "latecomer",
          "send_timeout gives up with timeout and hands the value back");

  // A deadline already past still takes what is ready: a zero wait, not a refusal.
  auto ready = rx.recv_deadline(std::chrono::steady_clock::now() - 1s);
  p.check(ready == "occupant", "recv_deadline in the past still takes a message that is ready");
}

void close(page& p) {
  // Closing from the receiving side wakes a sender blocked on a full channel.
  auto [tx, rx] = rill::sync_channel<int>(1);
  (void)tx.send(1);
  rill::expected<void, rill::send_error<int>> blocked;
  std::jthread sender([tx = tx, &blocked] { blocked = tx.send(2); });  // waits: the channel is full
  std::this_thread::sleep_for(1ms);  // most likely blocked by now; if not, its send fails at once: same outcome
  rx.close();
  sender.join();
  p.say("rx.close() while a send waits: the send returns \"{}\" with value {}", blocked.error(),
        blocked.error().value);
  p.check(!blocked && blocked.error().value == 2, "a blocked sender wakes with its value when the channel closes");
  auto drained = rx.recv();
  auto after = rx.recv();
  p.check(drained == 1 && !after, "the receiver still drains what was buffered, then sees disconnected");
  p.check(tx.is_closed() && !tx.try_send(3), "close() is for every handle: later sends fail too");
}

asio::awaitable<void> async_errors_story(page& p) {
  auto executor = co_await asio::this_coro::executor;

  // Receiving: a disconnected channel completes with errc::disconnected.
  auto [tx, rx] = rill::channel<int>();
  tx.close();
  auto [ec, value] = co_await rx.async_recv(as_tuple_awaitable);
  p.say("async_recv on a closed channel: ec = \"{}\" (category \"{}\")", ec.message(), ec.category().name());
  p.check(ec == rill::errc::disconnected, "async_recv completes with rill::errc::disconnected");

  // Sending: the value comes back in an optional.
  auto [sent_ec, back] = co_await tx.async_send(7, as_tuple_awaitable);
  p.check(sent_ec == rill::errc::disconnected && back == 7, "async_send hands the value back in its optional");

  // With plain use_awaitable, errors are thrown as std::system_error.
  try {
    co_await rx.async_recv(asio::use_awaitable);
    p.check(false, "async_recv with use_awaitable throws on error");
  } catch (const std::system_error& e) {
    p.check(e.code() == rill::errc::disconnected, fmt::format("use_awaitable throws system_error: \"{}\"", e.what()));
  }

  // A timeout for a coroutine: race the receive against a timer. The
  // loser is cancelled, and a cancelled receive takes nothing.
  using namespace asio::experimental::awaitable_operators;
  auto [quiet_tx, quiet_rx] = rill::channel<int>();
  asio::steady_timer timer(executor, 2ms);
  auto first = co_await (quiet_rx.async_recv(as_tuple_awaitable) || timer.async_wait(as_tuple_awaitable));
  p.check(first.index() == 1, "async_recv || timer: the timer won, the receive was cancelled");
  (void)quiet_tx.send(8);
  p.check(quiet_rx.try_recv() == 8, "the cancelled receive took nothing: the next message is still there");

  // Errors are std::error_code values, so they compare with the enums.
  std::error_code full = rill::errc::full;
  p.say("std::error_code(rill::errc::full): \"{}\"; fmt prints the errors too: {}", full.message(),
        rill::recv_timeout_error::timeout);
}

void async_errors(page& p) {
  asio::io_context io;
  asio::co_spawn(io, async_errors_story(p), asio::detached);
  io.run();
}

constexpr section sections[] = {
    {"disconnected", "When the other side is gone: every error, value handed back", disconnected},
    {"nonblocking", "Non-blocking calls: full and empty", nonblocking},
    {"timeouts", "Timeouts and deadlines", timeouts},
    {"close", "Closing a channel explicitly", close},
    {"async-errors", "Errors in coroutines: error codes, cancellation", async_errors},
};

}  // namespace

extern const chapter errors{
    "errors", "Error handling", "错误处理",
    "Each failure is a value: who is gone, full, empty or too late, and a failed send always hands its value back.",
    sections};

}  // namespace tour
