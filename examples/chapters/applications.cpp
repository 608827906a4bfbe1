// Chapter 8 · Real applications · 实际应用
//
// Four small programs of the kind channels are for: producers feeding a
// consumer, a task queue served by workers, a publish/subscribe event bus,
// and a streaming pipeline that fans out to parallel stages and back in.
#include <rill/rill.hpp>

#include "chapter.hpp"
#include "coroutines.hpp"
#include "stage.hpp"

#include <asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace tour {
namespace {

using namespace std::chrono_literals;

// ---- producer / consumer ----------------------------------------------------

struct reading {
  int sensor;
  int sequence;
  double value;
};

constexpr int sensor_count = 3;

/// Sensor threads pushing readings with plain blocking sends; a bounded
/// channel slows them down when the consumer falls behind.
std::vector<std::jthread> start_sensors(rill::sender<reading> tx, int per_sensor) {
  std::vector<std::jthread> sensors;
  for (int s = 0; s < sensor_count; ++s)
    sensors.emplace_back([s, tx = tx, per_sensor] {
      for (int i = 0; i < per_sensor; ++i)
        if (!tx.send({s, i, s * 100.0 + i * 0.5})) return;  // fails only if the consumer is gone
    });
  return sensors;  // tx, this function's copy, goes: the sensors' copies are the only senders left
}

/// What a consumer counted; ok() if every sensor's readings all arrived, in order.
struct tally {
  std::map<int, int> count;
  std::map<int, double> sum;
  bool in_order = true;
  int idle_ticks = 0;

  void add(const reading& r) {
    in_order = in_order && r.sequence == count[r.sensor];
    ++count[r.sensor];
    sum[r.sensor] += r.value;
  }

  bool ok(int per_sensor) const {
    bool all = in_order && count.size() == sensor_count;
    for (auto [sensor, n] : count) all = all && n == per_sensor;
    return all;
  }

  std::string means() const {
    std::vector<std::string> parts;
    for (auto [sensor, n] : count) parts.push_back(fmt::format("sensor {} mean {:.2f}", sensor, sum.at(sensor) / n));
    return fmt::format("{}", fmt::join(parts, ", "));
  }
};

/// The coroutine consumer: a receive raced against a progress timer.
asio::awaitable<void> consume(rill::receiver<reading> rx, tally& t) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer report(co_await asio::this_coro::executor);
  for (;;) {
    report.expires_after(2ms);
    // A receive that loses the race to the timer takes nothing, so no
    // reading is lost here.
    auto next = co_await (rx.async_recv(as_tuple_awaitable) || report.async_wait(asio::use_awaitable));
    if (next.index() == 1) {
      ++t.idle_ticks;
      continue;
    }
    auto [ec, r] = std::get<0>(next);
    if (ec) co_return;  // every sensor finished and all is drained
    t.add(r);
  }
}

void producer_consumer(page& p) {
  const int per_sensor = p.quick() ? 200 : 1000;
  {
    auto [tx, rx] = rill::sync_channel<reading>(64);
    auto sensors = start_sensors(std::move(tx), per_sensor);
    tally t;
    for (;;) {
      auto r = rx.recv_timeout(2ms);  // a thread's way to do something while idle
      if (r)
        t.add(*r);
      else if (r.error() == rill::recv_timeout_error::timeout)
        ++t.idle_ticks;
      else
        break;  // disconnected: all sensors done, all received
    }
    p.say("thread consumer:    {}", t.means());
    p.check(t.ok(per_sensor), fmt::format("{} sensors x {} readings reached the thread consumer, "
                                          "each sensor's in order",
                                          sensor_count, per_sensor));
  }
  {
    asio::io_context io;
    auto [tx, rx] = rill::sync_channel<reading>(64);
    auto sensors = start_sensors(std::move(tx), per_sensor);
    tally t;
    asio::co_spawn(io, consume(std::move(rx), t), asio::detached);
    io.run();
    p.say("coroutine consumer: {}", t.means());
    p.check(t.ok(per_sensor), "the same readings reached a coroutine consumer fed by sensor threads");
  }
}

