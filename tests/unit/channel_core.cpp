// The queue core driven directly, with waiters queued by hand, so that the
// claim and hand-off rules are checked deterministically on one thread.
#include <rill/detail/channel_core.hpp>

#include <catch2/catch.hpp>

#include <optional>

#include "support/tracked.hpp"

using rill::detail::channel_core;
using rill::detail::claim_token;
using rill::detail::op_result;
using rill::detail::wait_status;
using rill::detail::waiter;
using rill_test::throwing_move;

namespace {

/// A token that records its completion instead of waking anybody.
struct recording_token : claim_token {
  recording_token() : claim_token(&on_complete) {}
  int completions = 0;
  static void on_complete(claim_token& t) noexcept { ++static_cast<recording_token&>(t).completions; }
};

/// Owns a core for one test; the core frees itself on its last release.
template <class T>
struct core_owner {
  explicit core_owner(std::size_t capacity) : core(new channel_core<T>(capacity)) {}
  ~core_owner() {
    core->remove_sender();
    core->remove_receiver();
    core->release();
    core->release();
  }
  channel_core<T>* core;
};

/// A receive that stores its message in `out`, as sink and as slot.
template <class T>
rill::detail::receive_slot<T> store_into(std::optional<T>& out) {
  return rill::detail::receive_slot<T>::into(out);
}

/// A waiter node for queueing an operation by hand, with its own token.
template <class T>
struct recorded_waiter {
  recorded_waiter() { w.token = &token; }
  recording_token token;
  waiter<T> w;
};

/// A receive queued on `core` by hand: a recorded waiter, and the slot that
/// a hand-off to it fills.
template <class T>
struct queued_receive : recorded_waiter<T> {
  explicit queued_receive(channel_core<T>& core) {
    REQUIRE(core.recv(store_into(slot), &this->w, store_into(slot)) == op_result::queued);
  }
  std::optional<T> slot;
};

}  // namespace

TEST_CASE("channel_core: a send hands its value to a queued receiver at claim time", "[core]") {
  core_owner<int> owner(channel_core<int>::unbounded);
  queued_receive<int> r(*owner.core);
  int value = 5;
  REQUIRE(owner.core->send(value, nullptr) == op_result::done);
  CHECK(r.slot == 5);
  CHECK(r.w.status == wait_status::done);
  CHECK(r.token.completions == 1);
  CHECK(owner.core->size() == 0);  // went straight to the waiter, not through the buffer
}

TEST_CASE("channel_core: an aborted receiver takes nothing", "[core]") {
  core_owner<int> owner(channel_core<int>::unbounded);
  queued_receive<int> r(*owner.core);
  REQUIRE(owner.core->abort(r.w));
  int value = 6;
  REQUIRE(owner.core->send(value, nullptr) == op_result::done);
  CHECK_FALSE(r.slot.has_value());
  CHECK(r.token.completions == 0);
  CHECK(owner.core->size() == 1);
}

TEST_CASE("channel_core: a claimed waiter cannot be aborted", "[core]") {
  core_owner<int> owner(0);
  recorded_waiter<int> s;
  int value = 7;
  REQUIRE(owner.core->send(value, &s.w) == op_result::queued);
  std::optional<int> out;
  REQUIRE(owner.core->recv(store_into(out), nullptr, {}) == op_result::done);
  CHECK(out == 7);
  CHECK_FALSE(owner.core->abort(s.w));  // the partner won: the owner must await completion
  CHECK(s.token.completions == 1);
}

