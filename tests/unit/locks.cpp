// rill's locks on their own: mutual exclusion while threads keep
// contending, sleeping (futex_mutex) or yielding (spin_lock) and barging. A
// lost wake-up would leave a thread asleep on a free lock, and the test would
// hang until CTest's timeout.
#include <rill/detail/futex_mutex.hpp>
#include <rill/detail/spin_lock.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "support/test_support.hpp"

TEMPLATE_TEST_CASE("locks: contending threads exclude each other and all get through", "[locks]",
                   rill::detail::futex_mutex, rill::detail::spin_lock) {
  const std::size_t threads = GENERATE(as<std::size_t>{}, 2u, 3u, 5u);
  const std::size_t rounds = 200'000 * rill_test::stress_scale;
  TestType mutex;
  std::size_t inside = 0;  // guarded by `mutex`; checked for exclusion
  std::size_t total = 0;   // guarded by `mutex`
  bool overlapped = false;
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (std::size_t i = 0; i < rounds; ++i) {
        {
          std::lock_guard lock(mutex);
          if (++inside != 1) overlapped = true;
          ++total;
          --inside;
        }
        // Now and then away from the lock for a while, so that sleepers
        // wake to a free lock and race returning holders for it.
        if (i % 16 == 0) std::this_thread::yield();
      }
    });
  for (auto& w : workers) w.join();
  CHECK_FALSE(overlapped);
  CHECK(total == threads * rounds);
}
