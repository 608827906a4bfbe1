// Chapter 5 · Channel patterns · 通道模式
//
// Four shapes that come back in every program built on channels: a pool of
// workers sharing one job queue, results gathered from many threads, events
// that notify whoever listens, and state owned by one thread that others
// change only by sending it messages, and follow through a watch.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"

#include <atomic>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace tour {
namespace {

// ---- work distribution ------------------------------------------------------

struct job {
  int id;
  std::string text;
};

struct word_count {
  int job;
  std::size_t words;
  std::string worker;
};

std::size_t count_words(const std::string& text) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (c != ' ' && !in_word) ++words;
    in_word = c != ' ';
  }
  return words;
}

const std::vector<std::string> texts = {"the quick brown fox",     "jumps over", "the lazy dog",
                                        "channels move ownership", "",           "one",
                                        "share memory by communicating", "do not communicate by sharing memory"};

asio::awaitable<void> coroutine_worker(std::string name, rill::receiver<job> jobs, rill::sender<word_count> results) {
  for (;;) {
    auto [ec, j] = co_await jobs.async_recv(as_tuple_awaitable);
    if (ec) co_return;  // no more jobs
    // A named message, not a braced temporary inside the co_await: GCC 12
    // mis-copies an aggregate temporary holding a std::string there.
    word_count counted{j.id, count_words(j.text), name};
    co_await results.async_send(std::move(counted), asio::use_awaitable);
  }
}

/// Hands out the texts as jobs and checks that each came back exactly once.
void hand_out_and_collect(page& p, rill::sender<job> jobs, const rill::receiver<word_count>& results,
                          std::string_view who) {
  for (int i = 0; i < static_cast<int>(texts.size()); ++i) (void)jobs.send({i, texts[static_cast<std::size_t>(i)]});
  jobs = {};  // no more jobs: workers finish what is queued, then stop

  std::map<int, std::size_t> counted;
  std::map<std::string, int> per_worker;
  for (word_count& r : results) {
    counted[r.job] = r.words;
    ++per_worker[r.worker];
  }
  bool right = counted.size() == texts.size();
  for (auto [id, words] : counted) right = right && words == count_words(texts[static_cast<std::size_t>(id)]);
  p.say("{}: jobs per worker {}", who, per_worker);
  p.check(right, fmt::format("{}: every one of {} jobs came back once, counted right", who, texts.size()));
}

void workers(page& p) {
  // Threads: each holds a copy of the job receiver and of the result sender.
  {
    auto [jobs_tx, jobs_rx] = rill::sync_channel<job>(4);  // bounded: the dispatcher waits for idle workers
    auto [results_tx, results_rx] = rill::channel<word_count>();
    std::vector<std::jthread> pool;
    for (int w = 0; w < 3; ++w)
      pool.emplace_back([name = fmt::format("thread {}", w), jobs = jobs_rx, results = results_tx] {
        for (job& j : jobs) (void)results.send({j.id, count_words(j.text), name});
      });
    jobs_rx = {};
    results_tx = {};  // only the workers send results now: the results loop ends when they are done
    hand_out_and_collect(p, std::move(jobs_tx), results_rx, "3 threads");
  }
  // Coroutines: the same pool as three coroutines on one io_context thread,
  // fed by the main thread.
  {
    asio::io_context io;
    auto [jobs_tx, jobs_rx] = rill::sync_channel<job>(4);
    auto [results_tx, results_rx] = rill::channel<word_count>();
    for (int w = 0; w < 3; ++w)
      asio::co_spawn(io, coroutine_worker(fmt::format("coroutine {}", w), jobs_rx, results_tx), asio::detached);
    jobs_rx = {};
    results_tx = {};
    std::jthread io_thread([&io] { io.run(); });
    hand_out_and_collect(p, std::move(jobs_tx), results_rx, "3 coroutines");
  }
}

// ---- result collection --------------------------------------------------------

struct partial_sum {
  std::size_t chunk;
  long long sum;
};

