// rill — the shared state of a broadcast: a ring of the last `capacity`
// messages, each with the count of receivers that have yet to read it, and
// the waiters of both sides.
//
// The ring: message number `seq` lives in slot `seq % capacity` until
// message `seq + capacity` reuses the slot. A slot holds its sequence number,
// the value (until everyone read it) and `unread`, the receivers that have
// not read it yet: the receiver count when it was sent. A receiver copies
// the value out; the last one to read it moves it out and frees the slot.
// Why not a shared_ptr<const T> per message: each receiver gets its own T,
// which it may move from, and nobody pays for an allocation and a reference
// count per message; T is copied at most receivers - 1 times per message.
//
// A receiver is its position: the sequence number of the next message it
// reads (`next`, kept in the receiver object, passed in by reference).
//
// Invariants (all guarded by `mutex_`):
//  1. Messages `head_ .. tail_ - 1` are in the ring, in slots
//     `seq % capacity`, and `tail_ - head_ <= capacity`; `slot.seq` says
//     which message a slot holds. A send that reuses a slot first lets its
//     message go (head_ moves on), then fills it: if the move of the new
//     value throws, the ring holds one message fewer and stays consistent.
//  2. A slot's `unread` is exactly the number of live receivers whose
//     `next` is at most its seq; its value is there iff `unread > 0`.
//     Kept exact by: a send sets it to the receiver count (every receiver
//     has next <= tail_); a read decrements it and moves the receiver past
//     it; a new subscriber starts at tail_ (counted by no slot); a copied
//     receiver increments the slots its original counts; a receiver that
//     goes decrements them.
//  3. Under broadcast_overflow::lag a send overwrites the oldest slot even
//     if `unread > 0`: the receivers counted there lose that message. Their
//     `next` is now below head_; they learn it at their next receive
//     (errc::lagged, with head_ - next missed) and jump to head_. The
//     counts stay exact: the messages they skip are gone with their slots
//     (counted by nobody any more), and every message from head_ on was
//     sent after they subscribed (their subscription point is at most their
//     next, below head_), so it counts them.
//  4. Under broadcast_overflow::wait a send waits while the slot it would
//     overwrite has `unread > 0`, so no receiver ever lags.
//  5. Waiters are told to look again (notify_queue): receivers on a send
//     and on closing; senders when the slot the next send would overwrite
//     is freed, when the last receiver goes and on closing. Each looks
//     again itself, so one that gives up after being told took nothing.
//  6. `closed_` (every sender gone, or close()) never goes back to false:
//     sends fail; receivers read what they have not read, then see
//     disconnected.
#pragma once

#include <rill/detail/channel_core.hpp>  // op_result
#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/wait_list.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace rill {

/// What a broadcast does when a receiver is `capacity` messages behind and
/// a new one is sent.
enum class broadcast_overflow {
  /// The send overwrites the oldest message: the receivers that had not
  /// read it lose it, and are told how many they lost (errc::lagged) at
  /// their next receive. Sends never wait (tokio's sync::broadcast).
  lag,
  /// The send waits until every receiver has read the oldest message: the
  /// slowest receiver sets the pace, and nothing is lost.
  wait,
};

}  // namespace rill

namespace rill::detail {

/// A sink for broadcast_core::recv that fills `destination` (an optional,
/// or a receive's result as receive_result builds it): a copy is
/// constructed in place where the destination can, else copied and moved
/// in; the last reader's value is moved in.
template <class T, class Destination>
auto copy_or_move_into(Destination& destination) noexcept {
  return [&destination](auto&& value) {
    using V = decltype(value);
    if constexpr (requires { destination.emplace(std::forward<V>(value)); })
      destination.emplace(std::forward<V>(value));
    else
      destination.emplace(T(value));
  };
}

template <class T>
class broadcast_core {
 public:
  broadcast_core(std::size_t capacity, broadcast_overflow policy)
      : slots_(std::make_unique<slot[]>(capacity)), capacity_(capacity), policy_(policy) {}
  broadcast_core(const broadcast_core&) = delete;
  broadcast_core& operator=(const broadcast_core&) = delete;

  // ---- lifetime and handle counts ----------------------------------------
  // Starts with one sender, one receiver and a reference for each; every
  // handle and pending asynchronous receive holds a reference.

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

  void release() noexcept {
    // acq_rel: the deleting thread sees every other holder's last writes.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Relaxed: a new sender is made from an existing one, which keeps the
  // count above zero meanwhile; nothing is published through the count.
  void add_sender() noexcept { senders_.fetch_add(1, std::memory_order_relaxed); }

  /// The last sender gone closes the broadcast (invariant 6).
  void remove_sender() noexcept {
    // acq_rel: the last one sees the others' writes before it closes.
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) close();
  }

