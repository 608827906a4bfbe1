// rill — the counted reference to a channel core that sender and receiver
// handles are built on.
#pragma once

#include <rill/detail/channel_core.hpp>

#include <stdexcept>
#include <utility>

namespace rill::detail {

/// Which count of the core a handle holds: a sender, a receiver, or a weak
/// sender, which keeps the core alive but not the channel open.
enum class channel_side { send, receive, weak_send };

/// Creates channels: the one way to construct non-empty handles.
struct channel_access;

/// Owns one reference and one sender (receiver, weak sender) count of a
/// core. Copying adds a producer (consumer); destroying the last one
/// disconnects its side. Weak senders are only counted. `Core` is a
/// channel's, or any core counted the same way (a watch's).
template <class T, channel_side Side, class Core = channel_core<T>>
class core_handle {
 public:
  core_handle() noexcept = default;

  /// Adopts a count and a reference the caller already holds.
  explicit core_handle(Core* core) noexcept : core_(core) {}

  core_handle(const core_handle& other) noexcept : core_(other.core_) {
    if (core_ == nullptr) return;
    core_->retain();
    if constexpr (Side == channel_side::send)
      core_->add_sender();
    else if constexpr (Side == channel_side::receive)
      core_->add_receiver();
    else
      core_->add_weak_sender();
  }

  core_handle(core_handle&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}

  core_handle& operator=(core_handle other) noexcept {
    std::swap(core_, other.core_);
    return *this;
  }

  ~core_handle() { reset(); }

  void reset() noexcept {
    Core* core = std::exchange(core_, nullptr);
    if (core == nullptr) return;
    if constexpr (Side == channel_side::send)
      core->remove_sender();
    else if constexpr (Side == channel_side::receive)
      core->remove_receiver();
    else
      core->remove_weak_sender();
    core->release();
  }

  bool valid() const noexcept { return core_ != nullptr; }
  Core* get() const noexcept { return core_; }

  /// The core, or a clear error for a default-constructed or moved-from
  /// handle instead of a null dereference.
  Core& checked() const {
    if (core_ == nullptr)
      throw std::logic_error(Side == channel_side::send ? "rill: operation on an empty sender (default-constructed or moved-from)"
                             : Side == channel_side::receive
                                 ? "rill: operation on an empty receiver (default-constructed or moved-from)"
                                 : "rill: operation on an empty weak_sender (default-constructed or moved-from)");
    return *core_;
  }

 private:
  Core* core_ = nullptr;
};

/// What a message type must be for a channel to carry it.
template <class T>
constexpr bool check_message_type() {
  static_assert(std::is_object_v<T> && !std::is_array_v<T>,
                "rill: a message type must be an object type (not a reference, function, array or void)");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>,
                "rill: a message type must not be const or volatile: messages are moved out of the channel");
  static_assert(std::is_move_constructible_v<T>, "rill: a message type must be move-constructible");
  static_assert(std::is_nothrow_destructible_v<T>, "rill: a message type's destructor must not throw");
  return true;
}

}  // namespace rill::detail
