// How much work stress tests do: a base count times RILL_STRESS_SCALE, which
// the build sets (1 by default, more for a longer run on request).
#pragma once

#ifndef RILL_STRESS_SCALE
#define RILL_STRESS_SCALE 1
#endif

namespace rill_test {
inline constexpr int stress_scale = RILL_STRESS_SCALE;
}  // namespace rill_test
