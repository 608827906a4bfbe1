// rill — the sending handle of a channel.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/error.hpp>
#include <rill/overflow.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ranges>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace rill {

namespace detail {

/// A range send_many can send from: its elements are moved from when they
/// are lvalues of the message type, converted into it otherwise.
template <class Range, class T>
concept batch_source = std::is_same_v<std::ranges::range_reference_t<Range>, T&> ||
                       std::is_constructible_v<T, std::ranges::range_reference_t<Range>>;

}  // namespace detail

template <class T>
class receiver;
template <class T>
class weak_sender;
template <class T>
class permit;
template <class T>
class permit_batch;

/// The sending end of a channel. Cheap to copy: every copy is one more
/// producer, and the channel disconnects for receivers when the last copy is
/// destroyed (after they drain what is buffered). Safe to use from several
/// threads at once; one handle object is not meant to be assigned while
/// others use it, like any C++ value.
///
/// Every failed send hands the value back inside its error.
template <class T>
class sender {
 public:
  /// The message type.
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  sender() noexcept = default;

  /// Sends `value`, blocking while a bounded channel is full (for a
  /// rendezvous channel, until a receiver takes it). Fails only when the
  /// channel is closed or every receiver is gone.
  RILL_NODISCARD_SEND expected<void, send_error<T>> send(T value) const {
    if (detail::blocking_send(core(), value, {}) == detail::blocking_result::done) return {};
    return unexpected(send_error<T>{std::move(value)});
  }

  /// Like send(), but gives up with errc::stopped once a stop is requested
  /// through `stop` (a std::jthread's token, say), without closing the
  /// channel: a stopped send has delivered nothing and hands its value back.
  /// If the stop was requested before the call, it fails at once, even when
  /// the send could have completed.
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send(T value, std::stop_token stop) const {
    return send_limited(value, {nullptr, detail::stop_pointer(stop)});
  }

  /// Sends `value` only if that needs no waiting: fails with errc::full when
  /// a bounded channel has no room (a rendezvous channel: no receiver is
  /// waiting) and with errc::disconnected when closed.
  RILL_NODISCARD_SEND expected<void, try_send_error<T>> try_send(T value) const {
    const auto r = core().send(value, nullptr);
    if (r == detail::op_result::done) return {};
    const errc why = r == detail::op_result::disconnected ? errc::disconnected : errc::full;
    return unexpected(try_send_error<T>{why, std::move(value)});
  }

  /// Sends every value of `values` in order, blocking while a bounded channel
  /// is full, until all are sent, the channel disconnects, or a stop is
  /// requested through `stop`. Returns how many were sent: values moved
  /// from are exactly that prefix, and the rest are untouched (handed back).
  /// What fits at once goes under one lock and wakes its receivers together,
  /// which is what makes a batch cheaper than one send per value (bench/,
  /// batch rows). A value whose type is not T is converted first. If a move
  /// or conversion throws, the values before it are sent and the exception
  /// propagates.
  template <std::ranges::input_range Range>
  [[nodiscard("how many were sent; the values after them were not")]] std::size_t send_many(Range&& values,
                                                                                           std::stop_token stop = {}) const {
    static_assert(detail::batch_source<Range, T>,
                  "rill::sender::send_many: the range's elements must be the channel's message type, as lvalues to move "
                  "from, or convert to it");
    const detail::wait_limit limit{nullptr, detail::stop_pointer(stop)};
    if (limit.stop_requested()) return 0;
    auto first = std::ranges::begin(values);
    const auto last = std::ranges::end(values);
    std::size_t sent = 0;
    for (;;) {
      bool disconnected = false;
      sent += core().send_batch(first, last, disconnected);
      if (first == last || disconnected) return sent;
      // Full: wait for room for the next value, then batch again.
      detail::blocking_result r;
      if constexpr (std::is_same_v<decltype(*first), T&>) {
        r = detail::blocking_send(core(), *first, limit);
      } else {
        T value(*first);
        r = detail::blocking_send(core(), value, limit);
      }
      if (r != detail::blocking_result::done) return sent;
      ++first;
      ++sent;
    }
  }

