// rill — the teardown of execution contexts: which channel operations wait
// with work on a context, so that its shutdown can destroy them. A waiting
// operation sits in a channel, in no queue of the context; without this
// registry, its handler would outlive the io_context and later be posted to
// a dead one.
#pragma once

#include <rill/detail/config.hpp>
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

/// The registry of `context`, made on first use as a service of the
/// context, which shuts down the operations in it when the context does.
/// One per context and program: compiled into the library (or inline in
/// header-only mode, detail/config.hpp).
RILL_DECL std::shared_ptr<pending_registry> registry_of(asio::execution_context& context);

}  // namespace rill::detail

#if defined(RILL_HEADER_ONLY)
#include <rill/detail/impl/pending_operations.ipp>
#endif