  /// Closes: sends fail from now on, waiting senders get their values back
  /// and waiting receivers read what is left, then see disconnected.
  void close() noexcept {
    section locked(mutex_);
    closed_ = true;
    receivers_waiting_.notify_all_locked(locked.wake);
    senders_waiting_.notify_all_locked(locked.wake);
  }

  /// A receiver at `next`, copied from one there (invariant 2).
  void add_receiver(std::uint64_t next) noexcept {
    std::lock_guard lock(mutex_);
    ++receivers_;
    for (std::uint64_t seq = std::max(next, head_); seq < tail_; ++seq) ++at(seq).unread;
  }

  /// A new receiver, which starts at the next message sent; returns where.
  std::uint64_t subscribe() noexcept {
    std::lock_guard lock(mutex_);
    ++receivers_;
    return tail_;
  }

  /// The receiver at `next` goes: the messages it had not read are
  /// unread by one fewer (freed at zero, under the lock: T's destructor
  /// must not use this broadcast). With no receiver left, sends fail.
  void remove_receiver(std::uint64_t next) noexcept {
    section locked(mutex_);
    --receivers_;
    for (std::uint64_t seq = std::max(next, head_); seq < tail_; ++seq) {
      slot& s = at(seq);
      if (--s.unread == 0) s.value.reset();
    }
    if (receivers_ == 0 || room_locked()) senders_waiting_.notify_all_locked(locked.wake);
  }

  /// Relaxed: a metric, which orders nothing.
  std::size_t sender_count() const noexcept { return senders_.load(std::memory_order_relaxed); }

  std::size_t receiver_count() const noexcept {
    std::lock_guard lock(mutex_);
    return receivers_;
  }

  /// True once closed, or with no receiver left: a send would fail.
  bool send_closed() const noexcept {
    std::lock_guard lock(mutex_);
    return closed_ || receivers_ == 0;
  }

