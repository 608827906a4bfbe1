// A model-based randomised test: in each round, thread and coroutine
// producers and consumers (asio::awaitable and rill::task) run random
// operations — every send and receive form, batches, permits, timeouts,
// stop tokens, select, async_select, cancellation, copying and dropping
// handles, close — on one or two channels of random kinds and overflow
// policies, with a watch beside them that producers bump and thread
// consumers select on. A ledger (support/ledger.hpp) is the oracle: every message a
// send reported as sent is received exactly once, by a consumer or by the
// channel's undelivered hook (dropped by the policy, or left behind by the
// last receiver), every refused one is handed back, and nothing is
// received that was not sent. Each consumer checks per-producer order on
// each channel, and once an operation saw a channel disconnected, the
// blocking forms on it must fail at once (a watchdog turns a hang into a
// failure that names the round's seed).
//
//   RILL_SEED=<n>          first round's seed (each round r runs seed n + r)
//   RILL_MODEL_ROUNDS=<n>  how many rounds (default 150 x RILL_STRESS_SCALE)
//
// A failing round prints its seed; RILL_SEED=<that seed> RILL_MODEL_ROUNDS=1
// replays its operation choices (thread interleaving is the machine's).
#include <rill/async_select.hpp>
#include <rill/rill.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <future>
#include <memory>
#include <random>
#include <sstream>
#include <stop_token>
#include <thread>
#include <vector>

#include "support/channel_kinds.hpp"
#include "support/ledger.hpp"
#include "support/test_support.hpp"
#include "support/watchdog.hpp"

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using rill_test::channel_kind;
using rill_test::ledger;
using rill_test::ledgered;

namespace {

using tx_t = rill::sender<ledgered>;
using rx_t = rill::receiver<ledgered>;
constexpr auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// What one round runs: drawn from the round's seed.
struct round_config {
  std::uint64_t seed = 0;
  std::size_t lanes = 1;  ///< channels in the round
  std::array<rill_test::channel_spec, 2> spec{};
  int thread_producers = 1, coroutine_producers = 0, thread_consumers = 1, coroutine_consumers = 0;
  int task_producers = 0, task_consumers = 0;  ///< coroutines that are rill::task, not asio::awaitable
  int attempts = 100;               ///< sends each producer attempts
  bool receivers_may_leave = false;  ///< consumers may drop their receivers early
  int closer = -1;                   ///< actor that closes a channel early (-1: none)
  int close_at = 0;                  ///< at which of its steps

  static round_config draw(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    round_config c;
    c.seed = seed;
    c.lanes = static_cast<std::size_t>(pick(1, 2));
    for (auto& s : c.spec) {
      const int k = pick(0, 2);
      s = k == 0   ? rill_test::channel_spec{channel_kind::unbounded}
          : k == 1 ? rill_test::channel_spec{channel_kind::bounded, static_cast<std::size_t>(pick(1, 6)),
                                             pick(0, 2) == 0 ? static_cast<rill::overflow>(pick(1, 3)) : rill::overflow::wait}
                   : rill_test::channel_spec{channel_kind::rendezvous};
    }
    c.thread_producers = pick(1, 3);
    c.coroutine_producers = pick(0, 2);
    c.thread_consumers = pick(1, 2);
    c.coroutine_consumers = pick(0, 2);
    c.task_producers = pick(0, 1);
    c.task_consumers = pick(0, 1);
    c.attempts = pick(60, 160);
    c.receivers_may_leave = pick(0, 3) == 0;
    if (pick(0, 3) == 0) {
      c.closer = pick(0, c.actors() - 1);
      c.close_at = pick(0, c.attempts);
    }
    return c;
  }

  int producers() const { return thread_producers + coroutine_producers + task_producers; }
  int actors() const { return producers() + thread_consumers + coroutine_consumers + task_consumers; }

  std::string describe() const {
    std::string s = fmt::format("seed {}: {} lane(s) [", seed, lanes);
    for (std::size_t l = 0; l < lanes; ++l) {
      std::ostringstream os;
      os << spec[l];
      s += (l ? ", " : "") + os.str();
    }
    return s + fmt::format("], {}+{}+{} producers (threads+awaitables+tasks), {}+{}+{} consumers, {} attempts each{}{}",
                           thread_producers, coroutine_producers, task_producers, thread_consumers, coroutine_consumers,
                           task_consumers, attempts,
                           receivers_may_leave ? ", receivers may leave" : "",
                           closer >= 0 ? fmt::format(", actor {} closes at step {}", closer, close_at) : "");
  }
};

/// What every actor of a round shares. `progress` is a watch that producers
/// bump now and then and thread consumers select on beside their channels:
/// a watch arm that wins takes no message, one that loses marks nothing.
struct round_context {
  const round_config& cfg;
  ledger& book;
  std::atomic<long>& operations;
  rill::watch_sender<std::uint64_t> progress;
  rill::watch_receiver<std::uint64_t> progress_seen;
};

/// What an actor owns: its handles, its random choices, its counters.
template <class Handle>
class actor_base {
 public:
  actor_base(round_context& ctx, int index, std::vector<Handle> handles)
      : ctx_(ctx), index_(index), rng_(ctx.cfg.seed * 1000 + static_cast<std::uint64_t>(index)),
        handles_(std::move(handles)), open_(handles_.size(), true) {}

