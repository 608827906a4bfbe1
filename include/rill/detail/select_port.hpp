// rill — all that an operation over several channels (select, in every
// form) may do to one channel. Modelled on crossbeam's SelectHandle: a
// select takes the locks of all its channels itself (in address order, see
// select_locks), and then needs a few of the core's primitives under those
// locks; this is that narrow set, each with its precondition. The rest of
// the core stays private.
#pragma once

#include <rill/detail/channel_core.hpp>
#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/waiter.hpp>

namespace rill::detail {

/// A channel as one arm of a select sees it. Cheap to copy: a pointer.
template <class T>
class select_port {
 public:
  explicit select_port(channel_core<T>& core) noexcept : core_(&core) {}

  /// The lock the select takes (with its other channels' locks) before
  /// calling any *_locked member below.
  futex_mutex& mutex() const noexcept { return core_->mutex_; }

  /// Sends `value` if that needs no waiting: `done` (moved from),
  /// `disconnected` or `would_block` (untouched). Never queues.
  /// Requires: the caller holds mutex(), and completes `wake` after
  /// releasing every lock it holds.
  op_result try_send_locked(T& value, completion_list& wake) const {
    return core_->send_locked(value, nullptr, wake);
  }

  /// Receives into `sink` if a message is there: `done`, `disconnected`
  /// (closed and drained) or `would_block`. Never queues.
  /// Requires: as try_send_locked.
  template <class Sink>
  op_result try_recv_locked(Sink& sink, completion_list& wake) const {
    return core_->try_recv_locked(sink, wake);
  }

  /// Queues `w` as a sender of `value`; a partner that claims it takes
  /// `value`. Requires: the caller holds mutex() and, under this same hold,
  /// try_send_locked of `value` said `would_block`; `w` is not queued
  /// anywhere; `w` and `value` stay valid until `w` is claimed or
  /// withdrawn; `wake` is completed after every lock is released.
  void enqueue_sender_locked(waiter<T>& w, T& value, completion_list& wake) const noexcept {
    core_->enqueue_waiting_sender_locked(w, value, wake);
  }

  /// Queues `w` as a receiver: a partner that claims it moves a message
  /// into `slot`, or, with an empty slot, only notifies it. Requires: the
  /// caller holds mutex() and, under this same hold, try_recv_locked said
  /// `would_block`; `w` is not queued anywhere and stays valid (with what
  /// `slot` points to) until claimed or withdrawn.
  void enqueue_receiver_locked(waiter<T>& w, receive_slot<T> slot) const noexcept {
    core_->enqueue_receiver_locked(w, slot);
  }

  /// Reserves room for one send if that needs no waiting (see
  /// channel_core::reserve): `done`, `disconnected` or `would_block`.
  /// Never queues. Requires: as try_send_locked.
  op_result try_reserve_locked(waiter<T>*& committed) const noexcept { return core_->try_reserve_locked(committed); }

  /// Queues `w` as a reserve; a partner that claims it grants the room
  /// (writing a rendezvous channel's committed receiver to `committed`).
  /// Requires: the caller holds mutex() and, under this same hold,
  /// try_reserve_locked said `would_block`; `w` is not queued anywhere;
  /// `w` and `committed` stay valid until `w` is claimed or withdrawn.
  void enqueue_reserve_locked(waiter<T>& w, waiter<T>*& committed) const noexcept {
    core_->enqueue_reserve_locked(w, committed);
  }

  /// Withdraws `w` if it is still queued (a partner may have unlinked it
  /// already). Takes the lock itself. Requires: the caller holds no
  /// channel lock.
  void withdraw(waiter<T>& w) const noexcept {
    typename channel_core<T>::section locked(core_->mutex_);
    core_->dequeue_locked(w, locked.wake);
  }

  /// A receive arm that was notified but will not receive (its select was
  /// won elsewhere, or cancelled) hands the wake-up to the channel's other
  /// receivers. Requires: the caller holds no channel lock.
  void pass_on() const { core_->pass_on(); }

 private:
  channel_core<T>* core_;
};

}  // namespace rill::detail
