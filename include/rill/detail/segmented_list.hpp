// rill — unbounded FIFO of fixed-size segments, the buffer of an unbounded
// channel.
#pragma once

#include <algorithm>
#include <cstddef>
#include <new>
#include <utility>

namespace rill::detail {

/// A singly linked list of segments of `segment_capacity` slots. It grows by
/// one segment at a time and hands segments back as it drains, keeping at
/// most `max_spare_segments` for reuse: a burst of a million messages does
/// not pin its memory afterwards, and a steady flow reuses the spares
/// instead of allocating. Not thread-safe: the channel's lock guards it.
template <class T>
class segmented_list {
 public:
  /// About 4 KiB of payload per segment, at least 16 slots.
  static constexpr std::size_t segment_capacity = std::max<std::size_t>(16, 4096 / sizeof(T));
  static constexpr std::size_t max_spare_segments = 2;

  segmented_list() noexcept = default;

  segmented_list(segmented_list&& other) noexcept { steal(other); }

  segmented_list& operator=(segmented_list&& other) noexcept {
    if (this != &other) {
      release_all();
      steal(other);
    }
    return *this;
  }

  ~segmented_list() { release_all(); }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Segments currently allocated, in use or spare.
  std::size_t allocated_segments() const noexcept { return segments_in_use_ + spare_count_; }

  /// If allocation or T's constructor throws, nothing changes.
  template <class... Args>
  void emplace_back(Args&&... args) {
    if (tail_ == nullptr || tail_index_ == segment_capacity) {
      segment* fresh = take_spare_or_allocate();
      try {
        ::new (static_cast<void*>(fresh->slots[0].bytes)) T(std::forward<Args>(args)...);
      } catch (...) {
        give_back(fresh);
        throw;
      }
      ++segments_in_use_;
      if (tail_ != nullptr)
        tail_->next = fresh;
      else
        head_ = fresh;
      tail_ = fresh;
      tail_index_ = 1;
    } else {
      ::new (static_cast<void*>(tail_->slots[tail_index_].bytes)) T(std::forward<Args>(args)...);
      ++tail_index_;
    }
    ++size_;
  }

  /// Precondition: !empty().
  T& front() noexcept { return *std::launder(reinterpret_cast<T*>(head_->slots[head_index_].bytes)); }

  /// Precondition: !empty().
  void pop_front() noexcept {
    front().~T();
    --size_;
    ++head_index_;
    if (size_ == 0) {
      // Empty again: rewind within the last segment instead of walking on,
      // so alternating send/recv never touches the allocator. Any segment
      // before it is already released below.
      head_index_ = tail_index_ = 0;
    } else if (head_index_ == segment_capacity) {
      segment* done = head_;
      head_ = head_->next;
      head_index_ = 0;
      --segments_in_use_;
      give_back(done);
    }
  }

  void clear() noexcept {
    while (!empty()) pop_front();
  }

 private:
  struct slot {
    alignas(T) unsigned char bytes[sizeof(T)];
  };
  struct segment {
    segment* next = nullptr;
    slot slots[segment_capacity];
  };

  segment* take_spare_or_allocate() {
    if (spare_ != nullptr) {
      segment* s = spare_;
      spare_ = s->next;
      --spare_count_;
      s->next = nullptr;
      return s;
    }
    return new segment;
  }

  void give_back(segment* s) noexcept {
    if (spare_count_ < max_spare_segments) {
      s->next = spare_;
      spare_ = s;
      ++spare_count_;
    } else {
      delete s;
    }
  }

  void release_all() noexcept {
    clear();
    // After clear() one segment may stay in use (rewound, empty).
    while (head_ != nullptr) delete std::exchange(head_, head_->next);
    while (spare_ != nullptr) delete std::exchange(spare_, spare_->next);
    tail_ = nullptr;
    head_index_ = tail_index_ = 0;
    segments_in_use_ = spare_count_ = 0;
  }

  void steal(segmented_list& other) noexcept {
    head_ = std::exchange(other.head_, nullptr);
    tail_ = std::exchange(other.tail_, nullptr);
    spare_ = std::exchange(other.spare_, nullptr);
    head_index_ = std::exchange(other.head_index_, 0);
    tail_index_ = std::exchange(other.tail_index_, 0);
    size_ = std::exchange(other.size_, 0);
    segments_in_use_ = std::exchange(other.segments_in_use_, 0);
    spare_count_ = std::exchange(other.spare_count_, 0);
  }

  segment* head_ = nullptr;  ///< oldest segment in use
  segment* tail_ = nullptr;  ///< newest segment in use
  segment* spare_ = nullptr;  ///< released segments kept for reuse
  std::size_t head_index_ = 0;  ///< next slot to pop in head_
  std::size_t tail_index_ = 0;  ///< next slot to fill in tail_
  std::size_t size_ = 0;
  std::size_t segments_in_use_ = 0;
  std::size_t spare_count_ = 0;
};

}  // namespace rill::detail
