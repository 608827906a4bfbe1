// rill — the one queue core every channel operation waits on.
//
// Invariants (all guarded by `mutex_`):
//  1. A waiter is claimed exactly once, through its claim_token, and a
//     message moves only to or from a waiter whose claim this thread has
//     just won. So a timed-out, cancelled or losing select arm never takes a
//     message, and a losing send arm never delivers one.
//  2. Live receive waiters exist only while the buffer is empty, and live
//     send waiters only while it is full (always, for a rendezvous channel):
//     an operation that could proceed never queues. Queues may also hold
//     stale arms of selects that completed elsewhere; whoever meets one
//     unlinks it (its claim fails), so stale arms never block progress.
//  3. A waiter's memory stays valid while it is linked, and, once claimed,
//     until its token's `complete` has been called. Tokens are completed
//     after the lock is released (completion_list).
//  4. `closed_` never goes back to false. Once set: sends fail, receivers
//     drain the buffer and then fail, and no waiter is queued any more.
//  5. A move of T that throws changes nothing it did not finish: the
//     message stays where it was (in the buffer or with its sender), the
//     operation that performed the move gets the exception, and a waiter
//     involved in the failed hand-off is completed with `retry`.
#pragma once

#include <rill/detail/cache_padded.hpp>
#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/ring_buffer.hpp>
#include <rill/detail/segmented_list.hpp>
#include <rill/detail/waiter.hpp>

#include <atomic>
#include <cstddef>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

namespace rill::detail {

/// Outcome of one attempt at a channel operation.
enum class op_result {
  done,          ///< the message moved
  would_block,   ///< full (send) or empty (recv), and no waiter was queued
  queued,        ///< the caller's waiter is now in the queue
  disconnected,  ///< closed: a send keeps its value; a recv found nothing left
};

/// Shared state of one channel: the buffer, the two waiter queues, and the
/// handle counts that decide its lifetime and disconnection.
///
/// One lock per channel, as in Go's runtime: every operation is a short
/// critical section, and a select can take the locks of all its channels
/// (in address order) to poll and queue atomically.
template <class T>
class channel_core {
 public:
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  /// `capacity` is `unbounded`, 0 (rendezvous), or the bounded size.
  explicit channel_core(std::size_t capacity) : capacity_(capacity) {
    if (capacity != unbounded && capacity != 0) ring_ = ring_buffer<T>(capacity);
  }

  channel_core(const channel_core&) = delete;
  channel_core& operator=(const channel_core&) = delete;

  // ---- lifetime and handle counts --------------------------------------
  // A core starts with one sender, one receiver and two references (one per
  // handle); every handle and every pending asynchronous operation holds a
  // reference, so the core outlives whoever may still touch it.

  void retain() noexcept { refs_.value.fetch_add(1, std::memory_order_relaxed); }

