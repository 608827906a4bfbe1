// rill — select: wait on several channel operations and timeouts at once,
// and complete exactly one of them.
//
//   auto r = rill::select(rill::recv(jobs), rill::recv(control), rill::timeout(50ms));
//   switch (r.index()) {
//     case 0: handle(std::get<0>(r));  break;   // expected<Job, recv_error>
//     case 1: stop(std::get<1>(r));    break;   // expected<Command, recv_error>
//     case 2: idle();                  break;   // rill::timed_out
//   }
//
// The losing arms take nothing and deliver nothing. A receive arm on a
// disconnected, drained channel wins with recv_error, a send arm on a
// closed channel with send_error (holding the value). A send arm that lost
// keeps its value: pass the arm as an lvalue and take it back with
// `arm.take_value()`.
#pragma once

#include <rill/detail/channel_access.hpp>
#include <rill/detail/select_engine.hpp>
#include <rill/detail/select_port.hpp>
#include <rill/error.hpp>
#include <rill/receiver.hpp>
#include <rill/sender.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace rill {

/// The result of a timeout or deadline arm that won.
struct timed_out {
  /// All timed_out values are equal (it carries nothing).
  friend bool operator==(timed_out, timed_out) noexcept = default;
};

/// The result of a stop arm (rill::on_stop) that won.
struct stopped {
  /// All stopped values are equal (it carries nothing).
  friend bool operator==(stopped, stopped) noexcept = default;
};

/// Ask for `select_order::biased` to make the first ready arm, in the order
/// given, win instead of a random ready one.
using detail::select_order;

namespace detail {

/// What receive and send arms share: the channel, the switch, the waiter.
template <class T>
class channel_arm : public select_arm {
 public:
  /// Switches the arm on or off between selects.
  void set_enabled(bool on) noexcept { enabled_ = on; }

 protected:
  channel_arm(channel_core<T>* core, bool enabled) noexcept : channel_(*core), enabled_(enabled) {}

  /// A fresh waiter for one run, as arm `index` of `token`.
  waiter<T>& fresh_waiter(claim_token& token, std::uint32_t index) noexcept {
    waiter_ = waiter<T>{};
    waiter_.token = &token;
    waiter_.arm = index;
    return waiter_;
  }

  void dequeue() noexcept override { channel_.withdraw(waiter_); }

  select_port<T> channel_;
  bool enabled_;
  waiter<T> waiter_;
};

}  // namespace detail

/// A receive arm: wins with the next message, or with recv_error once the
/// channel is closed and drained. The receiver must outlive the select.
///
/// Its message moves once, from the channel straight into the result the
/// select returns (`destination`, set by the select before it runs), so a
/// move that throws leaves the message in the channel or with its sender.
template <class T>
class recv_arm final : public detail::channel_arm<T> {
  using base = detail::channel_arm<T>;
  using base::channel_;
  using base::enabled_;
  using base::waiter_;

 public:
  /// What the select's result holds when this arm wins: the message, or
  /// recv_error once the channel is disconnected and drained.
  using result_type = expected<T, recv_error>;

  /// An arm receiving from `rx`; a disabled arm never wins. Prefer
  /// rill::recv(rx, enabled), which deduces T.
  recv_arm(const receiver<T>& rx, bool enabled) : base(detail::channel_access::core(rx), enabled) {}
  // Movable while not queued, so that an asynchronous select can own its arms.
  /// Moves the arm (allowed only while no select is running it).
  recv_arm(recv_arm&&) = default;
  recv_arm& operator=(recv_arm&&) = delete;

  /// Where the message goes when this arm wins; set before every run.
  void set_destination(detail::receive_slot<T> destination) noexcept { destination_ = destination; }

  /// After this arm won: true if it won with recv_error (nothing was put
  /// in the destination), false if with a message (it is there).
  bool won_disconnected() const noexcept { return disconnected_; }

  /// What a select's result holds before any arm won; never returned.
  static result_type placeholder() noexcept { return result_type(tl::unexpect, recv_error{}); }

 private:
  detail::futex_mutex* mutex() const noexcept override { return enabled_ ? &channel_.mutex() : nullptr; }

  bool poll_locked(detail::completion_list& wake) override {
    switch (channel_.try_recv_locked(destination_, wake)) {
      case detail::op_result::done:
        disconnected_ = false;
        return true;
      case detail::op_result::disconnected:
        disconnected_ = true;
        return true;
      default:
        return false;
    }
  }

  void enqueue_locked(detail::claim_token& token, std::uint32_t index, detail::completion_list&,
                      bool notify_only) noexcept override {
    auto& w = this->fresh_waiter(token, index);
    w.notify_only = notify_only;
    channel_.enqueue_receiver_locked(w, notify_only ? detail::receive_slot<T>() : destination_);
  }

