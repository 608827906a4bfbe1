// rill — the random source of select's poll order: compiled into the rill
// library (src/select_engine.cpp), or inline in header-only mode
// (detail/config.hpp).
#pragma once

#include <rill/detail/select_engine.hpp>

#include <cstdint>
#include <functional>

namespace rill::detail {

/// A small, fast generator (xorshift32); quality matters little, a shared or
/// locked generator would cost more than the select itself. Seeded per
/// thread from the address of its state, which differs between threads.
RILL_DECL std::uint32_t select_random() noexcept {
  thread_local std::uint32_t state = static_cast<std::uint32_t>(std::hash<const void*>()(&state)) | 1u;
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

}  // namespace rill::detail