  void release() noexcept {
    // acq_rel: the deleting thread sees every other holder's last writes.
    if (refs_.value.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  void add_sender() noexcept { senders_.fetch_add(1, std::memory_order_relaxed); }
  void add_receiver() noexcept { receivers_.fetch_add(1, std::memory_order_relaxed); }

  /// The last sender gone closes the channel; receivers drain what is left.
  void remove_sender() noexcept {
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) close();
  }

  /// The last receiver gone closes the channel and destroys what is
  /// buffered, since nobody can receive it any more.
  void remove_receiver() noexcept {
    if (receivers_.fetch_sub(1, std::memory_order_acq_rel) == 1) close_and_discard();
  }

  std::size_t sender_count() const noexcept { return senders_.load(std::memory_order_relaxed); }
  std::size_t receiver_count() const noexcept { return receivers_.load(std::memory_order_relaxed); }

  // ---- single operations ------------------------------------------------

  /// One send attempt. On `done` the value has been moved from; on anything
  /// else it is untouched. With `w`, a send that would block queues `w`.
  op_result send(T& value, waiter<T>* w) {
    completion_list wake;  // declared first: completes after the lock is released
    std::lock_guard lock(mutex_);
    op_result r = try_send_locked(value, wake);
    if (r == op_result::would_block && w != nullptr) {
      enqueue_sender_locked(*w, value);
      r = op_result::queued;
    }
    return r;
  }

  /// One receive attempt. `sink(T&&)` consumes the message on `done`; with
  /// `w`, a receive that would block queues `w` (its slot gets the message).
  template <class Sink>
  op_result recv(Sink&& sink, waiter<T>* w, std::optional<T>* slot) {
    completion_list wake;
    std::lock_guard lock(mutex_);
    op_result r = try_recv_locked(sink, wake);
    if (r == op_result::would_block && w != nullptr) {
      enqueue_receiver_locked(*w, *slot);
      r = op_result::queued;
    }
    return r;
  }

  /// Takes up to `max` messages, in order, into `sink` under one lock.
  /// Returns how many were taken, or nothing when none was there.
  template <class Sink>
  std::size_t recv_batch(Sink&& sink, std::size_t max, bool& disconnected) {
    completion_list wake;
    std::lock_guard lock(mutex_);
    std::size_t taken = 0;
    while (taken < max) {
      op_result r = try_recv_locked(sink, wake);
      if (r != op_result::done) {
        disconnected = r == op_result::disconnected;
        break;
      }
      ++taken;
    }
    return taken;
  }

  /// The owner gives up on its queued waiter (timeout, cancellation).
  /// True if it was withdrawn untouched; false if a partner claimed it first
  /// (its completion is then on the way and must be awaited).
  bool abort(waiter<T>& w) noexcept {
    std::lock_guard lock(mutex_);
    if (!w.token->try_abort()) return false;
    dequeue_locked(w);
    return true;
  }

  /// Refuses new sends and completes every waiter with `disconnected`;
  /// what is buffered stays for the receivers. Idempotent.
  void close() noexcept {
    completion_list wake;
    std::lock_guard lock(mutex_);
    close_locked(wake);
  }

  // ---- observers --------------------------------------------------------

  std::size_t size() const noexcept {
    std::lock_guard lock(mutex_);
    return buffered_locked();
  }

  /// Empty for an unbounded channel.
  std::optional<std::size_t> capacity() const noexcept {
    if (capacity_ == unbounded) return std::nullopt;
    return capacity_;
  }

  bool is_closed() const noexcept {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  // ---- primitives for operations over several channels (select) ----------
  // The caller holds `mutex()` and passes a completion_list that it
  // completes after releasing every lock.

  futex_mutex& mutex() const noexcept { return mutex_; }

  op_result try_send_locked(T& value, completion_list& wake) {
    if (closed_) return op_result::disconnected;
    // A queued receiver means the buffer is empty: hand the value straight
    // to it (no buffer round trip, and the only way for a rendezvous).
    while (waiter<T>* r = pop_receiver_locked()) {
      try {
        r->recv_slot->emplace(std::move(value));
      } catch (...) {
        finish_locked(*r, wait_status::retry, wake);
        throw;
      }
      finish_locked(*r, wait_status::done, wake);
      return op_result::done;
    }
    if (has_room_locked()) {
      push_locked(std::move(value));
      return op_result::done;
    }
    return op_result::would_block;
  }

  template <class Sink>
  op_result try_recv_locked(Sink& sink, completion_list& wake) {
    if (buffered_locked() != 0) {
      take_front_locked(sink);
      // A bounded buffer that was full may have senders queued: move the
      // oldest one's value into the slot just freed, so order is kept.
      while (waiter<T>* s = pop_sender_locked()) {
        try {
          push_locked(std::move(*s->send_value));
        } catch (...) {
          // The sender keeps its value and tries again itself; our own
          // receive has succeeded, so the exception is not ours to report.
          finish_locked(*s, wait_status::retry, wake);
          break;
        }
        finish_locked(*s, wait_status::done, wake);
        break;
      }
      return op_result::done;
    }
    // Empty buffer with a live sender queued: a rendezvous hand-off.
    while (waiter<T>* s = pop_sender_locked()) {
      try {
        sink(std::move(*s->send_value));
      } catch (...) {
        finish_locked(*s, wait_status::retry, wake);
        throw;
      }
      finish_locked(*s, wait_status::done, wake);
      return op_result::done;
    }
    return closed_ ? op_result::disconnected : op_result::would_block;
  }

  void enqueue_sender_locked(waiter<T>& w, T& value) noexcept {
    w.status = wait_status::pending;
    w.send_value = &value;
    senders_waiting_.push_back(w);
  }

  void enqueue_receiver_locked(waiter<T>& w, std::optional<T>& slot) noexcept {
    w.status = wait_status::pending;
    w.recv_slot = &slot;
    receivers_waiting_.push_back(w);
  }

  /// Withdraws `w` if it is still queued (a partner may have unlinked it).
  void dequeue_locked(waiter<T>& w) noexcept {
    if (!w.linked) return;
    if (w.send_value != nullptr)
      senders_waiting_.remove(w);
    else
      receivers_waiting_.remove(w);
  }

  bool closed_locked() const noexcept { return closed_; }

 private:
  ~channel_core() = default;  // only release() deletes

  bool has_room_locked() const noexcept {
    if (capacity_ == unbounded) return true;
    return capacity_ != 0 && !ring_.full();
  }

  std::size_t buffered_locked() const noexcept { return capacity_ == unbounded ? list_.size() : ring_.size(); }

  void push_locked(T&& value) {
    if (capacity_ == unbounded)
      list_.emplace_back(std::move(value));
    else
      ring_.emplace_back(std::move(value));
  }

  /// Moves the oldest message into `sink`, then frees its slot. If the move
  /// throws, the message stays at the front.
  template <class Sink>
  void take_front_locked(Sink& sink) {
    if (capacity_ == unbounded) {
      sink(std::move(list_.front()));
      list_.pop_front();
    } else {
      sink(std::move(ring_.front()));
      ring_.pop_front();
    }
  }

  /// Unlinks queued waiters until one can be claimed; stale select arms and
  /// aborted waiters are dropped on the way.
  static waiter<T>* pop_claimable(waiter_queue& queue) noexcept {
    while (!queue.empty()) {
      auto* w = static_cast<waiter<T>*>(queue.front());
      queue.remove(*w);
      if (w->token->try_claim(w->arm)) return w;
    }
    return nullptr;
  }

  waiter<T>* pop_receiver_locked() noexcept { return pop_claimable(receivers_waiting_); }
  waiter<T>* pop_sender_locked() noexcept { return pop_claimable(senders_waiting_); }

  static void finish_locked(waiter<T>& w, wait_status status, completion_list& wake) noexcept {
    w.status = status;
    wake.add(w);
  }

  void close_locked(completion_list& wake) noexcept {
    if (closed_) return;
    closed_ = true;
    // By invariant 2 the receivers waiting here found the buffer empty, so
    // for them nothing more will come; senders keep their values.
    while (waiter<T>* r = pop_receiver_locked()) finish_locked(*r, wait_status::disconnected, wake);
    while (waiter<T>* s = pop_sender_locked()) finish_locked(*s, wait_status::disconnected, wake);
  }

  void close_and_discard() noexcept {
    // Buffered messages are destroyed after the lock is released: a
    // message's destructor may itself use a channel, even this one.
    segmented_list<T> discarded_list;
    ring_buffer<T> discarded_ring;
    completion_list wake;
    std::lock_guard lock(mutex_);
    close_locked(wake);
    discarded_list = std::move(list_);
    discarded_ring = std::move(ring_);
  }

  // The lock and everything it guards share the first cache lines; the
  // counts, touched only when handles are copied or dropped, live apart.
  mutable futex_mutex mutex_;
  bool closed_ = false;
  const std::size_t capacity_;
  ring_buffer<T> ring_;      ///< bounded channels
  segmented_list<T> list_;   ///< unbounded channels
  waiter_queue senders_waiting_;
  waiter_queue receivers_waiting_;

  alignas(cache_line_size) std::atomic<std::size_t> senders_{1};
  std::atomic<std::size_t> receivers_{1};
  cache_padded<std::atomic<std::size_t>> refs_{2};
};

}  // namespace rill::detail
