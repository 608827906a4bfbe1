// rill — the teardown of execution contexts: which channel operations wait
// with work on a context, so that its shutdown can destroy them. A waiting
// operation sits in a channel, in no queue of the context; without this
// registry, its handler would outlive the io_context and later be posted to
// a dead one.
#pragma once

#include <rill/detail/last_of_two.hpp>
#include <rill/detail/spin_lock.hpp>

#include <asio/execution_context.hpp>

#include <atomic>
#include <memory>
#include <mutex>

namespace rill::detail {

/// An operation as its execution context's registry sees it.
struct pending_operation {
  pending_operation* prev = nullptr;
  pending_operation* next = nullptr;
  bool registered = false;
  /// Set by a shutdown, under the registry's lock, that found the
  /// operation claimed by a partner whose post_resume is still to come.
  bool orphaned = false;
  /// An orphan's memory is freed by whichever of the shutdown and the late
  /// post_resume finishes second with it.
  last_of_two orphan_halves;
  /// Called under the registry's lock when the context shuts down: true if
  /// the operation was withdrawn from its channels (the shutdown now owns
  /// it), false if a partner has claimed it.
  bool (*withdraw_at_shutdown)(pending_operation&) noexcept = nullptr;
  /// Called after the lock is released: destroys the handler, and the
  /// operation too if it was withdrawn.
  void (*finish_shutdown)(pending_operation&, bool withdrawn) noexcept = nullptr;
};

/// The operations that have work on one execution context. Shared with the
/// operations, because a partner thread may still complete one after the
/// context (and its services) are gone.
struct pending_registry {
  /// Held for a few pointer updates (and, at shutdown, to withdraw
  /// operations from their channels): never while a handler is destroyed.
  spin_lock mutex;
  pending_operation* head = nullptr;
  std::atomic<bool> shut_down{false};

  void add_locked(pending_operation& op) noexcept {
    op.prev = nullptr;
    op.next = head;
    if (head != nullptr) head->prev = &op;
    head = &op;
    op.registered = true;
  }

  void remove_locked(pending_operation& op) noexcept {
    if (!op.registered) return;
    if (op.prev != nullptr)
      op.prev->next = op.next;
    else
      head = op.next;
    if (op.next != nullptr) op.next->prev = op.prev;
    op.prev = op.next = nullptr;
    op.registered = false;
  }
};

/// Registered with each execution context that a channel operation has
/// work on. A waiting operation sits in a channel, in no queue of the
/// context, so the context could not destroy it; this service does, on
/// shutdown, so that no handler outlives its io_context and nothing is
/// posted to a dead one.
class pending_operations final : public asio::execution_context::service {
 public:
  using key_type = pending_operations;
  static inline asio::execution_context::id id;

  explicit pending_operations(asio::execution_context& context)
      : asio::execution_context::service(context), registry_(std::make_shared<pending_registry>()) {}

  const std::shared_ptr<pending_registry>& registry() const noexcept { return registry_; }

 private:
  /// Decided under the lock, carried out after it: destroying a handler
  /// runs whatever destructors it owns (a coroutine's frame, the last sender
  /// of a channel), which may complete other operations of this context,
  /// and their post_resume takes this lock.
  void shutdown() override {
    pending_operation* doomed = nullptr;
    {
      std::lock_guard lock(registry_->mutex);
      registry_->shut_down.store(true, std::memory_order_relaxed);
      while (pending_operation* op = registry_->head) {
        registry_->remove_locked(*op);
        const bool withdrawn = op->withdraw_at_shutdown(*op);
        op->orphaned = !withdrawn;
        op->next = doomed;
        doomed = op;
      }
    }
    while (pending_operation* op = doomed) {
      doomed = op->next;
      op->finish_shutdown(*op, !op->orphaned);  // ours alone to read: no partner writes it
    }
  }

  std::shared_ptr<pending_registry> registry_;  ///< shared with the operations registered in it
};

/// The registry of `context`. The last one looked up is remembered per
/// thread: use_service locks the context's service list and searches it,
/// which would otherwise be paid by every operation that waits. A context
/// destroyed and another made at the same address is told apart by the old
/// registry's shut_down flag (a context is shut down before it is destroyed).
inline std::shared_ptr<pending_registry> registry_of(asio::execution_context& context) {
  thread_local asio::execution_context* cached_context = nullptr;
  thread_local std::shared_ptr<pending_registry> cached;
  if (cached_context != &context || cached->shut_down.load(std::memory_order_relaxed)) {
    cached = asio::use_service<pending_operations>(context).registry();
    cached_context = &context;
  }
  return cached;
}

}  // namespace rill::detail
