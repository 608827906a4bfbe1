// rill — the one queue core every channel operation waits on.
//
// Invariants (all guarded by `mutex_`):
//  1. A waiter is claimed exactly once, through its claim_token, and a
//     message moves only to or from a waiter whose claim this thread has
//     just won. So a timed-out, cancelled or losing select arm never takes a
//     message, and a losing send arm never delivers one.
//  2. Live receive waiters exist only while the buffer is empty, and live
//     send waiters only while it is full (always, for a rendezvous channel),
//     where slots reserved by permits, and those a waiting reserve_many has
//     gathered, count as full: an operation that could proceed never
//     queues. Queues may also hold
//     stale arms of selects that completed elsewhere; whoever meets one
//     unlinks it (its claim fails), so stale arms never block progress.
//     Notify-only receivers (asynchronous ones) are the exception: they are
//     claimed as a wake-up while the message stays in the buffer, or, on a
//     rendezvous channel, with the sender that holds it queued; they take it
//     themselves when they resume, and pass the wake-up on if they were
//     cancelled meanwhile (pass_on_locked). So a receiver queued behind a
//     notified one may find messages buffered: whoever serves it gives it
//     the oldest one, never a newer value, which keeps per-producer order.
//  3. A waiter's memory stays valid while it is linked, and, once claimed,
//     until its token's `complete` has been called. Tokens are completed
//     after the lock is released (completion_list, gathered by a
//     locked_section, which releases its lock first).
//  4. `closed_` never goes back to false. Once set: sends fail, receivers
//     drain the buffer and then fail, and no waiter is queued any more.
//  5. A move of T that throws changes nothing it did not finish: the
//     message stays where it was (in the buffer or with its sender), the
//     operation that performed the move gets the exception, and a waiter
//     involved in the failed hand-off is completed with `retry`.
//  6. A message the channel drops (its overflow policy) or discards (the
//     last receiver went) is destroyed, or given to the undelivered hook,
//     only once no channel lock is held, and each one is counted. Dropped
//     messages wait in `undelivered_` until the operation that dropped
//     them has released the lock: it then hands them over through
//     `notice_`, queued on its completion_list while any wait there.
#pragma once

#include <rill/detail/cache_padded.hpp>
#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/ring_buffer.hpp>
#include <rill/detail/segmented_list.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/overflow.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace rill::detail {

