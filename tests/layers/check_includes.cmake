# Compiles SOURCE (a program that includes only <rill/channel.hpp>) against
# rill's headers alone and fails if it opens any header of Asio or fmt, or,
# in the compiled mode, the platform's futex header.
#
#   cmake -DCXX_COMPILER=... -DSOURCE=... -DINCLUDE_DIR=... -P check_includes.cmake
foreach(var CXX_COMPILER SOURCE INCLUDE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_includes.cmake: ${var} is not set")
  endif()
endforeach()

foreach(mode RILL_SEPARATE_COMPILATION RILL_HEADER_ONLY)
  execute_process(
    COMMAND ${CXX_COMPILER} -std=c++20 -fsyntax-only -H -D${mode} -I${INCLUDE_DIR} ${SOURCE}
    RESULT_VARIABLE rc
    ERROR_VARIABLE opened)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${mode}: ${SOURCE} does not compile:\n${opened}")
  endif()
  # -H prints one line per header opened: dots for the depth, then the path.
  string(REGEX MATCHALL "(^|\n)\\.+ [^\n]*" headers "${opened}")
  list(LENGTH headers count)
  if(count EQUAL 0)
    message(FATAL_ERROR "${mode}: the compiler listed no headers; is -H supported?")
  endif()
  set(forbidden "/asio/|/asio\\.hpp|/fmt/")
  if(mode STREQUAL "RILL_SEPARATE_COMPILATION")
    string(APPEND forbidden "|linux/futex\\.h")
  endif()
  set(offending)
  foreach(header IN LISTS headers)
    if(header MATCHES "${forbidden}")
      string(STRIP "${header}" header)
      list(APPEND offending "${header}")
    endif()
  endforeach()
  if(offending)
    list(JOIN offending "\n  " offending)
    message(FATAL_ERROR "${mode}: the thread layer opened headers it must not:\n  ${offending}")
  endif()
  message(STATUS "${mode}: ${count} headers opened, none of Asio or fmt")
endforeach()
