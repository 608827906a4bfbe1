// Chapter 1 · Channel basics · 通道基础
//
// A channel is a pair of handles: a sender puts messages in, a receiver
// takes them out, in the order they were sent. A message moves through the
// channel (nobody shares it), and the channel tells the receiver when no
// sender is left.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tour {
namespace {

const std::vector<std::string> greetings = {"hello", "through", "a", "channel"};

asio::awaitable<void> greet(rill::sender<std::string> tx) {
  for (const std::string& word : greetings) co_await tx.async_send(word, asio::use_awaitable);
}  // tx is destroyed with the coroutine: the channel disconnects

rill::task<void> greet_in_task(rill::sender<std::string> tx) {
  for (const std::string& word : greetings) co_await tx.async_send(word, rill::use_task);
}

void first_channel(page& p) {
  auto [tx, rx] = rill::channel<std::string>();
  p.say("auto [tx, rx] = rill::channel<std::string>();  // tx sends, rx receives");

  // The thread owns its sender; when the thread is done, so is the sender.
  std::jthread speaker([tx = std::move(tx)] {
    for (const std::string& word : greetings) (void)tx.send(word);
  });
  std::vector<std::string> heard;
  for (std::string& word : rx) heard.push_back(std::move(word));  // until the sender is gone
  p.say("threads:    received {}", fmt::join(heard, " "));
  p.check(heard == greetings, "every message arrived, in the order it was sent");

  // The same with two coroutines on one io_context: co_await instead of
  // blocking, and the thread is free for other work meanwhile.
  asio::io_context io;
  auto [ctx, crx] = rill::channel<std::string>();
  std::vector<std::string> co_heard;
  asio::co_spawn(io, greet(std::move(ctx)), asio::detached);
  // async_for_each (coroutines.hpp) loops on co_await rx.async_recv(...)
  // until it completes with rill::errc::disconnected.
  auto hear = [&co_heard](std::string& word) { co_heard.push_back(std::move(word)); };
  asio::co_spawn(io, async_for_each(std::move(crx), hear), asio::detached);
  io.run();
  p.say("coroutines: received {}", fmt::join(co_heard, " "));
  p.check(co_heard == greetings, "the coroutine receiver got the same messages, in order");

  // And with rill::task, rill's own coroutine type: rill::spawn starts one
  // on an executor like co_spawn, and with rill::use_task a send or receive
  // that need not wait is a plain function call, without suspending.
  asio::io_context tio;
  auto [ttx, trx] = rill::channel<std::string>();
  std::vector<std::string> task_heard;
  rill::spawn(tio, greet_in_task(std::move(ttx)), asio::detached);
  rill::spawn(tio, task_for_each(std::move(trx), [&task_heard](std::string& word) { task_heard.push_back(std::move(word)); }),
              asio::detached);
  tio.run();
  p.say("rill::task: received {}", fmt::join(task_heard, " "));
  p.check(task_heard == greetings, "the task receiver got the same messages, in order");
}

void ownership(page& p) {
  auto [tx, rx] = rill::channel<std::unique_ptr<std::string>>();
  auto letter = std::make_unique<std::string>("a letter only one thread may hold");
  const std::string* address = letter.get();

  // A move-only message: the compiler will not let the sender keep a copy.
  (void)tx.send(std::move(letter));
  p.say("after send: the sender's pointer is {}", letter ? "still set" : "empty (moved into the channel)");
  p.check(letter == nullptr, "sending moved the message out of the sender's hands");

  std::unique_ptr<std::string> got;
  std::jthread reader([rx = rx, &got] { got = *rx.recv(); });
  reader.join();
  p.say("the receiving thread holds \"{}\"", *got);
  p.check(got.get() == address, "the receiver got the very same object: moved, never copied");

  // A failed send moves the message back to its owner instead of losing it.
  rx = {};  // the only receiver is gone
  auto refused = tx.send(std::make_unique<std::string>("returned to sender"));
  p.say("send with no receiver left: {}; the value comes back: \"{}\"", refused.error(), *refused.error().value);
  p.check(!refused && *refused.error().value == "returned to sender", "a failed send hands the value back");
}

void disconnect(page& p) {
  auto [tx, rx] = rill::channel<int>();
  p.say("senders: {}, receivers: {}", rx.sender_count(), rx.receiver_count());
  (void)tx.send(1);
  (void)tx.send(2);
  tx = {};  // the last sender is gone, with two messages still buffered
  p.say("tx = {{}};  now senders: {}, closed: {}", rx.sender_count(), rx.is_closed());

  // What was sent is still delivered; only then does recv report the end.
  auto first = rx.recv();
  auto second = rx.recv();
  auto third = rx.recv();
  p.say("recv() -> {}, {}, then \"{}\"", *first, *second, third.error());
  p.check(first == 1 && second == 2, "messages buffered before the disconnect are still received");
  p.check(!third, "after the buffer drains, recv reports disconnected instead of blocking forever");
}

constexpr section sections[] = {
    {"channel", "A channel: one sender, one receiver", first_channel},
    {"ownership", "Ownership moves with the message", ownership},
    {"disconnect", "The channel closes when the senders are gone", disconnect},
};

}  // namespace

extern const chapter basics{
    "basics", "Channel basics", "通道基础",
    "A sender and a receiver: messages move through in order, and the receiver learns when no sender is left.",
    sections};

}  // namespace tour
