// rill::nats — delivery<T>: one message from a queue, with its value and the
// means to settle it with the server.
//
//   rill::nats::delivery<Job> d = rx.recv().value();
//   run(d.value());
//   d.ack();                       // done: the server forgets it
//
// Settle each delivery once: ack() (done), nak(delay) (give it back for
// redelivery, after `delay`), term() (never redeliver). in_progress() resets
// the server's ack_wait timer while the work goes on. A delivery destroyed
// unsettled is naked, so a worker that drops one (or its receiver) gives it
// back at once rather than after ack_wait.
//
// Move-only and default-constructible (an empty delivery holds no message,
// and settling it fails with errc::not_pending), so async_recv can yield one
// rather than an optional.
#pragma once

#include <rill/error.hpp>
#include <rill/nats/error.hpp>
#include <rill/nats/message_id.hpp>

#include <nats/nats.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace rill::nats {

/// Where a delivery's message comes from and how often it was delivered,
/// from its headers and its JetStream metadata.
struct delivery_info {
  /// The rill message id; producer empty for a message not sent by a rill pump.
  message_id id;
  /// The message's sequence number in its JetStream stream (set by the
  /// server; unique within the stream).
  std::uint64_t stream_seq = 0;
  /// 1 for a first delivery, more for a redelivery. After a server crash a
  /// redelivery can say 1 again: dedup does not rely on it.
  std::uint64_t num_delivered = 0;
};

namespace detail {

// Which (producer, seq) this process has seen, for dedup: effectively-once
// while the process lives. Per producer, every seq at or below `floor` is
// done, and `above` holds the seqs above it that are held by a worker or
// done. The pump thread looks up; workers' threads settle.
class dedup_table {
 public:
  enum class verdict { fresh, duplicate_of_done, duplicate_of_held };

  /// Called for each arrival: a fresh one is marked held.
  verdict arrive(std::string_view producer, std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    auto& p = of(producer);
    if (seq <= p.floor) return verdict::duplicate_of_done;
    const auto [it, inserted] = p.above.try_emplace(seq, state::held);
    if (inserted) return verdict::fresh;
    return it->second == state::done ? verdict::duplicate_of_done : verdict::duplicate_of_held;
  }

  /// Acked or termed: repeats are dropped from now on.
  void done(std::string_view producer, std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    auto& p = of(producer);
    p.above[seq] = state::done;
    for (auto it = p.above.find(p.floor + 1); it != p.above.end() && it->second == state::done;
         it = p.above.find(p.floor + 1)) {
      p.above.erase(it);
      ++p.floor;
    }
  }

  /// Naked: the next delivery of it is fresh again.
  void given_back(std::string_view producer, std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    if (auto p = producers_.find(producer); p != producers_.end()) p->second.above.erase(seq);
  }

 private:
  // Looked up by string_view: no string is built for a producer already known.
  struct producer_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  enum class state { held, done };
  struct producer_state {
    std::uint64_t floor = 0;
    std::unordered_map<std::uint64_t, state> above;
  };
  producer_state& of(std::string_view producer) {
    auto it = producers_.find(producer);
    if (it == producers_.end()) it = producers_.try_emplace(std::string(producer)).first;
    return it->second;
  }

  std::mutex mutex_;
  std::unordered_map<std::string, producer_state, producer_hash, std::equal_to<>> producers_;  // guarded by mutex_
};

// What a delivery keeps alive: the subscription its message came from (and,
// through it, the connection), and the dedup table it reports to.
struct delivery_source {
  virtual ~delivery_source() = default;
  dedup_table* dedup = nullptr;  // null when dedup is off
};

}  // namespace detail

/// One message from a queue: its decoded value, its delivery_info, and the
/// means to settle it with the server (see the top of this header).
/// Move-only; one thread settles it. Destroyed unsettled, it is naked.
template <class T>
class delivery {
 public:
  /// An empty delivery: no message; settling it fails with
  /// errc::not_pending, and value() must not be called.
  delivery() = default;

