// rill — version of the library this header belongs to.
#pragma once

#define RILL_VERSION_MAJOR 0
#define RILL_VERSION_MINOR 1
#define RILL_VERSION_PATCH 0

namespace rill {
inline constexpr int version_major = RILL_VERSION_MAJOR;
inline constexpr int version_minor = RILL_VERSION_MINOR;
inline constexpr int version_patch = RILL_VERSION_PATCH;
}  // namespace rill
