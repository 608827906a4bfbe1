// rill — async_select: select as an Asio asynchronous operation.
//
//   auto r = co_await rill::async_select(rill::recv(jobs), rill::send(out, v), asio::use_awaitable);
//   switch (r->index()) { ... }
//
// Completion signature: void(std::error_code, std::optional<select_result<Arms...>>),
// engaged on success. It fails only with asio::error::operation_aborted,
// when cancelled through the handler's cancellation slot before any arm
// completed. For a timeout, race it with a timer; that is cancel-safe:
//
//   co_await (rill::async_select(arms..., use_awaitable) || timer.async_wait(use_awaitable));
//
// Cancel safety as for async_recv: a receive arm takes its message only on
// the handler's executor right before the handler runs, so a cancelled
// select has taken nothing; a send arm whose value was taken has completed.
#pragma once

#include <rill/detail/async_waiter.hpp>
#include <rill/detail/select_engine.hpp>
#include <rill/select.hpp>

#include <asio/async_result.hpp>

#include <array>
#include <optional>
#include <tuple>
#include <utility>

namespace rill {

namespace detail {

template <class Handler, class... Arms>
class async_select_operation final
    : public async_operation_base<async_select_operation<Handler, Arms...>, Handler,
                                  std::optional<select_result<Arms...>>> {
  using completion_value = std::optional<select_result<Arms...>>;
  using base = async_operation_base<async_select_operation, Handler, completion_value>;
  friend base;
  static constexpr std::size_t arm_count = sizeof...(Arms);

 public:
  template <class H>
  static void start(H&& handler, Arms&&... arms) {
    base::start_or_destroy(base::create(std::forward<H>(handler), std::move(arms)...));
  }

  async_select_operation(const typename base::allocator_type& alloc, Handler handler, Arms&&... arms)
      : base(alloc, std::move(handler)), arms_(std::move(arms)...) {
    std::apply([this](auto&... a) { engine_arms_ = {static_cast<select_arm*>(&a)...}; }, arms_);
    this->disarm();  // not queued: an early cancellation must not think it withdrew us
  }

 private:
  void begin() {
    this->listen();
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
    this->mark_resumed();
    const bool claimed = this->state.load(std::memory_order_acquire) >= claim_token::first_arm;
    const std::size_t claimed_arm = claimed ? this->winning_arm() : arm_count;
    this->disarm();
    dequeue_all();
    if (claimed && engine_arms_[claimed_arm]->sends() && engine_arms_[claimed_arm]->finish_claimed())
      return complete_with(claimed_arm);  // its value was taken: completed, cancelled or not
    // A receive arm woken for a message may lose the new poll to another
    // arm; its channel's other receivers are told now, since nobody else
    // will (a spurious wake-up for one of them if this select takes it).
    if (claimed) engine_arms_[claimed_arm]->pass_on();
    if (this->cancel_requested()) return this->complete(asio::error::operation_aborted, std::nullopt);
    // Scratch space on the stack, not in the operation: once the arms are
    // queued, another thread may complete and free the operation while this
    // one is still releasing the locks.
    std::array<std::size_t, arm_count> order{};
    std::array<futex_mutex*, arm_count> lock_scratch{};
    std::size_t winner = select_would_block;
    enum class then { wait, complete_aborted, leave_to_cancel } next = then::wait;
    {
      completion_list wake;  // declared first: completes after every lock is released
      select_locks locks(engine_arms_, lock_scratch);
      winner = poll_arms_locked(engine_arms_, order, select_order::random, wake);
      if (winner == select_would_block) {
        // Rearm, then read the cancellation flag: a cancel() that sets it
        // later finds the token armed and withdraws us; one that set it
        // earlier is seen here, and exactly one of us wins the abort.
        this->rearm();
        if (!this->cancel_requested())
          enqueue_arms_locked(engine_arms_, *this, wake, true);
        else
          next = this->try_abort() ? then::complete_aborted : then::leave_to_cancel;
      }
    }
    if (winner != select_would_block) return complete_with(winner);
    if (next == then::complete_aborted) return this->complete(asio::error::operation_aborted, std::nullopt);
    // Queued, or withdrawn by cancel(): from here a partner or cancel()
    // completes us, possibly on another thread at once, so `this` must not
    // be touched again.
  }

  void complete_with(std::size_t winner) {
    auto result = with_index(winner, std::index_sequence_for<Arms...>{}, [&](auto i) {
      constexpr std::size_t arm = decltype(i)::value;
      return select_result<Arms...>(std::in_place_index<arm>, std::get<arm>(arms_).take_result());
    });
    this->complete({}, std::move(result));
  }

  bool withdraw_if_waiting() noexcept {
    if (!this->try_abort()) return false;
    dequeue_all();
    return true;
  }

  void dequeue_all() noexcept { dequeue_arms(engine_arms_); }

  std::tuple<Arms...> arms_;
  std::array<select_arm*, arm_count> engine_arms_{};
};

template <class... Arms>
struct initiate_async_select {
  template <class Handler>
  void operator()(Handler&& handler, Arms... arms) const {
    async_select_operation<std::decay_t<Handler>, Arms...>::start(std::forward<Handler>(handler), std::move(arms)...);
  }
};

template <class... Arms, class Token, std::size_t... I>
auto async_select_with(std::tuple<Arms...>&& arms, Token&& token, std::index_sequence<I...>) {
  static_assert((is_channel_arm<Arms> && ...),
                "rill::async_select takes rill::recv and rill::send arms; for a timeout, race it with a timer: "
                "co_await (rill::async_select(..., use_awaitable) || timer.async_wait(use_awaitable))");
  return asio::async_initiate<Token, void(std::error_code, std::optional<select_result<Arms...>>)>(
      initiate_async_select<Arms...>{}, token, std::move(std::get<I>(arms))...);
}

}  // namespace detail

/// Selects asynchronously over receive and send arms, the last argument
/// being the completion token (see the top of this header). The arms are
/// moved into the operation; the receivers and senders they refer to must
/// outlive it. Among arms ready at once a random one wins.
template <class... Args>
auto async_select(Args&&... args) {
  static_assert(sizeof...(Args) >= 2, "rill::async_select takes at least one arm and a completion token");
  auto all = std::forward_as_tuple(std::forward<Args>(args)...);
  return [&all]<std::size_t... I>(std::index_sequence<I...>) {
    using arms = std::tuple<std::remove_cvref_t<std::tuple_element_t<I, std::tuple<Args...>>>...>;
    return detail::async_select_with(arms(std::move(std::get<I>(all))...),
                                     std::get<sizeof...(Args) - 1>(std::move(all)),
                                     std::make_index_sequence<sizeof...(I)>{});
  }(std::make_index_sequence<sizeof...(Args) - 1>{});
}

}  // namespace rill
