// Message types for checking what a channel does with the messages it holds:
// one that accounts for every construction and destruction, and one whose
// move constructor throws on demand.
#pragma once

#include <atomic>
#include <stdexcept>
#include <utility>

namespace rill_test {

/// A message that accounts for its lifetime in counters owned by the test.
/// `live` counts the objects in existence, moved-from shells included, so a
/// message (or shell) destroyed twice or never shows up as a count that does
/// not return to zero; `destroyed_with_payload` counts the destructions of
/// objects that still held their payload. Copies count like any other object.
///
/// The counters are atomic: messages may be made and destroyed on worker
/// threads. Relaxed order is enough, because the test thread reads them only
/// after joining those threads (or on the thread that changed them).
class tracked {
 public:
  struct counters {
    std::atomic<long> live{0};
    std::atomic<long> destroyed_with_payload{0};
  };

  static constexpr int moved_from = -1;

  int payload;  ///< `moved_from` once moved from

  explicit tracked(counters& c, int p) noexcept : payload(p), counters_(&c) { add_live(); }
  tracked(const tracked& o) noexcept : payload(o.payload), counters_(o.counters_) { add_live(); }
  tracked(tracked&& o) noexcept : payload(std::exchange(o.payload, moved_from)), counters_(o.counters_) { add_live(); }
  // Assignment changes the payload only: each object stays counted where it
  // was constructed.
  tracked& operator=(const tracked& o) noexcept {
    payload = o.payload;
    return *this;
  }
  tracked& operator=(tracked&& o) noexcept {
    payload = std::exchange(o.payload, moved_from);
    return *this;
  }
  ~tracked() {
    counters_->live.fetch_sub(1, std::memory_order_relaxed);
    if (payload != moved_from) counters_->destroyed_with_payload.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  void add_live() noexcept { counters_->live.fetch_add(1, std::memory_order_relaxed); }

  counters* counters_;
};

/// A message whose move constructor throws: every move while `fail_moves`
/// is set, or once, after `moves_until_throw` more successful moves (-1:
/// never). The throw happens before the source is touched (the strong
/// guarantee), which is what the channel relies on to keep the message
/// where it was.
struct throwing_move {
  static inline std::atomic<bool> fail_moves{false};
  static inline std::atomic<int> moves_until_throw{-1};

  int payload = -1;

  explicit throwing_move(int p) noexcept : payload(p) {}
  throwing_move(throwing_move&& o) : payload(o.payload) {
    if (fail_moves.load(std::memory_order_relaxed)) throw std::runtime_error("move failed");
    const int left = moves_until_throw.load(std::memory_order_relaxed);
    if (left >= 0) {
      moves_until_throw.store(left - 1, std::memory_order_relaxed);
      if (left == 0) throw std::runtime_error("move failed");
    }
    o.payload = -1;
  }
  throwing_move& operator=(throwing_move&&) = delete;
};

}  // namespace rill_test
