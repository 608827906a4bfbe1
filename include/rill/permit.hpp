// rill — permits: room for one send, reserved before the value exists
// (tokio's reserve / Permit).
//
//   if (auto p = tx.reserve()) {          // waits for room, holding no value
//     Job job = make_job();               // built only once it can go
//     (void)p->send(std::move(job));      // never waits, never refused for lack of room
//   }
//
// The two-phase send is the cancel-safe way to send from a loop that may
// give up: a reserve that times out, is stopped, or loses holds no value
// that could be lost, and a permit dropped unused gives its room back. As
// an arm of select, try_select or async_select, `rill::reserve(tx)` wins
// with a permit and, when another arm wins, has reserved nothing:
//
//   auto r = rill::select(rill::reserve(out), rill::recv(control));
//   if (r.index() == 0 && std::get<0>(r)) (void)std::get<0>(r)->send(next_job());
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/error.hpp>
#include <rill/select.hpp>
#include <rill/sender.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <utility>

namespace rill {

template <class T>
class reserve_arm;
template <class T>
class permit_batch;

/// Room for one send on a channel, reserved before the value exists. Made
/// by sender::reserve (and try_reserve, reserve_timeout, reserve_deadline,
/// the reserve arm of a select, sender::async_reserve, or
/// permit_batch::take). On a buffered
/// channel the room is a slot of the buffer, which no other send can take;
/// on a rendezvous channel it is a receiver, waiting in a thread, that has
/// committed to take the permit's value. While it lives a permit counts as
/// a sender (the channel does not disconnect for its receivers before the
/// permit is used), and it gives its room back when destroyed unused.
/// Move-only; one thread uses it at a time.
template <class T>
class permit {
 public:
  /// An empty permit: send() throws std::logic_error.
  permit() noexcept = default;

  /// Takes over `other`'s room; `other` is left empty.
  permit(permit&& other) noexcept
      : handle_(std::move(other.handle_)), committed_(std::exchange(other.committed_, nullptr)) {}

  /// Gives this permit's own room back (as release()), then takes over
  /// `other`'s; `other` is left empty.
  permit& operator=(permit&& other) noexcept {
    if (this != &other) {
      release();
      handle_ = std::move(other.handle_);
      committed_ = std::exchange(other.committed_, nullptr);
    }
    return *this;
  }

  ~permit() { release(); }

  /// Sends `value` with the reserved room, at once; the permit is used up
  /// (empty) afterwards, whatever happens. Fails, handing the value back,
  /// only if a buffered channel was closed since the reserve: a committed
  /// receiver of a rendezvous channel takes the value whatever happened to
  /// the channel since it committed. If moving the value throws, the
  /// exception propagates, the value stays with the caller and the room is
  /// given back.
  RILL_NODISCARD_SEND expected<void, send_error<T>> send(T value) {
    if (!handle_.valid()) throw std::logic_error("rill: send on an empty permit (used, released or default-constructed)");
    auto handle = std::move(handle_);
    detail::channel_core<T>& core = *handle.get();
    if (core.send_reserved(value, std::exchange(committed_, nullptr)) == detail::op_result::done) return {};
    return unexpected(send_error<T>{std::move(value)});
  }

  /// Gives the room back unused now, as destruction does; the permit is
  /// empty afterwards.
  void release() noexcept {
    if (!handle_.valid()) return;
    handle_.get()->release_reserved(std::exchange(committed_, nullptr));
    handle_.reset();
  }

  /// False once sent or released, and for a default-constructed permit.
  explicit operator bool() const noexcept { return handle_.valid(); }

 private:
  friend class sender<T>;
  friend class reserve_arm<T>;
  friend class permit_batch<T>;

  permit(detail::core_handle<T, detail::channel_side::send> handle, detail::waiter<T>* committed) noexcept
      : handle_(std::move(handle)), committed_(committed) {}

  detail::core_handle<T, detail::channel_side::send> handle_;
  detail::waiter<T>* committed_ = nullptr;  ///< rendezvous channels: the receiver that takes the value
};

/// Room for several sends on a buffered channel, reserved at once by
/// sender::reserve_many and its forms (tokio's reserve_many): `size()`
/// slots that no other send can take. Each send() uses one; take() hands
/// one out as a permit of its own; what is left goes back when the batch is
/// destroyed or released. Counts as one sender while it holds any. Move-only.
template <class T>
class permit_batch {
 public:
  /// An empty batch.
  permit_batch() noexcept = default;

  /// Takes over `other`'s slots; `other` is left empty.
  permit_batch(permit_batch&& other) noexcept
      : handle_(std::move(other.handle_)), left_(std::exchange(other.left_, 0)) {}