template <class T>
class select_port;

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

  /// `capacity` is `unbounded`, 0 (rendezvous), or the bounded size; a
  /// policy other than `wait` needs a bounded size (checked by the caller).
  explicit channel_core(std::size_t capacity, overflow policy = overflow::wait, undelivered_hook<T> hook = {})
      : capacity_(capacity), overflow_(policy), on_undelivered_(std::move(hook)) {
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
  void add_weak_sender() noexcept { weak_senders_.fetch_add(1, std::memory_order_relaxed); }
  void remove_weak_sender() noexcept { weak_senders_.fetch_sub(1, std::memory_order_relaxed); }

  /// Adds a sender only while one exists (a weak sender's upgrade): once
  /// the count has reached zero the channel is closed for good, and a sender
  /// must not come back to life.
  bool try_add_sender() noexcept {
    std::size_t n = senders_.load(std::memory_order_relaxed);
    // Relaxed, as add_sender: the caller holds a reference, which keeps the
    // core alive; the count orders nothing else.
    while (n != 0 && !senders_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) {
    }
    return n != 0;
  }

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
  std::size_t weak_sender_count() const noexcept { return weak_senders_.load(std::memory_order_relaxed); }

  // ---- single operations ------------------------------------------------

  /// One send attempt. On `done` the value has been moved from; on anything
  /// else it is untouched (while `queued`, a partner may take it). With `w`,
  /// a send that would block queues `w`, unless `give_up` is set by then:
  /// checked under the lock, so that a canceller who sets it and then
  /// aborts under the same lock always finds the waiter queued or not at
  /// all, and the caller need not touch its waiter again after `queued`.
  op_result send(T& value, waiter<T>* w, const std::atomic<bool>* give_up = nullptr) {
    section locked(mutex_);
    if (w != nullptr && gave_up(give_up)) w = nullptr;
    return send_locked(value, w, locked.wake);
  }

  /// Sends from `first` on, in order and under one lock, until `last` or a
  /// send that would block; `first` is left at the first value not sent.
  /// A value is moved from only if it was sent (a reference that is not a
  /// T& is converted into a T first). Returns how many were sent, with
  /// `disconnected` set if the channel was closed. The receivers this
  /// wakes are woken once the lock is released, together.
  template <class Iterator, class Sentinel>
  std::size_t send_batch(Iterator& first, const Sentinel& last, bool& disconnected) {
    section locked(mutex_);
    std::size_t sent = 0;
    for (; first != last; ++first, ++sent) {
      op_result r;
      if constexpr (std::is_same_v<decltype(*first), T&>) {
        r = send_locked(*first, nullptr, locked.wake);
      } else {
        T value(*first);
        r = send_locked(value, nullptr, locked.wake);
      }
      if (r == op_result::done) continue;
      disconnected = r == op_result::disconnected;
      break;
    }
    return sent;
  }

  /// Constructs a message from `args` straight in the buffer, if that is
  /// where a send would put it now: `done`; otherwise `disconnected` or
  /// `would_block` (full, a rendezvous channel, or receivers queued, which
  /// a send serves directly), and `args` are untouched.
  template <class... Args>
  op_result try_emplace_buffered(Args&&... args) {
    std::lock_guard lock(mutex_);
    if (closed_) return op_result::disconnected;
    if (!receivers_waiting_.empty() || !has_room_locked()) return op_result::would_block;
    emplace_locked(std::forward<Args>(args)...);
    return op_result::done;
  }

  /// One receive attempt. `sink(T&&)` consumes the message on `done`; with
  /// `w`, a receive that would block queues `w` (a partner fills `slot`)
  /// unless `give_up` is set (see send).
  template <class Sink>
  op_result recv(Sink&& sink, waiter<T>* w, receive_slot<T> slot, const std::atomic<bool>* give_up = nullptr) {
    section locked(mutex_);
    op_result r = try_recv_locked(sink, locked.wake);
    if (r == op_result::would_block && w != nullptr && !gave_up(give_up)) {
      if (!commit_to_reserve_locked(*w, slot, locked.wake)) enqueue_receiver_locked(*w, slot);
      r = op_result::queued;
    }
    return r;
  }

  /// Takes up to `max` messages (at least 1), in order, into `sink` under
  /// one lock, counting them in `taken`: `done` if it took any. Otherwise
  /// `disconnected`, or, with `w`, `queued` with the notify-only receiver
  /// `w` queued unless `give_up` is set (see send), or `would_block`.
  template <class Sink>
  op_result recv_batch(Sink&& sink, std::size_t max, std::size_t& taken, waiter<T>* w = nullptr,
                       const std::atomic<bool>* give_up = nullptr) {
    section locked(mutex_);
    taken = 0;
    op_result r = op_result::would_block;
    while (taken < max && (r = try_recv_locked(sink, locked.wake)) == op_result::done) ++taken;
    if (taken != 0) return op_result::done;
    if (r == op_result::would_block && w != nullptr && !gave_up(give_up)) {
      enqueue_receiver_locked(*w, receive_slot<T>());
      return op_result::queued;
    }
    return r;
  }

  // ---- permits: room reserved now, used by one send later ----------------

  /// Reserves room for one send. On a buffered channel that is a slot,
  /// which other sends and reserves cannot take until the permit sends or
  /// is released. On a rendezvous channel it is a receiver that waits in a
  /// thread or a blocking select, claimed now and committed to take the
  /// permit's value: written to `committed`. `done` or `disconnected`;
  /// otherwise, with `w`, `queued` (w waits as a reserving sender) unless
  /// `give_up` is set (see send), else `would_block`. A queued reserve on a
  /// rendezvous channel is served by the next receiver that would wait in
  /// a plain receive (not a select arm, not an asynchronous receive).
  op_result reserve(waiter<T>* w, waiter<T>*& committed, const std::atomic<bool>* give_up = nullptr) {
    section locked(mutex_);
    const op_result r = try_reserve_locked(committed);
    if (r != op_result::would_block || w == nullptr || gave_up(give_up)) return r;
    enqueue_reserve_locked(*w, committed);
    return op_result::queued;
  }

  /// Reserves `n` slots of a buffered channel at once (1 <= n <= capacity,
  /// checked by the caller): `done` or `disconnected`; otherwise, with `w`,
  /// `queued` unless `give_up` is set, else `would_block`. A queued reserve
  /// gathers the slots free now and then each one freed, in its turn (no
  /// room is left free beside it, invariant 2), and completes with the
  /// last; withdrawn or closed, it gives back what it gathered.
  op_result reserve_many(std::size_t n, waiter<T>* w, const std::atomic<bool>* give_up = nullptr) {
    section locked(mutex_);
    if (closed_) return op_result::disconnected;
    const std::size_t free = free_slots_locked();
    if (free >= n) {
      reserved_ += n;
      return op_result::done;
    }
    if (w == nullptr || gave_up(give_up)) return op_result::would_block;
    reserved_ += free;
    w->reserve_wanted = n;
    w->reserve_gathered = free;
    w->status = wait_status::pending;
    w->reserves = true;
    senders_waiting_.push_back(*w);
    return op_result::queued;
  }

  /// Gives back `n` reserved slots unused (a batch of permits): to the
  /// waiting senders and reserves, in order.
  void release_reserved_slots(std::size_t n) noexcept {
    section locked(mutex_);
    reserved_ -= n;
    if (!closed_) refill_locked(locked.wake, n);
  }

  /// Sends `value` with a permit's room: into the reserved slot, or to its
  /// committed receiver (`committed`, rendezvous). Never waits; fails with
  /// `disconnected` (value untouched) only on a buffered channel closed
  /// meanwhile, since a committed receiver takes the value whatever
  /// happened to the channel since it was claimed. The room is used up
  /// either way, also when the move throws (then the value stays with the
  /// caller and a committed receiver starts over).
  op_result send_reserved(T& value, waiter<T>* committed) {
    if (committed != nullptr) {
      completion_list wake;
      transfer_locked(*committed, wake, [&] { committed->recv_slot(std::move(value)); });
      return op_result::done;
    }
    section locked(mutex_);
    --reserved_;
    op_result r;
    try {
      r = send_locked(value, nullptr, locked.wake);
    } catch (...) {
      refill_locked(locked.wake);  // the slot freed must not stay empty beside a queued sender
      throw;
    }
    // A value handed straight to a waiting receiver left the reserved slot
    // free: it goes to the oldest waiting sender or reserve (invariant 2).
    if (r == op_result::done && has_room_locked()) refill_locked(locked.wake);
    return r;
  }

  /// Gives a permit's room back unused: the slot to the oldest waiting
  /// sender or reserve, or the committed receiver back to waiting.
  void release_reserved(waiter<T>* committed) noexcept {
    if (committed != nullptr) {
      completion_list wake;
      finish_locked(*committed, wait_status::retry, wake);
      return;
    }
    section locked(mutex_);
    --reserved_;
    if (!closed_) refill_locked(locked.wake);
  }

  /// Takes nothing; tells a receiver that takes its message later whether
  /// to try now: `done` if a message may be ready (or the channel is
  /// closed), else `queued` with the notify-only receiver `w` queued, or
  /// `would_block` without `w` or once `give_up` is set (see send).
  op_result wait_for_message(waiter<T>* w, const std::atomic<bool>* give_up = nullptr) {
    std::lock_guard lock(mutex_);
    if (buffered_locked() != 0 || !senders_waiting_.empty() || closed_) return op_result::done;
    if (w == nullptr || gave_up(give_up)) return op_result::would_block;
    enqueue_receiver_locked(*w, receive_slot<T>());
    return op_result::queued;
  }

  /// Whether a message was buffered when last looked at, read without the
  /// lock. An asynchronous receive that sees one goes straight to its
  /// executor and takes it there, under the lock, saving the locked check;
  /// a hint that is stale by then only means it queues from there.
  bool message_likely_buffered() const noexcept { return buffered_hint_.load(std::memory_order_relaxed); }

  /// A notified receiver that will not receive after all (cancelled) hands
  /// its wake-up to the receivers still queued.
  void pass_on() {
    section locked(mutex_);
    pass_on_locked(locked.wake);
  }

  /// The owner gives up on its queued waiter (timeout, cancellation).
  /// True if it was withdrawn untouched; false if it is not queued, because
  /// a partner claimed it first (its completion is then on the way and must
  /// be awaited) or because it never was.
  bool abort(waiter<T>& w) noexcept {
    section locked(mutex_);
    if (!w.linked || !w.token->try_abort()) return false;
    dequeue_locked(w, locked.wake);
    return true;
  }

  /// Refuses new sends and completes every waiter with `disconnected`;
  /// what is buffered stays for the receivers. Idempotent.
  void close() noexcept {
    section locked(mutex_);
    close_locked(locked.wake);
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

  // ---- metrics: relaxed reads without the lock, each one recent but not
  // taken at the same instant as the others -------------------------------

  std::size_t waiting_senders() const noexcept { return senders_waiting_.approximate_size(); }
  std::size_t waiting_receivers() const noexcept { return receivers_waiting_.approximate_size(); }

  /// The most messages buffered at once since the channel was made or the
  /// mark was last reset.
  std::size_t high_water_mark() const noexcept { return high_water_.load(std::memory_order_relaxed); }

  /// How many messages the channel destroyed undelivered (invariant 6).
  std::uint64_t undelivered_count() const noexcept { return undelivered_count_.load(std::memory_order_relaxed); }

  overflow overflow_policy() const noexcept { return overflow_; }

  /// Restarts the mark from what is buffered now.
  void reset_high_water_mark() noexcept {
    std::lock_guard lock(mutex_);
    high_water_.store(buffered_locked(), std::memory_order_relaxed);
  }

 private:
  // ---- primitives under the lock ------------------------------------------
  // Every *_locked member requires that the caller holds `mutex_`, and
  // those taking a completion_list require that the caller completes it
  // after releasing every lock it holds (invariant 3). Operations over
  // several channels reach a few of them through select_port.
  friend class select_port<T>;

  ~channel_core() = default;  // only release() deletes

  /// Sends, or queues `self` if given and the send would block.
  op_result send_locked(T& value, waiter<T>* self, completion_list& wake) {
    if (closed_) return op_result::disconnected;
    if (capacity_ == 0) return send_rendezvous_locked(value, self, wake);
    // A queued receiver means the buffer is empty: hand the value straight
    // to it, or buffer it for a notify-only one, which takes it on resume.
    if (waiter<T>* r = pop_receiver_locked(receiver_kind::any)) {
      if (r->notify_only) {
        finish_locked(*r, wait_status::notified, wake);  // also if the push below throws: a spurious wake-up
        // Messages buffered for notified receivers that have not run yet may
        // fill a bounded buffer while more notify-only receivers wait. This
        // one is told anyway: the message it takes frees the slot our value
        // then waits for (or a later send finds).
        if (!has_room_locked()) return send_when_full_locked(value, self, wake);
        push_locked(std::move(value));
      } else if (buffered_locked() == 0) {
        hand_to_locked(*r, value, wake);
      } else {
        // Messages buffered for a notified receiver that has not run yet:
        // this receiver gets the oldest of them, not our newer value, so
        // nobody sees a producer's messages out of order.
        deliver_front_locked(*r, wake);
        push_into_freed_locked(value, wake);
      }
      return op_result::done;
    }
    if (has_room_locked()) {
      push_locked(std::move(value));
      return op_result::done;
    }
    return send_when_full_locked(value, self, wake);
  }

  /// A send that found a bounded buffer full: waits (queues `self`, if
  /// given), or, under a dropping policy, completes at once, dropping a
  /// message (invariant 6). With nothing buffered to drop (every free slot
  /// reserved by permits), the new message is the one dropped.
  op_result send_when_full_locked(T& value, waiter<T>* self, completion_list& wake) {
    if (overflow_ == overflow::wait) return wait_or_refuse_locked(value, self, wake);
    if (overflow_ == overflow::drop_newest || buffered_locked() == 0) {
      drop_locked(std::move(value), wake);
      return op_result::done;
    }
    auto drop = [&](T&& oldest) { drop_locked(std::move(oldest), wake); };
    do {
      take_front_locked(drop);
    } while (overflow_ == overflow::keep_latest && buffered_locked() != 0);
    push_into_freed_locked(value, wake);
    return op_result::done;
  }

  /// Buffers `value` in the room this send has just made. If that throws,
  /// our value stays with us, but the room must not stay empty beside a
  /// queued sender or reserve (invariant 2).
  void push_into_freed_locked(T& value, completion_list& wake) {
    try {
      push_locked(std::move(value));
    } catch (...) {
      refill_locked(wake);
      throw;
    }
  }

  /// Moves a dropped message aside, to be handed over once `wake` is
  /// completed, after every lock is released. If the move (or the
  /// stash's allocation) throws, nothing changed.
  void drop_locked(T&& message, completion_list& wake) {
    undelivered_.emplace_back(std::move(message));
    // Written only under the lock: a plain load and store, no read-modify-write.
    undelivered_count_.store(undelivered_count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (!notice_queued_) {
      notice_queued_ = true;
      wake.add(notice_.entry);
    }
  }

  /// Hands the dropped messages to the hook, or destroys them, with no
  /// lock held while it runs (invariant 6). Everything stashed so far goes,
  /// also what other operations dropped meanwhile: their notice was not
  /// queued again while this one was.
  void hand_over_undelivered() noexcept {
    segmented_list<T> batch;
    {
      std::lock_guard lock(mutex_);
      batch = std::move(undelivered_);
      notice_queued_ = false;
    }
    give_to_hook(batch);
    // The stash's segments come back drained, for the next drop to reuse.
    std::lock_guard lock(mutex_);
    if (undelivered_.allocated_segments() == 0) undelivered_ = std::move(batch);
  }

  /// Hands every message of `messages`, oldest first, to the hook, or
  /// destroys them. Requires: no lock held. A hook that throws ends the
  /// program (noexcept): see undelivered_hook.
  template <class Buffer>
  void give_to_hook(Buffer& messages) noexcept {
    for (; !messages.empty(); messages.pop_front())
      if (on_undelivered_) on_undelivered_(std::move(messages.front()));
  }

  /// Queued on the completion_list of an operation that dropped messages,
  /// so that they are handed over once it has released every lock
  /// (invariant 6): a claim_token whose completion is that hand-over, and
  /// the waiter that chains it into the list. Never queued on a channel.
  struct undelivered_notice final : claim_token {
    explicit undelivered_notice(channel_core& owner) noexcept : claim_token(&hand_over), core(&owner) {
      entry.token = this;
    }
    static void hand_over(claim_token& self) noexcept {
      static_cast<undelivered_notice&>(self).core->hand_over_undelivered();
    }
    channel_core* core;
    waiter_base entry;
  };

  template <class Sink>
  op_result try_recv_locked(Sink& sink, completion_list& wake) {
    if (buffered_locked() != 0) {
      take_front_locked(sink);
      refill_locked(wake);
      return op_result::done;
    }
    // Empty buffer with a live sender queued: a rendezvous hand-off (or, on
    // a buffered channel whose free slots are all reserved, a direct one).
    if (waiter<T>* s = pop_sender_locked(false)) {
      transfer_locked(*s, wake, [&] { sink(std::move(*s->send_value)); });
      return op_result::done;
    }
    return closed_ ? op_result::disconnected : op_result::would_block;
  }

  void enqueue_sender_locked(waiter<T>& w, T& value) noexcept {
    w.status = wait_status::pending;
    w.send_value = &value;
    senders_waiting_.push_back(w);
  }

  /// Queues a sender whose attempt would block. On a rendezvous channel it
  /// also wakes one notify-only receiver, which takes the value from the
  /// queue when it runs (only queued senders can meet such receivers).
  void enqueue_waiting_sender_locked(waiter<T>& w, T& value, completion_list& wake) noexcept {
    enqueue_sender_locked(w, value);
    if (capacity_ != 0) return;
    if (waiter<T>* r = pop_receiver_locked(receiver_kind::notify_only)) finish_locked(*r, wait_status::notified, wake);
  }

  /// `slot` is empty for a notify-only receiver.
  void enqueue_receiver_locked(waiter<T>& w, receive_slot<T> slot) noexcept {
    w.status = wait_status::pending;
    w.recv_slot = slot;
    receivers_waiting_.push_back(w);
  }

  /// Withdraws `w` if it is still queued (a partner may have unlinked it).
  /// A reserve gives back the slots it gathered (see reserve_many).
  void dequeue_locked(waiter<T>& w, completion_list& wake) noexcept {
    if (!w.linked) return;
    if (w.send_value == nullptr && !w.reserves) return receivers_waiting_.remove(w);
    senders_waiting_.remove(w);
    if (const std::size_t gathered = std::exchange(w.reserve_gathered, 0); gathered != 0) {
      reserved_ -= gathered;
      if (!closed_) refill_locked(wake, gathered);
    }
  }

  static bool gave_up(const std::atomic<bool>* give_up) noexcept {
    return give_up != nullptr && give_up->load(std::memory_order_acquire);
  }

  /// A send that cannot complete now queues `self`, if given.
  op_result wait_or_refuse_locked(T& value, waiter<T>* self, completion_list& wake) noexcept {
    if (self == nullptr) return op_result::would_block;
    enqueue_waiting_sender_locked(*self, value, wake);
    return op_result::queued;
  }

  /// Reserves room now if there is some: `done` (see reserve),
  /// `disconnected` or `would_block`. Never queues.
  op_result try_reserve_locked(waiter<T>*& committed) noexcept {
    if (closed_) return op_result::disconnected;
    if (capacity_ == 0) {
      if (waiter<T>* r = pop_receiver_locked(receiver_kind::direct)) {
        committed = r;
        return op_result::done;
      }
    } else if (has_room_locked()) {
      ++reserved_;
      return op_result::done;
    }
    return op_result::would_block;
  }

  /// Queues `w` as a reserving sender: a slot freed, or a plain receive
  /// about to wait on a rendezvous channel (written to `committed`),
  /// completes it with `done`; a close with `disconnected`.
  void enqueue_reserve_locked(waiter<T>& w, waiter<T>*& committed) noexcept {
    w.status = wait_status::pending;
    w.reserves = true;
    w.committed_receiver = &committed;
    senders_waiting_.push_back(w);
  }

  bool has_room_locked() const noexcept { return free_slots_locked() != 0; }

  /// Slots neither buffered nor reserved; unbounded channels have no end of them.
  std::size_t free_slots_locked() const noexcept {
    if (capacity_ == unbounded) return unbounded;
    return capacity_ - ring_.size() - reserved_;
  }

  /// A plain receive about to wait on a rendezvous channel serves the
  /// oldest queued reserve instead: it commits itself (its own token, in
  /// no other queue, so the claim succeeds) and completes the reserve. Its
  /// owner then waits for the permit's send or release like for any
  /// partner that claimed it.
  bool commit_to_reserve_locked(waiter<T>& r, receive_slot<T> slot, completion_list& wake) noexcept {
    if (capacity_ != 0 || r.notify_only) return false;
    waiter<T>* reserve = pop_claimable(senders_waiting_, [](const waiter<T>& s) { return s.reserves; });
    if (reserve == nullptr) return false;
    r.recv_slot = slot;
    r.status = wait_status::pending;
    const bool claimed = r.token->try_claim(r.arm);
    (void)claimed;  // a fresh token that nobody else can see yet
    *reserve->committed_receiver = &r;
    finish_locked(*reserve, wait_status::done, wake);
    return true;
  }

  std::size_t buffered_locked() const noexcept { return capacity_ == unbounded ? list_.size() : ring_.size(); }

  void push_locked(T&& value) { emplace_locked(std::move(value)); }

  /// Constructs a message at the back of the buffer; if that throws, the
  /// buffer is unchanged.
  template <class... Args>
  void emplace_locked(Args&&... args) {
    if (capacity_ == unbounded)
      list_.emplace_back(std::forward<Args>(args)...);
    else
      ring_.emplace_back(std::forward<Args>(args)...);
    buffered_hint_.store(true, std::memory_order_relaxed);
    // Written only under the lock: a plain compare, no read-modify-write.
    const std::size_t buffered = buffered_locked();
    if (buffered > high_water_.load(std::memory_order_relaxed)) high_water_.store(buffered, std::memory_order_relaxed);
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
    buffered_hint_.store(buffered_locked() != 0, std::memory_order_relaxed);
  }

  enum class receiver_kind { any, direct, notify_only };

  /// Unlinks queued waiters that are `wanted`, oldest first, until one can
  /// be claimed; stale select arms met on the way are dropped, waiters not
  /// wanted stay queued.
  template <class Wanted>
  static waiter<T>* pop_claimable(waiter_queue& queue, Wanted wanted) noexcept {
    waiter_base* next = queue.front();
    while (next != nullptr) {
      auto* w = static_cast<waiter<T>*>(next);
      next = w->next;
      if (!wanted(*w)) continue;
      queue.remove(*w);
      if (w->token->try_claim(w->arm)) return w;
    }
    return nullptr;
  }

  waiter<T>* pop_receiver_locked(receiver_kind kind) noexcept {
    return pop_claimable(receivers_waiting_, [kind](const waiter<T>& w) {
      return kind == receiver_kind::any || w.notify_only == (kind == receiver_kind::notify_only);
    });
  }

  /// The oldest sender, or reserve when `reserves_too`.
  waiter<T>* pop_sender_locked(bool reserves_too) noexcept {
    return pop_claimable(senders_waiting_, [reserves_too](const waiter<T>& w) { return reserves_too || !w.reserves; });
  }

  /// Moves `value` into a claimed direct receiver's slot.
  static void hand_to_locked(waiter<T>& r, T& value, completion_list& wake) {
    transfer_locked(r, wake, [&] { r.recv_slot(std::move(value)); });
  }

  /// Runs `move`, the hand-off for the claimed waiter `w`, and completes
  /// `w`: done, or retry if the move threw (invariant 5; the exception goes
  /// on to the operation that performed the move).
  template <class Move>
  static void transfer_locked(waiter<T>& w, completion_list& wake, Move&& move) {
    try {
      move();
    } catch (...) {
      finish_locked(w, wait_status::retry, wake);
      throw;
    }
    finish_locked(w, wait_status::done, wake);
  }

  /// A rendezvous send meets a receiver that holds out its slot now, or
  /// queues with its value and wakes one notify-only receiver, which takes
  /// the value from the queue when it resumes: the send completes only once
  /// a receiver holds the message.
  op_result send_rendezvous_locked(T& value, waiter<T>* self, completion_list& wake) {
    if (waiter<T>* r = pop_receiver_locked(receiver_kind::direct)) {
      hand_to_locked(*r, value, wake);
      return op_result::done;
    }
    return wait_or_refuse_locked(value, self, wake);
  }

  /// Announces what is ready to the queued receivers: one notify-only
  /// receiver per buffered message (or one for queued rendezvous senders),
  /// and buffered messages straight to direct receivers.
  void pass_on_locked(completion_list& wake) {
    if (capacity_ == 0) {
      if (senders_waiting_.empty()) return;
      if (waiter<T>* r = pop_receiver_locked(receiver_kind::notify_only)) finish_locked(*r, wait_status::notified, wake);
      return;
    }
    for (std::size_t unannounced = buffered_locked(); unannounced != 0; --unannounced) {
      waiter<T>* r = pop_receiver_locked(receiver_kind::any);
      if (r == nullptr) return;
      if (r->notify_only) {
        finish_locked(*r, wait_status::notified, wake);
        continue;
      }
      deliver_front_locked(*r, wake);
      refill_locked(wake);
    }
  }

  /// A bounded buffer that was full may have senders queued: the `freed`
  /// slots just freed go to them in order, each to the oldest: its value
  /// moves in, or a reserve takes it (a reserve of several gathers it and
  /// completes with its last).
  void refill_locked(completion_list& wake, std::size_t freed = 1) noexcept {
    while (freed != 0) {
      auto* s = static_cast<waiter<T>*>(senders_waiting_.front());
      if (s == nullptr) return;
      if (s->reserves && s->reserve_gathered + 1 < s->reserve_wanted) {
        // Not claimed yet: its owner can still withdraw it, and then gives
        // back what it gathered (dequeue_locked).
        ++s->reserve_gathered;
        ++reserved_;
        --freed;
        continue;
      }
      senders_waiting_.remove(*s);
      if (!s->token->try_claim(s->arm)) {
        // Completed elsewhere (another arm of its select): what it
        // gathered is free again, with the slot it was offered.
        const std::size_t gathered = std::exchange(s->reserve_gathered, 0);
        reserved_ -= gathered;
        freed += gathered;
        continue;
      }
      --freed;
      if (s->reserves) {  // the slot goes to the reserve, for its permits' sends
        ++reserved_;
        s->reserve_gathered = 0;
        finish_locked(*s, wait_status::done, wake);
        continue;
      }
      try {
        transfer_locked(*s, wake, [&] { push_locked(std::move(*s->send_value)); });
      } catch (...) {
        // The sender keeps its value and tries again itself; the receive that
        // made room has succeeded, so the exception is not its to report.
        return;
      }
    }
  }

  /// Moves the oldest buffered message into a claimed direct receiver's slot.
  void deliver_front_locked(waiter<T>& r, completion_list& wake) {
    transfer_locked(r, wake, [&] { take_front_locked(r.recv_slot); });
  }

  static void finish_locked(waiter<T>& w, wait_status status, completion_list& wake) noexcept {
    w.status = status;
    wake.add(w);
  }

  void close_locked(completion_list& wake) noexcept {
    if (closed_) return;
    closed_ = true;
    // Receivers waiting here found the buffer empty, so for them nothing
    // more will come, unless messages sit buffered for a notified receiver
    // that has not run yet: then they try again and drain those first.
    // Senders keep their values.
    const wait_status for_receivers = buffered_locked() == 0 ? wait_status::disconnected : wait_status::retry;
    while (waiter<T>* r = pop_receiver_locked(receiver_kind::any)) finish_locked(*r, for_receivers, wake);
    while (waiter<T>* s = pop_sender_locked(true)) {
      reserved_ -= std::exchange(s->reserve_gathered, 0);
      finish_locked(*s, wait_status::disconnected, wake);
    }
  }

  void close_and_discard() noexcept {
    // Buffered messages are destroyed, or handed to the hook, after the
    // lock is released: a message's destructor may itself use a channel,
    // even this one (invariant 6).
    segmented_list<T> discarded_list;
    ring_buffer<T> discarded_ring;
    {
      section locked(mutex_);
      close_locked(locked.wake);
      discarded_list = std::move(list_);
      discarded_ring = std::move(ring_);
      buffered_hint_.store(false, std::memory_order_relaxed);
      const std::size_t discarded = discarded_list.size() + discarded_ring.size();
      undelivered_count_.store(undelivered_count_.load(std::memory_order_relaxed) + discarded,
                               std::memory_order_relaxed);
    }
    give_to_hook(discarded_list);
    give_to_hook(discarded_ring);
  }

  /// One operation's critical section on this channel (locked_section).
  using section = locked_section<std::lock_guard<futex_mutex>>;

  // The lock and everything it guards share the first cache lines; the
  // counts, touched only when handles are copied or dropped, live apart.
  mutable futex_mutex mutex_;
  bool closed_ = false;
  std::atomic<bool> buffered_hint_{false};  ///< buffered_locked() != 0, written under the lock
  std::atomic<std::size_t> high_water_{0};  ///< written under the lock, read without it (a metric)
  std::size_t reserved_ = 0;                ///< slots held by permits (buffered channels)
  const std::size_t capacity_;
  ring_buffer<T> ring_;      ///< bounded channels
  segmented_list<T> list_;   ///< unbounded channels
  waiter_queue senders_waiting_;
  waiter_queue receivers_waiting_;

  // Overflow and undelivered messages (invariant 6), off the paths that
  // find room.
  const overflow overflow_;
  bool notice_queued_ = false;     ///< notice_ is on some completion_list; guarded by the lock
  segmented_list<T> undelivered_;  ///< dropped, not handed over yet; guarded by the lock
  undelivered_notice notice_{*this};
  const undelivered_hook<T> on_undelivered_;
  std::atomic<std::uint64_t> undelivered_count_{0};  ///< written under the lock, read without it

  alignas(cache_line_size) std::atomic<std::size_t> senders_{1};
  std::atomic<std::size_t> receivers_{1};
  std::atomic<std::size_t> weak_senders_{0};
  cache_padded<std::atomic<std::size_t>> refs_{2};
};

}  // namespace rill::detail
