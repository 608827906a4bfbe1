// rill — where rill::task's coroutine frames live: per-thread free lists of
// recently freed frames, so that a program that keeps starting tasks of the
// same few shapes allocates nothing in the steady state.
#pragma once

#include <rill/detail/per_thread.hpp>

#include <array>
#include <cstddef>
#include <new>
#include <utility>

namespace rill::detail {

/// Recycles coroutine frames of up to max_size bytes in size classes of
/// `granule` bytes, keeping up to `kept_per_class` of each per thread; larger
/// frames and the overflow go to the global operator new. A frame freed on
/// another thread than the one that allocated it joins the freeing thread's
/// lists, as Asio's recycling allocator does: memory is interchangeable.
class frame_allocator {
 public:
  static void* allocate(std::size_t size) {
    const std::size_t c = size_class(size);
    if (c >= class_count) return ::operator new(size);
    if (lists* mine = thread_lists(); mine != nullptr && mine->head[c] != nullptr) {
      free_block* block = mine->head[c];
      mine->head[c] = block->next;
      --mine->count[c];
      return block;
    }
    return ::operator new((c + 1) * granule);
  }

  static void deallocate(void* p, std::size_t size) noexcept {
    const std::size_t c = size_class(size);
    if (lists* mine = c < class_count ? thread_lists() : nullptr; mine != nullptr && mine->count[c] < kept_per_class) {
      mine->head[c] = new (p) free_block{mine->head[c]};
      ++mine->count[c];
      return;
    }
    ::operator delete(p);
  }

 private:
  static constexpr std::size_t granule = 64;
  static constexpr std::size_t class_count = 32;  // frames up to 2 KiB
  static constexpr std::size_t kept_per_class = 64;

  struct free_block {
    free_block* next;
  };

  struct lists {
    std::array<free_block*, class_count> head{};
    std::array<std::size_t, class_count> count{};
    lists() = default;
    lists(const lists&) = delete;
    lists& operator=(const lists&) = delete;
    ~lists() {
      for (free_block* block : head)
        while (block != nullptr) ::operator delete(std::exchange(block, block->next));
    }
  };

  static std::size_t size_class(std::size_t size) noexcept { return (size + granule - 1) / granule - 1; }

  /// This thread's lists; none once they are destroyed at thread exit (a
  /// frame freed later, by another thread_local's destructor say, then
  /// bypasses them).
  static lists* thread_lists() noexcept { return per_thread<lists>(); }
};

}  // namespace rill::detail