 protected:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool one_in(int n) { return pick(1, n) == 1; }
  std::chrono::microseconds short_wait() { return std::chrono::microseconds(pick(0, 300)); }

  /// A thread that requests a stop through `source` after a short wait,
  /// mid-way through the operation the caller runs next, or before it.
  std::jthread stop_soon(std::stop_source& source) {
    return std::jthread([&source, wait = short_wait()] {
      std::this_thread::sleep_for(wait);
      source.request_stop();
    });
  }
  void count() { ctx_.operations.fetch_add(1, std::memory_order_relaxed); }

  /// An operation that throws on failure threw: only a disconnection may
  /// fail it, and the lane is then closed for this actor.
  void threw(const std::system_error& e, std::size_t lane) {
    RILL_EXPECT(e.code() == rill::errc::disconnected);
    open_[lane] = false;
  }

  bool any_open() const {
    for (bool o : open_)
      if (o) return true;
    return false;
  }

  /// A consumer may wait on one lane without a timeout only while it is the
  /// only lane left: otherwise every consumer could wait on one channel
  /// while every producer waits on the other, a deadlock of the test's own
  /// making, not the library's.
  bool may_wait_on_one_lane() const {
    std::size_t open = 0;
    for (bool o : open_) open += o ? 1 : 0;
    return open == 1;
  }

  /// A random lane still open (precondition: any_open()).
  std::size_t open_lane() {
    for (;;) {
      const auto l = static_cast<std::size_t>(pick(0, static_cast<int>(open_.size()) - 1));
      if (open_[l]) return l;
    }
  }

  /// A handle for `lane`: a copy of the original or of a copy; copies are
  /// made and dropped along the way, as a program passing handles around would.
  Handle handle(std::size_t lane) {
    if (one_in(25)) copies_.emplace_back(lane, handles_[lane]);
    if (!copies_.empty() && one_in(25)) copies_.erase(copies_.begin() + pick(0, static_cast<int>(copies_.size()) - 1));
    if (!copies_.empty() && one_in(50)) {
      // Give up the original and go on with a copy.
      auto it = copies_.begin() + pick(0, static_cast<int>(copies_.size()) - 1);
      handles_[it->first] = std::move(it->second);
      copies_.erase(it);
    }
    for (auto& [l, h] : copies_)
      if (l == lane && one_in(3)) return h;
    return handles_[lane];
  }

  /// Closes a channel at the configured step, if this actor is the closer.
  void maybe_close(int step) {
    if (ctx_.cfg.closer != index_ || ctx_.cfg.close_at != step) return;
    handles_[open_lane()].close();
    count();
  }

  round_context& ctx_;
  int index_;
  std::mt19937_64 rng_;
  std::vector<Handle> handles_;
  std::vector<std::pair<std::size_t, Handle>> copies_;
  std::vector<bool> open_;  ///< not yet seen disconnected
};

// ---- producers ---------------------------------------------------------------

class producer_base : public actor_base<tx_t> {
 public:
  using actor_base::actor_base;

 protected:
  ledgered make(std::size_t lane) {
    if (sequence_.size() < handles_.size()) sequence_.resize(handles_.size(), 0);
    return ledgered(ctx_.book, static_cast<std::uint32_t>(index_), static_cast<std::uint32_t>(lane), sequence_[lane]++);
  }

  void sent(ledger::id_type id) {
    ctx_.book.mark_sent(id);
    if (one_in(4)) ctx_.progress.send_modify([](std::uint64_t& v) { ++v; });
  }

  /// A send failed and handed `back` back: it must be the message sent.
  void refused(ledgered& back, ledger::id_type id, bool disconnected, std::size_t lane) {
    RILL_EXPECT(back.id() == id);
    back.take_back();
    if (disconnected) open_[lane] = false;
  }

  /// An asynchronous send's outcome: sent, or refused with `back`.
  void settle(std::error_code ec, std::optional<ledgered>& back, ledger::id_type id, std::size_t lane) {
    if (!ec) {
      RILL_EXPECT(!back.has_value());
      return sent(id);
    }
    RILL_EXPECT(back.has_value());
    RILL_EXPECT(ec == rill::errc::disconnected || ec == asio::error::operation_aborted);
    refused(*back, id, ec == rill::errc::disconnected, lane);
  }

  /// A send arm's result: sent, or refused with its value.
  void settle(rill::expected<void, rill::send_error<ledgered>>& result, ledger::id_type id, std::size_t lane) {
    if (result) return sent(id);
    refused(result.error().value, id, true, lane);
  }

  /// After a channel was seen disconnected, every send on it fails at once.
  void check_stays_disconnected(std::size_t lane) {
    ledgered m = make(lane);
    const auto id = m.id();
    auto r = handles_[lane].send(std::move(m));
    count();
    RILL_EXPECT(!r);
    RILL_EXPECT(r.error().value.id() == id);
    r.error().value.take_back();
    auto t = handles_[lane].try_send(make(lane));
    count();
    RILL_EXPECT(!t && t.error().is_disconnected());
    t.error().value.take_back();
  }

  /// Sends with a permit, or gives it back first now and then and sends
  /// without one: a permit's send fails only on a channel closed meanwhile.
  void send_with_permit(rill::permit<ledgered>& p, ledgered m, ledger::id_type id, std::size_t lane) {
    if (pick(0, 3) == 0) {
      p.release();
      auto r = handles_[lane].send(std::move(m));
      if (r) return sent(id);
      return refused(r.error().value, id, true, lane);
    }
    auto r = p.send(std::move(m));
    if (r) return sent(id);
    return refused(r.error().value, id, true, lane);
  }

