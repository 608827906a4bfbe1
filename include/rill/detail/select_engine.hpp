// rill — the engine behind select: poll several channel operations under
// all their locks, queue one waiter per arm sharing one claim token, and
// complete exactly one arm.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/config.hpp>
#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/thread_waiter.hpp>
#include <rill/detail/waiter.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>

namespace rill::detail {

/// One channel operation of a select, whatever its message type. Arms live
/// in the caller's frame; their waiters are queued only between the poll
/// and the cleanup of one run, which both happen inside run_select.
class select_arm {
 public:
  /// The channel's lock; null for a disabled arm, which never wins.
  virtual futex_mutex* mutex() const noexcept = 0;
  /// Attempts the operation, the channel's lock held. True if it completed
  /// (successfully, or with disconnected); its result is then in the arm.
  virtual bool poll_locked(completion_list& wake) = 0;
  /// Queues the arm's waiter as arm `index` of `token`, the lock held. A
  /// receive arm of an asynchronous select queues notify-only (see
  /// waiter_base): it takes its message when the select runs again.
  virtual void enqueue_locked(claim_token& token, std::uint32_t index, completion_list& wake,
                              bool notify_only) noexcept = 0;
  /// Whether the arm sends: a claimed send arm has completed, a claimed
  /// notify-only receive arm has only been told to look again.
  virtual bool sends() const noexcept = 0;
  /// A notify-only receive arm woken for a message it will not take (its
  /// select was cancelled) hands the wake-up to the channel's other receivers.
  virtual void pass_on() = 0;
  /// Withdraws the waiter if still queued; takes the channel's lock itself.
  virtual void dequeue() noexcept = 0;
  /// Records the result after a partner claimed this arm; false when the
  /// hand-off did not happen (a move threw) and the select must start over.
  virtual bool finish_claimed() = 0;

 protected:
  ~select_arm() = default;
};

enum class select_order {
  random,  ///< among arms ready at once, a random one wins: no arm starves
  biased,  ///< the first ready arm in the order given wins
};

inline constexpr std::size_t select_timed_out = std::numeric_limits<std::size_t>::max();
inline constexpr std::size_t select_would_block = select_timed_out - 1;
inline constexpr std::size_t select_stopped = select_timed_out - 2;

/// A random number for the poll order of a select, from a per-thread
/// generator (detail/impl/select_engine.ipp).
RILL_DECL std::uint32_t select_random() noexcept;

// Sorts lock addresses, which gives every select the same locking order:
// a few (every static select) by insertion, many (a dynamic_select) by
// std::sort. Not inlined: inlined into a select whose scratch array holds
// one or two addresses, either sort draws g++ 12's -Warray-bounds in
// users' builds, since the compiler does not follow that the size never
// exceeds the array (the callers give one slot per arm); a call costs
// nothing next to taking the locks.
RILL_NOINLINE inline void sort_addresses(std::span<futex_mutex*> addresses) {
  constexpr std::size_t insertion_limit = 16;
  if (addresses.size() > insertion_limit) {
    std::sort(addresses.begin(), addresses.end(), std::less<>());
    return;
  }
  for (std::size_t i = 1; i < addresses.size(); ++i) {
    futex_mutex* const moving = addresses[i];
    std::size_t j = i;
    for (; j > 0 && std::less<>()(moving, addresses[j - 1]); --j) addresses[j] = addresses[j - 1];
    addresses[j] = moving;
  }
}

/// Holds the locks of every channel of a select, taken in address order
/// (as Go's runtime does) so that two selects over the same channels
/// cannot deadlock; each lock once, however many arms share a channel.
class select_locks {
 public:
  select_locks(std::span<select_arm* const> arms, std::span<futex_mutex*> scratch) noexcept {
    for (select_arm* arm : arms)
      if (futex_mutex* m = arm->mutex()) scratch[count_++] = m;
    held_ = scratch.first(count_);
    sort_addresses(held_);
    held_ = held_.first(static_cast<std::size_t>(std::unique(held_.begin(), held_.end()) - held_.begin()));
    for (futex_mutex* m : held_) m->lock();
  }
  select_locks(const select_locks&) = delete;
  select_locks& operator=(const select_locks&) = delete;
  ~select_locks() {
    for (futex_mutex* m : held_) m->unlock();
  }
  bool empty() const noexcept { return held_.empty(); }