  bool sends() const noexcept override { return false; }
  void pass_on() override { channel_.pass_on(); }

  bool finish_claimed() override {
    switch (waiter_.status) {
      case detail::wait_status::done:  // the partner filled the destination
        disconnected_ = false;
        return true;
      case detail::wait_status::disconnected:
        disconnected_ = true;
        return true;
      default:  // retry: nothing was handed over
        return false;
    }
  }

  detail::receive_slot<T> destination_;
  bool disconnected_ = false;
};

/// A send arm: wins once the value is sent, or with send_error (holding the
/// value) when the channel is closed. The sender must outlive the select.
template <class T>
class send_arm final : public detail::channel_arm<T> {
  using base = detail::channel_arm<T>;
  using base::channel_;
  using base::enabled_;
  using base::waiter_;

 public:
  /// What the select's result holds when this arm wins: success, or
  /// send_error holding the value once every receiver is gone.
  using result_type = expected<void, send_error<T>>;

  /// An arm sending `value` on `tx`; a disabled arm, or one without a
  /// value, never wins. Prefer rill::send(tx, value, enabled).
  send_arm(const sender<T>& tx, std::optional<T> value, bool enabled)
      : base(detail::channel_access::core(tx), enabled), value_(std::move(value)) {}
  /// Moves the arm and its value (allowed only while no select is running
  /// it).
  send_arm(send_arm&&) = default;
  send_arm& operator=(send_arm&&) = delete;

  /// After this arm won: its outcome, moved out (used by the select; call
  /// at most once per win).
  result_type take_result() { return std::move(*result_); }

  /// What a select's result holds before any arm won; never returned.
  static result_type placeholder() noexcept { return result_type(); }

  /// The value, unless this arm sent it (or handed it back in its error).
  [[nodiscard("the value taken out of the arm")]] std::optional<T> take_value() {
    return std::exchange(value_, std::nullopt);
  }

  /// An arm without a value (sent already) stays off until it gets one.
  void set_value(T value) { value_.emplace(std::move(value)); }

 private:
  detail::futex_mutex* mutex() const noexcept override {
    return enabled_ && value_.has_value() ? &channel_.mutex() : nullptr;
  }

  bool poll_locked(detail::completion_list& wake) override {
    switch (channel_.try_send_locked(*value_, wake)) {
      case detail::op_result::done:
        return sent();
      case detail::op_result::disconnected:
        return refused();
      default:
        return false;
    }
  }

  void enqueue_locked(detail::claim_token& token, std::uint32_t index, detail::completion_list& wake,
                      bool) noexcept override {
    channel_.enqueue_sender_locked(this->fresh_waiter(token, index), *value_, wake);
  }

  bool sends() const noexcept override { return true; }
  void pass_on() override {}

  bool finish_claimed() override {
    switch (waiter_.status) {
      case detail::wait_status::done:
        return sent();
      case detail::wait_status::disconnected:
        return refused();
      default:  // retry: the value is still ours
        return false;
    }
  }

  bool sent() {
    result_.emplace();
    value_.reset();
    return true;
  }

  bool refused() {
    result_.emplace(unexpected(send_error<T>{std::move(*value_)}));
    value_.reset();
    return true;
  }

  std::optional<T> value_;
  std::optional<result_type> result_;
};

/// A timeout arm: wins with `timed_out` if nothing else is ready by then.
class timeout_arm {
 public:
  /// What the select's result holds when this arm wins.
  using result_type = timed_out;

  /// An arm that fires at `deadline` on the steady clock. Prefer
  /// rill::timeout(d) or rill::deadline(t).
  explicit timeout_arm(detail::steady_deadline deadline) noexcept : deadline_(deadline) {}
  /// When the arm fires.
  detail::steady_deadline deadline() const noexcept { return deadline_; }
  /// The result of a win: timed_out{}.
  timed_out take_result() const noexcept { return {}; }
  /// What a select's result holds before any arm won; never returned.
  static timed_out placeholder() noexcept { return {}; }

 private:
  detail::steady_deadline deadline_;
};

/// A stop arm: wins once a stop is requested through its token, also one
/// requested before the select started, ahead of arms that are ready then
/// (so a loop of selects in a std::jthread ends promptly). At most one per
/// select.
class stop_arm {
 public:
  /// What the select's result holds when this arm wins.
  using result_type = stopped;

