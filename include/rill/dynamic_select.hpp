// rill — dynamic_select: a select over receivers and senders of one message
// type (and oneshots, watches and broadcasts of it) whose arms are added,
// enabled and disabled at run time.
#pragma once

#include <rill/detail/select_engine.hpp>
#include <rill/broadcast.hpp>
#include <rill/error.hpp>
#include <rill/oneshot.hpp>
#include <rill/receiver.hpp>
#include <rill/select.hpp>
#include <rill/select_kinds.hpp>
#include <rill/sender.hpp>
#include <rill/watch.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace rill {

/// What dynamic_select returns: the arm that won and its result.
template <class T>
struct selected {
  std::size_t index;  ///< as returned by add() when the arm was added
  /// A receive (from a channel or a oneshot), a send, a watch's change, or
  /// a broadcast receive.
  std::variant<expected<T, recv_error>, expected<void, send_error<T>>, expected<void, recv_error>,
               expected<T, broadcast_recv_error>>
      result;

  /// True if a receive arm won (a channel's or a oneshot's): see recv_result().
  bool is_recv() const noexcept { return result.index() == 0; }
  /// True if a send arm won: see send_result().
  bool is_send() const noexcept { return result.index() == 1; }
  /// True if a watch's changed() arm won: see changed_result().
  bool is_changed() const noexcept { return result.index() == 2; }
  /// True if a broadcast receive arm won: see broadcast_result().
  bool is_broadcast() const noexcept { return result.index() == 3; }
  /// The message received, or recv_error once the channel is disconnected
  /// and drained (or the oneshot's sender went without sending).
  /// Precondition: is_recv(); otherwise throws std::bad_variant_access.
  expected<T, recv_error>& recv_result() { return std::get<0>(result); }
  /// Success, or send_error holding the value once every receiver is gone.
  /// Precondition: is_send(); otherwise throws std::bad_variant_access.
  expected<void, send_error<T>>& send_result() { return std::get<1>(result); }
  /// Success (a newer version is there, now marked seen), or recv_error
  /// once every sender is gone. Precondition: is_changed(); otherwise
  /// throws std::bad_variant_access.
  expected<void, recv_error>& changed_result() { return std::get<2>(result); }
  /// The message, a lag or errc::disconnected. Precondition:
  /// is_broadcast(); otherwise throws std::bad_variant_access.
  expected<T, broadcast_recv_error>& broadcast_result() { return std::get<3>(result); }
};

/// A select over a set of receivers and senders of one message type that
/// changes at run time: a server waiting on N connections' channels (like
/// crossbeam's Select or Go's reflect.Select), or for the replies to N
/// requests, each on its oneshot. Arms keep their index and can be disabled
/// and enabled again; a send arm that won stays off until it is given a new
/// value with set_value(), and a oneshot arm that won stays off for good
/// (its one value is taken, or its sender went). The select keeps a copy of
/// each channel or watch handle added, so it counts as one more receiver (or
/// sender) of those while it lives, and owns each oneshot receiver added.
/// A broadcast receiver added is copied too: the copy reads every message
/// from where the original was, independently of it.
/// Not thread-safe: one thread selects with it at a time.
template <class T>
class dynamic_select {
 public:
  /// Adds a receive arm; returns its index.
  std::size_t add(const receiver<T>& rx) {
    receive_entry e{rx, nullptr, std::make_unique<destination>()};
    e.arm = std::make_unique<recv_arm<T>>(e.rx, true);
    detail::select_arm* engine_arm = e.arm.get();
    return push(std::move(e), engine_arm);
  }

  /// Adds a send arm for `value`; returns its index.
  std::size_t add(const sender<T>& tx, T value) {
    send_entry e{tx, nullptr};
    e.arm = std::make_unique<send_arm<T>>(e.tx, std::move(value), true);
    detail::select_arm* engine_arm = e.arm.get();
    return push(std::move(e), engine_arm);
  }

  /// Adds a receive arm on a oneshot, which the select then owns; returns
  /// its index. It wins with the value (recv_result()), or with recv_error
  /// once the sender went without sending, and is then off for good.
  std::size_t add(oneshot_receiver<T> rx) {
    oneshot_entry e{std::make_unique<oneshot_receiver<T>>(std::move(rx)), nullptr, std::make_unique<destination>()};
    e.arm = std::make_unique<oneshot_recv_arm<T>>(*e.rx, true);
    detail::select_arm* engine_arm = e.arm.get();
    return push(std::move(e), engine_arm);
  }

