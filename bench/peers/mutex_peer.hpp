// rill_bench adapter: the std::mutex + std::condition_variable + std::deque
// queue of ../mutex_queue.hpp. No rendezvous (capacity 0), no coroutines.
#pragma once

#include "../common.hpp"
#include "../mutex_queue.hpp"

#include <chrono>
#include <optional>

namespace rill_bench {

struct mutex_peer {
  static constexpr const char* key = "mutex";
  static constexpr capabilities caps{.unbounded = true,
                                     .bounded = true,
                                     .rendezvous = false,
                                     .threads = true,
                                     .asio_async = false,
                                     .fibers = false,
                                     .select = false,
                                     .timed_recv = true};

  template <class T>
  class queue {
   public:
    explicit queue(std::size_t capacity)
        : q_(capacity == unbounded ? std::nullopt : std::optional<std::size_t>(capacity)) {
      check(capacity != 0, "mutex_queue: no rendezvous");
    }

    void send(T v) { q_.send(std::move(v)); }
    T recv() { return q_.recv(); }
    bool recv_for(T& out, std::chrono::nanoseconds d) {
      auto v = q_.recv_for(d);
      if (!v) return false;
      out = std::move(*v);
      return true;
    }

   private:
    mutex_queue<T> q_;
  };
};

}  // namespace rill_bench