  /// Made by the receiving bridge (remote_receiver), not by users: takes
  /// ownership of `msg`, which settling acks, naks or terms.
  delivery(natsMsg* msg, T value, delivery_info info, std::shared_ptr<detail::delivery_source> source)
      : msg_(msg), value_(std::move(value)), info_(std::move(info)), source_(std::move(source)) {}

  /// Takes over `other`'s message, still unsettled; `other` is left
  /// without one (not pending: settling it fails with errc::not_pending).
  delivery(delivery&& other) noexcept
      : msg_(std::exchange(other.msg_, nullptr)), value_(std::move(other.value_)), info_(std::move(other.info_)),
        source_(std::move(other.source_)) {}

  /// Naks this delivery's own message if it is unsettled (as the
  /// destructor does), then takes over `other`'s; `other` is left without
  /// one.
  delivery& operator=(delivery&& other) noexcept {
    if (this != &other) {
      give_back_unsettled();
      msg_ = std::exchange(other.msg_, nullptr);
      value_ = std::move(other.value_);
      info_ = std::move(other.info_);
      source_ = std::move(other.source_);
    }
    return *this;
  }

  ~delivery() { give_back_unsettled(); }

  /// Whether it holds a message not yet settled.
  [[nodiscard]] bool pending() const noexcept { return msg_ != nullptr; }

  /// The value; precondition: the delivery is not empty (it was received).
  [[nodiscard]] T& value() & { return *value_; }
  /// The value, read-only; same precondition.
  [[nodiscard]] const T& value() const& { return *value_; }

  /// The message's id, stream sequence and delivery count (kept after it
  /// is settled).
  [[nodiscard]] const delivery_info& info() const noexcept { return info_; }

  /// Done: the server drops the message (the ack is sent, not confirmed).
  expected<void, std::error_code> ack() {
    return settle([](natsMsg* m) { return natsMsg_Ack(m, nullptr); }, true);
  }

  /// Done, and waits for the server to confirm it stored the ack.
  expected<void, std::error_code> ack_sync() {
    jsErrCode jerr{};
    return settle([&](natsMsg* m) { return natsMsg_AckSync(m, nullptr, &jerr); }, true);
  }

  /// Gives the message back for redelivery, after `delay`.
  expected<void, std::error_code> nak(std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    return settle([&](natsMsg* m) { return natsMsg_NakWithDelay(m, delay.count(), nullptr); }, false);
  }

  /// The message is never to be redelivered (a poison message).
  expected<void, std::error_code> term() {
    return settle([](natsMsg* m) { return natsMsg_Term(m, nullptr); }, true);
  }

  /// Still working on it: restarts the server's ack_wait timer. Does not settle.
  expected<void, std::error_code> in_progress() {
    if (msg_ == nullptr) return unexpected(make_error_code(errc::not_pending));
    if (const natsStatus s = natsMsg_InProgress(msg_, nullptr); s != NATS_OK) return unexpected(make_error_code(s));
    return {};
  }

 private:
  template <class Call>
  expected<void, std::error_code> settle(Call call, bool done) {
    if (msg_ == nullptr) return unexpected(make_error_code(errc::not_pending));
    const natsStatus s = call(msg_);
    natsMsg_Destroy(std::exchange(msg_, nullptr));
    if (source_ && source_->dedup != nullptr && !info_.id.producer.empty()) {
      if (done) {
        source_->dedup->done(info_.id.producer, info_.id.seq);
      } else {
        source_->dedup->given_back(info_.id.producer, info_.id.seq);
      }
    }
    // Whether or not the server heard it, this delivery is settled here: a
    // lost ack or nak comes back as a redelivery after ack_wait.
    if (s != NATS_OK) return unexpected(make_error_code(s));
    return {};
  }

  void give_back_unsettled() noexcept {
    if (msg_ != nullptr) (void)nak();
  }

  natsMsg* msg_ = nullptr;
  std::optional<T> value_;
  delivery_info info_;
  std::shared_ptr<detail::delivery_source> source_;
};

}  // namespace rill::nats
