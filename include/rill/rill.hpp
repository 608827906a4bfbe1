// rill — umbrella header: every layer. A program that needs less includes
// one layer: <rill/channel.hpp> (threads: channels, select, dynamic_select;
// the standard library and tl::expected only), <rill/asio.hpp> (the Asio
// layer on top of it), <rill/fmt.hpp> (fmt formatters for the errors);
// <rill/bounded_queue.hpp> adds the standard's proposed queue vocabulary,
// <rill/timers.hpp> the timer channels (after, at, tick, never).
#pragma once

#include <rill/asio.hpp>
#include <rill/bounded_queue.hpp>
#include <rill/channel.hpp>
#include <rill/dynamic_select.hpp>
#include <rill/error.hpp>
#include <rill/fmt.hpp>
#include <rill/receiver.hpp>
#include <rill/select.hpp>
#include <rill/sender.hpp>
#include <rill/timers.hpp>
#include <rill/version.hpp>
#include <rill/weak_sender.hpp>

/// @namespace rill
/// Everything of rill's API: channels (channel, sync_channel, sender,
/// receiver, weak_sender, permit), the other channel kinds (oneshot,
/// watch, broadcast), select and dynamic_select, timer channels,
/// bounded_queue, the error types, and the Asio layer (async_send,
/// async_recv, async_select, task, spawn, use_task). Names in rill::detail
/// are the implementation and may change without notice.
