// rill — watch: the latest value of some state, and a way to wait until it
// changes.
//
//   auto [tx, rx] = rill::watch<config>(initial);
//   tx.send_modify([](config& c) { c.verbose = true; });   // every receiver is told
//   while (rx.changed()) {                                  // fails once every sender is gone
//     auto c = rx.borrow_and_update();                      // a short read lock, no copy
//     apply(*c);
//   }
//
// One value, kept, not a queue: a receiver that is slow sees the latest
// value and misses the ones in between. Each receiver keeps the version it
// has seen, so copies of a receiver wait independently. Semantics are
// tokio's `sync::watch`: a change is reported even after the senders went,
// and changed() fails only when every sender is gone and the latest
// version has been seen.
#pragma once

#include <rill/detail/blocking_ops.hpp>
#include <rill/detail/core_handle.hpp>
#include <rill/detail/watch_core.hpp>
#include <rill/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <type_traits>
#include <stop_token>
#include <utility>

namespace rill {

template <class T>
class watch_sender;
template <class T>
class watch_receiver;
template <class T>
class watch_changed_arm;

/// A watch holding `initial`: its sender and a receiver that has seen it.
template <class T>
std::pair<watch_sender<T>, watch_receiver<T>> watch(T initial);

/// A read-only borrow of a watch's value: holds the value's read lock, so
/// senders wait until it is destroyed. Keep it short (read, or copy out,
/// and let it go); do not send on the same watch, nor wait on anything,
/// while holding it: a send from the same thread would deadlock.
template <class T>
class watch_ref {
 public:
  /// Takes over `other`'s read lock; `other` must not be read afterwards.
  watch_ref(watch_ref&&) noexcept = default;
  watch_ref& operator=(watch_ref&&) = delete;

  /// The borrowed value; valid while this watch_ref lives.
  const T& operator*() const noexcept { return *value_; }
  /// The borrowed value's members; valid while this watch_ref lives.
  const T* operator->() const noexcept { return value_; }
  /// The borrowed value, as operator*.
  const T& get() const noexcept { return *value_; }

  /// The version of the value borrowed: how many changes it has had.
  std::uint64_t version() const noexcept { return version_; }

  /// Whether the receiver had not seen this version when it borrowed it
  /// (always false for a sender's borrow).
  bool has_changed() const noexcept { return changed_; }

 private:
  template <class>
  friend class watch_sender;
  template <class>
  friend class watch_receiver;

  watch_ref(const detail::watch_core<T>& core, std::uint64_t seen)
      : lock_(core.value_lock()), value_(&core.value()), version_(core.version()), changed_(version_ != seen) {}

  std::shared_lock<std::shared_mutex> lock_;
  const T* value_;
  std::uint64_t version_;
  bool changed_;
};

/// The sending end of a watch. Cheap to copy: every copy is one more
/// sender, and receivers' changed() fails once the last is gone.
template <class T>
class watch_sender {
 public:
  /// The type of the watched value.
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  watch_sender() noexcept = default;

  /// Replaces the value and tells every receiver. Fails, handing the value
  /// back, when no receiver is left: then nobody could see it.
  RILL_NODISCARD_SEND expected<void, send_error<T>> send(T value) const {
    static_assert(std::is_move_assignable_v<T>, "rill::watch_sender::send assigns the value: T must be move-assignable; use send_modify");
    if (core().receiver_count() == 0) return unexpected(send_error<T>{std::move(value)});
    core().modify([&](T& current) {
      current = std::move(value);
      return true;
    });
    return {};
  }

  /// Replaces the value whether or not any receiver is left, tells every
  /// receiver, and returns the old value.
  T send_replace(T value) const {
    core().modify([&](T& current) {
      using std::swap;
      swap(current, value);
      return true;
    });
    return value;
  }

  /// Modifies the value in place with `modify(T&)`, under the write lock,
  /// and tells every receiver, whether or not any is left. If `modify`
  /// throws, what it changed stays, nobody is told, and the exception
  /// propagates (tokio's send_modify after a panic).
  template <class Modify>
  void send_modify(Modify&& modify) const {
    core().modify([&](T& current) {
      std::forward<Modify>(modify)(current);
      return true;
    });
  }

