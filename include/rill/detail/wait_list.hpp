// rill — a lock and the waiters queued under it, for the cores whose
// waiters are only told to look again (oneshot, watch): nothing moves at
// claim time, so a waiter that is told and then gives up loses nothing.
#pragma once

#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/waiter.hpp>

#include <mutex>

namespace rill::detail {

/// The waiters of one oneshot or watch and the lock that guards them and
/// the state they wait on. A waiter is claimed through its claim_token as
/// on a channel (waiter.hpp), and completed with `retry`: whoever owns it
/// looks at the state again, under the lock, and takes what it finds. That
/// one rule serves every way of waiting unchanged: a parked thread
/// (attempt_then_park) and a rill::task awaiter (task_channel_awaiter)
/// start over on `retry`, and an asynchronous operation looks again when it
/// resumes on its executor.
class wait_list {
 public:
  /// The lock of the state the waiters wait on.
  futex_mutex& mutex() const noexcept { return mutex_; }

  /// Queues `w` (its token set by its owner). Requires: mutex() held, `w`
  /// not queued anywhere, and valid until claimed or withdrawn.
  void enqueue_locked(waiter_base& w) noexcept {
    w.status = wait_status::pending;
    waiting_.push_back(w);
  }

  /// Tells every queued waiter to look again: claims each (a select arm
  /// whose select completed elsewhere fails the claim and is only
  /// unlinked) and completes it with `retry` once `wake` is completed,
  /// after the lock is released. Requires: mutex() held.
  void notify_all_locked(completion_list& wake) noexcept {
    while (waiter_base* w = waiting_.front()) {
      waiting_.remove(*w);
      if (!w->token->try_claim(w->arm)) continue;
      w->status = wait_status::retry;
      wake.add(*w);
    }
  }

  /// Withdraws `w` if it is still queued, claimed or not: a select arm
  /// whose select is over. Takes the lock itself.
  void withdraw(waiter_base& w) noexcept {
    std::lock_guard lock(mutex_);
    if (w.linked) waiting_.remove(w);
  }

  /// The owner gives up on its queued waiter (timeout, cancellation): true
  /// if it was withdrawn untouched, false if it is not queued (a notifier
  /// claimed it first, and its completion must be awaited, or it never
  /// was). Takes the lock itself.
  bool abort(waiter_base& w) noexcept {
    std::lock_guard lock(mutex_);
    if (!w.linked || !w.token->try_abort()) return false;
    waiting_.remove(w);
    return true;
  }

 private:
  mutable futex_mutex mutex_;
  waiter_queue waiting_;
};

}  // namespace rill::detail
