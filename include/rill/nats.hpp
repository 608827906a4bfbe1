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

/// @namespace rill::nats
/// rill channels across machines over NATS JetStream: a connection, the
/// queue it joins (queue_options), the sending bridge (remote_sender:
/// a rill::sender<T> whose values are published) and the receiving bridge
/// (remote_receiver: a rill::receiver<delivery<T>> of fetched messages),
/// the codecs that turn values into payloads, and the "rill.nats" error
/// category. Needs nats.c; link rill::nats.
