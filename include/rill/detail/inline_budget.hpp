// rill — how many operations a coroutine completes in a row without
// suspending, before one of them yields to the rest of the executor's work.
//
// With any other completion token an operation that completes in its
// initiating function is still posted (post_completion): a handler must not
// run inside the call that started it. A coroutine (asio::use_awaitable or
// rill::task) has no such caller to protect; what the post gives it is a
// turn for the rest of the executor's work. So a ready operation completes
// in the coroutine itself, and a per-thread budget posts the next one after
// `inline_budget` in a row, the way tokio's cooperative budget makes a busy
// task yield: a coroutine that sends into an unbounded channel in a loop
// still lets its consumer run.
#pragma once

namespace rill::detail {

/// Operations in a row that a thread completes without suspending.
inline constexpr unsigned inline_budget = 128;

/// True if the calling thread may complete one more operation without
/// suspending; after inline_budget of them it says no once, and that
/// operation takes the posted path.
inline bool take_inline_turn() noexcept {
  thread_local unsigned turns_left = inline_budget;
  if (turns_left == 0) {
    turns_left = inline_budget;
    return false;
  }
  --turns_left;
  return true;
}

}  // namespace rill::detail
