// rill — bounded spinning before a thread parks.
#pragma once

#include <thread>

namespace rill::detail {

/// Tells the CPU we are spinning, so the sibling hyper-thread gets the core
/// and the spin loop does not flood the memory bus.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Exponential spin, then yields, then reports that the caller should park.
/// Parking costs a system call on both sides (futex wait + wake), about a
/// microsecond; a partner that answers within that time is caught spinning.
class backoff {
 public:
  /// Waits a little longer each call; false once spinning is no longer worth it.
  bool spin() noexcept {
    if (step_ < spin_limit) {
      for (unsigned i = 0; i < (1u << step_); ++i) cpu_relax();
    } else if (step_ < yield_limit) {
      std::this_thread::yield();
    } else {
      return false;
    }
    ++step_;
    return true;
  }

 private:
  static constexpr unsigned spin_limit = 7;    // up to 2^6 pauses per step, ~127 in all
  static constexpr unsigned yield_limit = 10;  // then a few yields to a runnable partner
  unsigned step_ = 0;
};

}  // namespace rill::detail
