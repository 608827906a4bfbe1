// rill — the registry of operations pending on an execution context:
// compiled into the rill_asio library (src/asio/pending_operations.cpp), or
// inline in header-only mode (detail/config.hpp).
#pragma once

#include <rill/detail/pending_operations.hpp>
#include <rill/detail/per_thread.hpp>

#include <asio/execution_context.hpp>

#include <memory>
#include <mutex>

namespace rill::detail {

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
RILL_DECL std::shared_ptr<pending_registry> registry_of(asio::execution_context& context) {
  struct last_lookup {
    asio::execution_context* context = nullptr;
    std::shared_ptr<pending_registry> registry;
  };
  last_lookup* last = per_thread<last_lookup>();
  if (last == nullptr) return asio::use_service<pending_operations>(context).registry();  // the thread is exiting
  if (last->context != &context || last->registry->shut_down.load(std::memory_order_relaxed)) {
    last->registry = asio::use_service<pending_operations>(context).registry();
    last->context = &context;
  }
  return last->registry;
}

}  // namespace rill::detail
