// rill — oneshot: one value, sent once, received once.
//
//   auto [tx, rx] = rill::oneshot<Reply>();
//   std::thread worker([tx = std::move(tx)]() mutable { (void)std::move(tx).send(compute()); });
//   expected<Reply, recv_error> reply = rx.recv();   // recv_error: the worker went without sending
//
// The sender is consumed by sending: `send` is rvalue-qualified, so the
// call reads `std::move(tx).send(v)`, and it leaves `tx` empty whatever it
// returns. A sender destroyed without sending tells the receiver, whose
// receive then fails with recv_error (errc::disconnected) instead of
// waiting forever. Cheaper than a channel of capacity 1: one allocation,
// the shared state, which holds the value itself; no buffer.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/core_handle.hpp>  // check_message_type
#include <rill/detail/oneshot_core.hpp>
#include <rill/detail/receive_result.hpp>
#include <rill/error.hpp>

#include <chrono>
#include <stdexcept>
#include <stop_token>
#include <utility>

namespace rill {

template <class T>
class oneshot_sender;
template <class T>
class oneshot_receiver;
template <class T>
class oneshot_recv_arm;

/// A oneshot: the sender and the receiver of one value.
template <class T>
std::pair<oneshot_sender<T>, oneshot_receiver<T>> oneshot();

namespace detail {

/// Owns one reference to a oneshot's core: what both handles share.
template <class T>
class oneshot_handle {
 public:
  oneshot_handle() noexcept = default;
  explicit oneshot_handle(oneshot_core<T>* core) noexcept : core_(core) {}
  oneshot_handle(oneshot_handle&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  oneshot_handle& operator=(oneshot_handle&& other) noexcept {
    std::swap(core_, other.core_);
    return *this;
  }

  /// The core, or a clear error for an empty handle (default-constructed,
  /// moved-from, or a sender that has sent) instead of a null dereference.
  oneshot_core<T>& checked(const char* empty_message) const {
    if (core_ == nullptr) throw std::logic_error(empty_message);
    return *core_;
  }

  /// Gives the reference up; null for an empty handle.
  oneshot_core<T>* release() noexcept { return std::exchange(core_, nullptr); }

  bool valid() const noexcept { return core_ != nullptr; }
  oneshot_core<T>* get() const noexcept { return core_; }

 private:
  oneshot_core<T>* core_ = nullptr;
};

}  // namespace detail

/// The sending end of a oneshot. Move-only; sending consumes it.
template <class T>
class oneshot_sender {
 public:
  /// The type of the one value.
  using value_type = T;

  /// An empty sender; send() on it throws std::logic_error.
  oneshot_sender() noexcept = default;
  /// Takes over `other`'s oneshot; `other` is left empty.
  oneshot_sender(oneshot_sender&&) noexcept = default;
  /// Takes over `other`'s oneshot (move-assign: `other` is taken by
  /// value). The sender this one held, if any, is destroyed: its receiver
  /// then fails with recv_error.
  oneshot_sender& operator=(oneshot_sender other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }

  /// Without sending: the receiver's receive fails with recv_error.
  ~oneshot_sender() {
    if (detail::oneshot_core<T>* core = handle_.release()) {
      core->drop_sender();
      core->release();
    }
  }

  /// Sends the value, never blocking, and leaves this sender empty. Fails
  /// only when the receiver is gone, handing the value back. If T's move
  /// constructor throws, nothing was sent and the sender stays as it was.
  RILL_NODISCARD_SEND expected<void, send_error<T>> send(T value) && {
    detail::oneshot_core<T>& core = handle_.checked(empty_message);
    const detail::op_result r = core.send(value);
    handle_.release()->release();  // sent, or refused: either way no drop_sender
    if (r == detail::op_result::done) return {};
    return unexpected(send_error<T>{std::move(value)});
  }

  /// True once the receiver is gone: a send would fail.
  [[nodiscard]] bool is_closed() const { return handle_.checked(empty_message).receiver_gone(); }

  /// False for an empty sender (default-constructed, moved-from or sent).
  explicit operator bool() const noexcept { return handle_.valid(); }

 private:
  friend std::pair<oneshot_sender, oneshot_receiver<T>> oneshot<T>();
  explicit oneshot_sender(detail::oneshot_core<T>* core) noexcept : handle_(core) {}

  static constexpr const char* empty_message =
      "rill: operation on an empty oneshot sender (default-constructed, moved-from, or it has sent)";

  detail::oneshot_handle<T> handle_;
};

/// The receiving end of a oneshot. Move-only, and used by one thread (or
/// one coroutine) at a time, as any object with non-const members. Its
/// value can be received once: receiving again throws std::logic_error.
template <class T>
class oneshot_receiver {
 public:
  /// The type of the one value.
  using value_type = T;

