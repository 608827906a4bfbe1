// One shared library that uses rill; built twice, as side_a and side_b,
// each exporting only these functions (prefixed a_ and b_).
#pragma once

#include <rill/asio.hpp>

#include <asio/io_context.hpp>

#include <system_error>

#define SIDE_EXPORT __attribute__((visibility("default")))
#define SIDE_FUNCTIONS(side)                                                                           \
  /* The error a receive on a closed, drained channel reports, made here. */                          \
  SIDE_EXPORT std::error_code side##_disconnected();                                                    \
  /* A rendezvous channel made here. */                                                                \
  SIDE_EXPORT std::pair<rill::sender<int>, rill::receiver<int>> side##_make_channel();                  \
  /* Starts an async_recv on `rx` on `io`; the handler, when destroyed unrun, */                       \
  /* counts itself in `dropped` (and in `ran` when it runs). */                                        \
  SIDE_EXPORT void side##_start_recv(asio::io_context& io, const rill::receiver<int>& rx, int& ran,     \
                                      int& dropped);                                                    \
  /* Starts an async_send of `value` on `io`, with the same accounting. */                             \
  SIDE_EXPORT void side##_start_send(asio::io_context& io, const rill::sender<int>& tx, int value,      \
                                      int& ran, int& dropped);

SIDE_FUNCTIONS(a)
SIDE_FUNCTIONS(b)