  /// Gives this batch's slots back (as release()), then takes over
  /// `other`'s; `other` is left empty.
  permit_batch& operator=(permit_batch&& other) noexcept {
    if (this != &other) {
      release();
      handle_ = std::move(other.handle_);
      left_ = std::exchange(other.left_, 0);
    }
    return *this;
  }

  ~permit_batch() { release(); }

  /// Slots left.
  [[nodiscard]] std::size_t size() const noexcept { return left_; }
  /// True when no slot is left: send() and take() would throw.
  [[nodiscard]] bool empty() const noexcept { return left_ == 0; }

  /// Sends `value` with one of the slots, as permit::send does: never
  /// waits; fails, handing the value back, only if the channel was closed
  /// since the reserve. The slot is used up either way. Throws
  /// std::logic_error on an empty batch.
  RILL_NODISCARD_SEND expected<void, send_error<T>> send(T value) {
    if (left_ == 0) throw std::logic_error("rill: no slot left in the permit batch");
    // The slot is used up whatever happens, as with permit::send; the
    // batch's sender count goes with its last slot, after that send.
    --left_;
    const struct drop_when_used_up {
      permit_batch& batch;
      ~drop_when_used_up() {
        if (batch.left_ == 0) batch.handle_.reset();
      }
    } guard{*this};
    if (handle_.get()->send_reserved(value, nullptr) == detail::op_result::done) return {};
    return unexpected(send_error<T>{std::move(value)});
  }

  /// One slot as a permit of its own (which counts as a sender while it
  /// lives). Throws std::logic_error on an empty batch.
  [[nodiscard]] permit<T> take() {
    if (left_ == 0) throw std::logic_error("rill: no slot left in the permit batch");
    permit<T> one(handle_, nullptr);
    if (--left_ == 0) handle_.reset();
    return one;
  }

  /// Gives the slots left back now, to the senders waiting for room, in
  /// order; the batch is empty afterwards.
  void release() noexcept {
    if (left_ == 0) return;
    handle_.get()->release_reserved_slots(std::exchange(left_, 0));
    handle_.reset();
  }

 private:
  friend class sender<T>;

  permit_batch(detail::core_handle<T, detail::channel_side::send> handle, std::size_t slots) noexcept
      : handle_(slots != 0 ? std::move(handle) : detail::core_handle<T, detail::channel_side::send>()), left_(slots) {}

  detail::core_handle<T, detail::channel_side::send> handle_;
  std::size_t left_ = 0;
};

template <class T>
expected<permit<T>, errc> sender<T>::reserve() const {
  return reserve_limited({});
}

template <class T>
expected<permit<T>, errc> sender<T>::reserve(std::stop_token stop) const {
  return reserve_limited({nullptr, detail::stop_pointer(stop)});
}

template <class T>
expected<permit<T>, errc> sender<T>::try_reserve() const {
  detail::waiter<T>* committed = nullptr;
  const auto r = core().reserve(nullptr, committed);
  if (r == detail::op_result::done) return permit<T>(handle_, committed);
  return unexpected(r == detail::op_result::disconnected ? errc::disconnected : errc::full);
}

template <class T>
template <class Rep, class Period>
expected<permit<T>, errc> sender<T>::reserve_timeout(const std::chrono::duration<Rep, Period>& timeout,
                                                    std::stop_token stop) const {
  const detail::steady_deadline deadline = detail::deadline_after(timeout);
  return reserve_limited({&deadline, detail::stop_pointer(stop)});
}

template <class T>
template <class Clock, class Duration>
expected<permit<T>, errc> sender<T>::reserve_deadline(const std::chrono::time_point<Clock, Duration>& deadline,
                                                     std::stop_token stop) const {
  const detail::steady_deadline steady = detail::to_steady_deadline(deadline);
  return reserve_limited({&steady, detail::stop_pointer(stop)});
}

template <class T>
expected<permit<T>, errc> sender<T>::reserve_limited(detail::wait_limit limit) const {
  detail::channel_core<T>& c = core();
  detail::waiter<T>* committed = nullptr;
  const auto r = detail::attempt_then_park(c, limit, [&](detail::waiter<T>& w) { return c.reserve(&w, committed); });
  if (r == detail::blocking_result::done) return permit<T>(handle_, committed);
  return unexpected(detail::reason_of(r));
}

template <class T>
expected<permit_batch<T>, errc> sender<T>::reserve_many(std::size_t n) const {
  return reserve_many_limited(n, {});
}

template <class T>
expected<permit_batch<T>, errc> sender<T>::reserve_many(std::size_t n, std::stop_token stop) const {
  return reserve_many_limited(n, {nullptr, detail::stop_pointer(stop)});
}

template <class T>
template <class Rep, class Period>
expected<permit_batch<T>, errc> sender<T>::reserve_many_timeout(std::size_t n,
                                                                const std::chrono::duration<Rep, Period>& timeout,
                                                                std::stop_token stop) const {
  const detail::steady_deadline deadline = detail::deadline_after(timeout);
  return reserve_many_limited(n, {&deadline, detail::stop_pointer(stop)});
}

template <class T>
expected<permit_batch<T>, errc> sender<T>::try_reserve_many(std::size_t n) const {
  check_reserve_many(n);
  if (n == 0) return permit_batch<T>();
  const auto r = core().reserve_many(n, nullptr);
  if (r == detail::op_result::done) return permit_batch<T>(handle_, n);
  return unexpected(r == detail::op_result::disconnected ? errc::disconnected : errc::full);
}

template <class T>
expected<permit_batch<T>, errc> sender<T>::reserve_many_limited(std::size_t n, detail::wait_limit limit) const {
  check_reserve_many(n);
  if (n == 0) return permit_batch<T>();
  detail::channel_core<T>& c = core();
  const auto r = detail::attempt_then_park(c, limit, [&](detail::waiter<T>& w) { return c.reserve_many(n, &w); });
  if (r == detail::blocking_result::done) return permit_batch<T>(handle_, n);
  return unexpected(detail::reason_of(r));
}

template <class T>
void sender<T>::check_reserve_many(std::size_t n) const {
  const auto cap = capacity();
  if (cap && (*cap == 0 || n > *cap))
    throw std::invalid_argument(*cap == 0 ? "rill: reserve_many needs a buffered channel; a rendezvous channel has no "
                                            "slots (reserve() commits one receiver)"
                                          : "rill: reserve_many(n) with n above the channel's capacity could never "
                                            "complete");
}

/// A reserve arm of select, try_select and async_select: wins with a permit
/// once there is room, or with errc::disconnected once the channel is
/// closed. An arm that lost has reserved nothing. On a rendezvous channel
/// it is served by a receiver waiting in a thread or a blocking select, as
/// sender::reserve is. The sender must outlive the select.
template <class T>
class reserve_arm final : public detail::channel_arm<T> {
  using base = detail::channel_arm<T>;
  using base::channel_;
  using base::enabled_;
  using base::waiter_;

