// Compiled by a clang before 19 (with Asio 1.22): rill must warn that
// coroutines awaiting its operations on a multi-threaded executor are at
// risk (include/rill/detail/initiation.hpp), unless the warning is
// silenced with RILL_NO_AWAIT_SUSPEND_WARNING.
#include <rill/rill.hpp>

#include <asio/use_awaitable.hpp>

asio::awaitable<int> receive_one(rill::receiver<int> rx) { co_return co_await rx.async_recv(asio::use_awaitable); }