  /// Like send_modify, but tells the receivers only if `modify(T&)`
  /// returns true (it changed something); returns what `modify` returned.
  template <class Modify>
  bool send_if_modified(Modify&& modify) const {
    return core().modify([&](T& current) -> bool { return std::forward<Modify>(modify)(current); });
  }

  /// Borrows the value (see watch_ref: a short read lock).
  [[nodiscard]] watch_ref<T> borrow() const { return watch_ref<T>(core(), core().version()); }

  /// A new receiver that has seen the current value.
  [[nodiscard]] watch_receiver<T> subscribe() const {
    detail::watch_core<T>& c = core();
    c.retain();
    c.add_receiver();
    return watch_receiver<T>(&c, c.version());
  }

  /// True when no receiver is left.
  [[nodiscard]] bool is_closed() const { return core().receiver_count() == 0; }
  /// Receivers of the watch now; 0 means every send fails.
  [[nodiscard]] std::size_t receiver_count() const { return core().receiver_count(); }
  /// Senders of the watch now, this one included.
  [[nodiscard]] std::size_t sender_count() const { return core().sender_count(); }

  /// False for an empty handle (default-constructed or moved from); says
  /// nothing about whether the watch is closed (see is_closed()).
  explicit operator bool() const noexcept { return handle_.valid(); }

  /// Whether both handles belong to the same watch.
  friend bool operator==(const watch_sender& a, const watch_sender& b) noexcept {
    return a.handle_.get() == b.handle_.get();
  }

 private:
  friend std::pair<watch_sender, watch_receiver<T>> watch<T>(T);
  explicit watch_sender(detail::watch_core<T>* core) noexcept : handle_(core) {}

  detail::watch_core<T>& core() const { return handle_.checked(); }

  detail::core_handle<T, detail::channel_side::send, detail::watch_core<T>> handle_;
};

/// The receiving end of a watch. Copying makes an independent receiver
/// that has seen what this one has. One receiver object is used by one
/// thread (or coroutine) at a time: its wait operations update the version
/// it has seen.
template <class T>
class watch_receiver {
 public:
  /// The type of the watched value.
  using value_type = T;

  /// An empty handle; operations on it throw std::logic_error.
  watch_receiver() noexcept = default;

  /// Borrows the latest value without marking it seen (see watch_ref: a
  /// short read lock).
  [[nodiscard]] watch_ref<T> borrow() const { return watch_ref<T>(core(), seen_); }

  /// Borrows the latest value and marks it seen: changed() then waits for
  /// a newer one.
  [[nodiscard]] watch_ref<T> borrow_and_update() {
    watch_ref<T> ref(core(), seen_);
    seen_ = ref.version();
    return ref;
  }

  /// Whether a version this receiver has not seen is there.
  [[nodiscard]] bool has_changed() const { return core().version() != seen_; }

  /// Makes the current version count as unseen: the next changed()
  /// returns at once.
  void mark_changed() { seen_ = core().version() - 1; }

  /// Makes the current version count as seen.
  void mark_unchanged() { seen_ = core().version(); }

  /// Blocks until a version this receiver has not seen is there, and marks
  /// it seen (read it with borrow()). Fails with recv_error once every
  /// sender is gone and the latest version was seen.
  RILL_NODISCARD_RECV expected<void, recv_error> changed() {
    if (wait_for_change({}) == detail::blocking_result::done) return {};
    return unexpected(recv_error{});
  }

  /// Like changed(), but gives up with recv_timeout_error::stopped once a
  /// stop is requested through `stop` (at once if it was before the call),
  /// having marked nothing seen.
  RILL_NODISCARD_RECV expected<void, recv_timeout_error> changed(std::stop_token stop) {
    return changed_limited({nullptr, detail::stop_pointer(stop)});
  }