  /// Sends, under one lock, the values of `values` that fit now, in order:
  /// on a bounded channel the prefix that fits, on an unbounded one all of
  /// them. Returns how many were sent (0 also when disconnected; is_closed()
  /// tells); the rest are untouched, handed back. Never blocks.
  template <std::ranges::input_range Range>
  [[nodiscard("how many were sent; the values after them were not")]] std::size_t try_send_many(Range&& values) const {
    static_assert(detail::batch_source<Range, T>,
                  "rill::sender::try_send_many: the range's elements must be the channel's message type, as lvalues to move "
                  "from, or convert to it");
    auto first = std::ranges::begin(values);
    bool disconnected = false;
    return core().send_batch(first, std::ranges::end(values), disconnected);
  }

  /// Sends a message constructed from `args`: in the channel's buffer slot
  /// itself when it goes into the buffer (no move), otherwise (a receiver
  /// waiting, a full or rendezvous channel) as send(T(args...)). Blocks as
  /// send(); a failed emplace hands back the message it constructed.
  template <class... Args>
  RILL_NODISCARD_SEND expected<void, send_error<T>> emplace(Args&&... args) const {
    static_assert(std::is_constructible_v<T, Args&&...>,
                  "rill::sender::emplace: the message type is not constructible from these arguments");
    const detail::op_result r = core().try_emplace_buffered(std::forward<Args>(args)...);
    if (r == detail::op_result::done) return {};
    // Not constructed yet: the arguments are still intact.
    T value(std::forward<Args>(args)...);
    if (r != detail::op_result::disconnected &&
        detail::blocking_send(core(), value, {}) == detail::blocking_result::done)
      return {};
    return unexpected(send_error<T>{std::move(value)});
  }

  /// Like send(), but gives up with errc::timeout after `timeout` (and with
  /// errc::stopped on a stop request through `stop`, as send(value, stop)).
  template <class Rep, class Period>
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send_timeout(
      T value, const std::chrono::duration<Rep, Period>& timeout, std::stop_token stop = {}) const {
    const detail::steady_deadline deadline = detail::deadline_after(timeout);
    return send_limited(value, {&deadline, detail::stop_pointer(stop)});
  }

  /// Like send(), but gives up with errc::timeout at `deadline` (and with
  /// errc::stopped on a stop request through `stop`, as send(value, stop)).
  template <class Clock, class Duration>
  RILL_NODISCARD_SEND expected<void, send_timeout_error<T>> send_deadline(
      T value, const std::chrono::time_point<Clock, Duration>& deadline, std::stop_token stop = {}) const {
    const detail::steady_deadline steady = detail::to_steady_deadline(deadline);
    return send_limited(value, {&steady, detail::stop_pointer(stop)});
  }

  /// Sends `value` asynchronously: completes once the message is buffered
  /// or, on a rendezvous channel, held by a receiver. Any Asio completion
  /// token works; the signature is `void(std::error_code, std::optional<T>)`
  /// and the optional holds the value handed back when the send failed:
  /// errc::disconnected, or asio::error::operation_aborted when cancelled
  /// (through the handler's cancellation slot, any cancellation type) before
  /// a receiver took it. A send already taken completes with success even if
  /// a cancellation arrives later: its message was delivered. With a token
  /// that turns errors into exceptions (asio::use_awaitable), the value is
  /// destroyed with the exception; use as_tuple to get it back.
  /// The handler runs on its associated executor (asio::system_executor if
  /// it has none), never inside another thread's call. With
  /// asio::use_awaitable a send that can complete at once does so without
  /// suspending the coroutine (within a budget, see detail/awaitable_ops.hpp).
  ///
  /// Part of the Asio layer: defined in <rill/async_send.hpp>, which
  /// <rill/asio.hpp> and <rill/rill.hpp> include. Without it a call fails to
  /// compile ("use of ... before deduction of 'auto'").
  template <class CompletionToken>
  auto async_send(T value, CompletionToken&& token) const;


