# Cross-compiles rill for 64-bit Windows with Debian's mingw-w64 g++ (the
# posix thread model, which std::thread and std::mutex need), and runs the
# tests under wine64:
#
#   cmake --preset windows && cmake --build --preset windows && ctest --preset windows
#
# Packages: g++-mingw-w64-x86-64-posix wine64 (scripts/setup.sh installs
# them). Asio, fmt, tl::expected and Catch2 come from Debian's own
# header-only packages, see mingw-w64-deps.cmake.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(RILL_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${RILL_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${RILL_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${RILL_MINGW_TRIPLE}-windres)

# Libraries and headers from the mingw-w64 tree only; programs (spin, wine)
# from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${RILL_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Windows 10: what Asio asks for (it warns without _WIN32_WINNT), and newer
# than the Windows 8 that rill's WaitOnAddress parking needs.
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0A00")
# libgcc, libstdc++ and winpthread linked into every program, so that wine
# needs no DLL search path and a test binary runs on its own on Windows too.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Tests run under wine64 (through wine-run.sh, which says why), in a prefix
# of the build tree's own (created at configure time, see
# mingw-w64-deps.cmake), with wine's own diagnostics off.
# Debian's wine64 package puts both in /usr/lib/wine (only the `wine`
# package, a recommendation, adds /usr/bin/wineserver); elsewhere on PATH.
foreach(_rill_wine_pass IN ITEMS lib path)
  if(_rill_wine_pass STREQUAL "lib")
    set(_rill_wine_where PATHS /usr/lib/wine /usr/lib64/wine NO_DEFAULT_PATH)
  else()
    set(_rill_wine_where NO_CMAKE_FIND_ROOT_PATH)
  endif()
  find_program(RILL_WINE64 NAMES wine64 ${_rill_wine_where} DOC "wine64, to run the Windows test programs")
  find_program(RILL_WINESERVER NAMES wineserver ${_rill_wine_where} DOC "wineserver, started once for all the tests")
endforeach()
if(NOT RILL_WINEPREFIX)
  set(RILL_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix")
endif()
if(RILL_WINE64 AND RILL_WINESERVER)
  set(CMAKE_CROSSCOMPILING_EMULATOR
    env WINEPREFIX=${RILL_WINEPREFIX} WINEDEBUG=-all WINE=${RILL_WINE64} WINESERVER=${RILL_WINESERVER}
    sh ${CMAKE_CURRENT_LIST_DIR}/wine-run.sh)
endif()

# After project(rill): the header-only dependencies, as imported targets.
set(CMAKE_PROJECT_rill_INCLUDE "${CMAKE_CURRENT_LIST_DIR}/mingw-w64-deps.cmake")
