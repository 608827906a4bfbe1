// rill — creating channels, and the thread layer of rill: with this header
// come the handles (sender, receiver: blocking, try, timed and stoppable
// operations; permits, weak_sender), the error types, select and
// dynamic_select, the metrics of a channel, overflow policies and the
// undelivered hook, and oneshot and watch (and their select arms). It needs only the standard library and tl::expected; the
// asynchronous operations are the Asio layer, <rill/asio.hpp>, and the fmt
// formatters are <rill/fmt.hpp>.
#pragma once

#include <rill/broadcast.hpp>
#include <rill/detail/channel_access.hpp>
#include <rill/detail/channel_core.hpp>
#include <rill/dynamic_select.hpp>
#include <rill/error.hpp>
#include <rill/oneshot.hpp>
#include <rill/overflow.hpp>
#include <rill/permit.hpp>
#include <rill/receiver.hpp>
#include <rill/select.hpp>
#include <rill/select_kinds.hpp>
#include <rill/sender.hpp>
#include <rill/watch.hpp>
#include <rill/weak_sender.hpp>

#include <cstddef>
#include <stdexcept>
#include <utility>

namespace rill {

/// An unbounded channel: send never blocks; memory grows with what is
/// buffered and is given back as it drains.
template <class T>
std::pair<sender<T>, receiver<T>> channel() {
  return detail::channel_access::make<T>(detail::channel_core<T>::unbounded);
}

/// An unbounded channel that gives every message still buffered when the
/// last receiver goes to `on_undelivered` (see undelivered_hook).
template <class T>
std::pair<sender<T>, receiver<T>> channel(undelivered_hook<T> on_undelivered) {
  return detail::channel_access::make<T>(detail::channel_core<T>::unbounded, overflow::wait, std::move(on_undelivered));
}

/// A bounded channel holding at most `capacity` messages; send blocks while
/// it is full. With `capacity` 0 it is a rendezvous channel: every send
/// waits until a receiver takes the message. The buffer is allocated here,
/// once.
///
/// `policy` chooses what a send on a full channel does instead (see
/// rill::overflow): a dropping policy never makes a send wait, and gives
/// each message it drops to `on_undelivered`, which also sees every
/// message still buffered when the last receiver goes (see
/// undelivered_hook). Without a hook they are destroyed; either way they
/// are counted (sender::undelivered_count()). A dropping policy needs a
/// buffer: `capacity` 0 with one throws std::invalid_argument. Permits
/// (reserve) wait for a free slot under every policy.
template <class T>
std::pair<sender<T>, receiver<T>> sync_channel(std::size_t capacity, overflow policy = overflow::wait,
                                               undelivered_hook<T> on_undelivered = {}) {
  if (capacity == detail::channel_core<T>::unbounded)
    throw std::length_error("rill::sync_channel: capacity too large; use rill::channel for an unbounded channel");
  if (capacity == 0 && policy != overflow::wait)
    throw std::invalid_argument("rill::sync_channel: a dropping overflow policy needs a capacity of at least 1");
  return detail::channel_access::make<T>(capacity, policy, std::move(on_undelivered));
}

}  // namespace rill
