// rill — the shared state of a oneshot: one slot for one value, sent once
// and received once, and the waiters of its one receiver.
//
// Invariants (all guarded by the wait_list's lock):
//  1. The state only moves forward: empty -> full -> taken, or to closed
//     from empty or full (a sender gone unsent, the receiver gone), and
//     from taken when the receiver goes. `value_` holds a value exactly in
//     state full, and in state closed if the receiver went while full; it
//     is destroyed with the core then, outside any lock.
//  2. Waiters are queued only in state empty, and are all told (retry)
//     when the state leaves it; they take the value themselves. So a
//     waiter that times out or is cancelled after being told has taken
//     nothing, and the value waits in the core for the next receive.
//  3. A move of T that throws changes nothing: a send keeps its value and
//     the state stays empty; a receive leaves the value in the core.
#pragma once

#include <rill/detail/channel_core.hpp>  // op_result
#include <rill/detail/wait_list.hpp>
#include <rill/detail/waiter.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace rill::detail {

template <class T>
class oneshot_core {
 public:
  oneshot_core() = default;
  oneshot_core(const oneshot_core&) = delete;
  oneshot_core& operator=(const oneshot_core&) = delete;

  // ---- lifetime ----------------------------------------------------------
  // The sender, the receiver and every pending asynchronous receive hold a
  // reference; the core starts with the two handles'.

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

  void release() noexcept {
    // acq_rel: the deleting thread sees every other holder's last writes
    // (the value a sender stored, which it destroys).
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // ---- the sender ----------------------------------------------------------

  /// Stores `value` and tells the receiver: `done` (moved from), or
  /// `disconnected` when the receiver is gone (untouched). Called at most
  /// once: the sender is consumed by it.
  op_result send(T& value) {
    section locked(waiters_.mutex());
    if (state_ == state::closed) return op_result::disconnected;
    value_.emplace(std::move(value));
    state_ = state::full;
    waiters_.notify_all_locked(locked.wake);
    return op_result::done;
  }

  /// The sender goes without sending: the receiver will see disconnected.
  void drop_sender() noexcept {
    section locked(waiters_.mutex());
    if (state_ != state::empty) return;
    state_ = state::closed;
    waiters_.notify_all_locked(locked.wake);
  }

  /// True once the receiver is gone (or has taken the value): a send fails.
  bool receiver_gone() const noexcept {
    std::lock_guard lock(waiters_.mutex());
    return state_ == state::closed || state_ == state::taken;
  }

  // ---- the receiver --------------------------------------------------------

  /// One receive attempt, with the shape of channel_core::recv so that the
  /// blocking forms and rill::task's awaiter serve both: `sink(T&&)` takes
  /// the value on `done`; `disconnected` once the sender went unsent (or
  /// the receiver went, for an asynchronous receive still pending); with
  /// `w`, a receive that would block queues `w` unless `give_up` is set
  /// (checked under the lock, see channel_core::send). No slot is filled
  /// at claim time (invariant 2), so the third argument is unused. Throws
  /// std::logic_error if the value was received already.
  template <class Sink>
  op_result recv(Sink&& sink, waiter_base* w, receive_slot<T>, const std::atomic<bool>* give_up = nullptr) {
    std::lock_guard lock(waiters_.mutex());
    const op_result r = try_recv_locked(sink);
    return r == op_result::would_block ? queue_locked(w, give_up) : r;
  }

  /// Takes nothing: `done` if a receive would not block, else as recv. An
  /// asynchronous receive looks first and takes on its own executor, right
  /// before its handler runs, so that a cancellation in between finds the
  /// value still in the core.
  op_result look(waiter_base* w, const std::atomic<bool>* give_up) {
    std::lock_guard lock(waiters_.mutex());
    check_not_taken_locked();
    return state_ == state::empty ? queue_locked(w, give_up) : op_result::done;
  }

  // ---- for a select arm (select_kinds.hpp), which takes mutex() itself ----

  futex_mutex& mutex() const noexcept { return waiters_.mutex(); }

  /// Moves the value into `sink` if it is there: `done`, `disconnected`
  /// (the sender went unsent, or the receiver went) or `would_block`; never
  /// queues. Requires: mutex() held.
  template <class Sink>
  op_result try_recv_locked(Sink& sink) {
    check_not_taken_locked();
    if (state_ == state::closed) return op_result::disconnected;
    if (state_ == state::empty) return op_result::would_block;
    sink(std::move(*value_));
    value_.reset();
    state_ = state::taken;
    return op_result::done;
  }

  /// Queues `w`. Requires: mutex() held, and try_recv_locked said
  /// would_block under the same hold.
  void enqueue_locked(waiter_base& w) noexcept { waiters_.enqueue_locked(w); }

  /// Withdraws `w` if it is still queued. Requires: no lock held.
  void withdraw(waiter_base& w) noexcept { waiters_.withdraw(w); }

  /// The receiver goes: a send fails from now on, and pending receives see
  /// disconnected. A value sent and not received stays until the core is
  /// destroyed, outside every lock (its destructor may use other channels).
  void drop_receiver() noexcept {
    section locked(waiters_.mutex());
    state_ = state::closed;
    waiters_.notify_all_locked(locked.wake);
  }

  /// True while a value is there to be received.
  bool ready() const noexcept {
    std::lock_guard lock(waiters_.mutex());
    return state_ == state::full;
  }

  /// The owner gives up on its queued waiter (wait_list::abort).
  bool abort(waiter_base& w) noexcept { return waiters_.abort(w); }

 private:
  enum class state : std::uint8_t { empty, full, taken, closed };

  ~oneshot_core() = default;  // only release() deletes

  /// A second receive is a logic error (the receiver's documented rule).
  void check_not_taken_locked() const {
    if (state_ == state::taken) throw std::logic_error("rill: the oneshot's value was received already");
  }

  /// A receive that would block queues `w`, unless there is none or
  /// `give_up` is set (acquire: a canceller's writes before it are seen).
  op_result queue_locked(waiter_base* w, const std::atomic<bool>* give_up) noexcept {
    if (w == nullptr || (give_up != nullptr && give_up->load(std::memory_order_acquire)))
      return op_result::would_block;
    waiters_.enqueue_locked(*w);
    return op_result::queued;
  }

  using section = locked_section<std::lock_guard<futex_mutex>>;

  wait_list waiters_;
  state state_ = state::empty;
  std::optional<T> value_;
  std::atomic<std::size_t> refs_{2};
};

}  // namespace rill::detail