  /// True once closed (every sender gone, or close()).
  bool closed() const noexcept {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  std::size_t capacity() const noexcept { return capacity_; }
  broadcast_overflow policy() const noexcept { return policy_; }

  // ---- sending -------------------------------------------------------------

  /// One send attempt: `done` (moved from), `disconnected` (closed, or no
  /// receiver left; untouched), or, under broadcast_overflow::wait with the
  /// oldest message unread, queues `w` if given and `give_up` is not set
  /// (`queued`), or not (`would_block`). A value overwritten under
  /// broadcast_overflow::lag is destroyed after the lock is released. If
  /// T's move throws, `value` is untouched and nothing was sent (the
  /// message in the slot may be gone, as invariant 1 says).
  op_result send(T& value, waiter_base* w, const std::atomic<bool>* give_up = nullptr) {
    std::optional<T> overwritten;  // destroyed last, after `locked` released the lock
    section locked(mutex_);
    if (closed_ || receivers_ == 0) return op_result::disconnected;
    slot& s = at(tail_);
    if (tail_ - head_ == capacity_) {  // the slot holds message head_
      if (s.unread > 0) {
        if (policy_ == broadcast_overflow::wait) return queue_locked(senders_waiting_, w, give_up);
        overwritten.emplace(std::move(*s.value));  // throws before anything changed
        s.value.reset();
        s.unread = 0;  // invariant 3: its readers lag
      }
      ++head_;
    }
    s.value.emplace(std::move(value));
    s.seq = tail_;
    s.unread = receivers_;
    ++tail_;
    receivers_waiting_.notify_all_locked(locked.wake);
    return op_result::done;
  }

  /// Withdraws a sender's waiter (wait_list::abort, on the senders' queue).
  bool abort_send(waiter_base& w) noexcept {
    std::lock_guard lock(mutex_);
    return senders_waiting_.abort_locked(w);
  }

  // ---- receiving -------------------------------------------------------------

  /// What one look at a receiver's position found.
  struct recv_outcome {
    op_result result;
    std::uint64_t missed = 0;  ///< with `done`: a lag of this many, and no message
  };

  /// One receive attempt for the receiver at `next`: `done` with the next
  /// message given to `sink` (a copy as `const T&`, or the value itself as
  /// `T&&` for the last reader, which frees the slot) and `next` moved on;
  /// or `done` with `missed` > 0 for a lag, `next` moved to the oldest
  /// message held and nothing given; `disconnected` once closed with
  /// nothing left to read; else queues `w` as send does. If the copy or
  /// move into the sink throws, nothing changed.
  template <class Sink>
  recv_outcome recv(std::uint64_t& next, Sink&& sink, waiter_base* w, const std::atomic<bool>* give_up = nullptr) {
    section locked(mutex_);
    const recv_outcome r = recv_locked(next, sink, locked.wake);
    if (r.result != op_result::would_block) return r;
    return {queue_locked(receivers_waiting_, w, give_up)};
  }

  /// Takes nothing: `done` if a receive would not block (a message, a lag
  /// or disconnected to report), else queues `w` as recv does. An
  /// asynchronous receive looks first and takes on its own executor.
  op_result look(std::uint64_t next, waiter_base* w, const std::atomic<bool>* give_up) {
    std::lock_guard lock(mutex_);
    if (next != tail_ || closed_) return op_result::done;
    return queue_locked(receivers_waiting_, w, give_up);
  }

  // ---- for a select arm (select_kinds.hpp), which takes mutex() itself ----

  futex_mutex& mutex() const noexcept { return mutex_; }

  /// recv without queueing: `would_block` when there is nothing to
  /// report. Senders freed by the read are told through `wake`. Requires:
  /// mutex() held.
  template <class Sink>
  recv_outcome recv_locked(std::uint64_t& next, Sink&& sink, completion_list& wake) {
    if (next == tail_) return {closed_ ? op_result::disconnected : op_result::would_block};
    if (next < head_) {  // invariant 3
      const std::uint64_t missed = head_ - next;
      next = head_;
      return {op_result::done, missed};
    }
    slot& s = at(next);
    if (s.unread > 1) {
      sink(std::as_const(*s.value));  // a copy; throws before anything changed
      --s.unread;
    } else {
      sink(std::move(*s.value));  // the last reader; a move that throws leaves it
      s.value.reset();
      s.unread = 0;
      if (room_locked()) senders_waiting_.notify_all_locked(wake);
    }
    ++next;
    return {op_result::done};
  }

  /// Queues a receiver's `w`. Requires: mutex() held, and recv_locked said
  /// would_block under the same hold.
  void enqueue_locked(waiter_base& w) noexcept { receivers_waiting_.enqueue_locked(w); }

  /// Withdraws a receiver's `w` if it is still queued. Requires: no lock
  /// held.
  void withdraw(waiter_base& w) noexcept {
    std::lock_guard lock(mutex_);
    receivers_waiting_.withdraw_locked(w);
  }

  /// The owner gives up on its queued receiver's waiter
  /// (notify_queue::abort_locked).
  bool abort(waiter_base& w) noexcept {
    std::lock_guard lock(mutex_);
    return receivers_waiting_.abort_locked(w);
  }

  /// How many messages the receiver at `next` has yet to read (a lag
  /// counts what is still held).
  std::size_t unread_by(std::uint64_t next) const noexcept {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(tail_ - std::max(next, head_));
  }

 private:
  struct slot {
    std::uint64_t seq = 0;
    std::optional<T> value;  ///< there iff unread > 0 (invariant 2)
    std::size_t unread = 0;
  };

  ~broadcast_core() = default;  // only release() deletes

  using section = locked_section<std::lock_guard<futex_mutex>>;

  slot& at(std::uint64_t seq) noexcept { return slots_[static_cast<std::size_t>(seq % capacity_)]; }

  /// Whether a send would not wait: the slot it reuses, if it holds a
  /// message, was read by all.
  bool room_locked() noexcept { return tail_ - head_ < capacity_ || at(tail_).unread == 0; }

  /// An attempt that would block queues `w` on `queue`, unless there is
  /// none or `give_up` is set (acquire: a canceller's writes before it are
  /// seen, as in channel_core::send).
  static op_result queue_locked(notify_queue& queue, waiter_base* w, const std::atomic<bool>* give_up) noexcept {
    if (w == nullptr || (give_up != nullptr && give_up->load(std::memory_order_acquire)))
      return op_result::would_block;
    queue.enqueue_locked(*w);
    return op_result::queued;
  }

  mutable futex_mutex mutex_;
  notify_queue receivers_waiting_;  ///< receivers waiting for a message
  notify_queue senders_waiting_;    ///< senders waiting for room (broadcast_overflow::wait)
  std::unique_ptr<slot[]> slots_;
  const std::size_t capacity_;
  const broadcast_overflow policy_;
  std::uint64_t head_ = 0;  ///< the sequence number of the oldest message held
  std::uint64_t tail_ = 0;  ///< the sequence number of the next message sent
  std::size_t receivers_ = 1;
  bool closed_ = false;
  std::atomic<std::size_t> senders_{1};
  std::atomic<std::size_t> refs_{2};
};

}  // namespace rill::detail
