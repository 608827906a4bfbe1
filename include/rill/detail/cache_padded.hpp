// rill — keeps a value alone on its cache line.
#pragma once

#include <cstddef>

namespace rill::detail {

/// 64 bytes covers x86-64 and most ARM cores; the adjacent-line prefetcher
/// of Intel cores pulls pairs of lines, so hot fields are spaced by 128.
inline constexpr std::size_t cache_line_size = 128;

/// Wraps `T` so that no other hot field shares its cache line (false sharing
/// turns every write by one core into a miss on the other).
template <class T>
struct alignas(cache_line_size) cache_padded {
  T value;
};

}  // namespace rill::detail