  /// Adds a changed() arm on a copy of `rx`, which starts from the version
  /// `rx` has seen; returns its index. It wins once a newer version is
  /// there, marking it seen (changed_result()), or with recv_error once
  /// every sender is gone and the latest version was seen. Read the value
  /// with watch_receiver_at(index).borrow().
  std::size_t add(const watch_receiver<T>& rx) {
    watch_entry e{std::make_unique<watch_receiver<T>>(rx), nullptr};
    e.arm = std::make_unique<watch_changed_arm<T>>(*e.rx, true);
    detail::select_arm* engine_arm = e.arm.get();
    return push(std::move(e), engine_arm);
  }

  /// Adds a receive arm on a copy of `rx`, which reads from where `rx` is;
  /// returns its index. It wins with broadcast_result(): the copy's next
  /// message, a lag (errc::lagged, with how many were lost), or
  /// errc::disconnected once every sender is gone and it read everything.
  std::size_t add(const broadcast_receiver<T>& rx) {
    broadcast_entry e{std::make_unique<broadcast_receiver<T>>(rx), nullptr};
    e.arm = std::make_unique<broadcast_recv_arm<T>>(*e.rx, true);
    detail::select_arm* engine_arm = e.arm.get();
    return push(std::move(e), engine_arm);
  }

  /// The select's own copy of the watch receiver of arm `index`.
  watch_receiver<T>& watch_receiver_at(std::size_t index) { return *entry_at<watch_entry>(index, "watch_receiver_at").rx; }

  /// The select's own copy of the broadcast receiver of arm `index`.
  broadcast_receiver<T>& broadcast_receiver_at(std::size_t index) {
    return *entry_at<broadcast_entry>(index, "broadcast_receiver_at").rx;
  }

  /// Switches arm `index` on (or off, with `on` false) for the following
  /// selects. Throws std::out_of_range for an index add() never returned.
  /// A send arm without a value stays off even when enabled: give it one
  /// with set_value().
  void enable(std::size_t index, bool on = true) {
    std::visit([on](auto& e) { e.arm->set_enabled(on); }, arms_.at(index));
  }
  /// Switches arm `index` off: it cannot win until enabled again. Throws
  /// std::out_of_range for an index add() never returned.
  void disable(std::size_t index) { enable(index, false); }

  /// Gives a send arm a new value to send.
  void set_value(std::size_t index, T value) { send_entry_at(index, "set_value").arm->set_value(std::move(value)); }

  /// A send arm's value, unless it was sent (or handed back in an error).
  [[nodiscard("the value taken out of the arm")]] std::optional<T> take_value(std::size_t index) {
    return send_entry_at(index, "take_value").arm->take_value();
  }

  /// How many arms were added (enabled or not); indexes run from 0 to
  /// size() - 1.
  std::size_t size() const noexcept { return arms_.size(); }

  // Like the other select forms, these build their result in place: a
  // received message moves once, from the channel into the object returned.

  /// Blocks until one enabled arm completes; random among ready arms.
  /// Throws std::logic_error if no arm is enabled.
  RILL_NODISCARD_RECV selected<T> select() {
    selected<T> result = placeholder();
    (void)run(result, {}, true);
    return result;
  }

  /// Like select(), or std::nullopt once a stop is requested through `stop`
  /// (also before the call, whatever is ready). Throws std::logic_error if
  /// no arm is enabled and `stop` can never be requested.
  RILL_NODISCARD_RECV std::optional<selected<T>> select(std::stop_token stop) {
    return run_optional({nullptr, detail::stop_pointer(stop)}, true);
  }

  /// Completes a ready arm, or returns std::nullopt.
  RILL_NODISCARD_RECV std::optional<selected<T>> try_select() { return run_optional({}, false); }

  /// Like select(), or std::nullopt once `timeout` passed (or a stop is
  /// requested through `stop`, as select(stop)).
  template <class Rep, class Period>
  RILL_NODISCARD_RECV std::optional<selected<T>> select_timeout(const std::chrono::duration<Rep, Period>& timeout,
                                                                 std::stop_token stop = {}) {
    const auto d = detail::deadline_after(timeout);
    return run_optional({&d, detail::stop_pointer(stop)}, true);
  }

  /// Like select(), or std::nullopt at `deadline` (or once a stop is
  /// requested through `stop`, as select(stop)).
  template <class Clock, class Duration>
  RILL_NODISCARD_RECV std::optional<selected<T>> select_deadline(const std::chrono::time_point<Clock, Duration>& deadline,
                                                                  std::stop_token stop = {}) {
    const auto d = detail::to_steady_deadline(deadline);
    return run_optional({&d, detail::stop_pointer(stop)}, true);
  }

