// rill — bounded waiting before a thread parks.
#pragma once

#include <chrono>
#include <thread>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <immintrin.h>  // _mm_pause
#elif defined(_MSC_VER) && defined(_M_ARM64)
#include <intrin.h>  // __yield
#endif

namespace rill::detail {

/// Tells the CPU we are spinning, so the sibling hyper-thread gets the core
/// and the spin loop does not flood the memory bus. Each compiler spells the
/// instruction its own way; elsewhere it is left out, and the spin is a
/// plain busy loop.
inline void cpu_relax() noexcept {
#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
  _mm_pause();
#elif defined(_MSC_VER) && defined(_M_ARM64)
  __yield();
#elif (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __builtin_ia32_pause();
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/// Pause-spinning for a while, then a number of yields, then reports that
/// the caller should park. Parking costs a system call on both sides (wait +
/// wake, parking.hpp), several microseconds of latency; a partner that answers
/// sooner is caught here.
///
/// The pause phase is bounded by time, not by a count, because a pause
/// lasts from a few to over a hundred cycles depending on the CPU. A yield
/// with nothing else runnable returns at once, so the yields serve as a
/// spin too, one that hands the CPU over to a partner waiting for it.
class backoff {
 public:
  using clock = std::chrono::steady_clock;

  /// Pauses for up to `pause_for` (zero: not at all), then yields `yields` times.
  backoff(clock::duration pause_for, unsigned yields) noexcept : pause_for_(pause_for), yields_left_(yields) {}

  /// Waits a little; false once waiting is no longer worth it.
  bool spin() noexcept {
    if (pause_for_ > clock::duration::zero()) {
      const auto now = clock::now();
      if (pause_until_ == clock::time_point{}) pause_until_ = now + pause_for_;
      if (now < pause_until_) {
        // Several pauses per clock read: a read costs about as much as a
        // few pauses, and the partner's answer needs a cache-line transfer.
        for (int i = 0; i < 8; ++i) cpu_relax();
        return true;
      }
      pause_for_ = clock::duration::zero();
    }
    if (yields_left_ == 0) return false;
    --yields_left_;
    std::this_thread::yield();
    return true;
  }

 private:
  clock::duration pause_for_;
  clock::time_point pause_until_{};
  unsigned yields_left_;
};

}  // namespace rill::detail
