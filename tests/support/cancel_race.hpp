// rill tests — races a cancellation against the partner that completes an
// asynchronous wait, on a thread pool.
#pragma once

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>

#include <future>
#include <system_error>
#include <thread>
#include <utility>

namespace rill_test {

/// Starts an asynchronous wait with `start(token)` on a fresh strand of
/// `pool`, runs `partner()` on a new thread, and at the same time emits a
/// terminal cancellation on the strand: a cancellation slot is not
/// thread-safe, and the operation completes on that strand too. Returns,
/// once all three are done, whether the wait succeeded (its handler got no
/// error); the signal outlives its emission, which may come after the
/// handler ran.
template <class Start, class Partner>
bool race_cancellation(asio::thread_pool& pool, Start&& start, Partner&& partner) {
  auto strand = asio::make_strand(pool);
  asio::cancellation_signal signal;
  std::promise<bool> done;
  std::forward<Start>(start)(asio::bind_cancellation_slot(
      signal.slot(), asio::bind_executor(strand, [&](std::error_code ec, auto&&...) { done.set_value(!ec); })));
  std::thread partner_thread(std::forward<Partner>(partner));
  std::promise<void> emitted;
  asio::post(strand, [&] {
    signal.emit(asio::cancellation_type::terminal);
    emitted.set_value();
  });
  partner_thread.join();
  emitted.get_future().wait();
  return done.get_future().get();
}

}  // namespace rill_test
