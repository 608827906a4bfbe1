# Verifies the SPIN model of rill's waiter/claim protocol (claim_protocol.pml),
# one exhaustive search per scenario, and fails if a search finds an error, is
# cut short (search depth, memory) or is not exhaustive. A scenario listed in
# BUG_SCENARIOS re-introduces a bug that was fixed, and must fail instead: that
# proves the check still finds it.
#
#   cmake -DSPIN=/usr/bin/spin -DCC=/usr/bin/cc
#         -DMODEL=<source>/tests/spin/claim_protocol.pml
#         -DWORK_DIR=<build>/tests/spin
#         [-DSCENARIOS="rendezvous,bounded+CAP0=2,..."]
#         [-DBUG_SCENARIOS="async_overfill+OVERFILL_BUG"]
#         [-DTIME_BUDGET=170] [-DDEPTH=100000]
#         -P run_spin.cmake
#
# A scenario is `name[+MACRO[=value]...]`, run as
# `spin -a -DSCEN_name -DMACRO=value ...` in WORK_DIR/<scenario>. Lists are
# separated by commas or semicolons; without SCENARIOS and BUG_SCENARIOS, the
# lists below are run. Every run is single-threaded. TIME_BUDGET (seconds)
# bounds the whole script: a step that would run past it is stopped and the
# script fails, so a state-space explosion shows up as a failure rather than
# a hung CI job.

# Every scenario of claim_protocol.pml, with the capacities worth checking.
set(default_scenarios
  rendezvous bounded bounded+CAP0=2 bounded+CAP0=3
  async_overfill async_overfill2 async_rendezvous
  cancel cancel+CAP0=1 cancel_close cancel_close+NMSG=2
  timeouts timeouts+CAP0=0
  select_race select_mixed select_same_channel
  close_race close_race+CAP0=0
  throwing throwing+CAP0=0 throwing_select
  async_select async_select+SENDER_CLOSES=1 async_select_pass_on async_select_pass_on+CAP0=0)
# Bugs that were fixed, put back: each must be found. OVERFILL_BUG: a send
# pushes onto a full ring; BEGIN_IGNORES_CANCEL: an async receive cancelled
# during begin() queues anyway.
set(default_bug_scenarios async_overfill+OVERFILL_BUG async_overfill2+OVERFILL_BUG cancel+BEGIN_IGNORES_CANCEL)

if(NOT DEFINED SCENARIOS OR "${SCENARIOS}" STREQUAL "")
  set(SCENARIOS ${default_scenarios})
endif()
if(NOT DEFINED BUG_SCENARIOS)
  set(BUG_SCENARIOS ${default_bug_scenarios})
endif()
string(REPLACE "," ";" SCENARIOS "${SCENARIOS}")
string(REPLACE "," ";" BUG_SCENARIOS "${BUG_SCENARIOS}")

foreach(var SPIN CC MODEL WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_spin.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT DEFINED TIME_BUDGET OR "${TIME_BUDGET}" STREQUAL "")
  set(TIME_BUDGET 170)
endif()
if(NOT DEFINED DEPTH OR "${DEPTH}" STREQUAL "")
  set(DEPTH 100000)
endif()
if(NOT EXISTS "${MODEL}")
  message(FATAL_ERROR "run_spin.cmake: no model at ${MODEL}")
endif()
get_filename_component(model_name "${MODEL}" NAME)

# Exhaustive safety search: assertions and invalid end states, no cycle
# detection (-DSAFETY); states stored compressed (-DCOLLAPSE); at most 2 GiB
# (-DMEMLIM, in MiB): a search that needs more stops and fails here.
set(pan_cflags -O1 -w -DSAFETY -DCOLLAPSE -DMEMLIM=2048)
# -n: no listing of unreached code.
set(pan_flags -m${DEPTH} -n)

string(TIMESTAMP script_start "%s" UTC)

function(seconds_left out)
  string(TIMESTAMP now "%s" UTC)
  math(EXPR left "${TIME_BUDGET} - (${now} - ${script_start})")
  if(left LESS 1)
    message(FATAL_ERROR "spin: the time budget of ${TIME_BUDGET} s is spent")
  endif()
  set(${out} ${left} PARENT_SCOPE)
endfunction()

# run(<label> <dir> <output var> <command>...): runs a step within the budget;
# fails on a non-zero exit or a timeout.
function(run label dir out)
  seconds_left(left)
  execute_process(COMMAND ${ARGN}
    WORKING_DIRECTORY "${dir}"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output
    TIMEOUT ${left})
  if(rc MATCHES "timeout")
    message(FATAL_ERROR "spin: ${label} ran past the time budget of ${TIME_BUDGET} s")
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "spin: ${label} failed (${rc}):\n${output}")
  endif()
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