TEST_CASE("channel_core: stale arms of a token claimed elsewhere are skipped", "[core]") {
  // Two receive arms of one select-like token on the same channel: the
  // first hand-off claims the token, the second arm must not take a message.
  core_owner<int> owner(channel_core<int>::unbounded);
  recording_token token;
  waiter<int> first, second;
  first.token = second.token = &token;
  second.arm = 1;
  std::optional<int> slot1, slot2;
  REQUIRE(owner.core->recv(store_into(slot1), &first, store_into(slot1)) == op_result::queued);
  REQUIRE(owner.core->recv(store_into(slot2), &second, store_into(slot2)) == op_result::queued);
  int a = 1, b = 2;
  REQUIRE(owner.core->send(a, nullptr) == op_result::done);
  REQUIRE(owner.core->send(b, nullptr) == op_result::done);
  CHECK(slot1 == 1);
  CHECK_FALSE(slot2.has_value());
  CHECK(token.winning_arm() == 0);
  CHECK(token.completions == 1);
  CHECK(owner.core->size() == 1);  // the second message was buffered, not swallowed
  CHECK_FALSE(second.linked);      // and the stale arm was unlinked on the way
}

TEST_CASE("channel_core: close completes every waiter with disconnected", "[core]") {
  core_owner<int> owner(0);
  recorded_waiter<int> s, r;
  int value = 3;
  REQUIRE(owner.core->send(value, &s.w) == op_result::queued);
  owner.core->close();
  CHECK(s.w.status == wait_status::disconnected);
  CHECK(value == 3);
  CHECK(s.token.completions == 1);
  std::optional<int> slot;
  CHECK(owner.core->recv(store_into(slot), &r.w, store_into(slot)) == op_result::disconnected);
  CHECK(r.token.completions == 0);
}

TEST_CASE("channel_core: a throwing hand-off to a queued receiver asks it to retry", "[core][throwing_move]") {
  core_owner<throwing_move> owner(channel_core<throwing_move>::unbounded);
  queued_receive<throwing_move> r(*owner.core);
  throwing_move value(9);
  throwing_move::moves_until_throw = 0;
  CHECK_THROWS(owner.core->send(value, nullptr));
  CHECK(value.payload == 9);  // still the sender's
  CHECK(r.w.status == wait_status::retry);
  CHECK(r.token.completions == 1);
  CHECK_FALSE(r.slot.has_value());
  CHECK(owner.core->size() == 0);
}

TEST_CASE("channel_core: a throwing refill from a queued sender asks it to retry", "[core][throwing_move]") {
  core_owner<throwing_move> owner(1);
  throwing_move first(1);
  REQUIRE(owner.core->send(first, nullptr) == op_result::done);
  recorded_waiter<throwing_move> s;
  throwing_move second(2);
  REQUIRE(owner.core->send(second, &s.w) == op_result::queued);
  std::optional<throwing_move> out;
  throwing_move::moves_until_throw = 1;  // taking the front works, the refill throws
  REQUIRE(owner.core->recv(store_into(out), nullptr, {}) == op_result::done);
  CHECK(out->payload == 1);  // our receive succeeded and reports no error
  CHECK(s.w.status == wait_status::retry);
  CHECK(second.payload == 2);  // the sender keeps its value and tries again
  CHECK(owner.core->size() == 0);
  CHECK(throwing_move::moves_until_throw == -1);
}

TEST_CASE("channel_core: a receiver refills a full buffer from the oldest queued sender", "[core]") {
  core_owner<int> owner(2);
  int a = 1, b = 2, c = 3, d = 4;
  REQUIRE(owner.core->send(a, nullptr) == op_result::done);
  REQUIRE(owner.core->send(b, nullptr) == op_result::done);
  recorded_waiter<int> s3, s4;
  REQUIRE(owner.core->send(c, &s3.w) == op_result::queued);
  REQUIRE(owner.core->send(d, &s4.w) == op_result::queued);
  std::vector<int> got;
  auto append = [&got](int&& m) { got.push_back(m); };
  std::size_t taken = 0;
  CHECK(owner.core->recv_batch(append, 10, taken) == op_result::done);
  CHECK(taken == 4);
  CHECK(got == std::vector<int>{1, 2, 3, 4});
  CHECK(s3.token.completions == 1);
  CHECK(s4.token.completions == 1);
}

