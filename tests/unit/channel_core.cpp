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

template <class T>
auto store_into(std::optional<T>& out) {
  return [&out](T&& m) { out.emplace(std::move(m)); };
}

}  // namespace

TEST_CASE("channel_core: a send hands its value to a queued receiver at claim time", "[core]") {
  core_owner<int> owner(channel_core<int>::unbounded);
  recording_token token;
  waiter<int> w;
  w.token = &token;
  std::optional<int> slot;
  REQUIRE(owner.core->recv(store_into(slot), &w, &slot) == op_result::queued);
  int value = 5;
  REQUIRE(owner.core->send(value, nullptr) == op_result::done);
  CHECK(slot == 5);
  CHECK(w.status == wait_status::done);
  CHECK(token.completions == 1);
  CHECK(owner.core->size() == 0);  // went straight to the waiter, not through the buffer
}

TEST_CASE("channel_core: an aborted receiver takes nothing", "[core]") {
  core_owner<int> owner(channel_core<int>::unbounded);
  recording_token token;
  waiter<int> w;
  w.token = &token;
  std::optional<int> slot;
  REQUIRE(owner.core->recv(store_into(slot), &w, &slot) == op_result::queued);
  REQUIRE(owner.core->abort(w));
  int value = 6;
  REQUIRE(owner.core->send(value, nullptr) == op_result::done);
  CHECK_FALSE(slot.has_value());
  CHECK(token.completions == 0);
  CHECK(owner.core->size() == 1);
}

TEST_CASE("channel_core: a claimed waiter cannot be aborted", "[core]") {
  core_owner<int> owner(0);
  recording_token token;
  waiter<int> w;
  w.token = &token;
  int value = 7;
  REQUIRE(owner.core->send(value, &w) == op_result::queued);
  std::optional<int> out;
  REQUIRE(owner.core->recv(store_into(out), nullptr, nullptr) == op_result::done);
  CHECK(out == 7);
  CHECK_FALSE(owner.core->abort(w));  // the partner won: the owner must await completion
  CHECK(token.completions == 1);
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
  REQUIRE(owner.core->recv(store_into(slot1), &first, &slot1) == op_result::queued);
  REQUIRE(owner.core->recv(store_into(slot2), &second, &slot2) == op_result::queued);
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
  recording_token send_token, recv_token;
  waiter<int> s, r;
  s.token = &send_token;
  r.token = &recv_token;
  int value = 3;
  REQUIRE(owner.core->send(value, &s) == op_result::queued);
  owner.core->close();
  CHECK(s.status == wait_status::disconnected);
  CHECK(value == 3);
  CHECK(send_token.completions == 1);
  std::optional<int> slot;
  CHECK(owner.core->recv(store_into(slot), &r, &slot) == op_result::disconnected);
  CHECK(recv_token.completions == 0);
}

TEST_CASE("channel_core: a throwing hand-off to a queued receiver asks it to retry", "[core][throwing_move]") {
  core_owner<throwing_move> owner(channel_core<throwing_move>::unbounded);
  recording_token token;
  waiter<throwing_move> w;
  w.token = &token;
  std::optional<throwing_move> slot;
  REQUIRE(owner.core->recv(store_into(slot), &w, &slot) == op_result::queued);
  throwing_move value(9);
  throwing_move::moves_until_throw = 0;
  CHECK_THROWS(owner.core->send(value, nullptr));
  CHECK(value.payload == 9);  // still the sender's
  CHECK(w.status == wait_status::retry);
  CHECK(token.completions == 1);
  CHECK_FALSE(slot.has_value());
  CHECK(owner.core->size() == 0);
}

TEST_CASE("channel_core: a throwing refill from a queued sender asks it to retry", "[core][throwing_move]") {
  core_owner<throwing_move> owner(1);
  throwing_move first(1);
  REQUIRE(owner.core->send(first, nullptr) == op_result::done);
  recording_token token;
  waiter<throwing_move> w;
  w.token = &token;
  throwing_move second(2);
  REQUIRE(owner.core->send(second, &w) == op_result::queued);
  std::optional<throwing_move> out;
  throwing_move::moves_until_throw = 1;  // taking the front works, the refill throws
  REQUIRE(owner.core->recv(store_into(out), nullptr, nullptr) == op_result::done);
  CHECK(out->payload == 1);  // our receive succeeded and reports no error
  CHECK(w.status == wait_status::retry);
  CHECK(second.payload == 2);  // the sender keeps its value and tries again
  CHECK(owner.core->size() == 0);
  CHECK(throwing_move::moves_until_throw == -1);
}

TEST_CASE("channel_core: a receiver refills a full buffer from the oldest queued sender", "[core]") {
  core_owner<int> owner(2);
  int a = 1, b = 2, c = 3, d = 4;
  REQUIRE(owner.core->send(a, nullptr) == op_result::done);
  REQUIRE(owner.core->send(b, nullptr) == op_result::done);
  recording_token t3, t4;
  waiter<int> w3, w4;
  w3.token = &t3;
  w4.token = &t4;
  REQUIRE(owner.core->send(c, &w3) == op_result::queued);
  REQUIRE(owner.core->send(d, &w4) == op_result::queued);
  std::vector<int> got;
  auto append = [&got](int&& m) { got.push_back(m); };
  bool disconnected = false;
  CHECK(owner.core->recv_batch(append, 10, disconnected) == 4);
  CHECK(got == std::vector<int>{1, 2, 3, 4});
  CHECK(t3.completions == 1);
  CHECK(t4.completions == 1);
  CHECK_FALSE(disconnected);
}