  /// Closes the channel: new sends fail, waiting senders get their values
  /// back, receivers drain what is buffered and then see disconnected.
  /// Idempotent; affects every handle of the channel.
  void close() const { core().close(); }

  /// True once the channel is closed or either side is entirely gone.
  [[nodiscard]] bool is_closed() const { return core().is_closed(); }

  /// Messages buffered now.
  [[nodiscard]] std::size_t size() const { return core().size(); }

  /// The buffer size given to sync_channel (0 for rendezvous); empty for an
  /// unbounded channel.
  [[nodiscard]] std::optional<std::size_t> capacity() const { return core().capacity(); }

  /// Live sender handles of the channel, this one included (every copy,
  /// and every unused permit or permit_batch, counts; weak senders do not).
  [[nodiscard]] std::size_t sender_count() const { return core().sender_count(); }
  /// Live receiver handles of the channel; 0 means every send fails.
  [[nodiscard]] std::size_t receiver_count() const { return core().receiver_count(); }
  /// Weak senders (sender::downgrade) of the channel.
  [[nodiscard]] std::size_t weak_sender_count() const { return core().weak_sender_count(); }

  // Metrics: cheap reads without the channel's lock, each recent but not
  // all from the same instant, so approximate while the channel is in use.

  /// Senders blocked or suspended waiting for room (or, on a rendezvous
  /// channel, for a receiver). Approximate: it may still count an arm of a
  /// select that has completed on another channel, until a partner meets it.
  [[nodiscard]] std::size_t waiting_senders() const { return core().waiting_senders(); }
  /// Receivers blocked or suspended waiting for a message; approximate as
  /// waiting_senders().
  [[nodiscard]] std::size_t waiting_receivers() const { return core().waiting_receivers(); }
  /// The most messages buffered at once since the channel was made or
  /// reset_high_water_mark() was called (always 0 on a rendezvous channel).
  [[nodiscard]] std::size_t high_water_mark() const { return core().high_water_mark(); }
  /// Restarts the high-water mark from the number of messages buffered now.
  void reset_high_water_mark() const { core().reset_high_water_mark(); }
  /// Messages the channel destroyed without delivering them: dropped by
  /// its overflow policy, or buffered when the last receiver went. Each
  /// went to the undelivered hook, if the channel has one.
  [[nodiscard]] std::uint64_t undelivered_count() const { return core().undelivered_count(); }
  /// What a send on a full channel does (sync_channel's policy; `wait` for
  /// unbounded and rendezvous channels).
  [[nodiscard]] overflow overflow_policy() const { return core().overflow_policy(); }

  // ---- two-phase send: reserve room, then send with the permit -------------
  // Defined in <rill/permit.hpp>, which <rill/channel.hpp> includes. Each
  // fails with errc::disconnected when the channel is closed; the timed and
  // stoppable forms also with errc::timeout / errc::stopped (having
  // reserved nothing), try_reserve with errc::full.

  /// Waits for room for one send (see permit): a free slot of a bounded
  /// channel (at once on an unbounded one), or on a rendezvous channel a
  /// receiver waiting in a thread (a plain recv or a blocking select),
  /// which commits to take the permit's value.
  [[nodiscard]] expected<permit<T>, errc> reserve() const;
  /// As reserve(), but gives up with errc::stopped once a stop is
  /// requested through `stop` (at once if it was requested before the
  /// call), having reserved nothing.
  [[nodiscard]] expected<permit<T>, errc> reserve(std::stop_token stop) const;
  /// Reserves only if there is room now: errc::full otherwise. Never
  /// blocks.
  [[nodiscard]] expected<permit<T>, errc> try_reserve() const;
  /// As reserve(), giving up with errc::timeout after `timeout` (or
  /// errc::stopped through `stop`), having reserved nothing.
  template <class Rep, class Period>
  [[nodiscard]] expected<permit<T>, errc> reserve_timeout(const std::chrono::duration<Rep, Period>& timeout,
                                                          std::stop_token stop = {}) const;
  /// As reserve(), giving up with errc::timeout at `deadline` (any clock;
  /// or errc::stopped through `stop`), having reserved nothing.
  template <class Clock, class Duration>
  [[nodiscard]] expected<permit<T>, errc> reserve_deadline(const std::chrono::time_point<Clock, Duration>& deadline,
                                                           std::stop_token stop = {}) const;