namespace {

/// An asynchronous-style receiver queued by hand: notify-only, no slot.
template <class T>
struct queued_notification : recorded_waiter<T> {
  explicit queued_notification(channel_core<T>& core) {
    this->w.notify_only = true;
    REQUIRE(core.wait_for_message(&this->w) == rill::detail::op_result::queued);
  }
};

}  // namespace

TEST_CASE("channel_core: a notify-only receiver is woken and the message stays buffered", "[core][async]") {
  core_owner<int> owner(channel_core<int>::unbounded);
  queued_notification<int> n(*owner.core);
  int value = 1;
  REQUIRE(owner.core->send(value, nullptr) == op_result::done);
  CHECK(n.w.status == wait_status::notified);
  CHECK(n.token.completions == 1);
  CHECK(owner.core->size() == 1);  // taken only when the receiver runs
  CHECK(owner.core->wait_for_message(&n.w) == rill::detail::op_result::done);  // a message is ready: no need to queue
}

TEST_CASE("channel_core: a receiver queued behind a notified one gets the oldest message", "[core][async]") {
  // Regression: the second send used to hand its own value to the queued
  // thread receiver, overtaking the message buffered for the notified one,
  // so a consumer saw a producer's messages out of order.
  core_owner<int> owner(channel_core<int>::unbounded);
  queued_notification<int> notified(*owner.core);
  queued_receive<int> direct(*owner.core);
  int first = 1, second = 2;
  REQUIRE(owner.core->send(first, nullptr) == op_result::done);
  REQUIRE(owner.core->send(second, nullptr) == op_result::done);
  CHECK(direct.slot == 1);
  std::optional<int> rest;
  REQUIRE(owner.core->recv(store_into(rest), nullptr, {}) == op_result::done);
  CHECK(rest == 2);
}

TEST_CASE("channel_core: closing with messages buffered for a notified receiver lets the others drain", "[core][async]") {
  core_owner<int> owner(channel_core<int>::unbounded);
  queued_notification<int> notified(*owner.core);
  queued_receive<int> direct(*owner.core);
  int value = 1;
  REQUIRE(owner.core->send(value, nullptr) == op_result::done);
  owner.core->close();
  CHECK(direct.w.status == wait_status::retry);  // not "disconnected": a message is still there
  std::optional<int> out;
  CHECK(owner.core->recv(store_into(out), nullptr, {}) == op_result::done);
  CHECK(owner.core->recv(store_into(out), nullptr, {}) == op_result::disconnected);
}

TEST_CASE("channel_core: a rendezvous sender queues and wakes a notify-only receiver", "[core][async]") {
  core_owner<int> owner(0);
  queued_notification<int> n(*owner.core);
  recorded_waiter<int> sender;
  int value = 3;
  CHECK(owner.core->send(value, nullptr) == op_result::would_block);  // try_send does not wait for it
  CHECK(n.token.completions == 0);
  REQUIRE(owner.core->send(value, &sender.w) == op_result::queued);
  CHECK(n.w.status == wait_status::notified);
  std::optional<int> out;  // the woken receiver, running: takes from the queued sender
  REQUIRE(owner.core->recv(store_into(out), nullptr, {}) == op_result::done);
  CHECK(out == 3);
  CHECK(sender.w.status == wait_status::done);
}

TEST_CASE("channel_core: a cancelled notified receiver passes the wake-up on", "[core][async]") {
  core_owner<int> owner(channel_core<int>::unbounded);
  queued_notification<int> first(*owner.core);
  queued_notification<int> second(*owner.core);
  int value = 4;
  REQUIRE(owner.core->send(value, nullptr) == op_result::done);
  CHECK(first.token.completions == 1);
  CHECK(second.token.completions == 0);
  owner.core->pass_on();  // the first one was cancelled before it ran
  CHECK(second.token.completions == 1);
  CHECK(owner.core->size() == 1);
}
