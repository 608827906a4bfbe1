// rill — umbrella header: everything a user of the library needs.
#pragma once

#include <rill/async_select.hpp>
#include <rill/channel.hpp>
#include <rill/dynamic_select.hpp>
#include <rill/error.hpp>
#include <rill/receiver.hpp>
#include <rill/select.hpp>
#include <rill/sender.hpp>
#include <rill/version.hpp>
