// rill — async_select: select as an Asio asynchronous operation.
//
//   auto r = co_await rill::async_select(rill::recv(jobs), rill::send(out, v),
//                                        rill::timeout(50ms), asio::use_awaitable);
//   switch (r->index()) { ... }
//
// Completion signature: void(std::error_code, std::optional<select_result<Arms...>>),
// engaged on success. It fails only with asio::error::operation_aborted,
// when cancelled through the handler's cancellation slot before any arm
// completed.
//
// Cancel safety as for async_recv: a receive arm takes its message only on
// the handler's executor right before the handler runs, so a cancelled
// select has taken nothing; a send arm whose value was taken has completed.
// A send arm passed as an lvalue is used in place, so one that did not win
// still holds its value afterwards (`arm.take_value()`).
//
// Timeout and deadline arms: the operation starts a steady_timer on the
// handler's executor, and an expiry acts exactly like a cancellation whose
// outcome is the timeout arm instead of operation_aborted. So a select that
// times out has taken nothing, and a send arm whose value was taken by then
// still wins.
#pragma once

#include <rill/detail/async_operation_base.hpp>
#include <rill/detail/initiation.hpp>
#include <rill/detail/last_of_two.hpp>
#include <rill/detail/select_engine.hpp>
#include <rill/select.hpp>

#include <asio/async_result.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <tuple>
#include <utility>