  std::vector<std::uint32_t> sequence_;
};

/// A thread that sends with every blocking, timed, non-blocking and select
/// form, and with async_send completed on the system executor.
class thread_producer : public producer_base {
 public:
  using producer_base::producer_base;

  void run() {
    for (int step = 0; step < ctx_.cfg.attempts && any_open(); ++step) {
      maybe_close(step);
      if (!any_open()) break;
      const std::size_t lane = open_lane();
      attempt(lane);
      if (!open_[lane]) check_stays_disconnected(lane);
    }
  }

 private:
  void attempt(std::size_t lane) {
    const tx_t& tx = handle(lane);
    ledgered m = make(lane);
    const auto id = m.id();
    count();
    switch (pick(0, 11)) {
      case 10: {  // reserve with a timeout, then send with the permit
        auto p = tx.reserve_timeout(short_wait());
        if (!p) return refused(m, id, p.error() == rill::errc::disconnected, lane);
        return send_with_permit(*p, std::move(m), id, lane);
      }
      case 11: {  // a reserve arm raced by a timeout: one that lost reserved nothing
        auto r = rill::select(rill::reserve(tx), rill::timeout(short_wait()));
        if (r.index() == 1) return refused(m, id, false, lane);
        auto& p = std::get<0>(r);
        if (!p) return refused(m, id, true, lane);
        return send_with_permit(*p, std::move(m), id, lane);
      }
      case 8: {  // a send stopped through its token after a short wait
        std::stop_source stop;
        auto stopper = stop_soon(stop);
        auto r = tx.send(std::move(m), stop.get_token());
        if (r) return sent(id);
        return refused(r.error().value, id, r.error().is_disconnected(), lane);
      }
      case 9: {  // send_many of a few, stopped through its token after a short wait
        // Reserved: a growing vector would copy, and a copy is a new message.
        std::vector<ledgered> batch;
        batch.reserve(4);
        batch.push_back(std::move(m));
        for (int i = pick(0, 3); i > 0; --i) {
          batch.push_back(make(lane));
          count();
        }
        std::vector<ledger::id_type> ids;
        for (const ledgered& b : batch) ids.push_back(b.id());  // a moved-from shell has none
        std::stop_source stop;
        auto stopper = stop_soon(stop);
        const std::size_t n = tx.send_many(batch, stop.get_token());
        RILL_EXPECT(n <= batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (i < n) {
            RILL_EXPECT(batch[i].empty());
            sent(ids[i]);
            continue;
          }
          // Stopped or disconnected: this one and the rest are handed back.
          RILL_EXPECT(!batch[i].empty());
          batch[i].take_back();
        }
        if (n < batch.size() && !stop.stop_requested()) open_[lane] = false;
        return;
      }
      case 0: {
        auto r = tx.send(std::move(m));
        if (r) return sent(id);
        return refused(r.error().value, id, true, lane);
      }
      case 1: {  // try_send, a few times, then give up
        std::optional<ledgered> current(std::move(m));
        for (int tries = 0;; ++tries) {
          auto r = tx.try_send(std::move(*current));
          if (r) return sent(id);
          const bool gone = r.error().is_disconnected();
          if (gone || tries == 20) return refused(r.error().value, id, gone, lane);
          current.emplace(std::move(r.error().value));
          std::this_thread::yield();
        }
      }
      case 2: {
        auto r = tx.send_timeout(std::move(m), short_wait());
        if (r) return sent(id);
        return refused(r.error().value, id, r.error().is_disconnected(), lane);
      }
      case 3: {
        auto r = tx.send_deadline(std::move(m), std::chrono::system_clock::now() + short_wait());
        if (r) return sent(id);
        return refused(r.error().value, id, r.error().is_disconnected(), lane);
      }
      case 4: {  // select with a timeout; a losing arm keeps its value
        auto arm = rill::send(tx, std::move(m));
        auto r = rill::select(arm, rill::timeout(short_wait()));
        if (r.index() == 0) {
          auto& result = std::get<0>(r);
          if (result) return sent(id);
          return refused(result.error().value, id, true, lane);
        }
        auto back = arm.take_value();
        RILL_EXPECT(back.has_value());
        return refused(*back, id, false, lane);
      }
      case 5: {  // try_select over a send on every open lane
        return select_over_lanes(std::move(m), lane, false);
      }
      case 6: {
        return select_over_lanes(std::move(m), lane, true);
      }
      default: {  // async_send from a thread: a callback on the system executor
        std::promise<std::pair<std::error_code, std::optional<ledgered>>> done;
        tx.async_send(std::move(m), [&done](std::error_code ec, std::optional<ledgered> back) {
          done.set_value({ec, std::move(back)});
        });
        auto [ec, back] = done.get_future().get();
        if (!ec) {
          RILL_EXPECT(!back.has_value());
          return sent(id);
        }
        RILL_EXPECT(ec == rill::errc::disconnected && back.has_value());
        return refused(*back, id, true, lane);
      }
      // (Not use_future for sends: a failed one's value would be destroyed on
      // a system executor thread at a time the test cannot await.)
    }
  }

