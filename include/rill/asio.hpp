// rill — the Asio layer: async_send, async_recv and async_select with any
// Asio completion token, and the teardown of operations pending on an
// execution context when it shuts down. Needs standalone Asio; brings the
// thread layer (<rill/channel.hpp>) with it.
#pragma once

#include <rill/async_broadcast.hpp>
#include <rill/async_oneshot.hpp>
#include <rill/async_recv.hpp>
#include <rill/async_reserve.hpp>
#include <rill/async_select.hpp>
#include <rill/async_send.hpp>
#include <rill/async_watch.hpp>
#include <rill/executor_timers.hpp>
#include <rill/task.hpp>
#include <rill/channel.hpp>
