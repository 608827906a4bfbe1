# Defines the imported target rill::standalone_asio for standalone Asio (header-only).
#
# Asio ships no CMake package on Debian (libasio-dev), so we look for its
# headers. This file is used both in-tree and by the installed
# rill-config.cmake, so that the exported rill::asio can name rill::standalone_asio in its
# link interface in either case.
#
# Sets RILL_ASIO_FOUND (TRUE/FALSE); the cache variable RILL_ASIO_INCLUDE_DIR
# can be set by the user to point at a non-system Asio.

if(TARGET rill::standalone_asio)
  set(RILL_ASIO_FOUND TRUE)
  return()
endif()

find_path(RILL_ASIO_INCLUDE_DIR
  NAMES asio.hpp
  DOC "Directory holding standalone Asio's asio.hpp")

if(NOT RILL_ASIO_INCLUDE_DIR)
  set(RILL_ASIO_FOUND FALSE)
  return()
endif()
set(RILL_ASIO_FOUND TRUE)

# GLOBAL only in-tree (set by the caller), so that a project including rill with
# add_subdirectory() resolves the name from any directory.
if(RILL_ASIO_GLOBAL)
  add_library(rill::standalone_asio INTERFACE IMPORTED GLOBAL)
else()
  add_library(rill::standalone_asio INTERFACE IMPORTED)
endif()
set_target_properties(rill::standalone_asio PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${RILL_ASIO_INCLUDE_DIR}")

# Asio 1.22 enables co_await under Clang only with libc++ (it probes for
# <experimental/coroutine>). Clang 14 with libstdc++ supports C++20 coroutines
# and Asio already detects <coroutine> there (ASIO_HAS_STD_COROUTINE), so only
# the co_await switch must be forced. Evaluated for the consumer's compiler.
set_property(TARGET rill::standalone_asio APPEND PROPERTY
  INTERFACE_COMPILE_DEFINITIONS "$<$<CXX_COMPILER_ID:Clang>:ASIO_HAS_CO_AWAIT=1>")

# On Windows every program that includes Asio's io_context starts Winsock
# (WSAStartup, asio/detail/winsock_init.hpp), sockets or not; mswsock holds
# the socket extensions Asio's sockets load.
if(WIN32)
  set_property(TARGET rill::standalone_asio APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 mswsock)
endif()