  /// A select (blocking with a timeout, or try_select) with a send arm on
  /// `lane` and, if there is one, a second on the other open lane.
  void select_over_lanes(ledgered m, std::size_t lane, bool blocking) {
    const auto id = m.id();
    const std::size_t other = 1 - lane;
    const bool two = handles_.size() == 2 && open_[other];
    ledgered m2 = make(two ? other : lane);
    const auto id2 = m2.id();
    const tx_t tx_a = handle(lane);
    const tx_t tx_b = handle(two ? other : lane);
    auto a = rill::send(tx_a, std::move(m));
    auto b = rill::send(tx_b, std::move(m2), two);
    auto settle = [&](auto& arm, ledger::id_type arm_id, std::size_t arm_lane, auto* result) {
      if (result == nullptr) {
        auto back = arm.take_value();
        RILL_EXPECT(back.has_value());
        return refused(*back, arm_id, false, arm_lane);
      }
      if (*result) return sent(arm_id);
      refused(result->error().value, arm_id, true, arm_lane);
    };
    if (blocking) {
      auto r = rill::select(a, b, rill::timeout(short_wait()));
      settle(a, id, lane, r.index() == 0 ? &std::get<0>(r) : nullptr);
      settle(b, id2, two ? other : lane, r.index() == 1 ? &std::get<1>(r) : nullptr);
    } else {
      auto r = rill::try_select(a, b);
      settle(a, id, lane, r && r->index() == 0 ? &std::get<0>(*r) : nullptr);
      settle(b, id2, two ? other : lane, r && r->index() == 1 ? &std::get<1>(*r) : nullptr);
    }
  }
};

// ---- consumers ---------------------------------------------------------------

class consumer_base : public actor_base<rx_t> {
 public:
  consumer_base(round_context& ctx, int index, std::vector<rx_t> handles)
      : actor_base(ctx, index, std::move(handles)), progress_(ctx.progress_seen) {}

 protected:
  /// The progress watch's arm won: a newer version than this consumer had
  /// seen, whose value never goes back.
  void progressed() {
    const std::uint64_t now = *progress_.borrow();
    RILL_EXPECT(now > 0 && now >= last_progress_);
    last_progress_ = now;
  }

  rill::watch_receiver<std::uint64_t> progress_;  ///< this consumer's own copy
  std::uint64_t last_progress_ = 0;

  /// Takes a message received on `lane`: it must belong there and keep its
  /// producer's order.
  void take(ledgered& m, std::size_t lane) {
    RILL_EXPECT(!m.empty());
    RILL_EXPECT(m.lane() == lane);
    const std::string problem = order_.see(m);
    if (!problem.empty()) throw rill_test::check_failure(problem);
    m.receive();
  }

  /// An asynchronous receive's outcome: a message, or none.
  void settle(std::error_code ec, std::optional<ledgered>& m, std::size_t lane) {
    if (!ec) {
      RILL_EXPECT(m.has_value());
      return take(*m, lane);
    }
    RILL_EXPECT(!m.has_value());
    if (ec == rill::errc::disconnected) {
      open_[lane] = false;
      return;
    }
    RILL_EXPECT(ec == asio::error::operation_aborted);
  }

  /// Whether this consumer leaves now, in a round that allows it.
  bool leaves() { return ctx_.cfg.receivers_may_leave && one_in(300); }

  rill_test::order_check order_;
};

/// A thread that receives with every blocking, timed, non-blocking,
/// iteration, select and dynamic_select form, and async_recv from a thread.
class thread_consumer : public consumer_base {
 public:
  using consumer_base::consumer_base;

  void run() {
    for (int step = 0; any_open(); ++step) {
      maybe_close(step);
      if (leaves()) return;
      const std::size_t lane = open_lane();
      attempt(lane);
      if (!open_[lane]) check_stays_disconnected(lane);
    }
  }

 private:
  void disconnected(std::size_t lane) { open_[lane] = false; }

