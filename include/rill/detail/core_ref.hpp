// rill — a counted reference to a channel's core, held by initiation objects
// and asynchronous operations.
#pragma once

#include <rill/detail/channel_core.hpp>

#include <utility>

namespace rill::detail {

/// A counted reference to a core, for initiation objects (a deferred
/// operation may be launched after every handle is gone) and operations.
/// `Core` is a channel's, or any core counted the same way (a oneshot's, a
/// watch's).
template <class T, class Core = channel_core<T>>
class core_ref {
 public:
  explicit core_ref(Core& core) noexcept : core_(&core) { core_->retain(); }
  core_ref(const core_ref& other) noexcept : core_(other.core_) { core_->retain(); }
  /// Moves keep the count as it is: an initiation object is moved around
  /// several times on its way into an operation.
  core_ref(core_ref&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  core_ref& operator=(const core_ref&) = delete;
  ~core_ref() {
    if (core_ != nullptr) core_->release();
  }
  Core& operator*() const noexcept { return *core_; }
  Core* operator->() const noexcept { return core_; }

 private:
  Core* core_;
};

}  // namespace rill::detail
