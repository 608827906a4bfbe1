# Finds what the optional NATS JetStream layer, rill::nats, needs: nats.c
# (libnats, through pkg-config) and, for <rill/nats/json.hpp>, nlohmann_json.
# Used in-tree and by the installed rill-config.cmake.
#
# nats.c's own CMake package (find_package(cnats)) is not used: on Debian 12
# its config names a libnats_static.a that the package does not ship, so
# find_package fails even where the shared library is installed.
#
# Sets RILL_NATS_FOUND, and RILL_NATS_JSON_FOUND when nlohmann_json 3.11 or
# later is there too. Defines PkgConfig::NATS.

if(TARGET PkgConfig::NATS)
  set(RILL_NATS_FOUND TRUE)
else()
  set(RILL_NATS_FOUND FALSE)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    # GLOBAL: a project that adds rill with add_subdirectory() links rill::nats
    # from any directory.
    pkg_check_modules(NATS QUIET IMPORTED_TARGET GLOBAL libnats)
    if(NATS_FOUND)
      set(RILL_NATS_FOUND TRUE)
    endif()
  endif()
endif()

find_package(nlohmann_json 3.11 QUIET)
set(RILL_NATS_JSON_FOUND ${nlohmann_json_FOUND})
