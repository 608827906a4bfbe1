// rill — what an initiation may do: it may run inside a coroutine's
// await_suspend, and the operation it starts may complete on another thread
// before it returns.
//
// Asio before 1.23 runs the initiation of an operation awaited with
// use_awaitable (or a token wrapping it, such as as_tuple(use_awaitable))
// inside `await_suspend` of a coroutine frame of its own, whose parameters
// hold the initiation object and the arguments. Once the initiation has
// handed the operation on (queued it in a channel, posted its completion),
// another thread may complete it, resume the awaiting coroutine and destroy
// that frame, while this thread is still returning through the initiation.
//
// Clang before 19 inlines `await_suspend` into the coroutine before it
// splits the coroutine into its parts, and so may keep an inlined callee's
// locals in the frame and move its stores there past the hand-off (LLVM
// issues 56301, 65018, 72006; fixed by the llvm.coro.await.suspend
// intrinsics in LLVM 19). rill's initiation call operators are therefore
// out of line (RILL_INITIATION_ENTRY), take their arguments by reference,
// and move everything they need out of the frame before they hand the
// operation on; after that they touch only their own stack. What Asio's own
// inlined code around them does is out of rill's reach, hence the warning.
#pragma once

#include <rill/detail/config.hpp>  // RILL_NOINLINE

#include <asio/detail/config.hpp>  // ASIO_HAS_CO_AWAIT
#include <asio/version.hpp>

/// Marks an initiation's call operator: compiled out of line, so that none
/// of its stores can be placed in, or moved into, the awaiting coroutine's
/// frame.
#define RILL_INITIATION_ENTRY RILL_NOINLINE

// Clang's version as LLVM counts it: Apple numbers its releases apart
// (Apple clang 17 is the first built from LLVM 19).
#if defined(__clang__) && defined(__apple_build_version__)
#define RILL_DETAIL_CLANG_BEFORE_LLVM_19 (__clang_major__ < 17)
#elif defined(__clang__)
#define RILL_DETAIL_CLANG_BEFORE_LLVM_19 (__clang_major__ < 19)
#else
#define RILL_DETAIL_CLANG_BEFORE_LLVM_19 0
#endif

#if defined(ASIO_HAS_CO_AWAIT) && RILL_DETAIL_CLANG_BEFORE_LLVM_19 && ASIO_VERSION < 102300 && !defined(RILL_NO_AWAIT_SUSPEND_WARNING)
// #pragma GCC warning, which clang also knows: a warning under -Wpedantic
// in C++20 too, where #warning is an extension.
#pragma GCC warning "rill: clang before 19 with Asio before 1.23 can write to a coroutine frame after an \
operation awaited with use_awaitable has resumed it on another thread (a crash or a lost resumption \
under a multi-threaded executor; LLVM issues 56301, 65018, 72006). Build with clang 19 or newer, \
with GCC, or with Asio 1.23 or newer; define RILL_NO_AWAIT_SUSPEND_WARNING to silence this warning \
(for example when coroutines run on one thread only)."
#endif