namespace rill {

namespace detail {

/// How an async_select holds an argument: a send or receive arm passed as
/// an lvalue by reference (the caller takes a losing send arm's value back
/// from it, as with select), anything else by value.
template <class Arg>
using held_arm = std::conditional_t<std::is_lvalue_reference_v<Arg> && is_channel_arm<Arg>, Arg, std::remove_cvref_t<Arg>>;

/// How a held arm travels through asio::async_initiate, which stores its
/// arguments by value: an arm held by reference as a reference_wrapper.
template <class Held>
using carried_arm =
    std::conditional_t<std::is_lvalue_reference_v<Held>, std::reference_wrapper<std::remove_reference_t<Held>>, Held>;

template <class Arm>
Arm& unwrap_arm(std::reference_wrapper<Arm> arm) noexcept {
  return arm.get();
}
template <class Arm>
Arm& unwrap_arm(Arm& arm) noexcept {
  return arm;
}

/// The channel arms of a select, in order, without its timeout arms.
template <class... Arms>
using channel_arms_of =
    decltype(std::tuple_cat(std::declval<std::conditional_t<is_channel_arm<Arms>, std::tuple<Arms>, std::tuple<>>>()...));

/// Where each channel arm sits in the full list of arms.
template <class... Arms>
constexpr auto channel_arm_positions() {
  constexpr bool is_channel[] = {is_channel_arm<Arms>...};
  std::array<std::size_t, std::tuple_size_v<channel_arms_of<Arms...>>> positions{};
  for (std::size_t i = 0, next = 0; i < sizeof...(Arms); ++i)
    if (is_channel[i]) positions[next++] = i;
  return positions;
}

/// An async_select over `Arms...` (channel arms, and timeout arms if any).
template <class Handler, class... Arms>
class async_select_operation final
    : public async_operation_base<async_select_operation<Handler, Arms...>, Handler,
                                  std::optional<select_result<Arms...>>> {
  using completion_value = std::optional<select_result<Arms...>>;
  using base = async_operation_base<async_select_operation, Handler, completion_value>;
  friend base;
  using channel_arms = channel_arms_of<Arms...>;
  static constexpr auto positions = channel_arm_positions<Arms...>();
  static constexpr std::size_t arm_count = positions.size();
  static constexpr bool timed = arm_count != sizeof...(Arms);
  static_assert(arm_count > 0, "rill::async_select needs at least one rill::recv or rill::send arm; "
                               "to wait for a time alone, use an asio::steady_timer");
  /// One destination per channel arm, for the alternative of its position.
  template <std::size_t... K>
  static auto position_sequence(std::index_sequence<K...>) -> std::index_sequence<positions[K]...>;
  using destinations =
      typename destinations_for<select_result<Arms...>,
                                decltype(position_sequence(std::make_index_sequence<arm_count>{}))>::type;

 public:
  template <class H>
  static void start(H&& handler, carried_arm<Arms>&&... arms) {
    base::start_or_destroy(base::create(std::forward<H>(handler), std::move(arms)...));
  }

  async_select_operation(const typename base::allocator_type& alloc, Handler handler, carried_arm<Arms>&&... arms)
      : base(alloc, std::move(handler)),
        arms_(std::tuple_cat(keep_channel_arm<Arms>(unwrap_arm(arms))...)),
        result_(placeholder_result<Arms...>()) {
    std::apply([this](auto&... a) { engine_arms_ = {static_cast<select_arm*>(&a)...}; }, arms_);
    // A receive arm's message goes straight into result_, which moves into
    // the handler's argument when the select completes.
    [this]<std::size_t... K>(std::index_sequence<K...>) {
      (direct_arm(std::get<K>(arms_), result_, std::get<K>(destinations_)), ...);
    }(std::make_index_sequence<arm_count>{});
    this->disarm();  // not queued: an early cancellation must not think it withdrew us
    // Made before listen() registers us: the timer's service then predates
    // our registry, so a context shutting down withdraws us before it drops
    // the timer's wait.
    if constexpr (timed) timer_.emplace(this->executor(), earliest_deadline(unwrap_arm(arms)...));
  }

 private:
  /// A channel arm kept by the operation: by reference if the caller passed
  /// it as an lvalue, else moved in.
  template <class Held, class Arm>
  static auto keep_channel_arm(Arm& arm) {
    if constexpr (!is_channel_arm<Held>)
      return std::tuple<>();
    else if constexpr (std::is_lvalue_reference_v<Held>)
      return std::tuple<Held>(arm);
    else
      return std::tuple<Held>(std::move(arm));
  }

  /// The earliest deadline decides; among equal ones, the first listed arm,
  /// whose position it records.
  steady_deadline earliest_deadline(const std::remove_reference_t<Arms>&... arms) {
    std::optional<steady_deadline> earliest;
    std::size_t index = 0;
    auto consider = [&](const auto& arm) {
      if constexpr (!is_channel_arm<decltype(arm)>) {
        if (!earliest || arm.deadline() < *earliest) {
          earliest = arm.deadline();
          timeout_position_ = index;
        }
      }
      ++index;
    };
    (consider(arms), ...);
    return *earliest;
  }

  void begin() {
    this->listen();
    if constexpr (timed) timer_->async_wait(timer_expired{this});
    // Never poll here: a receive arm would take its message now and hold it
    // until the posted handler runs, where a cancellation could strand it.
    this->post_resume();
  }

  /// The token is claimable only while the arms are queued, so a successful
  /// abort means we withdrew a waiting select; otherwise the resume that is
  /// posted or running sees the request.
  void cancel() {
    this->request_cancel();
    if (this->try_abort()) this->post_resume();
  }

  /// Runs on the handler's executor after the previous wait ended (a
  /// partner claimed an arm, or a cancellation withdrew us) or at the start.
  void resume() {
    // Registered again before anything is queued: the post that resumed
    // us took us out of the context's registry.
    this->register_pending();
    const bool claimed = this->state.load(std::memory_order_acquire) >= claim_token::first_arm;
    const std::size_t claimed_arm = claimed ? this->winning_arm() : arm_count;
    this->disarm();
    dequeue_all();
    if (claimed && engine_arms_[claimed_arm]->sends() && engine_arms_[claimed_arm]->finish_claimed())
      return conclude_with(claimed_arm);  // its value was taken: completed, cancelled or not
    // A receive arm woken for a message may lose the new poll to another
    // arm; its channel's other receivers are told now, since nobody else
    // will (a spurious wake-up for one of them if this select takes it).
    if (claimed) engine_arms_[claimed_arm]->pass_on();
    if (this->cancel_requested()) return conclude_cancelled();
    // Scratch space on the stack, not in the operation: once the arms are
    // queued, another thread may complete and free the operation while this
    // one is still releasing the locks.
    std::array<std::size_t, arm_count> order{};
    std::array<futex_mutex*, arm_count> lock_scratch{};
    std::size_t winner = select_would_block;
    enum class then { wait, conclude_cancelled, leave_to_cancel } next = then::wait;
    {
      locked_section<select_locks> locked(engine_arms_, lock_scratch);
      winner = poll_arms_locked(engine_arms_, order, select_order::random, locked.wake);
      if (winner == select_would_block) {
        // Rearm, then read the cancellation flag: a cancel() that sets it
        // later finds the token armed and withdraws us; one that set it
        // earlier is seen here, and exactly one of us wins the abort.
        this->rearm();
        if (!this->cancel_requested())
          enqueue_arms_locked(engine_arms_, *this, locked.wake, true);
        else
          next = this->try_abort() ? then::conclude_cancelled : then::leave_to_cancel;
      }
    }
    if (winner != select_would_block) return conclude_with(winner);
    if (next == then::conclude_cancelled) return conclude_cancelled();
    // Queued, or withdrawn by cancel(): from here a partner or cancel()
    // completes us, possibly on another thread at once, so `this` must not
    // be touched again.
  }

  void conclude_with(std::size_t winner) {
    with_index(winner, std::make_index_sequence<arm_count>{}, [&](auto i) {
      constexpr std::size_t arm = decltype(i)::value;
      record_winner<positions[arm]>(std::get<arm>(arms_), result_);
    });
    conclude({}, completion_value(std::move(result_)));
  }

  /// Withdrawn by a cancellation: the slot's, or the timer's expiry.
  void conclude_cancelled() {
    if constexpr (timed) {
      if (timed_out_.load(std::memory_order_relaxed)) {
        std::optional<select_result<Arms...>> timeout;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
          ((I == timeout_position_ ? emplace_timeout<I>(timeout) : void()), ...);
        }(std::index_sequence_for<Arms...>{});
        return conclude({}, std::move(timeout));
      }
    }
    conclude(asio::error::operation_aborted, std::nullopt);
  }