void results(page& p) {
  constexpr std::size_t chunks = 4;
  std::vector<long long> numbers(p.quick() ? 1000 : 100000);
  std::iota(numbers.begin(), numbers.end(), 1);

  auto [tx, rx] = rill::channel<partial_sum>();
  std::vector<std::jthread> threads;
  const std::size_t step = numbers.size() / chunks;
  for (std::size_t c = 0; c < chunks; ++c)
    threads.emplace_back([tx = tx, c, step, &numbers] {
      auto first = numbers.begin() + static_cast<std::ptrdiff_t>(c * step);
      auto last = c + 1 == chunks ? numbers.end() : first + static_cast<std::ptrdiff_t>(step);
      (void)tx.send({c, std::accumulate(first, last, 0LL)});
    });
  tx = {};

  // Results come back in whatever order the threads finish; the chunk number
  // puts each in its place.
  std::vector<long long> by_chunk(chunks, -1);
  std::vector<std::size_t> arrival;
  for (partial_sum& r : rx) {
    by_chunk[r.chunk] = r.sum;
    arrival.push_back(r.chunk);
  }
  const long long total = std::accumulate(by_chunk.begin(), by_chunk.end(), 0LL);
  const long long n = static_cast<long long>(numbers.size());
  p.say("partial sums arrived from chunks {}: {} -> total {}", arrival, by_chunk, total);
  p.check(arrival.size() == chunks && total == n * (n + 1) / 2,
          fmt::format("all {} partial results collected; 1 + ... + {} = {}", chunks, n, total));
}

// ---- event notification -------------------------------------------------------

struct started {
  int worker;
};
struct progressed {
  int worker;
  int percent;
};
struct finished {
  int worker;
};
using event = std::variant<started, progressed, finished>;

void events(page& p) {
  constexpr int workers = 3;
  auto [events_tx, events_rx] = rill::channel<event>();
  // A channel that never carries a message: closing it is the signal, and
  // every receiver sees it at once (a broadcast).
  auto [stop_tx, stop_rx] = rill::channel<std::monostate>();

  std::atomic<int> stopped{0};
  std::vector<std::jthread> threads;
  for (int w = 0; w < workers; ++w)
    threads.emplace_back([w, events = events_tx, stop = stop_rx, &stopped]() mutable {
      (void)events.send(started{w});
      for (int percent = 50; percent <= 100; percent += 50) (void)events.send(progressed{w, percent});
      (void)events.send(finished{w});
      events = {};  // done reporting: the monitor's loop ends when every worker is
      (void)stop.recv();  // idle until told to stop: returns when the stop channel closes
      ++stopped;
    });
  events_tx = {};
  stop_rx = {};

  // The monitor: a per-worker log, in the order events arrived.
  std::map<int, std::string> log;
  for (event& e : events_rx)
    std::visit([&log](auto& ev) {
      using kind = std::decay_t<decltype(ev)>;
      if constexpr (std::is_same_v<kind, started>) log[ev.worker] += "started";
      if constexpr (std::is_same_v<kind, progressed>) log[ev.worker] += fmt::format(" {}%", ev.percent);
      if constexpr (std::is_same_v<kind, finished>) log[ev.worker] += " finished";
    }, e);
  for (auto& [worker, line] : log) p.say("worker {}: {}", worker, line);
  bool in_order = log.size() == workers;
  for (auto& [worker, line] : log) in_order = in_order && line == "started 50% 100% finished";
  p.check(in_order, "the monitor saw every worker's events, each worker's in order");

  stop_tx.close();  // one call notifies every listener
  for (auto& t : threads) t.join();
  p.check(stopped == workers, fmt::format("closing the stop channel woke all {} idle workers", workers));
}

// ---- state sync ---------------------------------------------------------------