  /// An empty receiver; operations on it throw std::logic_error.
  oneshot_receiver() noexcept = default;
  /// Takes over `other`'s oneshot; `other` is left empty.
  oneshot_receiver(oneshot_receiver&&) noexcept = default;
  /// Takes over `other`'s oneshot (move-assign: `other` is taken by
  /// value). The receiver this one held, if any, is destroyed, as by its
  /// destructor: a value it had not received is destroyed, and its
  /// sender's send fails.
  oneshot_receiver& operator=(oneshot_receiver other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }

  /// A value sent and not received is destroyed, and a send still to come
  /// fails and hands its value back.
  ~oneshot_receiver() {
    if (detail::oneshot_core<T>* core = handle_.release()) {
      core->drop_receiver();
      core->release();
    }
  }

  /// Blocks until the value arrives. Fails with recv_error when the sender
  /// was destroyed without sending.
  RILL_NODISCARD_RECV expected<T, recv_error> recv() {
    return detail::receive_result<T>(recv_error{}, [this](auto& destination) {
      (void)detail::blocking_recv(core(), destination, {});
      return recv_error{};
    });
  }

  /// Like recv(), but gives up with recv_timeout_error::stopped once a stop
  /// is requested through `stop` (at once if it was before the call),
  /// having taken nothing.
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv(std::stop_token stop) {
    return recv_limited({nullptr, detail::stop_pointer(stop)});
  }

  /// Takes the value only if it is there: errc::empty while the sender may
  /// still send, errc::disconnected once it went without sending.
  RILL_NODISCARD_RECV expected<T, try_recv_error> try_recv() {
    return detail::receive_result<T>(try_recv_error::empty, [this](auto& destination) {
      return core().recv(detail::receive_slot<T>::into(destination), nullptr, {}) == detail::op_result::disconnected
                 ? try_recv_error::disconnected
                 : try_recv_error::empty;
    });
  }

  /// Like recv(), but gives up with errc::timeout after `timeout` (and with
  /// errc::stopped on a stop request through `stop`, as recv(stop)).
  template <class Rep, class Period>
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv_timeout(const std::chrono::duration<Rep, Period>& timeout,
                                                                   std::stop_token stop = {}) {
    const detail::steady_deadline deadline = detail::deadline_after(timeout);
    return recv_limited({&deadline, detail::stop_pointer(stop)});
  }

  /// Like recv(), but gives up with errc::timeout at `deadline` (and with
  /// errc::stopped on a stop request through `stop`, as recv(stop)).
  template <class Clock, class Duration>
  RILL_NODISCARD_RECV expected<T, recv_timeout_error> recv_deadline(
      const std::chrono::time_point<Clock, Duration>& deadline, std::stop_token stop = {}) {
    const detail::steady_deadline steady = detail::to_steady_deadline(deadline);
    return recv_limited({&steady, detail::stop_pointer(stop)});
  }

  /// Receives asynchronously, with any Asio completion token (and
  /// rill::use_task in a rill::task); the signature is
  /// `void(std::error_code, T)` (`std::optional<T>` in place of T when T is
  /// not default-constructible), failing with errc::disconnected when the
  /// sender went without sending, or asio::error::operation_aborted when
  /// cancelled through the handler's slot. Cancel-safe: the value is taken
  /// on the handler's executor right before the handler runs, so a
  /// cancelled receive has taken nothing and the value stays for the next
  /// receive. The handler runs on its associated executor, never inside
  /// the sender's call. The receiver may be destroyed while the operation
  /// is pending; the operation then fails with errc::disconnected.
  ///
  /// Part of the Asio layer: defined in <rill/async_oneshot.hpp>, which
  /// <rill/asio.hpp> includes.
  template <class CompletionToken>
  auto async_recv(CompletionToken&& token);

  /// True while the value is there to be received without waiting.
  [[nodiscard]] bool is_ready() const { return core().ready(); }

  /// False for an empty receiver (default-constructed or moved-from).
  explicit operator bool() const noexcept { return handle_.valid(); }

 private:
  friend std::pair<oneshot_sender<T>, oneshot_receiver> oneshot<T>();
  friend class oneshot_recv_arm<T>;  // a select arm (select_kinds.hpp)
  explicit oneshot_receiver(detail::oneshot_core<T>* core) noexcept : handle_(core) {}

  detail::oneshot_core<T>& core() const {
    return handle_.checked("rill: operation on an empty oneshot receiver (default-constructed or moved-from)");
  }

  expected<T, recv_timeout_error> recv_limited(detail::wait_limit limit) {
    return detail::receive_result<T>(recv_timeout_error::timeout, [&](auto& destination) {
      return static_cast<recv_timeout_error>(detail::reason_of(detail::blocking_recv(core(), destination, limit)));
    });
  }

  detail::oneshot_handle<T> handle_;
};

template <class T>
std::pair<oneshot_sender<T>, oneshot_receiver<T>> oneshot() {
  static_assert(detail::check_message_type<T>());
  // The core starts with a reference for each handle; they adopt them.
  auto* core = new detail::oneshot_core<T>();
  return {oneshot_sender<T>(core), oneshot_receiver<T>(core)};
}

}  // namespace rill