  template <std::size_t I>
  static void emplace_timeout(completion_value& out) {
    if constexpr (!is_channel_arm<std::tuple_element_t<I, std::tuple<Arms...>>>) out.emplace(std::in_place_index<I>);
  }

  /// Completes the handler, once the timer (if any) has let go of us too:
  /// its wait is cancelled, and whichever of the select and the timer's
  /// handler finishes last completes the operation.
  void conclude(std::error_code ec, completion_value value) {
    if constexpr (timed) {
      outcome_.emplace(ec, std::move(value));
      timer_->cancel();
      finish_part();
    } else {
      this->complete(ec, std::move(value));
    }
  }

  /// The timer's handler; runs on the handler's executor.
  struct timer_expired {
    async_select_operation* op;
    void operator()(std::error_code ec) {
      if (!ec) {
        // Read by conclude_cancelled after cancel_requested, which orders it.
        op->timed_out_.store(true, std::memory_order_relaxed);
        op->cancel();
      }
      op->finish_part();
    }
  };

  void finish_part() {
    // The last part sees the outcome the other one stored (last_of_two).
    if (!parts_.finish()) return;
    if (!outcome_) return this->destroy_uninvoked();  // abandoned
    auto [ec, value] = std::move(*outcome_);
    this->complete(ec, std::move(value));
  }

  /// resume() threw (a move or an allocation failed). A timed select's
  /// timer may still call back: its wait is cancelled, and whichever part
  /// finishes last lets the operation go, with no outcome: uninvoked.
  void abandon() noexcept {
    if constexpr (timed) {
      outcome_.reset();
      std::error_code ignored;
      timer_->cancel(ignored);
      finish_part();
    } else {
      this->destroy_uninvoked();
    }
  }