  /// Reserves `n` slots at once, as a permit_batch: waits until all `n` are
  /// free, gathering them in its turn with the other waiting sends (so it
  /// is not passed over by single sends), and gives back what it gathered
  /// if it times out or is stopped. Needs a buffered channel and n <= its
  /// capacity, else throws std::invalid_argument; n == 0 gives an empty
  /// batch at once. No select arm or asynchronous form.
  [[nodiscard]] expected<permit_batch<T>, errc> reserve_many(std::size_t n) const;
  /// As reserve_many(n), but gives up with errc::stopped once a stop is
  /// requested through `stop`, giving back what it gathered.
  [[nodiscard]] expected<permit_batch<T>, errc> reserve_many(std::size_t n, std::stop_token stop) const;
  /// Reserves `n` slots only if they are all free now (errc::full otherwise).
  [[nodiscard]] expected<permit_batch<T>, errc> try_reserve_many(std::size_t n) const;
  /// As reserve_many(n), giving up with errc::timeout after `timeout` (or
  /// errc::stopped through `stop`) and giving back what it gathered.
  template <class Rep, class Period>
  [[nodiscard]] expected<permit_batch<T>, errc> reserve_many_timeout(std::size_t n,
                                                                     const std::chrono::duration<Rep, Period>& timeout,
                                                                     std::stop_token stop = {}) const;

  /// Waits for room as reserve() does, as an Asio asynchronous operation
  /// (any completion token; rill::use_task too). Completion signature:
  /// void(std::error_code, permit<T>), the permit empty on error:
  /// errc::disconnected, or asio::error::operation_aborted when cancelled
  /// through the handler's cancellation slot, having reserved nothing. On a
  /// rendezvous channel it is served by a receiver waiting in a thread or a
  /// blocking select. Part of the Asio layer: defined in
  /// <rill/async_reserve.hpp>, which <rill/asio.hpp> includes.
  template <class CompletionToken>
  auto async_reserve(CompletionToken&& token) const;

  /// A weak sender of the same channel: it does not keep the channel open
  /// (the channel still disconnects when the last sender goes), and
  /// upgrade() gives a sender back while one exists. Defined in
  /// <rill/weak_sender.hpp>, which <rill/channel.hpp> includes.
  [[nodiscard]] weak_sender<T> downgrade() const;

  /// False for a default-constructed or moved-from handle.
  explicit operator bool() const noexcept { return handle_.valid(); }

  /// Whether both handles belong to the same channel.
  friend bool operator==(const sender& a, const sender& b) noexcept { return a.handle_.get() == b.handle_.get(); }

 private:
  friend struct detail::channel_access;

  explicit sender(detail::channel_core<T>* core) noexcept : handle_(core) {}

  detail::channel_core<T>& core() const { return handle_.checked(); }

  expected<permit<T>, errc> reserve_limited(detail::wait_limit limit) const;
  expected<permit_batch<T>, errc> reserve_many_limited(std::size_t n, detail::wait_limit limit) const;
  void check_reserve_many(std::size_t n) const;

  expected<void, send_timeout_error<T>> send_limited(T& value, detail::wait_limit limit) const {
    const auto r = detail::blocking_send(core(), value, limit);
    if (r == detail::blocking_result::done) return {};
    return unexpected(send_timeout_error<T>{detail::reason_of(r), std::move(value)});
  }

  detail::core_handle<T, detail::channel_side::send> handle_;
};

}  // namespace rill