  void attempt(std::size_t lane) {
    const rx_t& rx = handle(lane);
    count();
    int form = pick(0, 12);
    if (!may_wait_on_one_lane()) {
      // The forms that wait without a timeout become timed ones.
      if (form == 0) form = 2;
      if (form == 4) form = 5;
      if (form == 6) form = 3;
      if (form == 10) form = 7;
    }
    switch (form) {
      case 0: {
        auto r = rx.recv();
        if (r) return take(*r, lane);
        return disconnected(lane);
      }
      case 1: {
        auto r = rx.try_recv();
        if (r) return take(*r, lane);
        if (r.error() == rill::try_recv_error::disconnected) return disconnected(lane);
        return std::this_thread::yield();
      }
      case 2: {
        auto r = rx.recv_timeout(short_wait());
        if (r) return take(*r, lane);
        if (r.error() == rill::recv_timeout_error::disconnected) return disconnected(lane);
        return;
      }
      case 3: {
        auto r = rx.recv_deadline(std::chrono::system_clock::now() + short_wait());
        if (r) return take(*r, lane);
        if (r.error() == rill::recv_timeout_error::disconnected) return disconnected(lane);
        return;
      }
      case 4: {
        // Reserved: a vector of a type whose move may throw grows by copying,
        // and a copy is a new message to the ledger.
        const auto max = static_cast<std::size_t>(pick(1, 8));
        std::vector<ledgered> got;
        got.reserve(max);
        if (rx.recv_many(got, max) == 0) return disconnected(lane);
        for (auto& m : got) take(m, lane);
        return;
      }
      case 5: {  // what is there now, up to a few
        const int most = pick(1, 6);
        int n = 0;
        for (ledgered& m : rx.try_iter()) {
          take(m, lane);
          if (++n == most) break;
        }
        return;
      }
      case 6: {  // blocking iteration, left after a few
        const int most = pick(1, 6);
        int n = 0;
        for (ledgered& m : rx) {
          take(m, lane);
          if (++n == most) return;
        }
        return disconnected(lane);
      }
      case 7:
        return select_lanes(true);
      case 8:
        return select_lanes(false);
      case 11: {  // a receive stopped through its token after a short wait
        std::stop_source stop;
        auto stopper = stop_soon(stop);
        auto r = rx.recv(stop.get_token());
        if (r) return take(*r, lane);
        if (r.error() == rill::recv_timeout_error::disconnected) return disconnected(lane);
        RILL_EXPECT(r.error() == rill::recv_timeout_error::stopped);
        return;
      }
      case 12: {  // what is there now, up to a few, under one lock
        const auto max = static_cast<std::size_t>(pick(1, 8));
        std::vector<ledgered> got;
        got.reserve(max);
        const std::size_t n = rx.try_recv_many(got, max);
        RILL_EXPECT(n == got.size());
        for (auto& m : got) take(m, lane);
        if (n == 0) std::this_thread::yield();
        return;
      }
      case 9: {
        rill::dynamic_select<ledgered> ds;
        for (std::size_t l = 0; l < handles_.size(); ++l) {
          ds.add(handles_[l]);
          if (!open_[l]) ds.disable(l);
        }
        auto r = ds.select_timeout(short_wait());
        if (!r) return;
        auto& result = r->recv_result();
        if (result) return take(*result, r->index);
        return disconnected(r->index);
      }
      default: {  // async_recv from a thread: a callback on the system executor
        // (A promise set by hand, not use_future: an exception_ptr passed
        // between threads inside libstdc++ is invisible to TSan.)
        std::promise<std::pair<std::error_code, std::optional<ledgered>>> done;
        rx.async_recv([&done](std::error_code ec, std::optional<ledgered> m) { done.set_value({ec, std::move(m)}); });
        auto [ec, m] = done.get_future().get();
        if (!ec) {
          RILL_EXPECT(m.has_value());
          return take(*m, lane);
        }
        RILL_EXPECT(ec == rill::errc::disconnected && !m.has_value());
        return disconnected(lane);
      }
    }
  }

  /// select (with a timeout) or try_select over a receive on every open lane.
  void select_lanes(bool blocking) {
    const bool two = handles_.size() == 2;
    const rx_t& a = handles_[0];
    const rx_t& b = handles_[two ? 1 : 0];
    const bool had_change = progress_.has_changed();
    auto settle = [&](auto& result, std::size_t lane) {
      // A watch arm that lost marked nothing seen.
      RILL_EXPECT(!had_change || progress_.has_changed());
      if (result) return take(*result, lane);
      disconnected(lane);
    };
    const bool watched = one_in(2);
    if (blocking) {
      auto r = rill::select(rill::recv(a, open_[0]), rill::recv(b, two && open_[1]), rill::changed(progress_, watched),
                            rill::timeout(short_wait()));
      if (r.index() == 0) settle(std::get<0>(r), 0);
      if (r.index() == 1) settle(std::get<1>(r), 1);
      if (r.index() == 2) progressed();
    } else {
      auto r = rill::try_select(rill::recv(a, open_[0]), rill::recv(b, two && open_[1]), rill::changed(progress_, watched));
      if (r && r->index() == 0) settle(std::get<0>(*r), 0);
      if (r && r->index() == 1) settle(std::get<1>(*r), 1);
      if (r && r->index() == 2) progressed();
    }
  }

  /// After a channel was seen disconnected and drained, receives fail at once.
  void check_stays_disconnected(std::size_t lane) {
    count();
    RILL_EXPECT(handles_[lane].try_recv() == rill_test::try_disconnected);
    RILL_EXPECT(handles_[lane].recv() == rill_test::recv_disconnected);
  }
};

// ---- coroutines ----------------------------------------------------------------

/// A cancellation signal that a timer emits after a short while; shared with
/// the timer's handler, which may run after the operation it aimed at.
class delayed_cancel {
 public:
  delayed_cancel(asio::steady_timer& timer, std::chrono::microseconds after, asio::cancellation_type type)
      : signal_(std::make_shared<asio::cancellation_signal>()), timer_(timer) {
    timer_.expires_after(after);
    timer_.async_wait([signal = signal_, type](std::error_code ec) {
      if (!ec) signal->emit(type);
    });
  }
  delayed_cancel(const delayed_cancel&) = delete;
  delayed_cancel& operator=(const delayed_cancel&) = delete;
  ~delayed_cancel() { timer_.cancel(); }

  asio::cancellation_slot slot() { return signal_->slot(); }

 private:
  std::shared_ptr<asio::cancellation_signal> signal_;
  asio::steady_timer& timer_;
};

asio::cancellation_type any_cancellation(int k) {
  return k == 0 ? asio::cancellation_type::terminal
         : k == 1 ? asio::cancellation_type::partial
                  : asio::cancellation_type::total;
}

class coroutine_producer : public producer_base {
 public:
  using producer_base::producer_base;

