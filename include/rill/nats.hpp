// rill::nats — rill channels across machines, over NATS JetStream.
//
// Producers hold a rill::sender<T> (remote_sender), remote workers a
// rill::receiver<delivery<T>> (remote_receiver); select, timeouts and
// co_await work on them as on any rill channel. Link rill::nats (nats.c).
// json_codec<T> is in <rill/nats/json.hpp>, apart, for its nlohmann_json.
#pragma once

#include <rill/nats/codec.hpp>
#include <rill/nats/connection.hpp>
#include <rill/nats/delivery.hpp>
#include <rill/nats/error.hpp>
#include <rill/nats/message_id.hpp>
#include <rill/nats/queue.hpp>
#include <rill/nats/remote_close.hpp>
#include <rill/nats/remote_receiver.hpp>
#include <rill/nats/remote_sender.hpp>
