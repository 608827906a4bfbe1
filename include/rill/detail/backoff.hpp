// rill — bounded waiting before a thread parks.
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

/// A few rounds of exponential pause-spinning, then yields, then reports
/// that the caller should park. Parking costs a system call on both sides
/// (futex wait + wake), several microseconds of latency; a partner that
/// answers sooner is caught here.
///
/// Yielding beats pausing on the machines rill is measured on (bench/,
/// W5-W7 on 2 cores): the partner often waits for the very CPU the spinner
/// holds, and sched_yield hands it over, while pausing only burns the time
/// slice. A yield with nothing else runnable returns at once, so the yields
/// also serve as the spin.
class backoff {
 public:
  /// `pause_rounds` rounds of 1, 2, 4, ... pauses, then `yields` yields.
  constexpr backoff(unsigned pause_rounds, unsigned yields) noexcept
      : pause_rounds_(pause_rounds), limit_(pause_rounds + yields) {}

  /// Waits a little longer each call; false once waiting is no longer worth it.
  bool spin() noexcept {
    if (step_ < pause_rounds_) {
      for (unsigned i = 0; i < (1u << step_); ++i) cpu_relax();
    } else if (step_ < limit_) {
      std::this_thread::yield();
    } else {
      return false;
    }
    ++step_;
    return true;
  }

 private:
  unsigned pause_rounds_;
  unsigned limit_;
  unsigned step_ = 0;
};

}  // namespace rill::detail