  asio::awaitable<void> run() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int step = 0; step < ctx_.cfg.attempts && any_open(); ++step) {
      maybe_close(step);
      if (!any_open()) break;
      const std::size_t lane = open_lane();
      co_await attempt(lane, timer);
      if (!open_[lane]) co_await check_async_stays_disconnected(lane);
    }
  }

 private:
  asio::awaitable<void> attempt(std::size_t lane, asio::steady_timer& timer) {
    const tx_t tx = handle(lane);
    ledgered m = make(lane);
    const auto id = m.id();
    count();
    switch (pick(0, 5)) {
      case 5: {  // async_reserve cancelled through its slot after a short while; a permit sends or goes back
        delayed_cancel cancel(timer, short_wait(), any_cancellation(pick(0, 2)));
        auto [ec, p] = co_await tx.async_reserve(asio::bind_cancellation_slot(cancel.slot(), as_tuple_awaitable));
        if (ec) {
          RILL_EXPECT(!p);
          RILL_EXPECT(ec == rill::errc::disconnected || ec == asio::error::operation_aborted);
          refused(m, id, ec == rill::errc::disconnected, lane);
        } else if (pick(0, 3) == 0) {
          p.release();
          refused(m, id, false, lane);
        } else if (auto r = p.send(std::move(m))) {
          sent(id);
        } else {
          refused(r.error().value, id, true, lane);
        }
        co_return;
      }
      case 0: {
        auto [ec, back] = co_await tx.async_send(std::move(m), as_tuple_awaitable);
        settle(ec, back, id, lane);
        co_return;
      }
      case 1: {  // cancelled through its slot after a short while, any cancellation type
        delayed_cancel cancel(timer, short_wait(), any_cancellation(pick(0, 2)));
        auto [ec, back] = co_await tx.async_send(std::move(m), asio::bind_cancellation_slot(cancel.slot(), as_tuple_awaitable));
        settle(ec, back, id, lane);
        co_return;
      }
      case 2: {  // raced with a timer: a send that loses has its result discarded
        timer.expires_after(short_wait());
        auto r = co_await (tx.async_send(std::move(m), as_tuple_awaitable) || timer.async_wait(as_tuple_awaitable));
        if (r.index() == 0) {
          auto& [ec, back] = std::get<0>(r);
          settle(ec, back, id, lane);
        } else {
          ctx_.book.mark_in_doubt(id);
        }
        co_return;
      }
      case 3: {  // async_select over send arms: the losing arm's value goes with the operation
        const std::size_t other = handles_.size() == 2 && open_[1 - lane] ? 1 - lane : lane;
        ledgered m2 = make(other);
        const auto id2 = m2.id();
        ctx_.book.mark_may_be_destroyed(id);
        ctx_.book.mark_may_be_destroyed(id2);
        // Arms and handles named first: GCC 12 may destroy a temporary
        // passed straight into a co_await'ed call twice.
        const tx_t tx2 = handle(other);
        auto arm = rill::send(tx, std::move(m));
        auto arm2 = rill::send(tx2, std::move(m2));
        auto [ec, r] = co_await rill::async_select(std::move(arm), std::move(arm2), as_tuple_awaitable);
        RILL_EXPECT(!ec && r.has_value());
        const std::size_t won_lane = r->index() == 0 ? lane : other;
        const auto won_id = r->index() == 0 ? id : id2;
        settle(r->index() == 0 ? std::get<0>(*r) : std::get<1>(*r), won_id, won_lane);
        co_return;
      }
      default: {  // use_awaitable: an error throws, and the value goes with the exception
        ctx_.book.mark_may_be_destroyed(id);
        try {
          co_await tx.async_send(std::move(m), asio::use_awaitable);
          sent(id);
        } catch (const std::system_error& e) {
          threw(e, lane);
        }
        co_return;
      }
    }
  }

  asio::awaitable<void> check_async_stays_disconnected(std::size_t lane) {
    ledgered m = make(lane);
    const auto id = m.id();
    auto [ec, back] = co_await handles_[lane].async_send(std::move(m), as_tuple_awaitable);
    count();
    RILL_EXPECT(ec == rill::errc::disconnected && back.has_value() && back->id() == id);
    back->take_back();
  }
};

class coroutine_consumer : public consumer_base {
 public:
  using consumer_base::consumer_base;

