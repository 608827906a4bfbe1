// rill — a oneshot's receive, a watch's changed() and a broadcast's receive
// as arms of select,
// try_select and async_select, beside channel arms and timeouts:
//
//   auto r = rill::select(rill::recv(reply), rill::changed(config), rill::timeout(1s));
//   // 0: expected<Reply, recv_error>, 1: expected<void, recv_error>, 2: timed_out
//
// Exactly one arm completes, as ever: a oneshot or broadcast arm that lost
// has taken nothing, a watch arm that lost has marked nothing seen. They wait as
// the cores' other waiters do, told to look again (wait_list.hpp): a select
// whose oneshot or watch arm was told polls all its arms anew, under all
// their locks, and the first ready one wins.
#pragma once

#include <rill/broadcast.hpp>
#include <rill/detail/broadcast_core.hpp>
#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/oneshot_core.hpp>
#include <rill/detail/select_engine.hpp>
#include <rill/detail/watch_core.hpp>
#include <rill/detail/waiter.hpp>
#include <rill/error.hpp>
#include <rill/oneshot.hpp>
#include <rill/select.hpp>
#include <rill/watch.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace rill {

namespace detail {

/// What the arms on a oneshot, a watch and a broadcast share: the core,
/// whose lock the select takes, the switch and the waiter. `Core` is
/// oneshot_core<T>, watch_core<T> or broadcast_core<T>.
template <class Core>
class notified_arm : public select_arm {
 public:
  /// Switches the arm on or off between selects.
  void set_enabled(bool on) noexcept { enabled_ = on; }

 protected:
  notified_arm(Core& core, bool enabled) noexcept : core_(&core), enabled_(enabled) {}

  futex_mutex* mutex() const noexcept override { return enabled_ ? &core_->mutex() : nullptr; }

  void enqueue_locked(claim_token& token, std::uint32_t index, completion_list&, bool) noexcept override {
    waiter_ = waiter_base{};
    waiter_.token = &token;
    waiter_.arm = index;
    core_->enqueue_locked(waiter_);
  }

  /// Claimed, it has only been told to look again, as a notify-only receive.
  bool sends() const noexcept override { return false; }

  /// Nothing to hand on: a oneshot has one receiver, and every waiter of a
  /// watch or a broadcast is told of every change or message.
  void pass_on() override {}

  void dequeue() noexcept override { core_->withdraw(waiter_); }

  /// Told to look again (retry), never handed anything: the select polls
  /// anew, and takes under the locks.
  bool finish_claimed() override { return false; }

  Core* core_;
  bool enabled_;
  waiter_base waiter_;
};

}  // namespace detail

/// A receive arm on a oneshot: wins with the value, or with recv_error once
/// the sender went without sending. The receiver must outlive the select.
/// The value moves once, from the oneshot straight into the select's
/// result, as with a channel's receive arm.
template <class T>
class oneshot_recv_arm final : public detail::notified_arm<detail::oneshot_core<T>> {
  using base = detail::notified_arm<detail::oneshot_core<T>>;

 public:
  /// What the select's result holds when this arm wins: the value, or
  /// recv_error once the sender went without sending.
  using result_type = expected<T, recv_error>;

  /// An arm receiving from `rx`; a disabled arm never wins. Prefer
  /// rill::recv(rx, enabled).
  oneshot_recv_arm(oneshot_receiver<T>& rx, bool enabled) : base(rx.core(), enabled) {}
  // Movable while not queued, so that an asynchronous select can own its arms.
  /// Moves the arm (allowed only while no select is running it).
  oneshot_recv_arm(oneshot_recv_arm&&) = default;
  oneshot_recv_arm& operator=(oneshot_recv_arm&&) = delete;

  /// Where the value goes when this arm wins; set by the select.
  void set_destination(detail::receive_slot<T> destination) noexcept { destination_ = destination; }

  /// After this arm won: true if with recv_error (nothing in the destination).
  bool won_disconnected() const noexcept { return disconnected_; }

  /// What a select's result holds before any arm won; never returned.
  static result_type placeholder() noexcept { return result_type(tl::unexpect, recv_error{}); }

 private:
  bool poll_locked(detail::completion_list&) override {
    const detail::op_result r = this->core_->try_recv_locked(destination_);
    disconnected_ = r == detail::op_result::disconnected;
    return r != detail::op_result::would_block;
  }

  detail::receive_slot<T> destination_;
  bool disconnected_ = false;
};

/// A changed() arm on a watch: wins once a version the receiver has not
/// seen is there, marking it seen, or with recv_error once every sender is
/// gone and the latest version was seen. The receiver must outlive the
/// select.
template <class T>
class watch_changed_arm final : public detail::notified_arm<detail::watch_core<T>> {
  using base = detail::notified_arm<detail::watch_core<T>>;

