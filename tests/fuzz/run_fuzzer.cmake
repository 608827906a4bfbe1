# Runs the libFuzzer binary for SECONDS on a fresh copy of the seed corpus
# (so that what it adds stays in the build tree) and fails if it finds a
# crash. Called by the fuzz_<harness> tests.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(GLOB seeds "${SEED_CORPUS}/*")
file(COPY ${seeds} DESTINATION "${WORK_DIR}")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -print_final_stats=1 -timeout=30
          -artifact_prefix=${WORK_DIR}/../fuzz_artifact- "${WORK_DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the fuzzer failed (exit ${rc}); the input is saved as ${WORK_DIR}/../fuzz_artifact-*")
endif()