  asio::awaitable<void> run() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int step = 0; any_open(); ++step) {
      maybe_close(step);
      if (leaves()) co_return;
      const std::size_t lane = open_lane();
      co_await attempt(lane, timer);
      if (!open_[lane]) {
        auto [ec, m] = co_await handles_[lane].async_recv(as_tuple_awaitable);
        count();
        RILL_EXPECT(ec == rill::errc::disconnected && !m.has_value());
      }
    }
  }

 private:
  asio::awaitable<void> attempt(std::size_t lane, asio::steady_timer& timer) {
    const rx_t rx = handle(lane);
    count();
    int form = pick(0, 4);
    if (!may_wait_on_one_lane() && (form == 0 || form == 4)) form = form == 0 ? 1 : 2;  // timed instead
    switch (form) {
      case 0: {
        auto [ec, m] = co_await rx.async_recv(as_tuple_awaitable);
        settle(ec, m, lane);
        co_return;
      }
      case 1: {  // raced with a timer: a receive that loses took nothing
        timer.expires_after(short_wait());
        auto r = co_await (rx.async_recv(as_tuple_awaitable) || timer.async_wait(as_tuple_awaitable));
        if (r.index() == 0) {
          auto& [ec, m] = std::get<0>(r);
          settle(ec, m, lane);
        }
        co_return;
      }
      case 2: {
        delayed_cancel cancel(timer, short_wait(), any_cancellation(pick(0, 2)));
        auto [ec, m] = co_await rx.async_recv(asio::bind_cancellation_slot(cancel.slot(), as_tuple_awaitable));
        settle(ec, m, lane);
        co_return;
      }
      case 3: {  // async_select over the receivers, raced with a timer
        const std::size_t other = handles_.size() == 2 ? 1 - lane : lane;
        timer.expires_after(short_wait());
        auto arm = rill::recv(rx);
        auto arm2 = rill::recv(handles_[other], open_[other]);
        auto r = co_await (rill::async_select(std::move(arm), std::move(arm2), as_tuple_awaitable) ||
                           timer.async_wait(as_tuple_awaitable));
        if (r.index() == 1) co_return;
        auto& [ec, s] = std::get<0>(r);
        RILL_EXPECT(!ec && s.has_value());
        const std::size_t won = s->index() == 0 ? lane : other;
        auto& result = s->index() == 0 ? std::get<0>(*s) : std::get<1>(*s);
        if (result)
          take(*result, won);
        else
          open_[won] = false;
        co_return;
      }
      default: {  // use_awaitable: disconnected throws
        try {
          auto m = co_await rx.async_recv(asio::use_awaitable);
          RILL_EXPECT(m.has_value());
          take(*m, lane);
        } catch (const std::system_error& e) {
          threw(e, lane);
        }
        co_return;
      }
    }
  }
};

// ---- rill::task -------------------------------------------------------------------

inline constexpr auto as_tuple_task = asio::experimental::as_tuple(rill::use_task);

/// A rill::task that sends with the channel awaiters of rill::use_task:
/// as a tuple, raced with a timeout arm in async_select, and throwing.
class task_producer : public producer_base {
 public:
  using producer_base::producer_base;

  rill::task<void> run() {
    for (int step = 0; step < ctx_.cfg.attempts && any_open(); ++step) {
      maybe_close(step);
      if (!any_open()) break;
      co_await attempt(open_lane());
    }
  }

 private:
  rill::task<void> attempt(std::size_t lane) {
    const tx_t tx = handle(lane);
    ledgered m = make(lane);
    const auto id = m.id();
    count();
    switch (pick(0, 2)) {
      case 0: {
        auto [ec, back] = co_await tx.async_send(std::move(m), as_tuple_task);
        settle(ec, back, id, lane);
        co_return;
      }
      case 1: {  // raced with a timeout arm: a send arm that lost goes with the operation
        ctx_.book.mark_may_be_destroyed(id);
        auto arm = rill::send(tx, std::move(m));
        auto [ec, r] = co_await rill::async_select(std::move(arm), rill::timeout(short_wait()), as_tuple_task);
        RILL_EXPECT(!ec && r.has_value());
        if (r->index() == 0) settle(std::get<0>(*r), id, lane);
        co_return;
      }
      default: {  // rill::use_task: an error throws, and the value goes with the exception
        ctx_.book.mark_may_be_destroyed(id);
        try {
          co_await tx.async_send(std::move(m), rill::use_task);
          sent(id);
        } catch (const std::system_error& e) {
          threw(e, lane);
        }
        co_return;
      }
    }
  }
};

/// A rill::task that receives with the channel awaiters of rill::use_task:
/// as a tuple, in async_select over both lanes with a timeout arm, and
/// throwing.
class task_consumer : public consumer_base {
 public:
  using consumer_base::consumer_base;

  rill::task<void> run() {
    for (int step = 0; any_open(); ++step) {
      maybe_close(step);
      if (leaves()) co_return;
      const std::size_t lane = open_lane();
      co_await attempt(lane);
      if (!open_[lane]) {
        auto [ec, m] = co_await handles_[lane].async_recv(as_tuple_task);
        count();
        RILL_EXPECT(ec == rill::errc::disconnected && !m.has_value());
      }
    }
  }

 private:
  rill::task<void> attempt(std::size_t lane) {
    const rx_t rx = handle(lane);
    count();
    int form = pick(0, 2);
    if (!may_wait_on_one_lane()) form = 1;  // only the select has a timeout
    switch (form) {
      case 0: {
        auto [ec, m] = co_await rx.async_recv(as_tuple_task);
        settle(ec, m, lane);
        co_return;
      }
      case 1: {
        const std::size_t other = handles_.size() == 2 ? 1 - lane : lane;
        auto arm = rill::recv(rx);
        auto arm2 = rill::recv(handles_[other], open_[other]);
        auto [ec, s] =
            co_await rill::async_select(std::move(arm), std::move(arm2), rill::timeout(short_wait()), as_tuple_task);
        RILL_EXPECT(!ec && s.has_value());
        if (s->index() == 2) co_return;
        const std::size_t won = s->index() == 0 ? lane : other;
        auto& result = s->index() == 0 ? std::get<0>(*s) : std::get<1>(*s);
        if (result)
          take(*result, won);
        else
          open_[won] = false;
        co_return;
      }
      default: {  // rill::use_task: disconnected throws
        try {
          ledgered m = co_await rx.async_recv(rill::use_task);
          take(m, lane);
        } catch (const std::system_error& e) {
          threw(e, lane);
        }
        co_return;
      }
    }
  }
};