  /// Like changed(), but gives up with errc::timeout after `timeout` (and
  /// with errc::stopped on a stop request through `stop`).
  template <class Rep, class Period>
  RILL_NODISCARD_RECV expected<void, recv_timeout_error> changed_timeout(const std::chrono::duration<Rep, Period>& timeout,
                                                                         std::stop_token stop = {}) {
    const detail::steady_deadline deadline = detail::deadline_after(timeout);
    return changed_limited({&deadline, detail::stop_pointer(stop)});
  }

  /// Like changed(), but gives up with errc::timeout at `deadline` (and
  /// with errc::stopped on a stop request through `stop`).
  template <class Clock, class Duration>
  RILL_NODISCARD_RECV expected<void, recv_timeout_error> changed_deadline(
      const std::chrono::time_point<Clock, Duration>& deadline, std::stop_token stop = {}) {
    const detail::steady_deadline steady = detail::to_steady_deadline(deadline);
    return changed_limited({&steady, detail::stop_pointer(stop)});
  }

  /// Waits for a change asynchronously, with any Asio completion token
  /// (and rill::use_task in a rill::task); the signature is
  /// `void(std::error_code)`, failing with errc::disconnected as changed()
  /// does, or asio::error::operation_aborted when cancelled through the
  /// handler's slot. Cancel-safe: the change is marked seen on the
  /// handler's executor right before the handler runs, so a cancelled wait
  /// has marked nothing and the next one sees the change. The receiver
  /// must outlive the operation and not be moved meanwhile (the operation
  /// marks what it has seen), as an Asio I/O object must.
  ///
  /// Part of the Asio layer: defined in <rill/async_watch.hpp>, which
  /// <rill/asio.hpp> includes.
  template <class CompletionToken>
  auto async_changed(CompletionToken&& token);

  /// True once every sender is gone (the value stays readable).
  [[nodiscard]] bool is_closed() const { return core().closed(); }
  /// Senders of the watch now; 0 means the value will not change again.
  [[nodiscard]] std::size_t sender_count() const { return core().sender_count(); }
  /// Receivers of the watch now, this one included.
  [[nodiscard]] std::size_t receiver_count() const { return core().receiver_count(); }

  /// False for an empty handle (default-constructed or moved from); says
  /// nothing about whether the watch is closed (see is_closed()).
  explicit operator bool() const noexcept { return handle_.valid(); }

  /// Whether both handles belong to the same watch.
  friend bool operator==(const watch_receiver& a, const watch_receiver& b) noexcept {
    return a.handle_.get() == b.handle_.get();
  }

 private:
  friend class watch_sender<T>;
  friend class watch_changed_arm<T>;  // a select arm (select_kinds.hpp)
  friend std::pair<watch_sender<T>, watch_receiver> watch<T>(T);

  watch_receiver(detail::watch_core<T>* core, std::uint64_t seen) noexcept : seen_(seen), handle_(core) {}

  detail::watch_core<T>& core() const { return handle_.checked(); }

  detail::blocking_result wait_for_change(detail::wait_limit limit) {
    detail::watch_core<T>& c = core();
    return detail::attempt_then_park(c, limit, [&](detail::waiter<T>& w) { return c.changed(seen_, true, &w); });
  }

  expected<void, recv_timeout_error> changed_limited(detail::wait_limit limit) {
    const detail::blocking_result r = wait_for_change(limit);
    if (r == detail::blocking_result::done) return {};
    return unexpected(static_cast<recv_timeout_error>(detail::reason_of(r)));
  }

  std::uint64_t seen_ = 0;  ///< the latest version this receiver has seen
  detail::core_handle<T, detail::channel_side::receive, detail::watch_core<T>> handle_;
};

template <class T>
std::pair<watch_sender<T>, watch_receiver<T>> watch(T initial) {
  static_assert(detail::check_message_type<T>());
  // The core starts with one sender, one receiver and a reference for each;
  // the two handles adopt them. The receiver has seen the initial value.
  auto* core = new detail::watch_core<T>(std::in_place, std::move(initial));
  return {watch_sender<T>(core), watch_receiver<T>(core, 0)};
}

}  // namespace rill