  /// select_order::biased makes the first ready arm in index order win.
  void set_order(select_order order) noexcept { order_ = order; }

 private:
  /// Where a receive arm puts its message: the result of the current run.
  using destination = detail::alternative_destination<decltype(selected<T>::result), 0>;

  // Each entry keeps its own copy of the handle its arm uses, and its arm
  // (and a receive arm's destination) at a fixed address.
  // (Kept out of the reference: Doxygen 1.9 would link a "Classes" section
  // of this page that it then leaves out, these being private.)
  /// @cond RILL_PRIVATE_NESTED
  struct receive_entry {
    receiver<T> rx;
    std::unique_ptr<recv_arm<T>> arm;
    std::unique_ptr<destination> into;
  };
  struct send_entry {
    sender<T> tx;
    std::unique_ptr<send_arm<T>> arm;
  };
  // A oneshot's and a watch's arm point at their receiver: it lives apart.
  struct oneshot_entry {
    std::unique_ptr<oneshot_receiver<T>> rx;
    std::unique_ptr<oneshot_recv_arm<T>> arm;
    std::unique_ptr<destination> into;
  };
  struct watch_entry {
    std::unique_ptr<watch_receiver<T>> rx;
    std::unique_ptr<watch_changed_arm<T>> arm;
  };
  struct broadcast_entry {
    std::unique_ptr<broadcast_receiver<T>> rx;
    std::unique_ptr<broadcast_recv_arm<T>> arm;
  };
  /// @endcond
  using entry = std::variant<receive_entry, send_entry, oneshot_entry, watch_entry, broadcast_entry>;

  /// Arm `index`, which `what` needs to be of kind `Entry`.
  template <class Entry>
  Entry& entry_at(std::size_t index, const char* what) {
    auto* e = std::get_if<Entry>(&arms_.at(index));
    if (e == nullptr) throw std::invalid_argument(std::string("rill::dynamic_select::") + what + ": not an arm of that kind");
    return *e;
  }

  send_entry& send_entry_at(std::size_t index, const char* what) { return entry_at<send_entry>(index, what); }

  static selected<T> placeholder() noexcept {
    return selected<T>{0, decltype(selected<T>::result)(std::in_place_index<0>, recv_arm<T>::placeholder())};
  }

  std::size_t push(entry e, detail::select_arm* arm) {
    arms_.push_back(std::move(e));
    engine_arms_.push_back(arm);
    order_scratch_.push_back(0);
    lock_scratch_.push_back(nullptr);
    return arms_.size() - 1;
  }

  std::optional<selected<T>> run_optional(detail::wait_limit limit, bool blocking) {
    std::optional<selected<T>> result(std::in_place, placeholder());
    if (!run(*result, limit, blocking)) result.reset();
    return result;
  }

  /// One select into `result`; false if it timed out, was stopped, or
  /// nothing was ready.
  bool run(selected<T>& result, detail::wait_limit limit, bool blocking) {
    for (entry& e : arms_) {
      std::visit(
          [&result](auto& arm_entry) {
            if constexpr (requires { arm_entry.into; }) {  // receives into the result
              arm_entry.into->result = &result.result;
              arm_entry.arm->set_destination(detail::receive_slot<T>::into(*arm_entry.into));
            }
          },
          e);
    }
    const std::size_t won =
        detail::run_select(engine_arms_, order_scratch_, lock_scratch_, order_, limit, blocking);
    if (won == detail::select_would_block || won == detail::select_timed_out || won == detail::select_stopped)
      return false;
    result.index = won;
    std::visit(
        [&result](auto& winner) {
          using kind = std::remove_cvref_t<decltype(winner)>;
          if constexpr (std::is_same_v<kind, send_entry>) {
            result.result.template emplace<1>(winner.arm->take_result());
          } else if constexpr (std::is_same_v<kind, watch_entry>) {
            result.result.template emplace<2>(winner.arm->take_result());
          } else if constexpr (std::is_same_v<kind, broadcast_entry>) {
            result.result.template emplace<3>(winner.arm->take_result());
          } else {
            if (winner.arm->won_disconnected()) result.result.template emplace<0>(tl::unexpect, recv_error{});
            if constexpr (std::is_same_v<kind, oneshot_entry>) winner.arm->set_enabled(false);  // spent
          }
        },
        arms_[won]);
    return true;
  }

  std::vector<entry> arms_;
  std::vector<detail::select_arm*> engine_arms_;
  std::vector<std::size_t> order_scratch_;
  std::vector<detail::futex_mutex*> lock_scratch_;
  select_order order_ = select_order::random;
};

}  // namespace rill
