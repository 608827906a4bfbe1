// Chapter 2 · Multiple senders · 多个发送者
//
// Copying a sender adds a producer. Messages from one sender arrive in the
// order it sent them; between senders the order is whatever the scheduler
// made it. Copying the receiver spreads the messages over several consumers,
// each message to exactly one.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"

#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tour {
namespace {

/// A message that says who sent it and its place in that sender's sequence.
struct note {
  int sender;
  int seq;
};

/// Whether each sender's notes arrived in the order it sent them, and all
/// `per_sender` of them.
bool each_sender_in_order(const std::vector<note>& arrived, int senders, int per_sender) {
  std::vector<int> next(static_cast<std::size_t>(senders), 0);
  for (const note& n : arrived)
    if (n.seq != next[static_cast<std::size_t>(n.sender)]++) return false;
  for (int count : next)
    if (count != per_sender) return false;
  return true;
}

asio::awaitable<void> coroutine_sender(rill::sender<note> tx, int id, int count) {
  for (int i = 0; i < count; ++i) co_await tx.async_send(note{id, i}, asio::use_awaitable);
}

void clone(page& p) {
  constexpr int senders = 3, per_sender = 5;
  auto [tx, rx] = rill::channel<note>();
  std::vector<rill::sender<note>> copies(senders, tx);  // each copy is one more producer
  p.say("tx plus {} copies: sender_count() = {}", senders, rx.sender_count());
  tx = {};  // only the copies will send
  {
    std::vector<std::jthread> threads;
    for (int id = 0; id < senders; ++id)
      threads.emplace_back([id, tx = std::move(copies[static_cast<std::size_t>(id)])] {
        for (int i = 0; i < per_sender; ++i) (void)tx.send({id, i});
      });
  }  // joined: every copy is gone, so the channel is disconnected
  std::vector<note> arrived;
  for (note& n : rx) arrived.push_back(n);
  p.say("received {} messages from {} senders", arrived.size(), senders);
  p.check(each_sender_in_order(arrived, senders, per_sender),
          fmt::format("all {} arrived, each sender's in its own order", senders * per_sender));

  // Coroutines and threads may send on the same channel at once.
  asio::io_context io;
  auto [ctx, crx] = rill::channel<note>();
  for (int id = 0; id < senders - 1; ++id) asio::co_spawn(io, coroutine_sender(ctx, id, per_sender), asio::detached);
  std::jthread thread_sender([ctx = std::move(ctx)] {
    for (int i = 0; i < per_sender; ++i) (void)ctx.send({senders - 1, i});
  });
  std::vector<note> co_arrived;
  auto arrive = [&co_arrived](note& n) { co_arrived.push_back(n); };
  asio::co_spawn(io, async_for_each(std::move(crx), arrive), asio::detached);
  io.run();  // returns once the receiver saw the channel disconnect
  p.say("2 coroutine senders + 1 thread sender -> coroutine receiver: {} messages", co_arrived.size());
  p.check(each_sender_in_order(co_arrived, senders, per_sender), "coroutine and thread senders mix on one channel");
}

void interleave(page& p) {
  constexpr int senders = 3, per_sender = 8;
  for (int run = 1; run <= 2; ++run) {
    auto [tx, rx] = rill::channel<note>();
    std::latch start(senders);  // all senders start at once, to race
    std::vector<std::jthread> threads;
    for (int id = 0; id < senders; ++id)
      threads.emplace_back([id, tx = tx, &start] {
        start.arrive_and_wait();
        for (int i = 0; i < per_sender; ++i) {
          (void)tx.send({id, i});
          std::this_thread::yield();  // as real work between sends would
        }
      });
    tx = {};
    std::vector<note> arrived;
    for (note& n : rx) arrived.push_back(n);
    std::string order;
    for (const note& n : arrived) order += static_cast<char>('A' + n.sender);
    p.say("run {}: arrival order by sender: {}", run, order);
    p.check(each_sender_in_order(arrived, senders, per_sender), "within each sender, the order it sent in");
  }
  p.say("Across senders the order depends on who ran first: it may differ from run to run.");
}

void spread(page& p) {
  constexpr int workers = 4;
  const int jobs = p.quick() ? 200 : 2000;
  auto [tx, rx] = rill::sync_channel<int>(16);
  std::vector<std::vector<int>> taken(workers);
  {
    std::vector<std::jthread> threads;
    for (int w = 0; w < workers; ++w)
      threads.emplace_back([rx = rx, &mine = taken[static_cast<std::size_t>(w)]] {  // a copy: one more consumer
        for (int job : rx) {
          mine.push_back(job);
          std::this_thread::yield();  // as real work on the job would
        }
      });
    for (int j = 0; j < jobs; ++j) (void)tx.send(j);
    tx = {};  // no more jobs: every worker's loop ends when the buffer is drained
  }
  std::set<int> seen;
  std::size_t total = 0;
  for (int w = 0; w < workers; ++w) {
    const auto& mine = taken[static_cast<std::size_t>(w)];
    p.say("worker {} took {:>4} jobs", w, mine.size());
    seen.insert(mine.begin(), mine.end());
    total += mine.size();
  }
  p.say("How the jobs spread depends on who is awake; that each goes to exactly one worker does not.");
  p.check(total == static_cast<std::size_t>(jobs) && seen.size() == total,
          fmt::format("{} jobs over {} workers: each job taken by exactly one", jobs, workers));
}

constexpr section sections[] = {
    {"clone", "Copied senders, sending at once", clone},
    {"interleave", "Why receive order across senders is not fixed", interleave},
    {"spread", "Spreading the load over several receivers", spread},
};

}  // namespace

extern const chapter senders{
    "senders", "Multiple senders", "多个发送者",
    "Copy the sender for more producers; each sender's messages keep their order, across senders none is promised.",
    sections};

}  // namespace tour
