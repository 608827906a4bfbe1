// rill — version of the library this header belongs to.
#pragma once

#define RILL_VERSION_MAJOR 0
#define RILL_VERSION_MINOR 1
#define RILL_VERSION_PATCH 0

namespace rill {
/// The major version of the headers compiled against (RILL_VERSION_MAJOR),
/// e.g. 0 for 0.1.0.
inline constexpr int version_major = RILL_VERSION_MAJOR;
/// The minor version (RILL_VERSION_MINOR), e.g. 1 for 0.1.0.
inline constexpr int version_minor = RILL_VERSION_MINOR;
/// The patch version (RILL_VERSION_PATCH), e.g. 0 for 0.1.0.
inline constexpr int version_patch = RILL_VERSION_PATCH;
}  // namespace rill