 public:
  /// What the select's result holds when this arm wins: a permit, or
  /// errc::disconnected once the channel is closed.
  using result_type = expected<permit<T>, errc>;

  /// An arm reserving room on `tx`; a disabled arm never wins. Prefer
  /// rill::reserve(tx, enabled).
  reserve_arm(const sender<T>& tx, bool enabled)
      : base(detail::channel_access::core(tx), enabled), handle_(detail::channel_access::send_handle(tx)) {}
  // Movable while not queued, so that an asynchronous select can own its arms.
  /// Moves the arm (allowed only while no select is running it).
  reserve_arm(reserve_arm&&) = default;
  reserve_arm& operator=(reserve_arm&&) = delete;

  /// After this arm won: its outcome, moved out (used by the select; call
  /// at most once per win).
  result_type take_result() { return std::move(*result_); }

  /// What a select's result holds before any arm won; never returned.
  static result_type placeholder() noexcept { return unexpected(errc::disconnected); }

 private:
  detail::futex_mutex* mutex() const noexcept override { return enabled_ ? &channel_.mutex() : nullptr; }

  bool poll_locked(detail::completion_list&) override {
    committed_ = nullptr;
    return settle(channel_.try_reserve_locked(committed_));
  }

  void enqueue_locked(detail::claim_token& token, std::uint32_t index, detail::completion_list&,
                      bool) noexcept override {
    committed_ = nullptr;
    channel_.enqueue_reserve_locked(this->fresh_waiter(token, index), committed_);
  }

  /// Claimed, it has been granted its room (or told of the close): completed.
  bool sends() const noexcept override { return true; }
  void pass_on() override {}

  bool finish_claimed() override {
    switch (waiter_.status) {
      case detail::wait_status::done:
        return settle(detail::op_result::done);
      case detail::wait_status::disconnected:
        return settle(detail::op_result::disconnected);
      default:
        return false;
    }
  }

  bool settle(detail::op_result r) {
    if (r == detail::op_result::done)
      result_.emplace(permit<T>(handle_, committed_));
    else if (r == detail::op_result::disconnected)
      result_.emplace(unexpected(errc::disconnected));
    return r != detail::op_result::would_block;
  }

  detail::core_handle<T, detail::channel_side::send> handle_;
  detail::waiter<T>* committed_ = nullptr;
  std::optional<result_type> result_;
};

/// Reserve room on `tx` (see sender::reserve); a disabled arm never wins.
template <class T>
reserve_arm<T> reserve(const sender<T>& tx, bool enabled = true) {
  return reserve_arm<T>(tx, enabled);
}

}  // namespace rill