 private:
  std::size_t count_ = 0;
  std::span<futex_mutex*> held_;
};

/// Polls every enabled arm in the given order, the locks held; returns the
/// first that completed, or select_would_block.
inline std::size_t poll_arms_locked(std::span<select_arm* const> arms, std::span<std::size_t> order,
                                    select_order policy, completion_list& wake) {
  for (std::size_t i = 0; i < arms.size(); ++i) order[i] = i;
  if (policy == select_order::random)
    for (std::size_t i = arms.size(); i > 1; --i) std::swap(order[i - 1], order[select_random() % i]);
  for (std::size_t i : order)
    if (arms[i]->mutex() != nullptr && arms[i]->poll_locked(wake)) return i;
  return select_would_block;
}

/// Queues every enabled arm with `token`, the locks held; false if none is
/// enabled. Only after every arm was polled under every lock: the arms of
/// one select never meet each other (a send and a receive on one rendezvous
/// channel), since only partners claim queued waiters.
inline bool enqueue_arms_locked(std::span<select_arm* const> arms, claim_token& token, completion_list& wake,
                                bool notify_only) noexcept {
  bool queued = false;
  for (std::size_t i = 0; i < arms.size(); ++i) {
    if (arms[i]->mutex() == nullptr) continue;
    arms[i]->enqueue_locked(token, static_cast<std::uint32_t>(i), wake, notify_only);
    queued = true;
  }
  return queued;
}

/// Withdraws the waiters that are still queued, each under its channel's lock.
inline void dequeue_arms(std::span<select_arm* const> arms) noexcept {
  for (select_arm* arm : arms)
    if (arm->mutex() != nullptr) arm->dequeue();
}

/// Runs one select over `arms` (both scratch spans hold arms.size()
/// entries) on the calling thread. Returns the index of the arm that
/// completed, or select_timed_out once the limit's deadline passed with
/// nothing ready, or select_stopped once its stop was requested (also
/// before the call, whatever is ready: a loop of selects ends promptly), or,
/// when not `blocking`, select_would_block. Exactly one arm completes: the
/// others take and deliver nothing.
inline std::size_t run_select(std::span<select_arm* const> arms, std::span<std::size_t> order,
                              std::span<futex_mutex*> lock_scratch, select_order policy, wait_limit limit,
                              bool blocking) {
  if (limit.stop_requested()) return select_stopped;
  const steady_deadline* deadline = limit.deadline;
  for (;;) {
    thread_token token;
    std::size_t winner = select_would_block;
    bool queued = false;
    {
      locked_section<select_locks> locked(arms, lock_scratch);
      winner = poll_arms_locked(arms, order, policy, locked.wake);
      const bool expired = deadline != nullptr && std::chrono::steady_clock::now() >= *deadline;
      if (winner == select_would_block && expired)
        winner = select_timed_out;
      else if (winner == select_would_block && blocking)
        queued = enqueue_arms_locked(arms, token, locked.wake, false);
    }
    if (winner != select_would_block || !blocking) return winner;
    if (!queued && deadline == nullptr && limit.stop == nullptr)
      throw std::logic_error("rill::select: no enabled arm, no timeout and no stop token; it would block forever");

    const wait_end end = token.wait(limit);
    bool completed = end == wait_end::completed;
    if (!completed && !token.try_abort()) {
      token.wait_completed();  // a partner won the race with the deadline or the stop
      completed = true;
    }
    dequeue_arms(arms);
    if (!completed) return end == wait_end::stopped ? select_stopped : select_timed_out;
    const std::size_t k = token.winning_arm();
    if (arms[k]->finish_claimed()) return k;
  }
}

}  // namespace rill::detail

#if defined(RILL_HEADER_ONLY)
#include <rill/detail/impl/select_engine.ipp>
#endif
