// rill tests — replaces every malloc-based form of the global operator new
// and delete with two functions the including program defines:
//
//   void* rill_test_allocate(std::size_t size) noexcept;  // null: out of memory
//   void rill_test_free(void* p) noexcept;
//
// Include it in exactly one translation unit of a test program (which is
// why such tests are programs of their own). Every form goes through the
// same pair, so no block from another operator new reaches their free(),
// and vice versa. The aligned forms are not used by these tests.
#pragma once

#include <cstddef>
#include <new>

// Not inlined into operator delete: GCC would then see free() applied to
// what operator new returned and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void* rill_test_allocate(std::size_t size) noexcept;
[[gnu::noinline]] void rill_test_free(void* p) noexcept;

void* operator new(std::size_t size) {
  if (void* p = rill_test_allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return rill_test_allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return rill_test_allocate(size); }
void operator delete(void* p) noexcept { rill_test_free(p); }
void operator delete[](void* p) noexcept { rill_test_free(p); }
void operator delete(void* p, std::size_t) noexcept { rill_test_free(p); }
void operator delete[](void* p, std::size_t) noexcept { rill_test_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { rill_test_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { rill_test_free(p); }
