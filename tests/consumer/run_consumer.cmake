# Configures, builds and runs the consumer project in tests/consumer.
#
#   cmake -DMODE=add_subdirectory|find_package
#         -DCONSUMER_SOURCE_DIR=... -DRILL_SOURCE_DIR=... -DRILL_BINARY_DIR=...
#         -DWORK_DIR=... -DGENERATOR=... -DCXX_COMPILER=... -DBUILD_TYPE=...
#         [-DPROGRAMS=a;b] [-DEXTRA_ARGS=-DX=1;...]
#         -P run_consumer.cmake
#
# PROGRAMS names the executables to run once built (default: consumer and
# consumer_threads); EXTRA_ARGS go to the consumer's configure step.
#
# find_package mode first installs rill (configured in RILL_BINARY_DIR) into
# WORK_DIR/prefix, then points the consumer at that prefix only.

foreach(var MODE CONSUMER_SOURCE_DIR RILL_SOURCE_DIR RILL_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT BUILD_TYPE)
  set(BUILD_TYPE Release)
endif()
if(NOT PROGRAMS)
  set(PROGRAMS consumer consumer_threads)
endif()

function(run step)
  string(JOIN " " cmdline ${ARGN})
  message(STATUS "[${MODE}] ${step}: ${cmdline}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[${MODE}] ${step} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(build_dir "${WORK_DIR}/build")
set(configure_args
  -S "${CONSUMER_SOURCE_DIR}" -B "${build_dir}"
  -G "${GENERATOR}"
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
  -DRILL_CONSUMER_MODE=${MODE}
  ${EXTRA_ARGS})

if(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args "-DRILL_SOURCE_DIR=${RILL_SOURCE_DIR}")
elseif(MODE STREQUAL "find_package")
  set(prefix "${WORK_DIR}/prefix")
  run(install "${CMAKE_COMMAND}" --install "${RILL_BINARY_DIR}" --prefix "${prefix}" --config "${BUILD_TYPE}")
  list(APPEND configure_args
    "-DCMAKE_PREFIX_PATH=${prefix}"
    # Only the copy just installed: no user or system package registry.
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()

run(configure "${CMAKE_COMMAND}" ${configure_args})
run(build "${CMAKE_COMMAND}" --build "${build_dir}" --config "${BUILD_TYPE}" --parallel 2)
foreach(program IN LISTS PROGRAMS)
  run("run ${program}" "${build_dir}/${program}")
endforeach()
message(STATUS "[${MODE}] ${PROGRAMS} ran and returned 0")
