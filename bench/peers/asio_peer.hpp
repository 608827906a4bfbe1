// rill_bench adapters: Asio's experimental::concurrent_channel (thread-safe)
// and experimental::channel (one thread only), from standalone Asio.
//
// Asio channels have no blocking calls. From a plain thread the adapter does
// what a user would: try_send / try_receive, and when that fails, the
// asynchronous operation with asio::use_future, waiting on the future. That
// needs no running io_context: the future's handler completes inline. For
// an unbounded queue the buffer limit is SIZE_MAX.
#pragma once

#include "../common.hpp"

#include <asio/experimental/channel.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rill_bench {

template <bool Concurrent>
struct asio_channel_peer {
  static constexpr const char* key = Concurrent ? "asio_concurrent" : "asio_channel";
  static constexpr capabilities caps{.unbounded = Concurrent,
                                     .bounded = true,
                                     .rendezvous = Concurrent,
                                     .threads = Concurrent,
                                     .asio_async = true,
                                     .fibers = false,
                                     .select = false,
                                     .timed_recv = false};

  template <class T>
  class queue {
    using signature = void(std::error_code, T);
    using channel_type = std::conditional_t<Concurrent, asio::experimental::concurrent_channel<signature>,
                                            asio::experimental::channel<signature>>;

   public:
    /// For use from threads: the channel needs an executor, it gets its own
    /// (never run) io_context.
    explicit queue(std::size_t capacity) : own_(std::in_place), ch_(*own_, capacity) {}
    /// For coroutines: the channel lives on the io_context that runs them.
    queue(std::size_t capacity, asio::io_context& io) : ch_(io, capacity) {}

    void send(T v) {
      if (ch_.try_send(std::error_code{}, v)) return;
      ch_.async_send(std::error_code{}, std::move(v), asio::use_future).get();
    }
    T recv() {
      std::optional<T> out;
      if (ch_.try_receive([&](std::error_code, T v) { out.emplace(std::move(v)); })) return std::move(*out);
      return ch_.async_receive(asio::use_future).get();
    }
    auto async_send(T v) { return ch_.async_send(std::error_code{}, std::move(v), asio::use_awaitable); }
    auto async_recv() { return ch_.async_receive(asio::use_awaitable); }

   private:
    std::optional<asio::io_context> own_;
    channel_type ch_;
  };
};

using asio_concurrent_peer = asio_channel_peer<true>;
using asio_plain_peer = asio_channel_peer<false>;

}  // namespace rill_bench
