// rill — the waiters of the cores whose waiters are only told to look
// again (oneshot, watch, broadcast): nothing moves at claim time, so a
// waiter that is told and then gives up loses nothing.
//
// Two pieces: notify_queue, the queue alone, for a core that keeps several
// queues under one lock of its own (a broadcast: receivers waiting for a
// message, senders waiting for room); and wait_list, a lock with one such
// queue, for a core that needs no more (oneshot, watch).
#pragma once

#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/waiter.hpp>

#include <mutex>

namespace rill::detail {

/// Waiters told to look again, guarded by a lock their core holds. A waiter
/// is claimed through its claim_token as on a channel (waiter.hpp), and
/// completed with `retry`: whoever owns it looks at the state again, under
/// the lock, and takes what it finds. That one rule serves every way of
/// waiting unchanged: a parked thread (attempt_then_park) and a rill::task
/// awaiter (task_channel_awaiter) start over on `retry`, and an
/// asynchronous operation looks again when it resumes on its executor.
/// Every member requires the core's lock held.
class notify_queue {
 public:
  /// Queues `w` (its token set by its owner). Requires: `w` not queued
  /// anywhere, and valid until claimed or withdrawn.
  void enqueue_locked(waiter_base& w) noexcept {
    w.status = wait_status::pending;
    waiting_.push_back(w);
  }

  /// Tells every queued waiter to look again: claims each (a select arm
  /// whose select completed elsewhere fails the claim and is only
  /// unlinked) and completes it with `retry` once `wake` is completed,
  /// after the lock is released.
  void notify_all_locked(completion_list& wake) noexcept {
    while (waiter_base* w = waiting_.front()) {
      waiting_.remove(*w);
      if (!w->token->try_claim(w->arm)) continue;
      w->status = wait_status::retry;
      wake.add(*w);
    }
  }

  /// Withdraws `w` if it is still queued, claimed or not: a select arm
  /// whose select is over.
  void withdraw_locked(waiter_base& w) noexcept {
    if (w.linked) waiting_.remove(w);
  }

  /// The owner gives up on its queued waiter (timeout, cancellation): true
  /// if it was withdrawn untouched, false if it is not queued (a notifier
  /// claimed it first, and its completion must be awaited, or it never
  /// was).
  bool abort_locked(waiter_base& w) noexcept {
    if (!w.linked || !w.token->try_abort()) return false;
    waiting_.remove(w);
    return true;
  }

 private:
  waiter_queue waiting_;
};

/// The waiters of one oneshot or watch and the lock that guards them and
/// the state they wait on: a notify_queue with its lock.
class wait_list {
 public:
  /// The lock of the state the waiters wait on.
  futex_mutex& mutex() const noexcept { return mutex_; }

  /// notify_queue::enqueue_locked. Requires: mutex() held.
  void enqueue_locked(waiter_base& w) noexcept { waiting_.enqueue_locked(w); }

  /// notify_queue::notify_all_locked. Requires: mutex() held.
  void notify_all_locked(completion_list& wake) noexcept { waiting_.notify_all_locked(wake); }

  /// notify_queue::withdraw_locked; takes the lock itself.
  void withdraw(waiter_base& w) noexcept {
    std::lock_guard lock(mutex_);
    waiting_.withdraw_locked(w);
  }

  /// notify_queue::abort_locked; takes the lock itself.
  bool abort(waiter_base& w) noexcept {
    std::lock_guard lock(mutex_);
    return waiting_.abort_locked(w);
  }

 private:
  mutable futex_mutex mutex_;
  notify_queue waiting_;
};

}  // namespace rill::detail