  bool withdraw_if_waiting() noexcept {
    if (!this->try_abort()) return false;
    dequeue_all();
    return true;
  }

  void dequeue_all() noexcept { dequeue_arms(engine_arms_); }

  /// The context shuts down: the timer must go while its service exists.
  void release_io_objects() noexcept {
    if constexpr (timed) timer_.reset();
  }

  struct no_timer {};
  channel_arms arms_;
  std::array<select_arm*, arm_count> engine_arms_{};
  // Timed selects only.
  std::size_t timeout_position_ = 0;
  std::conditional_t<timed, std::optional<asio::steady_timer>, no_timer> timer_;
  std::atomic<bool> timed_out_{false};
  last_of_two parts_;  ///< the select and the timer's wait
  std::optional<std::pair<std::error_code, completion_value>> outcome_;
  select_result<Arms...> result_;  ///< the winner's outcome; a receive arm's message lands here
  destinations destinations_;      ///< where each receive arm's slot points: into result_
};

/// The initiation: out of line, its arms taken by reference and moved into
/// the operation before it starts (initiation.hpp). `Arms` are the held arms.
template <class... Arms>
struct initiate_async_select {
  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler, carried_arm<Arms>&&... arms) const {
    async_select_operation<std::decay_t<Handler>, Arms...>::start(std::forward<Handler>(handler), std::move(arms)...);
  }
  template <class Handler>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler, const carried_arm<Arms>&... arms) const {
    (*this)(std::forward<Handler>(handler), carried_arm<Arms>(arms)...);
  }
};

/// Starts an async_select holding its arms as `Held...` (held_arm).
template <class... Held, class Token, class... Args>
auto async_select_with(Token&& token, Args&&... args) {
  static_assert((is_select_arm<Held> && ...),
                "rill::async_select takes arms (rill::recv(rx), rill::send(tx, v), rill::timeout(d), "
                "rill::deadline(t)) followed by a completion token");
  static_assert(((!is_stop_arm<Held>)&&...),
                "rill::async_select takes no rill::on_stop arm: an asynchronous select is stopped through its "
                "completion token's cancellation slot (asio::bind_cancellation_slot)");
  static_assert(((!std::is_const_v<std::remove_reference_t<Held>>)&&...),
                "rill::async_select: an arm passed as an lvalue must not be const (a send arm hands its value "
                "back through it)");
  return asio::async_initiate<Token, void(std::error_code, std::optional<select_result<Held...>>)>(
      initiate_async_select<Held...>{}, token, carried_arm<Held>(std::forward<Args>(args))...);
}

}  // namespace detail

/// Selects asynchronously over receive, send, timeout and deadline arms,
/// the last argument being the completion token (see the top of this
/// header). Arms passed as temporaries are moved into the operation; a send
/// or receive arm passed as an lvalue is used in place and must outlive the
/// operation, and a send arm that did not win (lost, cancelled, timed out)
/// then still holds its value: `arm.take_value()`, as with select. The
/// receivers and senders the arms refer to must outlive the operation.
/// Among arms ready at once a random one wins; a timeout arm wins once its
/// deadline passed with no channel arm ready.
template <class... Args>
auto async_select(Args&&... args) {
  static_assert(sizeof...(Args) >= 2, "rill::async_select takes at least one arm and a completion token");
  auto all = std::forward_as_tuple(std::forward<Args>(args)...);
  return [&all]<std::size_t... I>(std::index_sequence<I...>) {
    using all_args = std::tuple<Args&&...>;
    return detail::async_select_with<detail::held_arm<std::tuple_element_t<I, all_args>>...>(
        std::get<sizeof...(Args) - 1>(std::move(all)), std::get<I>(std::move(all))...);
  }(std::make_index_sequence<sizeof...(Args) - 1>{});
}

}  // namespace rill
