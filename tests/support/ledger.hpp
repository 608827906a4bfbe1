// rill tests — an oracle for message accounting: every message a test makes
// gets an id in a ledger, and the ledger records how its life ended. A
// message ends exactly once, in one of three ways: a receiver took it, a
// failed send handed it back to its sender, or it was destroyed while still
// holding its payload (buffered when the last receiver went, or with an
// operation that was torn down). verify() checks that every id ended exactly
// once and that the ending agrees with what the sends reported.
//
// Also here: a per-consumer check of per-producer order, and a hook that
// makes the message's copies and moves throw at chosen points.
//
// Catch-free, so that the fuzz harness and the soak program can use it.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

namespace rill_test {

/// Decides which copies and moves of a `ledgered` message throw: each one
/// throws with probability 1 / `one_in`, drawn from a seeded generator, so a
/// failing run replays from its seed (as far as thread interleaving allows).
/// The throw happens before the source is touched (the strong guarantee).
class fault_plan {
 public:
  fault_plan(std::uint64_t seed, unsigned one_in) : rng_(seed), one_in_(one_in) {}

  /// A plan that fails only the `n`th copy or move from now (0: the next).
  static std::unique_ptr<fault_plan> nth(long n) {
    auto plan = std::make_unique<fault_plan>(0, 0);
    plan->countdown_ = n;
    return plan;
  }

  /// Throws std::runtime_error when this copy or move is chosen to fail.
  void maybe_throw() {
    {
      std::lock_guard lock(mutex_);
      if (countdown_ >= 0) {
        if (countdown_-- != 0) return;
      } else if (one_in_ == 0 || std::uniform_int_distribution<unsigned>(1, one_in_)(rng_) != 1) {
        return;
      }
    }
    thrown_.fetch_add(1, std::memory_order_relaxed);
    throw std::runtime_error("injected fault: copy or move of a message failed");
  }

  long thrown() const noexcept { return thrown_.load(std::memory_order_relaxed); }

 private:
  std::mutex mutex_;
  std::mt19937_64 rng_;
  unsigned one_in_;
  long countdown_ = -1;  ///< >= 0: copies and moves left before the one that fails
  std::atomic<long> thrown_{0};
};

/// Per-id accounting for the messages of one test run.
class ledger {
 public:
  using id_type = std::uint32_t;
  static constexpr id_type no_id = ~id_type{0};

  /// Room for `max_ids` messages; issuing more is a test bug (throws).
  explicit ledger(std::size_t max_ids) : entries_(std::make_unique<entry[]>(max_ids)), max_ids_(max_ids) {}

  ledger(const ledger&) = delete;
  ledger& operator=(const ledger&) = delete;

  id_type issue() {
    const id_type id = next_.fetch_add(1, std::memory_order_relaxed);
    if (id >= max_ids_) throw std::logic_error("rill_test::ledger: more messages than the ledger was sized for");
    return id;
  }

  // What the test learned about an id. Relaxed atomics: verify() runs after
  // the threads that wrote them were joined.
  void mark_sent(id_type id) { entries_[id].sent.store(true, std::memory_order_relaxed); }
  /// The send's outcome is unknown to the test (a cancelled operation whose
  /// result was discarded): the message may be received or destroyed.
  void mark_in_doubt(id_type id) { entries_[id].in_doubt.store(true, std::memory_order_relaxed); }
  /// The message may legitimately be destroyed by the library without being
  /// sent (the losing arm of an async_select, a torn-down operation).
  void mark_may_be_destroyed(id_type id) { entries_[id].may_be_destroyed.store(true, std::memory_order_relaxed); }
  /// From now on, sent messages may be destroyed unreceived: every receiver
  /// of their channel may be gone.
  void allow_discards() { discards_allowed_.store(true, std::memory_order_relaxed); }

  // How a message's life ended; called by ledgered.
  void ended_received(id_type id) { entries_[id].received.fetch_add(1, std::memory_order_relaxed); }
  void ended_returned(id_type id) { entries_[id].returned.fetch_add(1, std::memory_order_relaxed); }
  void ended_destroyed(id_type id) { entries_[id].destroyed.fetch_add(1, std::memory_order_relaxed); }

  std::size_t issued() const noexcept { return next_.load(std::memory_order_relaxed); }

  /// Counts of the ways messages ended, for reports.
  struct totals {
    std::size_t received = 0, returned = 0, destroyed = 0;
    std::size_t sent_destroyed = 0;  ///< reported sent, then destroyed unreceived
  };
  totals count() const {
    totals t;
    for (std::size_t i = 0; i < issued(); ++i) {
      const entry& e = entries_[i];
      t.received += static_cast<std::size_t>(e.received.load(std::memory_order_relaxed));
      t.returned += static_cast<std::size_t>(e.returned.load(std::memory_order_relaxed));
      t.destroyed += static_cast<std::size_t>(e.destroyed.load(std::memory_order_relaxed));
      if (e.sent.load(std::memory_order_relaxed) && e.destroyed.load(std::memory_order_relaxed) != 0) ++t.sent_destroyed;
    }
    return t;
  }

