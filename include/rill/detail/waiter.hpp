// rill — a waiting operation, the token it is claimed through, and the
// intrusive queue of waiters a channel keeps for each side.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace rill::detail {

/// How a queued operation ended, written by whoever claimed it.
enum class wait_status : std::uint8_t {
  pending,       ///< not completed yet
  done,          ///< the message was handed over (taken from a sender / given to a receiver)
  disconnected,  ///< the channel closed or lost its other side; a send keeps its value
  retry,         ///< nothing was transferred, start over (a partner's move of T threw,
                 ///< or a receiver must drain what was buffered before it closed)
  notified,      ///< a notify-only receiver was told a message may be there; it takes it itself
};

/// Decides, exactly once, which of an operation's arms completes it, or that
/// its owner gave up (timeout, cancellation). A plain operation has one arm;
/// a select shares one token among all its arms, possibly on several
/// channels, which is why the claim is a CAS and not just a flag under one
/// channel's lock.
///
/// Protocol: a partner claims under the lock of the channel the arm is
/// queued on, performs the hand-off there, unlocks, and only then calls
/// `complete`. The owner aborts with `try_abort`; if that fails, a partner
/// owns the token and `complete` is on its way. A token only matters while
/// one of its waiters is queued: an owner that waits again (an asynchronous
/// operation woken without a message) calls `rearm` before queueing anew.
struct claim_token {
  static constexpr std::uint32_t unclaimed = 0;
  static constexpr std::uint32_t aborted = 1;
  static constexpr std::uint32_t first_arm = 2;  // claimed by arm k: first_arm + k

  /// Called once by the claimer after it has released every lock. How the
  /// owner learns of it is the only thing that differs between a parked
  /// thread, an Asio handler and a select, hence a function pointer rather
  /// than a virtual (no vtable in every waiter, no virtual destructor).
  using complete_fn = void (*)(claim_token&) noexcept;

  explicit claim_token(complete_fn on_complete) noexcept : complete(on_complete) {}
  claim_token(const claim_token&) = delete;
  claim_token& operator=(const claim_token&) = delete;

  bool try_claim(std::uint32_t arm) noexcept {
    std::uint32_t expected = unclaimed;
    // acq_rel: the claimer sees what the owner wrote when it queued the arm,
    // and a select that loses sees the winner's claim.
    return state.compare_exchange_strong(expected, first_arm + arm, std::memory_order_acq_rel,
                                         std::memory_order_acquire);
  }

  bool try_abort() noexcept {
    std::uint32_t expected = unclaimed;
    return state.compare_exchange_strong(expected, aborted, std::memory_order_acq_rel, std::memory_order_acquire);
  }

  bool is_claimed() const noexcept { return state.load(std::memory_order_acquire) != unclaimed; }

  /// Makes a completed token claimable again. Only while none of its
  /// waiters is queued, so nobody else can be looking at it. Release:
  /// whoever aborts or claims it later without taking a channel lock (an
  /// async select's timer, say) sees what the owner wrote before.
  void rearm() noexcept { state.store(unclaimed, std::memory_order_release); }

  /// Makes a token that is not queued unclaimable and unabortable, so that
  /// an abort attempt tells "queued and waiting" from "busy elsewhere".
  void disarm() noexcept { state.store(aborted, std::memory_order_relaxed); }

  /// Which arm won; only meaningful once claimed by a partner.
  std::uint32_t winning_arm() const noexcept { return state.load(std::memory_order_acquire) - first_arm; }

  std::atomic<std::uint32_t> state{unclaimed};
  complete_fn complete;
};

/// One arm of one waiting operation, as the queues see it. A waiter sits in
/// at most one channel queue; once unlinked by a claimer, the same links
/// chain it into the claimer's completion_list.
struct waiter_base {
  waiter_base* prev = nullptr;
  waiter_base* next = nullptr;
  bool linked = false;                        ///< in a channel queue; guarded by that channel's lock
  /// A receiver that is only told a message may be there, and takes it
  /// itself when it resumes: an asynchronous receive, which completes
  /// through a post and may be cancelled before it runs, must not be handed
  /// a message it could then drop.
  bool notify_only = false;
  /// A send without a value, queued with the senders: a reserve, served
  /// with a slot (buffered channels) or a receiver (rendezvous channels).
  bool reserves = false;
  wait_status status = wait_status::pending;  ///< written by the claimer under the channel lock
  std::uint32_t arm = 0;                      ///< this arm's index within its token
  claim_token* token = nullptr;
};

/// Where a receive puts its message: the object its caller returns (an
/// expected, a select's result, a container), filled by one move straight
/// from the buffer or the sender. A message moved first into the receive's
/// own storage and then into its result could be destroyed by a second move
/// that throws; filled in place, a move that throws leaves the message
/// where it was (channel_core's invariant 5).
template <class T>
class receive_slot {
 public:
  /// No slot: a notify-only receiver, which takes its message itself.
  receive_slot() noexcept = default;