// ---- task queue -------------------------------------------------------------

struct task {
  int id;
  std::function<long long()> work;
};

struct task_result {
  int id;
  std::variant<long long, std::string> outcome;  ///< the value, or the error a task threw
};

/// Runs a task, turning an exception into an error result: a failing task
/// must not take its worker down with it.
task_result perform(task t) {
  try {
    return {t.id, t.work()};
  } catch (const std::exception& e) {
    return {t.id, std::string(e.what())};
  }
}

long long factorial(int n) {
  if (n > 20) throw std::overflow_error(fmt::format("{}! does not fit in 64 bits", n));
  long long f = 1;
  for (int i = 2; i <= n; ++i) f *= i;
  return f;
}

/// Submits factorial tasks 0..n-1 and checks that each came back once: a
/// value, or an error for those that overflow.
void submit_and_collect(page& p, rill::sender<task> tasks, const rill::receiver<task_result>& results, int n,
                        std::string_view who) {
  for (int i = 0; i < n; ++i) (void)tasks.send({i, [i] { return factorial(i); }});
  tasks = {};  // no more tasks: the workers stop when the queue is drained
  std::set<int> done;
  int values = 0, errors = 0;
  std::string example_error;
  for (task_result& r : results) {
    done.insert(r.id);
    if (auto* value = std::get_if<long long>(&r.outcome)) {
      values += *value == factorial(r.id);
    } else {
      ++errors;
      example_error = std::get<std::string>(r.outcome);
    }
  }
  p.say("{}: {} results, {} errors (e.g. \"{}\")", who, done.size(), errors, example_error);
  p.check(static_cast<int>(done.size()) == n && values == 21 && errors == n - 21,
          fmt::format("{}: every task answered once; 0!..20! right, the rest reported as errors", who));
}

void task_queue(page& p) {
  constexpr int tasks = 25, workers = 3;
  {
    auto [task_tx, task_rx] = rill::channel<task>();
    auto [result_tx, result_rx] = rill::channel<task_result>();
    // A worker is a pipeline stage (stage.hpp) from tasks to results; the
    // pool is that stage, several times over the same two channels.
    std::vector<std::jthread> pool;
    for (int w = 0; w < workers; ++w) pool.push_back(stage(task_rx, result_tx, perform));
    task_rx = {};
    result_tx = {};
    submit_and_collect(p, std::move(task_tx), result_rx, tasks, "3 worker threads");
  }
  {
    // Coroutine workers on a pool of 2 threads: any of them may run any
    // worker, and the channels need no extra care for that.
    asio::thread_pool threads(2);
    auto [task_tx, task_rx] = rill::channel<task>();
    auto [result_tx, result_rx] = rill::channel<task_result>();
    for (int w = 0; w < workers; ++w) asio::co_spawn(threads, async_stage(task_rx, result_tx, perform), asio::detached);
    task_rx = {};
    result_tx = {};
    submit_and_collect(p, std::move(task_tx), result_rx, tasks, "3 coroutine workers");
    threads.join();
  }
}

// ---- publish / subscribe ----------------------------------------------------

struct message {
  std::string topic;
  int number;
};

/// The bus is a thread that owns one broadcast per topic; everybody else
/// talks to it through its command channel, so the table needs no lock. A
/// broadcast hands each message to every receiver subscribed to it, so a
/// subscriber is just a broadcast receiver, and leaving is dropping it.
struct subscribe {
  std::string topic;
  rill::oneshot_sender<rill::broadcast_receiver<message>> reply;
};
struct publish {
  message m;
};
struct count_subscribers {
  rill::oneshot_sender<std::size_t> reply;
};
using bus_command = std::variant<subscribe, publish, count_subscribers>;

