// rill_bench adapter: moodycamel::BlockingConcurrentQueue (Debian
// libconcurrentqueue-dev). Unbounded only: the queue has no blocking
// enqueue for a full queue, so bounded workloads are not run on it. Plain
// enqueue / wait_dequeue, no producer or consumer tokens (what a first user
// writes). Its memory comes from std::malloc through its Traits, which here
// also count the allocations (the global operator new does not see them).
#pragma once

#include "../common.hpp"

#if __has_include(<concurrentqueue/blockingconcurrentqueue.h>)
#include <concurrentqueue/blockingconcurrentqueue.h>
#else
#include <blockingconcurrentqueue.h>
#endif

#include <chrono>
#include <cstdlib>

namespace rill_bench {

struct moodycamel_counted_traits : moodycamel::ConcurrentQueueDefaultTraits {
  static void* malloc(std::size_t size) {
    count_allocation();
    return std::malloc(size);
  }
  static void free(void* p) { std::free(p); }
};

struct moodycamel_peer {
  static constexpr const char* key = "moodycamel";
  static constexpr capabilities caps{.unbounded = true,
                                     .bounded = false,
                                     .rendezvous = false,
                                     .threads = true,
                                     .asio_async = false,
                                     .fibers = false,
                                     .select = false,
                                     .timed_recv = true};

  template <class T>
  class queue {
   public:
    explicit queue(std::size_t capacity) { check(capacity == unbounded, "moodycamel: unbounded only"); }

    void send(T v) { check(q_.enqueue(std::move(v)), "moodycamel enqueue"); }
    T recv() {
      T v;
      q_.wait_dequeue(v);
      return v;
    }
    bool recv_for(T& out, std::chrono::nanoseconds d) {
      return q_.wait_dequeue_timed(out, std::chrono::duration_cast<std::chrono::microseconds>(d));
    }

   private:
    moodycamel::BlockingConcurrentQueue<T, moodycamel_counted_traits> q_;
  };
};

}  // namespace rill_bench
