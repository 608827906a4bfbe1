# Included after project(rill) by the mingw-w64 toolchain: makes Debian's
# header-only Asio, fmt, tl::expected and Catch2 2 visible to the cross
# compiler, and nothing else of the host's /usr/include (its glibc and Linux
# headers would shadow mingw-w64's own).
#
# Their directories are linked into one build-local include directory, and
# small package files in the build tree answer rill's find_package() calls
# with imported targets that name only that directory. fmt has no Windows
# build in Debian, so it is used header-only (FMT_HEADER_ONLY, which
# includes fmt/format-inl.h).

set(_rill_deps "${CMAKE_BINARY_DIR}/mingw-w64-deps")
set(_rill_deps_include "${_rill_deps}/include")
file(MAKE_DIRECTORY "${_rill_deps_include}")

set(_rill_deps_headers
  asio asio.hpp          # libasio-dev
  fmt                    # libfmt-dev
  tl                     # libexpected-dev (only tl/expected.hpp)
  catch2)                # catch2 (2.x)
foreach(entry IN LISTS _rill_deps_headers)
  if(NOT EXISTS "/usr/include/${entry}")
    message(FATAL_ERROR "mingw-w64 build: /usr/include/${entry} is missing (install libasio-dev libfmt-dev libexpected-dev catch2)")
  endif()
  file(CREATE_LINK "/usr/include/${entry}" "${_rill_deps_include}/${entry}" SYMBOLIC)
endforeach()
if(NOT EXISTS "${_rill_deps_include}/fmt/format-inl.h")
  message(FATAL_ERROR "mingw-w64 build: fmt/format-inl.h is missing, fmt cannot be used header-only")
endif()

# Asio: rill-asio.cmake takes the directory as given.
set(RILL_ASIO_INCLUDE_DIR "${_rill_deps_include}" CACHE PATH "Directory holding standalone Asio's asio.hpp" FORCE)

# One package directory each; <Package>_DIR makes find_package() read it
# without searching (the find root would hide the host's copies anyway).
# The version files are Debian's own, so version requests are checked as
# usual.
function(_rill_deps_package name version_file body)
  set(dir "${_rill_deps}/cmake/${name}")
  file(WRITE "${dir}/${name}Config.cmake" "${body}")
  configure_file("${version_file}" "${dir}/${name}ConfigVersion.cmake" COPYONLY)
  set(${name}_DIR "${dir}" CACHE PATH "mingw-w64 build: ${name} from Debian's headers" FORCE)
endfunction()

_rill_deps_package(fmt /usr/lib/x86_64-linux-gnu/cmake/fmt/fmt-config-version.cmake "
if(NOT TARGET fmt::fmt)
  add_library(fmt::fmt INTERFACE IMPORTED)
  set_target_properties(fmt::fmt PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES \"${_rill_deps_include}\"
    INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
endif()
")
_rill_deps_package(tl-expected /usr/share/cmake/tl-expected/tl-expected-config-version.cmake "
if(NOT TARGET tl::expected)
  add_library(tl::expected INTERFACE IMPORTED)
  set_target_properties(tl::expected PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"${_rill_deps_include}\")
endif()
")
_rill_deps_package(Catch2 /usr/lib/cmake/Catch2/Catch2ConfigVersion.cmake "
if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"${_rill_deps_include}\")
endif()
# Catch.cmake and CatchAddTests.cmake (catch_discover_tests) are plain CMake.
list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/Catch2)
")

# A wine prefix of the build's own, made now rather than by the first tests
# that run in parallel (wine creates one on first use, which takes a while).
if(RILL_WINE64 AND NOT EXISTS "${RILL_WINEPREFIX}/system.reg")
  message(STATUS "Creating the wine prefix ${RILL_WINEPREFIX}")
  execute_process(
    COMMAND env WINEPREFIX=${RILL_WINEPREFIX} WINEDEBUG=-all ${RILL_WINE64} wineboot --init
    RESULT_VARIABLE _rill_wineboot
    OUTPUT_QUIET ERROR_QUIET)
  if(NOT _rill_wineboot EQUAL 0)
    message(WARNING "wineboot --init failed (${_rill_wineboot}): the tests may not run under wine")
  endif()
endif()
if(NOT RILL_WINE64 OR NOT RILL_WINESERVER)
  message(WARNING "wine64 or wineserver not found: the tests are built but cannot run here")
endif()
