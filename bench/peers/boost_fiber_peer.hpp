// rill_bench adapter: Boost.Fiber's buffered_channel (Debian
// libboost-fiber-dev; links boost_fiber and boost_context). Its channels
// work between plain threads too (a blocked thread parks its main fiber).
//
// - buffered_channel's capacity must be a power of two >= 2 and it holds one
//   message less: "bounded 1024" is buffered_channel(1024) holding 1023,
//   "bounded 1" is buffered_channel(2) holding 1.
// - capacity 0 (rendezvous, W6) uses the library's unbuffered_channel.
// - no unbounded channel: W1/W2 are not run on it.
// - the coroutine workloads (W9-W11) run as fibers on one thread instead of
//   Asio coroutines.
#pragma once

#include "../common.hpp"

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/unbuffered_channel.hpp>

#include <bit>
#include <chrono>
#include <memory>

namespace rill_bench {

struct boost_fiber_peer {
  static constexpr const char* key = "boost_fiber";
  static constexpr capabilities caps{.unbounded = false,
                                     .bounded = true,
                                     .rendezvous = true,
                                     .threads = true,
                                     .asio_async = false,
                                     .fibers = true,
                                     .select = false,
                                     .timed_recv = true};

  template <class T>
  class queue {
   public:
    explicit queue(std::size_t capacity) {
      check(capacity != unbounded, "boost.fiber: no unbounded channel");
      if (capacity == 0)
        unbuffered_ = std::make_unique<boost::fibers::unbuffered_channel<T>>();
      else
        buffered_ = std::make_unique<boost::fibers::buffered_channel<T>>(capacity < 2 ? 2 : std::bit_ceil(capacity));
    }

    void send(T v) {
      const auto s = buffered_ ? buffered_->push(std::move(v)) : unbuffered_->push(std::move(v));
      check(s == boost::fibers::channel_op_status::success, "boost.fiber push");
    }
    T recv() {
      T v;
      const auto s = buffered_ ? buffered_->pop(v) : unbuffered_->pop(v);
      check(s == boost::fibers::channel_op_status::success, "boost.fiber pop");
      return v;
    }
    bool recv_for(T& out, std::chrono::nanoseconds d) {
      const auto s = buffered_ ? buffered_->pop_wait_for(out, d) : unbuffered_->pop_wait_for(out, d);
      return s == boost::fibers::channel_op_status::success;
    }

   private:
    std::unique_ptr<boost::fibers::buffered_channel<T>> buffered_;
    std::unique_ptr<boost::fibers::unbuffered_channel<T>> unbuffered_;
  };

  /// Runs each callable as a fiber on the calling thread and joins them all.
  template <class... F>
  static void run_fibers(F&&... f) {
    boost::fibers::fiber fibers[] = {boost::fibers::fiber(std::forward<F>(f))...};
    for (auto& x : fibers) x.join();
  }
};

}  // namespace rill_bench