  /// An arm that fires once a stop is requested through `stop`. Prefer
  /// rill::on_stop(stop).
  explicit stop_arm(std::stop_token stop) noexcept : stop_(std::move(stop)) {}
  /// The token the arm watches.
  const std::stop_token& token() const noexcept { return stop_; }
  /// The result of a win: stopped{}.
  stopped take_result() const noexcept { return {}; }
  /// What a select's result holds before any arm won; never returned.
  static stopped placeholder() noexcept { return {}; }

 private:
  std::stop_token stop_;
};

/// Receive from `rx`; a disabled arm never wins (like a nil channel in Go).
template <class T>
recv_arm<T> recv(const receiver<T>& rx, bool enabled = true) {
  return recv_arm<T>(rx, enabled);
}

/// Send `value` on `tx`; a disabled arm never wins and keeps its value.
template <class T, class U>
send_arm<T> send(const sender<T>& tx, U&& value, bool enabled = true) {
  return send_arm<T>(tx, std::optional<T>(std::in_place, std::forward<U>(value)), enabled);
}

/// Wins after `d`, if nothing else is ready by then.
template <class Rep, class Period>
timeout_arm timeout(const std::chrono::duration<Rep, Period>& d) {
  return timeout_arm(detail::deadline_after(d));
}

/// Wins at `t`, if nothing else is ready by then.
template <class Clock, class Duration>
timeout_arm deadline(const std::chrono::time_point<Clock, Duration>& t) {
  return timeout_arm(detail::to_steady_deadline(t));
}

/// Wins once a stop is requested through `stop` (see stop_arm).
inline stop_arm on_stop(std::stop_token stop) noexcept { return stop_arm(std::move(stop)); }

/// What select returns: which arm won (`index()`) and its result
/// (`std::get<I>`), one alternative per arm in the order given.
template <class... Arms>
using select_result = std::variant<typename std::remove_cvref_t<Arms>::result_type...>;

namespace detail {

template <class Arm>
inline constexpr bool is_channel_arm = std::is_base_of_v<select_arm, std::remove_cvref_t<Arm>>;

template <class Arm>
inline constexpr bool is_recv_arm = false;
template <class T>
inline constexpr bool is_recv_arm<recv_arm<T>> = true;

template <class Arm>
inline constexpr bool is_stop_arm = std::is_same_v<std::remove_cvref_t<Arm>, stop_arm>;

template <class Arm>
inline constexpr bool is_select_arm =
    is_channel_arm<Arm> || is_stop_arm<Arm> || std::is_same_v<std::remove_cvref_t<Arm>, timeout_arm>;

/// Calls f(std::integral_constant<std::size_t, I>) for the runtime index i.
template <class F, std::size_t... I>
void with_index(std::size_t i, std::index_sequence<I...>, F&& f) {
  ((i == I ? f(std::integral_constant<std::size_t, I>{}) : void()), ...);
}

/// A select's result before any arm won: the first arm's placeholder,
/// which holds no message, so building it moves none.
template <class First, class... Rest>
select_result<First, Rest...> placeholder_result() noexcept {
  return select_result<First, Rest...>(std::in_place_index<0>, std::remove_cvref_t<First>::placeholder());
}

/// Where a receive arm that sits at `Position` among a select's arms puts
/// its message: that alternative of the select's result, built in place.
/// If the move throws, the variant is left valueless and the select throws;
/// the message stays in the channel or with its sender.
template <class Result, std::size_t Position>
struct alternative_destination {
  Result* result = nullptr;

  template <class M>
  void emplace(M&& message) {
    result->template emplace<Position>(tl::in_place, std::forward<M>(message));
  }
};

/// One destination per arm of a select (used by its receive arms only).
template <class Result, class Positions>
struct destinations_for;
template <class Result, std::size_t... Position>
struct destinations_for<Result, std::index_sequence<Position...>> {
  using type = std::tuple<alternative_destination<Result, Position>...>;
};

/// Points a receive arm at its alternative of `result`.
template <class Arm, class Result, std::size_t Position>
void direct_arm(Arm& arm, Result& result, alternative_destination<Result, Position>& destination) noexcept {
  if constexpr (is_recv_arm<std::remove_cvref_t<Arm>>) {
    destination.result = &result;
    arm.set_destination(receive_slot<typename std::remove_cvref_t<Arm>::result_type::value_type>::into(destination));
  }
}

/// Records the outcome of the arm that won, as alternative `Position` of
/// `result`. A receive arm's message is there already.
template <std::size_t Position, class Arm, class Result>
void record_winner(Arm& arm, Result& result) {
  if constexpr (is_recv_arm<std::remove_cvref_t<Arm>>) {
    if (arm.won_disconnected()) result.template emplace<Position>(tl::unexpect, recv_error{});
  } else {
    result.template emplace<Position>(arm.take_result());
  }
}

/// Runs a select over a fixed list of arms, leaving the winner's outcome in
/// `result`; false when not `blocking` and nothing was ready.
template <class Result, class... Arms>
bool select_over(Result& result, select_order order, bool blocking, Arms&... arms) {
  static_assert(sizeof...(Arms) > 0, "rill::select needs at least one arm");
  static_assert((is_select_arm<Arms> && ...),
                "rill::select takes arms: rill::recv(rx), rill::send(tx, v), rill::reserve(tx), rill::timeout(d), "
                "rill::deadline(t), rill::on_stop(stop_token)");
  static_assert((std::size_t{is_stop_arm<Arms>} + ...) <= 1, "rill::select takes at most one rill::on_stop arm");
  constexpr std::size_t channel_arms = (std::size_t{is_channel_arm<Arms>} + ...);

  typename destinations_for<Result, std::index_sequence_for<Arms...>>::type destinations;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (direct_arm(arms, result, std::get<I>(destinations)), ...);
  }(std::index_sequence_for<Arms...>{});

