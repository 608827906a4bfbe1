// rill — how this copy of rill is built: header-only or against the compiled
// library, and what the platform offers.
//
// A few things must exist once per program: the "rill" error category (two
// copies make equal errors compare unequal), the registry of operations
// pending on an execution context, thread parking and the select random
// source. They are not templates on the message type, so they live in
// `src/` and are compiled into the rill library. A program picks one of two
// modes, once, for every translation unit:
//
//   - compiled (RILL_SEPARATE_COMPILATION defined; CMake's rill::rill target
//     defines it unless RILL_HEADER_ONLY=ON): the definitions are in the
//     library, exported from it when it is shared, so that every shared
//     library of the program sees the same objects even when built with
//     -fvisibility=hidden;
//   - header-only (the default for a bare include path): the definitions are
//     inline in the headers. Fine for a program made of one binary; with
//     several shared libraries that hide their symbols, each gets its own
//     copy, as with any header-only library.
//
// Mixing the two in one program breaks the one-definition rule.
#pragma once

#if defined(RILL_SEPARATE_COMPILATION) && defined(RILL_HEADER_ONLY)
#error "rill: define at most one of RILL_SEPARATE_COMPILATION and RILL_HEADER_ONLY"
#endif
#if !defined(RILL_SEPARATE_COMPILATION) && !defined(RILL_HEADER_ONLY)
#define RILL_HEADER_ONLY 1
#endif

// RILL_API marks what the shared library exports. RILL_DYN_LINK says the
// library is shared (set by the CMake target); RILL_BUILDING is set while
// compiling src/.
#if defined(RILL_SEPARATE_COMPILATION) && defined(RILL_DYN_LINK)
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(RILL_BUILDING)
#define RILL_API __declspec(dllexport)
#else
#define RILL_API __declspec(dllimport)
#endif
#else
#define RILL_API __attribute__((visibility("default")))
#endif
#elif defined(RILL_SEPARATE_COMPILATION) && (defined(__GNUC__) || defined(__clang__)) && !defined(_WIN32)
// A static library linked into a shared one that hides its symbols: the
// definitions stay visible, so the program still links them once.
#define RILL_API __attribute__((visibility("default")))
#else
#define RILL_API
#endif

/// On the declaration of a function defined once per program: inline in
/// header-only mode, exported from the library otherwise.
#if defined(RILL_HEADER_ONLY)
#define RILL_DECL inline
#else
#define RILL_DECL RILL_API
#endif

/// Keeps a function out of line (see detail/initiation.hpp for why
/// initiations need it).
#if defined(__GNUC__) || defined(__clang__)
#define RILL_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define RILL_NOINLINE __declspec(noinline)
#else
#define RILL_NOINLINE
#endif
