// rill — fixed-capacity FIFO, the buffer of a bounded channel.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace rill::detail {

/// A circular array of raw slots, allocated once at construction, so a
/// bounded channel never allocates per message. Not thread-safe: the
/// channel's lock guards it.
template <class T>
class ring_buffer {
 public:
  ring_buffer() noexcept = default;
  explicit ring_buffer(std::size_t capacity) : slots_(std::make_unique<slot[]>(capacity)), capacity_(capacity) {}

  ring_buffer(ring_buffer&& other) noexcept
      : slots_(std::move(other.slots_)),
        head_(std::exchange(other.head_, 0)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}

  ring_buffer& operator=(ring_buffer&& other) noexcept {
    if (this != &other) {
      clear();
      slots_ = std::move(other.slots_);
      head_ = std::exchange(other.head_, 0);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }

  ~ring_buffer() { clear(); }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  bool full() const noexcept { return size_ == capacity_; }

  /// Precondition: !full(). If T's constructor throws, nothing changes.
  template <class... Args>
  void emplace_back(Args&&... args) {
    std::size_t tail = head_ + size_;
    if (tail >= capacity_) tail -= capacity_;
    ::new (static_cast<void*>(slots_[tail].bytes)) T(std::forward<Args>(args)...);
    ++size_;
  }

  /// Precondition: !empty().
  T& front() noexcept { return *std::launder(reinterpret_cast<T*>(slots_[head_].bytes)); }

  /// Precondition: !empty().
  void pop_front() noexcept {
    front().~T();
    if (++head_ == capacity_) head_ = 0;
    --size_;
  }

  void clear() noexcept {
    while (!empty()) pop_front();
  }

 private:
  struct slot {
    alignas(T) unsigned char bytes[sizeof(T)];
  };

  std::unique_ptr<slot[]> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace rill::detail