# Splits `name+A=1+B` into the scenario's directory and spin's -D flags.
function(scenario_flags entry dir_out flags_out)
  string(REPLACE "+" ";" parts "${entry}")
  list(POP_FRONT parts name)
  set(flags "-DSCEN_${name}")
  foreach(define IN LISTS parts)
    list(APPEND flags "-D${define}")
  endforeach()
  string(REGEX REPLACE "[^A-Za-z0-9_]" "_" dir "${entry}")
  set(${dir_out} "${WORK_DIR}/${dir}" PARENT_SCOPE)
  set(${flags_out} "${flags}" PARENT_SCOPE)
endfunction()

# The first capture of `regex` in pan's report, or `?`.
function(pan_number output regex out)
  if(output MATCHES "${regex}")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()
    set(${out} "?" PARENT_SCOPE)
  endif()
endfunction()

execute_process(COMMAND "${SPIN}" -V OUTPUT_VARIABLE spin_version ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
message(STATUS "spin: ${spin_version}; model ${MODEL}; budget ${TIME_BUDGET} s")

set(summary "")
set(all_scenarios ${SCENARIOS} ${BUG_SCENARIOS})
foreach(entry IN LISTS all_scenarios)
  list(FIND BUG_SCENARIOS "${entry}" bug_index)
  set(expect_bug FALSE)
  if(bug_index GREATER -1)
    set(expect_bug TRUE)
  endif()
  scenario_flags("${entry}" dir flags)
  string(TIMESTAMP scenario_start "%s" UTC)

  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}")
  file(COPY "${MODEL}" DESTINATION "${dir}")
  run("${entry}: spin -a" "${dir}" ignored "${SPIN}" -a ${flags} "${model_name}")
  if(NOT EXISTS "${dir}/pan.c")
    message(FATAL_ERROR "spin: ${entry}: spin -a wrote no pan.c")
  endif()
  run("${entry}: compiling pan.c" "${dir}" ignored "${CC}" ${pan_cflags} -o pan pan.c)
  run("${entry}: pan" "${dir}" report "${dir}/pan" ${pan_flags})
  file(WRITE "${dir}/pan.out" "${report}")

  pan_number("${report}" "errors: ([0-9]+)" errors)
  pan_number("${report}" "([0-9]+) states, stored" stored)
  pan_number("${report}" "([0-9]+) transitions" transitions)
  pan_number("${report}" "depth reached ([0-9]+)" depth)
  pan_number("${report}" "pan: elapsed time ([0-9.e+-]+) seconds" pan_seconds)
  string(TIMESTAMP now "%s" UTC)
  math(EXPR wall "${now} - ${scenario_start}")

  # Whatever the expectation, the search must have been a real one.
  if(NOT report MATCHES "Full statespace search")
    message(FATAL_ERROR "spin: ${entry}: not an exhaustive search:\n${report}")
  endif()
  if(report MATCHES "max search depth too small")
    message(FATAL_ERROR "spin: ${entry}: search truncated at depth ${DEPTH} (max search depth too small)")
  endif()
  if(report MATCHES "MEMLIM|out of memory")
    message(FATAL_ERROR "spin: ${entry}: search ran out of memory:\n${report}")
  endif()
  if(errors STREQUAL "?")
    message(FATAL_ERROR "spin: ${entry}: no result in pan's report:\n${report}")
  endif()

  if(expect_bug)
    # The re-introduced bug must be found: an error with a counterexample.
    if(errors EQUAL 0 OR NOT report MATCHES "pan:1: ([^\n]*)")
      message(FATAL_ERROR "spin: ${entry}: the re-introduced bug was NOT found; the check has lost its teeth:\n${report}")
    endif()
    set(violation "${CMAKE_MATCH_1}")
    # Replay the counterexample; the model's printf lines tell the story.
    run("${entry}: spin -t" "${dir}" trail "${SPIN}" -t ${flags} "${model_name}")
    string(REGEX REPLACE "spin: trail ends[^\n]*\n.*$" "" story "${trail}")
    file(WRITE "${dir}/trail.txt" "${trail}")
    message(STATUS "spin: ${entry}: found, as it must be: ${violation}\n${story}")
    string(APPEND summary "  ${entry}: bug found (${violation}), depth ${depth}, ${stored} states, ${pan_seconds} s\n")
  else()
    if(NOT errors EQUAL 0 OR report MATCHES "Search not completed")
      string(JOIN " " replay ${flags})
      message(FATAL_ERROR "spin: ${entry}: ${errors} error(s). Replay the counterexample with\n"
        "  cd ${dir} && ${SPIN} -t ${replay} ${model_name}\n${report}")
    endif()
    message(STATUS "spin: ${entry}: ${stored} states, ${transitions} transitions, depth ${depth}, "
      "${pan_seconds} s in pan, ${wall} s in all")
    string(APPEND summary "  ${entry}: ${stored} states, ${transitions} transitions, ${pan_seconds} s\n")
  endif()
endforeach()

string(TIMESTAMP now "%s" UTC)
math(EXPR total "${now} - ${script_start}")
message(STATUS "spin: all scenarios verified in ${total} s:\n${summary}")