void run_bus(const rill::receiver<bus_command>& commands) {
  constexpr std::size_t backlog = 64;  // a subscriber further behind loses the oldest, and is told
  std::map<std::string, rill::broadcast_sender<message>> topics;
  auto topic = [&](const std::string& name) -> rill::broadcast_sender<message>& {
    auto it = topics.find(name);
    if (it == topics.end()) it = topics.emplace(name, rill::broadcast<message>(backlog).first).first;
    return it->second;
  };
  for (bus_command& c : commands) {
    if (auto* s = std::get_if<subscribe>(&c)) (void)std::move(s->reply).send(topic(s->topic).subscribe());
    // A topic nobody listens to refuses the message: nobody could see it.
    if (auto* pub = std::get_if<publish>(&c)) (void)topic(pub->m.topic).send(pub->m);
    if (auto* q = std::get_if<count_subscribers>(&c)) {
      std::size_t n = 0;
      for (const auto& [name, tx] : topics) n += tx.receiver_count();
      (void)std::move(q->reply).send(n);
    }
  }
}

/// A subscription: the receiver to read, made by asking the bus.
rill::broadcast_receiver<message> subscribe_to(const rill::sender<bus_command>& bus, std::string topic) {
  auto [reply_tx, reply_rx] = rill::oneshot<rill::broadcast_receiver<message>>();
  (void)bus.send(subscribe{std::move(topic), std::move(reply_tx)});
  return reply_rx.recv().value();
}

std::size_t subscriber_count(const rill::sender<bus_command>& bus) {
  auto [reply_tx, reply_rx] = rill::oneshot<std::size_t>();
  (void)bus.send(count_subscribers{std::move(reply_tx)});
  return reply_rx.recv().value_or(0);
}

/// Every message until the topic ends (the bus is gone), skipping over a
/// lag (none here: the backlog holds all).
std::vector<int> read_all(rill::broadcast_receiver<message> rx) {
  std::vector<int> numbers;
  for (auto m = rx.recv(); m || m.error().is_lagged(); m = rx.recv())
    if (m) numbers.push_back(m->number);
  return numbers;
}

/// The same, as a coroutine: async_recv completes with errc::lagged for a
/// lag, errc::disconnected at the end.
asio::awaitable<void> async_read_all(rill::broadcast_receiver<message> rx, std::vector<int>& numbers) {
  for (;;) {
    auto [ec, m] = co_await rx.async_recv(as_tuple_awaitable);
    if (ec == rill::errc::lagged) continue;
    if (ec) co_return;
    numbers.push_back(m.number);
  }
}

void event_bus(page& p) {
  auto [bus, commands] = rill::channel<bus_command>();
  std::jthread bus_thread([commands = std::move(commands)] { run_bus(commands); });

  std::vector<int> orders_a, orders_b, alerts_c;
  auto leaver = subscribe_to(bus, "alerts");
  asio::io_context io;
  asio::co_spawn(io, async_read_all(subscribe_to(bus, "alerts"), alerts_c), asio::detached);
  {
    std::jthread a([rx = subscribe_to(bus, "orders"), &orders_a]() mutable { orders_a = read_all(std::move(rx)); });
    std::jthread b([rx = subscribe_to(bus, "orders"), &orders_b]() mutable { orders_b = read_all(std::move(rx)); });
    const std::size_t subscribed = subscriber_count(bus);

    for (int i = 0; i < 5; ++i) (void)bus.send(publish{{"orders", i}});
    (void)bus.send(publish{{"alerts", 100}});
    auto first_alert = leaver.recv();
    leaver = {};  // unsubscribing is just dropping the receiver
    (void)bus.send(publish{{"alerts", 101}});
    const std::size_t after = subscriber_count(bus);
    p.say("{} subscribers; after one dropped its receiver: {}", subscribed, after);
    p.check(first_alert && first_alert->number == 100 && subscribed == 4 && after == 3,
            "a subscriber leaves by dropping its receiver");
    bus = {};  // no more commands: the bus ends, and with it every topic
  }
  io.run();
  p.say("orders subscribers got {} and {}; coroutine alerts subscriber got {}", orders_a, orders_b, alerts_c);
  p.check(orders_a == std::vector{0, 1, 2, 3, 4} && orders_b == orders_a,
          "each subscriber got every message of its topic, in publish order, from one broadcast");
  p.check(alerts_c == std::vector{100, 101}, "and none of the topics it did not subscribe to");
}

