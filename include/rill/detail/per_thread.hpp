// rill — an object per thread, made on first use and destroyed when its
// thread exits, that is safe with every compiler rill supports.
//
// A thread_local with a destructor is not safe with mingw-w64's GCC before
// 16: its thread_locals are emulated (emutls), and at thread exit the
// emulation frees their storage before the C++ destructors run on it (GCC
// bug 80816). A destructor then reads freed memory, and writes to it, which
// corrupts the heap of whatever reused it. There the object lives on the
// heap instead, owned by a winpthreads key, whose destructor is handed the
// object's address by the key, not by emulated storage. Everywhere else it
// is a plain thread_local.
#pragma once

#if defined(__MINGW32__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 16
#define RILL_DETAIL_PER_THREAD_KEY 1
#include <pthread.h>

#include <new>
#endif

namespace rill::detail {

/// This thread's T, default-constructed on first use, or nullptr once the
/// thread has begun to exit and T is destroyed (a caller then does without:
/// another thread_local's destructor may still call in), or if there was no
/// memory for it.
template <class T>
T* per_thread() noexcept {
#if defined(RILL_DETAIL_PER_THREAD_KEY)
  struct thread_key {
    pthread_key_t key{};
    bool made = false;  ///< false if no key was left: every call then does without an object
  };
  static const thread_key owner = [] {
    thread_key k;
    k.made = pthread_key_create(&k.key, [](void* object) { delete static_cast<T*>(object); }) == 0;
    return k;
  }();
  if (!owner.made) return nullptr;
  const pthread_key_t key = owner.key;
  if (void* object = pthread_getspecific(key)) return static_cast<T*>(object);
  // Also reached while the thread exits after its T was destroyed (the key
  // reads null then): a new T is made and the key's destructor, which runs
  // again for a value set meanwhile, destroys it too.
  T* made = new (std::nothrow) T();
  if (made != nullptr && pthread_setspecific(key, made) != 0) {
    delete made;
    made = nullptr;
  }
  return made;
#else
  struct holder {
    T object;
    ~holder() { destroyed() = true; }
    /// Trivially destructible, so it outlives every thread_local with a
    /// destructor.
    static bool& destroyed() noexcept {
      thread_local bool flag = false;
      return flag;
    }
  };
  if (holder::destroyed()) return nullptr;
  thread_local holder mine;
  return &mine.object;
#endif
}

}  // namespace rill::detail