  /// Fills `destination` with `destination.emplace(T&&)`, which must leave
  /// it as it was when the move throws (std::optional, tl::expected, and
  /// the destinations of select and recv_many do).
  template <class Destination>
  static receive_slot into(Destination& destination) noexcept {
    return receive_slot(&destination, [](void* d, T&& message) { static_cast<Destination*>(d)->emplace(std::move(message)); });
  }

  /// Moves `message` into the destination; a sink for channel_core::recv.
  void operator()(T&& message) const { fill_(destination_, std::move(message)); }

 private:
  /// A function pointer rather than a virtual call: the slot is two words
  /// that live in the waiter, with no object of its own to point at.
  using fill_function = void (*)(void*, T&&);
  receive_slot(void* destination, fill_function fill) noexcept : destination_(destination), fill_(fill) {}

  void* destination_ = nullptr;
  fill_function fill_ = nullptr;
};

/// A waiter on a channel of T. It lives in the owner's memory (a blocked
/// thread's stack, an async operation's state), so waiting allocates
/// nothing. Set by the side it waits on: `send_value` for a sender,
/// `recv_slot` for a receiver that is handed its message.
template <class T>
struct waiter : waiter_base {
  T* send_value = nullptr;     ///< send arm: moved from on hand-off
  receive_slot<T> recv_slot;   ///< receive arm: filled on hand-off
  /// A reserve on a rendezvous channel: where the receiver committed to it
  /// is written, claimed and unlinked, before the reserve is completed.
  waiter** committed_receiver = nullptr;
  /// A reserve of several slots (reserve_many, buffered channels): how many
  /// it waits for, and how many it has gathered, in its turn, as they were
  /// freed; it completes with the last.
  std::size_t reserve_wanted = 1;
  std::size_t reserve_gathered = 0;
};

/// FIFO of waiters on one side of a channel. Guarded by the channel's lock,
/// except `approximate_size`.
class waiter_queue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  waiter_base* front() const noexcept { return head_; }

  /// How many waiters are queued, readable without the lock: a metric, which
  /// counts the arms of selects that completed elsewhere until somebody
  /// meets them (channel_core's invariant 2).
  std::size_t approximate_size() const noexcept { return size_.load(std::memory_order_relaxed); }

  void push_back(waiter_base& w) noexcept {
    add_to_size(1);
    w.prev = tail_;
    w.next = nullptr;
    w.linked = true;
    if (tail_ != nullptr)
      tail_->next = &w;
    else
      head_ = &w;
    tail_ = &w;
  }

  void remove(waiter_base& w) noexcept {
    add_to_size(-1);
    if (w.prev != nullptr)
      w.prev->next = w.next;
    else
      head_ = w.next;
    if (w.next != nullptr)
      w.next->prev = w.prev;
    else
      tail_ = w.prev;
    w.prev = w.next = nullptr;
    w.linked = false;
  }

 private:
  /// Written only under the lock, so a relaxed load and store suffice (no
  /// read-modify-write); relaxed, because readers outside the lock want a
  /// recent count, not what it guards.
  void add_to_size(std::ptrdiff_t delta) noexcept {
    size_.store(size_.load(std::memory_order_relaxed) + static_cast<std::size_t>(delta), std::memory_order_relaxed);
  }

  waiter_base* head_ = nullptr;
  waiter_base* tail_ = nullptr;
  std::atomic<std::size_t> size_{0};
};

/// Tokens claimed under a lock, completed after it is released: waking a
/// thread or posting a handler while holding the lock would make the woken
/// party contend for it at once. Chained through the unlinked waiters.
class completion_list {
 public:
  completion_list() = default;
  completion_list(const completion_list&) = delete;
  completion_list& operator=(const completion_list&) = delete;
  ~completion_list() { complete_all(); }

  void add(waiter_base& w) noexcept {
    w.next = nullptr;
    if (tail_ != nullptr)
      tail_->next = &w;
    else
      head_ = &w;
    tail_ = &w;
  }

  /// Completes every collected token. The waiter memory may be freed by its
  /// owner as soon as `complete` runs, so the next link is read first.
  void complete_all() noexcept {
    waiter_base* w = head_;
    head_ = tail_ = nullptr;
    while (w != nullptr) {
      waiter_base* next = w->next;
      claim_token* token = w->token;
      token->complete(*token);
      w = next;
    }
  }

 private:
  waiter_base* head_ = nullptr;
  waiter_base* tail_ = nullptr;
};

/// A critical section that completes the waiters it claimed only after its
/// lock is released (invariant 3 of channel_core: a token's completion may
/// free the waiter, wake a thread that takes the lock again, or post). The
/// order is structural: `lock` is declared after `wake`, so it is destroyed,
/// and released, first. `Lock` is one channel's lock_guard, or a select's
/// set of locks.
template <class Lock>
struct locked_section {
  template <class... Args>
  explicit locked_section(Args&&... args) : lock(std::forward<Args>(args)...) {}

  completion_list wake;
  Lock lock;
};

}  // namespace rill::detail
