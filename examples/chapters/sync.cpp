// Chapter 3 · Sync channels · 同步通道
//
// A bounded channel (rill::sync_channel<T>(n), Rust's sync_channel) holds at
// most n messages: a sender that finds it full waits, so a fast producer can
// never run more than n messages ahead of its consumer. With n = 0 there is
// no buffer at all: each send waits until a receiver takes the message, a
// rendezvous.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace tour {
namespace {

using namespace std::chrono_literals;

void bounded(page& p) {
  auto [tx, rx] = rill::sync_channel<int>(3);
  p.say("rill::sync_channel<int>(3): capacity() = {}", *rx.capacity());
  int accepted = 0;
  for (int i = 1; i <= 3; ++i) accepted += tx.try_send(i).has_value();
  auto fourth = tx.try_send(4);
  p.say("try_send 1, 2, 3 fit; try_send(4): \"{}\", value {} handed back", fourth.error(), fourth.error().value);
  p.check(accepted == 3 && rx.size() == 3, "three messages fill a channel of capacity 3");
  p.check(!fourth && fourth.error().is_full() && fourth.error().value == 4,
          "the fourth does not fit: errc::full, and the value comes back");
  (void)rx.recv();
  p.check(tx.try_send(4).has_value(), "after one receive there is room again");
}

/// What the thread producer below saw: sends completed, checked against
/// what the consumer had received by then.
struct progress {
  std::atomic<int> sent{0};
  int received = 0;
  bool never_too_far_ahead = true;

  /// The producer can have completed at most `capacity` sends more than
  /// were received: the rest of its sends are waiting for room.
  void after_receive(std::size_t capacity) {
    ++received;
    never_too_far_ahead = never_too_far_ahead && sent.load() <= received + static_cast<int>(capacity);
  }
};

void produce_and_consume(page& p, std::size_t capacity, int count) {
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  progress seen;
  std::jthread producer([tx = std::move(tx), &seen, count] {
    for (int i = 0; i < count; ++i) {
      (void)tx.send(i);  // waits while the buffer is full
      ++seen.sent;
    }
  });
  // Give the producer a few ms to run ahead, as far as the buffer lets it.
  for (int i = 0; i < 50 && seen.sent < static_cast<int>(capacity); ++i) std::this_thread::sleep_for(100us);
  p.say("capacity {}: before any receive, the producer has completed {} send(s) and waits", capacity,
        seen.sent.load());
  bool in_order = true;
  for (int expected = 0; auto m = rx.recv(); ++expected) {
    in_order = in_order && *m == expected;
    seen.after_receive(capacity);
  }
  p.check(in_order && seen.received == count, fmt::format("all {} arrived in order", count));
  p.check(seen.never_too_far_ahead,
          fmt::format("the producer was never more than {} message(s) ahead of the consumer", capacity));
}

asio::awaitable<void> log_sends(rill::sender<int> tx, int count, std::vector<std::string>& log) {
  for (int i = 0; i < count; ++i) {
    co_await tx.async_send(i, asio::use_awaitable);  // suspends while full, lets the consumer run
    log.push_back(fmt::format("sent {}", i));
  }
}

asio::awaitable<void> log_receives(rill::receiver<int> rx, std::vector<std::string>& log) {
  // Start late, so that the producer fills the buffer first and suspends.
  asio::steady_timer late(co_await asio::this_coro::executor, 1ms);
  co_await late.async_wait(asio::use_awaitable);
  co_await async_for_each(std::move(rx), [&log](int m) { log.push_back(fmt::format("got {}", m)); });
}

/// The coroutine form on one thread: the log shows where each side
/// suspended. Returns whether the producer stayed within `capacity`.
bool coroutine_pair(page& p, std::size_t capacity, int count) {
  asio::io_context io;
  auto [tx, rx] = rill::sync_channel<int>(capacity);
  std::vector<std::string> log;
  asio::co_spawn(io, log_sends(std::move(tx), count, log), asio::detached);
  asio::co_spawn(io, log_receives(std::move(rx), log), asio::detached);
  io.run();
  p.say("coroutines, capacity {}: {}", capacity, fmt::join(log, ", "));
  int sent = 0, got = 0;
  bool within = true;
  for (const std::string& entry : log) {
    ++(entry.starts_with("sent") ? sent : got);
    within = within && sent <= got + static_cast<int>(capacity);
  }
  return within && got == count;
}

void full(page& p) {
  produce_and_consume(p, 2, p.quick() ? 20 : 200);
  p.check(coroutine_pair(p, 2, 6), "a coroutine's async_send suspends while the channel is full");
}

void rendezvous(page& p) {
  auto [tx, rx] = rill::sync_channel<int>(0);
  auto alone = tx.try_send(1);
  p.say("sync_channel<int>(0): try_send with no receiver waiting -> \"{}\"", alone.error());
  p.check(alone.error().is_full(), "a rendezvous channel has no room: a send needs a receiver there");
  produce_and_consume(p, 0, p.quick() ? 20 : 200);
  p.check(coroutine_pair(p, 0, 4), "each async_send completes only after a receiver got the message");
}

void compare(page& p) {
  constexpr int count = 1000;
  constexpr std::size_t bound = 8;

  // Unbounded: send never waits; with nobody receiving, everything piles up.
  auto [utx, urx] = rill::channel<int>();
  for (int i = 0; i < count; ++i) (void)utx.send(i);
  const std::size_t unbounded_peak = urx.size();

  // Bounded: the producer is held back to the consumer's pace.
  auto [btx, brx] = rill::sync_channel<int>(bound);
  std::jthread producer([btx = std::move(btx)] {
    for (int i = 0; i < count; ++i) (void)btx.send(i);
  });
  std::size_t bounded_peak = 0;
  for (auto m = brx.recv(); m; m = brx.recv()) bounded_peak = std::max(bounded_peak, brx.size());

  p.say("{:<22} {:>16}", "channel", "most buffered");
  p.say("{:<22} {:>16}", "channel<int>()", unbounded_peak);
  p.say("{:<22} {:>16}", fmt::format("sync_channel<int>({})", bound), bounded_peak);
  p.check(unbounded_peak == count, "unbounded: the producer never waits, memory grows with the backlog");
  p.check(bounded_peak <= bound, "bounded: the backlog, and its memory, never exceed the bound");
}

constexpr section sections[] = {
    {"bounded", "Bounded buffers", bounded},
    {"full", "Blocking when full", full},
    {"rendezvous", "Rendezvous: capacity 0", rendezvous},
    {"compare", "Unbounded vs bounded", compare},
};

}  // namespace

extern const chapter sync{
    "sync", "Sync channels", "同步通道",
    "A bounded channel makes a fast producer wait for its consumer; capacity 0 makes every send a handshake.",
    sections};

}  // namespace tour