/// Runs `actor.run()` as a coroutine on `io` (an asio::awaitable with
/// co_spawn, a rill::task with rill::spawn); an exception is recorded.
template <class Actor>
void spawn_coroutine(asio::io_context& io, std::shared_ptr<Actor> actor, std::mutex& m, std::string& failures) {
  auto ended = [actor, &m, &failures](std::exception_ptr e) mutable {
    actor.reset();  // drop its handles now, as a thread actor's end does
    if (!e) return;
    std::lock_guard lock(m);
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      failures += std::string(x.what()) + '\n';
    }
  };
  if constexpr (std::is_same_v<decltype(actor->run()), rill::task<void>>)
    rill::spawn(io, actor->run(), std::move(ended));
  else
    asio::co_spawn(io, [actor]() { return actor->run(); }, std::move(ended));
}

struct round_figures {
  long operations = 0;
  std::size_t messages = 0;
  ledger::totals ends;
};

/// Runs one round; REQUIREs that its accounting balances.
round_figures run_round(const round_config& cfg) {
  INFO(cfg.describe());
  INFO("replay: RILL_SEED=" << cfg.seed << " RILL_MODEL_ROUNDS=1");
  // Each attempt makes at most two messages, plus the disconnection checks.
  ledger book(static_cast<std::size_t>(cfg.producers()) * (static_cast<std::size_t>(cfg.attempts) * 2 + 64));
  if (cfg.receivers_may_leave) book.allow_discards();
  std::atomic<long> operations{0};
  auto [progress_tx, progress_rx] = rill::watch<std::uint64_t>(0);
  round_context ctx{cfg, book, operations, progress_tx, progress_rx};
  std::mutex coroutine_mutex;
  std::string coroutine_failures;
  {
    rill_test::scoped_threads threads;
    std::vector<tx_t> txs;
    std::vector<rx_t> rxs;
    for (std::size_t l = 0; l < cfg.lanes; ++l) {
      // Messages dropped by an overflow policy, or discarded with the last
      // receiver, reach the hook: they end there.
      auto [tx, rx] = cfg.spec[l].make<ledgered>([](ledgered&& m) { (void)m.receive(); });
      txs.push_back(std::move(tx));
      rxs.push_back(std::move(rx));
    }
    asio::io_context producer_io, consumer_io;
    int index = 0;
    for (int i = 0; i < cfg.thread_producers; ++i)
      threads.spawn([a = std::make_shared<thread_producer>(ctx, index++, txs)] { a->run(); });
    for (int i = 0; i < cfg.coroutine_producers; ++i)
      spawn_coroutine(producer_io, std::make_shared<coroutine_producer>(ctx, index++, txs), coroutine_mutex,
                      coroutine_failures);
    for (int i = 0; i < cfg.task_producers; ++i)
      spawn_coroutine(producer_io, std::make_shared<task_producer>(ctx, index++, txs), coroutine_mutex,
                      coroutine_failures);
    for (int i = 0; i < cfg.thread_consumers; ++i)
      threads.spawn([a = std::make_shared<thread_consumer>(ctx, index++, rxs)] { a->run(); });
    for (int i = 0; i < cfg.coroutine_consumers; ++i)
      spawn_coroutine(consumer_io, std::make_shared<coroutine_consumer>(ctx, index++, rxs), coroutine_mutex,
                      coroutine_failures);
    for (int i = 0; i < cfg.task_consumers; ++i)
      spawn_coroutine(consumer_io, std::make_shared<task_consumer>(ctx, index++, rxs), coroutine_mutex,
                      coroutine_failures);
    txs.clear();
    rxs.clear();
    threads.spawn([&producer_io] { producer_io.run(); });
    threads.spawn([&consumer_io] { consumer_io.run(); });
    REQUIRE(threads.join() == "");
  }
  REQUIRE(coroutine_failures == "");
  REQUIRE(book.verify() == "");
  return {operations.load(), book.issued(), book.count()};
}

}  // namespace

TEST_CASE("model_concurrent: threads and coroutines never lose, duplicate or strand a message",
          "[stress][model][async][select]") {
  const std::uint64_t first_seed = rill_test::env_number("RILL_SEED", 0x5eed);
  const auto rounds = rill_test::env_number("RILL_MODEL_ROUNDS", 150 * rill_test::stress_scale);
  rill_test::watchdog dog(std::chrono::seconds(120));
  round_figures total;
  for (unsigned long long r = 0; r < rounds; ++r) {
    const auto cfg = round_config::draw(first_seed + r);
    dog.arm(fmt::format("model_concurrent round {} ({}); replay with RILL_SEED={} RILL_MODEL_ROUNDS=1", r,
                        cfg.describe(), cfg.seed));
    const round_figures f = run_round(cfg);
    total.operations += f.operations;
    total.messages += f.messages;
    total.ends.received += f.ends.received;
    total.ends.returned += f.ends.returned;
    total.ends.destroyed += f.ends.destroyed;
  }
  dog.disarm();
  fmt::print("model_concurrent: {} rounds from seed {}: {} operations, {} messages ({} received, {} handed back, {} "
             "destroyed)\n",
             rounds, first_seed, total.operations, total.messages, total.ends.received, total.ends.returned,
             total.ends.destroyed);
  CHECK(total.ends.received > 0);
}