/// Commands to the thread that owns the inventory. Nobody else touches it,
/// so it needs no lock: the channel serialises the changes.
struct add_stock {
  std::string item;
  int count;
};
struct query_stock {
  std::string item;
  rill::oneshot_sender<int> reply;  // one answer, once: a oneshot of the asker's
};
using command = std::variant<add_stock, query_stock>;

void apply(std::map<std::string, int>& inventory, command& c) {
  if (auto* add = std::get_if<add_stock>(&c)) inventory[add->item] += add->count;
  if (auto* query = std::get_if<query_stock>(&c)) (void)std::move(query->reply).send(inventory[query->item]);
}

/// Four clients add stock at once, then one asks for the total. Takes the
/// sender, so that the owner's loop ends once the clients are done.
int run_clients(rill::sender<command> commands, int adds) {
  {
    std::vector<std::jthread> clients;
    for (int c = 0; c < 4; ++c)
      clients.emplace_back([commands = commands, adds] {
        for (int i = 0; i < adds; ++i) (void)commands.send(add_stock{"apples", 1});
      });
  }
  auto [reply_tx, reply_rx] = rill::oneshot<int>();
  (void)commands.send(query_stock{"apples", std::move(reply_tx)});
  return reply_rx.recv().value_or(-1);
}

void state(page& p) {
  const int adds = p.quick() ? 100 : 1000;
  {
    auto [tx, rx] = rill::channel<command>();
    std::jthread owner([rx = std::move(rx)] {
      std::map<std::string, int> inventory;
      for (command& c : rx) apply(inventory, c);
    });
    const int apples = run_clients(std::move(tx), adds);
    p.say("owner thread: 4 clients x {} adds -> {} apples", adds, apples);
    p.check(apples == 4 * adds, "no update lost, with no lock: one thread owns the state");
  }
  {
    asio::io_context io;
    auto [tx, rx] = rill::channel<command>();
    auto owner = [inventory = std::map<std::string, int>{}](command& c) mutable { apply(inventory, c); };
    asio::co_spawn(io, async_for_each(std::move(rx), owner), asio::detached);
    std::jthread io_thread([&io] { io.run(); });
    const int apples = run_clients(std::move(tx), adds);
    p.say("owner coroutine, client threads: {} apples", apples);
    p.check(apples == 4 * adds, "the owner can be a coroutine; threads talk to it the same way");
  }
  {
    // The owner publishes its state on a watch after every change; readers
    // follow the latest value without asking, and skip what they missed.
    auto [tx, rx] = rill::channel<command>();
    auto [published, latest] = rill::watch<int>(0);
    std::jthread owner([rx = std::move(rx), published = std::move(published)] {
      std::map<std::string, int> inventory;
      for (command& c : rx) {
        apply(inventory, c);
        published.send_if_modified([now = inventory["apples"]](int& apples) {
          if (apples == now) return false;  // a query changes nothing: readers are not told
          apples = now;
          return true;
        });
      }
    });  // the owner ends, and its watch sender goes: readers' changed() fails
    int last = 0, changes = 0;
    std::thread reader([latest = std::move(latest), &last, &changes]() mutable {
      while (latest.changed()) {
        last = *latest.borrow();  // a short read lock, no copy of the state
        ++changes;
      }
    });
    const int apples = run_clients(std::move(tx), adds);
    owner.join();
    reader.join();
    p.say("watch reader: {} changes seen (of {}), last {} apples", changes, 4 * adds, last);
    p.check(last == 4 * adds, "a watch reader sees the final state, whatever it skipped");
    p.check(apples == 4 * adds, "the owner answers queries as before");
  }
}

constexpr section sections[] = {
    {"workers", "Work distribution: a worker pool", workers},
    {"results", "Result collection", results},
    {"events", "Event notification", events},
    {"state", "State sync: one owner, changed by messages, followed through a watch", state},
};

}  // namespace

extern const chapter patterns{
    "patterns", "Channel patterns", "通道模式",
    "Worker pools, gathered results, notifications and owned state: the shapes channel programs are made of.",
    sections};

}  // namespace tour
