# How rill parks threads (include/rill/detail/parking.hpp): the option that
# forces the portable backend, and what each backend needs linked. Included
# by the top-level CMakeLists.txt once the `rill` target exists.
#
# Sets RILL_PARKING_BACKEND to the backend the build will compile (futex,
# wait_on_address or portable), for the test that checks it.

option(RILL_PORTABLE_PARKING
  "Park threads with the portable C++20 fallback instead of the platform's futex or WaitOnAddress (to test the fallback)"
  OFF)

# The definition must reach src/parking.cpp and every user of rill alike
# (one backend per program): RILL_USAGE is PUBLIC for the compiled library,
# INTERFACE in header-only mode (cmake/rill-library.cmake).
set(_rill_parking_scope ${RILL_USAGE})

# The same choice as parking.hpp makes from the compiler's macros.
if(RILL_PORTABLE_PARKING)
  target_compile_definitions(rill ${_rill_parking_scope} RILL_PORTABLE_PARKING)
  set(RILL_PARKING_BACKEND portable)
elseif(CMAKE_SYSTEM_NAME MATCHES "^(Linux|Android)$")
  set(RILL_PARKING_BACKEND futex)
elseif(WIN32)
  # WaitOnAddress and WakeByAddress* live in synchronization.lib
  # (API set api-ms-win-core-synch-l1-2-0, Windows 8 and later).
  target_link_libraries(rill ${_rill_parking_scope} synchronization)
  set(RILL_PARKING_BACKEND wait_on_address)
else()
  set(RILL_PARKING_BACKEND portable)
endif()
unset(_rill_parking_scope)