  /// Empty when every message ended exactly once, in a way that agrees with
  /// what its send reported; else the first problems, one a line. Call once
  /// every message is gone.
  std::string verify() const {
    std::string problems;
    std::size_t count = 0;
    auto problem = [&](std::size_t id, const entry& e, const char* what) {
      if (++count <= 10)
        problems += fmt::format("message {}: {} (received {}, returned {}, destroyed {}, sent {})\n", id, what,
                                e.received.load(), e.returned.load(), e.destroyed.load(), e.sent.load());
    };
    const bool discards = discards_allowed_.load(std::memory_order_relaxed);
    for (std::size_t id = 0; id < issued(); ++id) {
      const entry& e = entries_[id];
      const int received = e.received.load(std::memory_order_relaxed);
      const int returned = e.returned.load(std::memory_order_relaxed);
      const int destroyed = e.destroyed.load(std::memory_order_relaxed);
      const bool sent = e.sent.load(std::memory_order_relaxed);
      const bool doubt = e.in_doubt.load(std::memory_order_relaxed);
      const int ends = received + returned + destroyed;
      if (ends == 0)
        problem(id, e, "lost: never received, handed back or destroyed");
      else if (ends > 1)
        problem(id, e, "ended more than once (duplicated)");
      else if (sent && returned != 0)
        problem(id, e, "reported sent, but handed back");
      else if (sent && destroyed != 0 && !discards)
        problem(id, e, "reported sent, destroyed unreceived while a receiver remained");
      else if (!sent && !doubt && received != 0)
        problem(id, e, "received, but its send did not report success");
      else if (!sent && !doubt && destroyed != 0 && !e.may_be_destroyed.load(std::memory_order_relaxed))
        problem(id, e, "destroyed, but its send neither succeeded nor handed it back");
    }
    if (count > 10) problems += fmt::format("... {} problems in all\n", count);
    return problems;
  }

 private:
  struct entry {
    std::atomic<int> received{0}, returned{0}, destroyed{0};
    std::atomic<bool> sent{false}, in_doubt{false}, may_be_destroyed{false};
  };

  std::unique_ptr<entry[]> entries_;
  std::size_t max_ids_;
  std::atomic<id_type> next_{0};
  std::atomic<bool> discards_allowed_{false};
};

/// A message accounted for in a ledger. It carries its producer, the lane
/// (which channel it was meant for) and a per-(producer, lane) sequence
/// number, for order checks. Moving keeps the id and leaves an empty shell;
/// copying makes a new message (a new id) with the same producer, lane and
/// sequence. Destroying one that still holds its id records "destroyed"
/// (leaked objects are the sanitizers' to find).
class ledgered {
 public:
  /// The fault plan consulted by every copy and move while set.
  static inline std::atomic<fault_plan*> faults{nullptr};

  ledgered(ledger& l, std::uint32_t producer, std::uint32_t lane, std::uint32_t sequence)
      : ledger_(&l), id_(l.issue()), producer_(producer), lane_(lane), sequence_(sequence) {}

  ledgered(const ledgered& o) : ledger_(o.ledger_), producer_(o.producer_), lane_(o.lane_), sequence_(o.sequence_) {
    inject_fault();
    id_ = o.id_ == ledger::no_id ? ledger::no_id : ledger_->issue();
  }

  ledgered(ledgered&& o) : ledger_(o.ledger_), producer_(o.producer_), lane_(o.lane_), sequence_(o.sequence_) {
    inject_fault();
    id_ = std::exchange(o.id_, ledger::no_id);
  }

  ledgered& operator=(const ledgered&) = delete;
  ledgered& operator=(ledgered&&) = delete;

  // An empty shell touches nothing: the library may destroy one on another
  // thread (an executor's) after the test has moved on.
  ~ledgered() {
    if (id_ != ledger::no_id) ledger_->ended_destroyed(id_);
  }

  ledger::id_type id() const noexcept { return id_; }
  std::uint32_t producer() const noexcept { return producer_; }
  std::uint32_t lane() const noexcept { return lane_; }
  std::uint32_t sequence() const noexcept { return sequence_; }
  bool empty() const noexcept { return id_ == ledger::no_id; }

  /// A receiver took the message: its life ends here. Returns the id.
  ledger::id_type receive() { return end(&ledger::ended_received); }
  /// A failed send handed the message back: its life ends here.
  ledger::id_type take_back() { return end(&ledger::ended_returned); }

 private:
  static void inject_fault() {
    if (fault_plan* plan = faults.load(std::memory_order_relaxed)) plan->maybe_throw();
  }

  ledger::id_type end(void (ledger::*how)(ledger::id_type)) {
    if (id_ == ledger::no_id) throw std::logic_error("rill_test::ledgered: an empty (moved-from) message ended");
    const ledger::id_type id = std::exchange(id_, ledger::no_id);
    (ledger_->*how)(id);
    return id;
  }

  ledger* ledger_;
  ledger::id_type id_;
  std::uint32_t producer_, lane_, sequence_;
};

/// One consumer's view of per-producer order: the messages it receives from
/// one producer on one lane must come in increasing sequence (gaps are
/// fine: other consumers took those, or their sends failed).
class order_check {
 public:
  /// Empty if `m` keeps the order, else what went wrong.
  std::string see(const ledgered& m) {
    auto [it, fresh] = last_.try_emplace({m.producer(), m.lane()}, m.sequence());
    if (fresh) return {};
    if (m.sequence() <= it->second)
      return fmt::format("producer {} lane {}: sequence {} received after {}", m.producer(), m.lane(), m.sequence(),
                         it->second);
    it->second = m.sequence();
    return {};
  }

 private:
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> last_;
};

}  // namespace rill_test
