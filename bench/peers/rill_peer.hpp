// rill_bench adapter: rill itself (the library under test).
#pragma once

#include "../common.hpp"

#include <rill/rill.hpp>

#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <utility>

namespace rill_bench {

struct rill_peer {
  static constexpr const char* key = "rill";
  static constexpr capabilities caps{.unbounded = true,
                                     .bounded = true,
                                     .rendezvous = true,
                                     .threads = true,
                                     .asio_async = true,
                                     .fibers = false,
                                     .select = true,
                                     .timed_recv = true};

  template <class T>
  class queue {
   public:
    explicit queue(std::size_t capacity) {
      auto [tx, rx] = capacity == unbounded ? rill::channel<T>() : rill::sync_channel<T>(capacity);
      tx_ = std::move(tx);
      rx_ = std::move(rx);
    }
    /// rill's channels need no executor: the coroutines' own is used.
    queue(std::size_t capacity, asio::io_context&) : queue(capacity) {}

    void send(T v) { check(tx_.send(std::move(v)).has_value(), "rill send"); }
    T recv() {
      auto r = rx_.recv();
      check(r.has_value(), "rill recv");
      return std::move(*r);
    }
    bool recv_for(T& out, std::chrono::nanoseconds d) {
      auto r = rx_.recv_timeout(d);
      if (!r) return false;
      out = std::move(*r);
      return true;
    }
    auto async_send(T v) { return tx_.async_send(std::move(v), asio::use_awaitable); }
    auto async_recv() { return rx_.async_recv(asio::use_awaitable); }

    const rill::sender<T>& tx() const { return tx_; }
    const rill::receiver<T>& rx() const { return rx_; }

   private:
    rill::sender<T> tx_;
    rill::receiver<T> rx_;
  };
};

}  // namespace rill_bench
