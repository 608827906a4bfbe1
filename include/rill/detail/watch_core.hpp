// rill — the shared state of a watch: the latest value, its version, and
// the receivers waiting for a newer one.
//
// Two locks, each for what it guards:
//  - `value_lock_`, a reader-writer lock, guards `value_`: receivers and
//    senders read it shared (borrow), senders write it exclusively. The
//    version is bumped under the exclusive hold, together with the change,
//    so a reader that holds the lock shared sees a value and the version
//    it belongs to, never one without the other.
//  - the wait_list's lock guards `closed_` and the waiters. A sender bumps
//    the version first and takes this lock after, to tell the waiters; a
//    receiver compares versions and queues under it. So a receiver that
//    found no change queued before the sender's telling, which finds it.
//
// Invariants:
//  1. `version_` only grows, by one per change; a receiver has seen a
//     change once its own seen version equals it.
//  2. Waiters are queued only while their seen version is the current one
//     and senders remain; a change or the last sender's going tells them
//     all (retry): each looks again itself, so a waiter that times out or
//     is cancelled after being told has marked nothing seen.
//  3. `closed_` (every sender gone) never goes back to false; the value
//     stays readable.
#pragma once

#include <rill/detail/channel_core.hpp>  // op_result
#include <rill/detail/wait_list.hpp>
#include <rill/detail/waiter.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <utility>

namespace rill::detail {

template <class T>
class watch_core {
 public:
  template <class... Args>
  explicit watch_core(std::in_place_t, Args&&... args) : value_(std::forward<Args>(args)...) {}
  watch_core(const watch_core&) = delete;
  watch_core& operator=(const watch_core&) = delete;

  // ---- lifetime and handle counts ----------------------------------------
  // Starts with one sender, one receiver and a reference for each handle;
  // every handle and pending asynchronous wait holds a reference.

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

  void release() noexcept {
    // acq_rel: the deleting thread sees every other holder's last writes.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  void add_sender() noexcept { senders_.fetch_add(1, std::memory_order_relaxed); }
  void add_receiver() noexcept { receivers_.fetch_add(1, std::memory_order_relaxed); }

  /// The last sender gone tells every waiting receiver: changed() fails
  /// from now on once the latest version has been seen.
  void remove_sender() noexcept {
    // acq_rel: the last one sees the others' writes before it closes.
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    section locked(waiters_.mutex());
    closed_ = true;
    waiters_.notify_all_locked(locked.wake);
  }

  /// With no receiver left, send() refuses its value (tokio's semantics);
  /// send_modify still changes the value, for receivers subscribed later.
  void remove_receiver() noexcept { receivers_.fetch_sub(1, std::memory_order_acq_rel); }

  std::size_t sender_count() const noexcept { return senders_.load(std::memory_order_relaxed); }
  std::size_t receiver_count() const noexcept { return receivers_.load(std::memory_order_relaxed); }

  // ---- the value -----------------------------------------------------------

  /// Runs `modify(T&)` under the exclusive lock; if it returns true, the
  /// version goes up and the waiters are told. If it throws, the value
  /// keeps what it did and nothing is told (the exception propagates).
  template <class Modify>
  bool modify(Modify&& modify) {
    {
      std::unique_lock lock(value_lock_);
      if (!modify(value_)) return false;
      // release: a receiver that reads the new version without either lock
      // (has_changed) and then borrows sees a value at least this new;
      // under the locks the order is theirs.
      version_.fetch_add(1, std::memory_order_release);
    }
    section locked(waiters_.mutex());
    waiters_.notify_all_locked(locked.wake);
    return true;
  }

  /// The reader-writer lock a borrow holds shared while it reads `value()`.
  std::shared_mutex& value_lock() const noexcept { return value_lock_; }
  const T& value() const noexcept { return value_; }

  /// The current version. Exact under value_lock() (held either way);
  /// without it, a version at least as new as every change that
  /// happened-before the call.
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  // ---- waiting for a change --------------------------------------------------

  /// One look for a change after `seen`: `done` (marking it seen, if
  /// `mark`), `disconnected` once every sender is gone with nothing unseen,
  /// else queues `w` if given and `give_up` is not set (`queued`), or not
  /// (`would_block`). A change is reported even after the senders went, as
  /// in tokio: the last value sent is not lost to a receiver that was slow.
  op_result changed(std::uint64_t& seen, bool mark, waiter_base* w, const std::atomic<bool>* give_up = nullptr) {
    std::lock_guard lock(waiters_.mutex());
    const op_result r = changed_locked(seen, mark);
    if (r != op_result::would_block || w == nullptr || (give_up != nullptr && give_up->load(std::memory_order_acquire)))
      return r;
    waiters_.enqueue_locked(*w);
    return op_result::queued;
  }

  // ---- for a select arm (select_kinds.hpp), which takes mutex() itself ----

  futex_mutex& mutex() const noexcept { return waiters_.mutex(); }

  /// `done` (marking the change seen, if `mark`), `disconnected` or
  /// `would_block`, as changed(); never queues. Requires: mutex() held.
  op_result changed_locked(std::uint64_t& seen, bool mark) noexcept {
    // Relaxed: a change whose sender has not yet taken this lock may or
    // may not be seen here; if not, the caller's waiter queues before the
    // sender tells the waiters, and is told.
    const std::uint64_t now = version_.load(std::memory_order_relaxed);
    if (now != seen) {
      if (mark) seen = now;
      return op_result::done;
    }
    return closed_ ? op_result::disconnected : op_result::would_block;
  }

  /// Queues `w`. Requires: mutex() held, and changed_locked said
  /// would_block under the same hold.
  void enqueue_locked(waiter_base& w) noexcept { waiters_.enqueue_locked(w); }

  /// Withdraws `w` if it is still queued. Requires: no lock held.
  void withdraw(waiter_base& w) noexcept { waiters_.withdraw(w); }

  /// The owner gives up on its queued waiter (wait_list::abort).
  bool abort(waiter_base& w) noexcept { return waiters_.abort(w); }

  bool closed() const noexcept {
    std::lock_guard lock(waiters_.mutex());
    return closed_;
  }

 private:
  ~watch_core() = default;  // only release() deletes

  using section = locked_section<std::lock_guard<futex_mutex>>;

  wait_list waiters_;
  bool closed_ = false;
  std::atomic<std::uint64_t> version_{0};
  mutable std::shared_mutex value_lock_;
  T value_;
  std::atomic<std::size_t> senders_{1};
  std::atomic<std::size_t> receivers_{1};
  std::atomic<std::size_t> refs_{2};
};

}  // namespace rill::detail
