// Message types that account for every construction and destruction, and
// one whose move constructor throws on demand.
#pragma once

#include <atomic>
#include <stdexcept>
#include <utility>

namespace rill_test {

/// Counts live objects: a message destroyed twice or never shows up as a
/// live count that does not return to zero. Each test resets the counters
/// through a `tracked::scope`.
struct tracked {
  static inline std::atomic<long> live{0};
  static inline std::atomic<long> destroyed_with_payload{0};

  int payload = -1;  ///< -1 once moved from

  explicit tracked(int p) noexcept : payload(p) { live.fetch_add(1, std::memory_order_relaxed); }
  tracked(const tracked& o) noexcept : payload(o.payload) { live.fetch_add(1, std::memory_order_relaxed); }
  tracked(tracked&& o) noexcept : payload(std::exchange(o.payload, -1)) { live.fetch_add(1, std::memory_order_relaxed); }
  tracked& operator=(const tracked&) = default;
  tracked& operator=(tracked&& o) noexcept {
    payload = std::exchange(o.payload, -1);
    return *this;
  }
  ~tracked() {
    live.fetch_sub(1, std::memory_order_relaxed);
    if (payload != -1) destroyed_with_payload.fetch_add(1, std::memory_order_relaxed);
  }

  /// Resets the counters for one test.
  struct scope {
    scope() {
      live = 0;
      destroyed_with_payload = 0;
    }
  };
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