  // The channel arms for the engine, and where each sits in the argument list.
  std::array<select_arm*, channel_arms> engine_arms{};
  std::array<std::size_t, channel_arms> position{};
  std::size_t next = 0, index = 0;
  std::optional<steady_deadline> earliest;
  std::size_t earliest_position = 0;
  const std::stop_token* stop = nullptr;
  std::size_t stop_position = 0;
  auto collect = [&](auto& arm) {
    if constexpr (is_channel_arm<decltype(arm)>) {
      engine_arms[next] = &arm;
      position[next++] = index;
    } else if constexpr (is_stop_arm<decltype(arm)>) {
      stop = stop_pointer(arm.token());
      stop_position = index;
    } else if (!earliest || arm.deadline() < *earliest) {
      earliest = arm.deadline();
      earliest_position = index;
    }
    ++index;
  };
  (collect(arms), ...);

  std::array<std::size_t, channel_arms> order_scratch{};
  std::array<futex_mutex*, channel_arms> lock_scratch{};
  const std::size_t won = run_select(engine_arms, order_scratch, lock_scratch, order,
                                     wait_limit{earliest ? &*earliest : nullptr, stop}, blocking);
  if (won == select_would_block) return false;
  const std::size_t winner = won == select_timed_out ? earliest_position
                             : won == select_stopped ? stop_position
                                                     : position[won];
  auto all = std::forward_as_tuple(arms...);
  with_index(winner, std::index_sequence_for<Arms...>{}, [&](auto i) {
    constexpr std::size_t arm = decltype(i)::value;
    record_winner<arm>(std::get<arm>(all), result);
  });
  return true;
}

}  // namespace detail

// The select forms return a result built in place (a named return value,
// as in receiver.hpp): a received message moves once, from the channel into
// the object returned.

/// Blocks until exactly one arm completes; `order` decides which wins among
/// arms ready at once (select_order::random, or select_order::biased for the
/// first in the order given). Throws std::logic_error if no arm is enabled
/// and there is neither a timeout nor a stop arm (it would block forever).
template <class... Arms>
RILL_NODISCARD_RECV select_result<Arms...> select(select_order order, Arms&&... arms) {
  select_result<Arms...> result = detail::placeholder_result<Arms...>();
  (void)detail::select_over(result, order, true, arms...);
  return result;
}

/// Blocks until exactly one arm completes; among arms ready at once a
/// random one wins (select_order::random). Throws std::logic_error if no
/// arm is enabled and there is neither a timeout nor a stop arm.
template <class... Arms>
RILL_NODISCARD_RECV select_result<Arms...> select(Arms&&... arms) {
  return rill::select(select_order::random, std::forward<Arms>(arms)...);
}

/// Completes one ready arm without blocking (Go's `default`), or returns
/// std::nullopt when none is ready; `order` decides among arms ready at
/// once. A timeout arm is ready once it expired.
template <class... Arms>
RILL_NODISCARD_RECV std::optional<select_result<Arms...>> try_select(select_order order, Arms&&... arms) {
  std::optional<select_result<Arms...>> result(std::in_place, detail::placeholder_result<Arms...>());
  if (!detail::select_over(*result, order, false, arms...)) result.reset();
  return result;
}

/// As try_select(order, arms...), with a random winner among ready arms.
template <class... Arms>
RILL_NODISCARD_RECV std::optional<select_result<Arms...>> try_select(Arms&&... arms) {
  return rill::try_select(select_order::random, std::forward<Arms>(arms)...);
}

}  // namespace rill
