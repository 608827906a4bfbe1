// rill — bounded_queue: the C++ standard's proposed concurrent queue
// vocabulary (P0260, "C++ Concurrent Queues", heading for C++29) over a rill
// channel.
//
//   rill::bounded_queue<Job> jobs(64);
//   std::jthread worker([&] { while (auto job = jobs.pop()) run(*job); });
//   jobs.push(Job{...});        // blocks while full; false once closed
//   jobs.close();               // the worker drains what is queued, then ends
//
// It tracks the proposal's interface as of its 2025 revisions (R14-R16):
// push / pop that block and report a closed queue by their result rather
// than by an exception, try_push / try_pop that never block, both with an
// error_code overload whose values are conqueue_errc, emplace, close and
// is_closed. The names follow the proposal and will follow it where it
// changes (the status enumeration may be renamed, P3699); the asynchronous
// (sender/receiver) forms of the proposal are not provided: use the channel
// of a queue directly (as_channel) with rill's Asio or rill::task forms.
//
// What rill adds: a failed push never consumes its argument (the proposal
// leaves an rvalue's state unspecified on failure), and nothing is lost on
// close: a closed queue still hands out what it holds.
#pragma once

#include <rill/channel.hpp>
#include <rill/detail/config.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill {

/// Why a queue operation did not complete; P0260's status values.
enum class conqueue_errc {
  success = 0,  ///< never an error: what a successful operation leaves in its error_code
  empty,        ///< try_pop found nothing
  full,         ///< try_push found no room
  closed,       ///< the queue is closed (and, for a pop, drained)
};

/// The category of conqueue_errc values ("conqueue").
RILL_DECL const std::error_category& conqueue_category() noexcept;

/// `e` as a std::error_code of the "conqueue" category; also what lets a
/// conqueue_errc convert to std::error_code (it is registered as an
/// error-code enum).
inline std::error_code make_error_code(conqueue_errc e) noexcept { return {static_cast<int>(e), conqueue_category()}; }

/// A bounded multi-producer, multi-consumer FIFO queue of T with P0260's
/// interface. Not copyable or movable (shared by reference, as the proposal
/// has it); every member may be called from any number of threads at once.
template <class T>
class bounded_queue {
 public:
  /// The element type.
  using value_type = T;

  /// A queue holding at most `max_elems` elements, allocated here, once.
  /// Throws std::invalid_argument for 0: a queue that can hold nothing
  /// would block every push (P0260 requires max_elems > 0).
  explicit bounded_queue(std::size_t max_elems) : ends_(make_ends(max_elems)) {}

  bounded_queue(const bounded_queue&) = delete;
  bounded_queue& operator=(const bounded_queue&) = delete;

  /// Refuses further pushes and wakes every blocked push (which fail);
  /// blocked and later pops drain what is queued, then fail. Idempotent.
  void close() noexcept { ends_.first.close(); }

  /// True once the queue is closed (by close(), or by closing a handle
  /// from as_channel()); it may still hold elements for pops to drain.
  [[nodiscard]] bool is_closed() const noexcept { return ends_.first.is_closed(); }

  /// Pushes `x`, blocking while the queue is full. False, with `x`
  /// untouched, if the queue is closed.
  bool push(const T& x) {
    T copy(x);
    return blocking_push(copy);
  }
  /// As above, moving from `x` only if it was pushed: on failure `x` is
  /// untouched.
  bool push(T&& x) { return blocking_push(x); }

  /// As push, and sets `ec` to conqueue_errc::closed on failure, to
  /// success otherwise.
  bool push(const T& x, std::error_code& ec) { return report(push(x), ec, conqueue_errc::closed); }
  /// As above, moving from `x` only if it was pushed.
  bool push(T&& x, std::error_code& ec) { return report(push(std::move(x)), ec, conqueue_errc::closed); }

  /// Pushes an element constructed from `args` (in the queue's storage
  /// when there is room). False if the queue is closed.
  template <class... Args>
  bool emplace(Args&&... args) {
    static_assert(std::is_constructible_v<T, Args&&...>,
                  "rill::bounded_queue::emplace: T is not constructible from these arguments");
    return ends_.first.emplace(std::forward<Args>(args)...).has_value();
  }

  /// Pushes `x` only if there is room now; otherwise `x` is untouched and
  /// `ec` says why: conqueue_errc::full or conqueue_errc::closed.
  bool try_push(const T& x, std::error_code& ec) {
    T copy(x);
    return try_push(std::move(copy), ec);
  }
  /// As above, moving from `x` only if it was pushed. Never blocks.
  bool try_push(T&& x, std::error_code& ec) {
    const auto r = detail::channel_access::core(ends_.first)->send(x, nullptr);
    if (r == detail::op_result::done) return report(true, ec, conqueue_errc::success);
    return report(false, ec, r == detail::op_result::disconnected ? conqueue_errc::closed : conqueue_errc::full);
  }

  /// Pops the oldest element, blocking while the queue is empty and open.
  /// Empty once the queue is closed and drained.
  std::optional<T> pop() {
    auto r = ends_.second.recv();
    if (!r) return std::nullopt;
    return std::optional<T>(std::move(*r));
  }

  /// As pop, and sets `ec` to conqueue_errc::closed when it returns nothing.
  std::optional<T> pop(std::error_code& ec) {
    std::optional<T> r = pop();
    report(r.has_value(), ec, conqueue_errc::closed);
    return r;
  }

  /// Pops the oldest element if there is one now; otherwise empty, with
  /// `ec` conqueue_errc::empty, or conqueue_errc::closed once closed and
  /// drained.
  std::optional<T> try_pop(std::error_code& ec) {
    auto r = ends_.second.try_recv();
    if (r) {
      report(true, ec, conqueue_errc::success);
      return std::optional<T>(std::move(*r));
    }
    report(false, ec, r.error() == try_recv_error::empty ? conqueue_errc::empty : conqueue_errc::closed);
    return std::nullopt;
  }

  /// The channel under the queue, for what P0260 has no words for: select,
  /// timeouts, stop tokens, async_send / async_recv, rill::task. Copies of
  /// these handles share the channel with the queue: they outlive it
  /// safely, and a sender copy keeps the channel from disconnecting when
  /// the queue is destroyed (close() closes it whatever copies exist).
  [[nodiscard]] const std::pair<sender<T>, receiver<T>>& as_channel() const noexcept { return ends_; }

 private:
  static std::pair<sender<T>, receiver<T>> make_ends(std::size_t max_elems) {
    if (max_elems == 0) throw std::invalid_argument("rill::bounded_queue: max_elems must be greater than 0");
    return sync_channel<T>(max_elems);
  }

  /// Sends `value` in place: moved from only if it went into the queue.
  bool blocking_push(T& value) {
    return detail::blocking_send(*detail::channel_access::core(ends_.first), value, {}) == detail::blocking_result::done;
  }

  static bool report(bool ok, std::error_code& ec, conqueue_errc failure) {
    ec = ok ? make_error_code(conqueue_errc::success) : make_error_code(failure);
    return ok;
  }

  std::pair<sender<T>, receiver<T>> ends_;
};

}  // namespace rill

template <>
struct std::is_error_code_enum<rill::conqueue_errc> : std::true_type {};

#if defined(RILL_HEADER_ONLY)
#include <rill/detail/impl/conqueue_error.ipp>
#endif