 public:
  /// What the select's result holds when this arm wins: success (read the
  /// value with rx.borrow()), or recv_error once every sender is gone.
  using result_type = expected<void, recv_error>;

  /// An arm waiting for a change `rx` has not seen; a disabled arm never
  /// wins. Prefer rill::changed(rx, enabled).
  watch_changed_arm(watch_receiver<T>& rx, bool enabled) : base(rx.core(), enabled), seen_(&rx.seen_) {}
  /// Moves the arm (allowed only while no select is running it).
  watch_changed_arm(watch_changed_arm&&) = default;
  watch_changed_arm& operator=(watch_changed_arm&&) = delete;

  /// After this arm won: its outcome (used by the select).
  result_type take_result() const {
    if (disconnected_) return unexpected(recv_error{});
    return {};
  }

  /// What a select's result holds before any arm won; never returned.
  static result_type placeholder() noexcept { return result_type(); }

 private:
  bool poll_locked(detail::completion_list&) override {
    const detail::op_result r = this->core_->changed_locked(*seen_, true);
    disconnected_ = r == detail::op_result::disconnected;
    return r != detail::op_result::would_block;
  }

  std::uint64_t* seen_;  ///< the receiver's
  bool disconnected_ = false;
};

/// A receive arm on a broadcast: wins with the receiver's next message,
/// with a lag (errc::lagged and how many were lost; the receiver then
/// stands at the oldest message held), or with errc::disconnected once
/// every sender is gone and the receiver has read everything. The receiver
/// must outlive the select. Not a receive-in-place arm: its result is
/// built in the arm (one more move of the message) because an error here
/// can carry a count, which a channel receive arm's result cannot.
template <class T>
class broadcast_recv_arm final : public detail::notified_arm<detail::broadcast_core<T>> {
  using base = detail::notified_arm<detail::broadcast_core<T>>;

 public:
  /// What the select's result holds when this arm wins: the message, a
  /// lag, or errc::disconnected.
  using result_type = expected<T, broadcast_recv_error>;

  /// An arm receiving `rx`'s next message; a disabled arm never wins.
  /// Prefer rill::recv(rx, enabled).
  broadcast_recv_arm(broadcast_receiver<T>& rx, bool enabled)
      : base(rx.core(), enabled), next_(&rx.next_), last_lag_(&rx.last_lag_) {}
  /// Moves the arm (allowed only while no select is running it).
  broadcast_recv_arm(broadcast_recv_arm&&) = default;
  broadcast_recv_arm& operator=(broadcast_recv_arm&&) = delete;

  /// After this arm won: its result, moved out.
  result_type take_result() { return std::move(*result_); }

  /// What a select's result holds before any arm won; never returned.
  static result_type placeholder() noexcept { return result_type(tl::unexpect, recv_error{}); }

 private:
  bool poll_locked(detail::completion_list& wake) override {
    result_.reset();
    const auto o = this->core_->recv_locked(*next_, detail::copy_or_move_into<T>(result_), wake);
    if (o.result == detail::op_result::would_block) return false;
    if (o.result == detail::op_result::disconnected) {
      result_.emplace(tl::unexpect, recv_error{});
    } else if (o.missed != 0) {
      *last_lag_ = o.missed;
      result_.emplace(tl::unexpect, lagged{o.missed});
    }
    return true;
  }

  std::uint64_t* next_;      ///< the receiver's position
  std::uint64_t* last_lag_;  ///< the receiver's
  std::optional<result_type> result_;
};

namespace detail {

/// A oneshot arm receives as a channel's receive arm does: into the
/// select's result, in place.
template <class T>
inline constexpr bool is_recv_arm<oneshot_recv_arm<T>> = true;

}  // namespace detail

/// Receive the oneshot's value; a disabled arm never wins.
template <class T>
oneshot_recv_arm<T> recv(oneshot_receiver<T>& rx, bool enabled = true) {
  return oneshot_recv_arm<T>(rx, enabled);
}

/// Receive the broadcast receiver's next message; a disabled arm never wins.
template <class T>
broadcast_recv_arm<T> recv(broadcast_receiver<T>& rx, bool enabled = true) {
  return broadcast_recv_arm<T>(rx, enabled);
}

/// Wait for a change of the watch; a disabled arm never wins.
template <class T>
watch_changed_arm<T> changed(watch_receiver<T>& rx, bool enabled = true) {
  return watch_changed_arm<T>(rx, enabled);
}

}  // namespace rill