// ---- streaming pipeline -----------------------------------------------------

struct sample {
  std::string sensor;
  double value;
};

/// Parses "name=value"; a malformed line yields nothing and is counted.
std::optional<sample> parse(const std::string& line, std::atomic<int>& rejected) {
  const auto eq = line.find('=');
  try {
    if (eq != std::string::npos && eq > 0) return sample{line.substr(0, eq), std::stod(line.substr(eq + 1))};
  } catch (const std::invalid_argument&) {
  }
  ++rejected;
  return std::nullopt;
}

std::vector<std::string> make_lines(int n) {
  const char* names[] = {"north", "south", "east"};
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i)
    lines.push_back(i % 10 == 9 ? "garbled" : fmt::format("{}={}", names[i % 3], i % 7));
  return lines;
}

/// source -> parse x3 (fan-out: three stages share one receiver) ->
/// (fan-in: they share one sender) -> aggregate. `spawn_parser` starts one
/// parse stage, on a thread or as a coroutine.
template <class SpawnParser>
void stream(page& p, std::string_view who, const std::vector<std::string>& lines, SpawnParser spawn_parser) {
  auto [lines_tx, lines_rx] = rill::sync_channel<std::string>(32);
  auto [samples_tx, samples_rx] = rill::sync_channel<sample>(32);
  std::atomic<int> rejected{0};
  auto parse_line = [&rejected](std::string line) { return parse(line, rejected); };
  for (int i = 0; i < 3; ++i) spawn_parser(lines_rx, samples_tx, parse_line);
  lines_rx = {};
  samples_tx = {};  // the parsers hold the only copies: the stream ends when they do

  std::jthread source([lines_tx = std::move(lines_tx), &lines] {
    for (const std::string& line : lines) (void)lines_tx.send(line);
  });
  std::map<std::string, double> totals;
  int samples = 0;
  for (sample& s : samples_rx) {
    totals[s.sensor] += s.value;
    ++samples;
  }
  std::map<std::string, double> expected;
  int expected_samples = 0;
  for (const std::string& line : lines)
    if (line != "garbled") {
      const auto eq = line.find('=');
      expected[line.substr(0, eq)] += std::stod(line.substr(eq + 1));
      ++expected_samples;
    }
  p.say("{}: {} lines -> {} samples, {} rejected; totals {}", who, lines.size(), samples, rejected.load(), totals);
  p.check(samples == expected_samples && rejected == static_cast<int>(lines.size()) - expected_samples &&
              totals == expected,
          fmt::format("{}: every line parsed once or rejected once; the totals add up", who));
}

void streaming(page& p) {
  const auto lines = make_lines(p.quick() ? 300 : 3000);
  {
    std::vector<std::jthread> parsers;
    stream(p, "parser threads", lines, [&parsers](auto in, auto out, auto f) {
      parsers.push_back(stage(std::move(in), std::move(out), f));
    });
  }
  {
    asio::thread_pool threads(2);
    stream(p, "parser coroutines", lines, [&threads](auto in, auto out, auto f) {
      asio::co_spawn(threads, async_stage(std::move(in), std::move(out), f), asio::detached);
    });
    threads.join();
  }
}

constexpr section sections[] = {
    {"producer-consumer", "Producer/consumer: sensors and a consumer", producer_consumer},
    {"task-queue", "A task queue: workers and a result channel", task_queue},
    {"event-bus", "A publish/subscribe event bus", event_bus},
    {"streaming", "A streaming pipeline: stages, fan-out and fan-in", streaming},
};

}  // namespace

extern const chapter applications{
    "applications", "Real applications", "实际应用",
    "Four small programs of the kind channels are for, each in thread and coroutine form.",
    sections};

}  // namespace tour
