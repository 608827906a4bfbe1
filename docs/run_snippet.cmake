# Runs one guide program (PROGRAM: the emulator, if any, then the program)
# and fails unless it exits with 0 and prints exactly the contents of
# EXPECTED. Line endings are compared as "\n", so the Windows build, whose
# programs print "\r\n", is held to the same text.
execute_process(COMMAND ${PROGRAM}
  OUTPUT_VARIABLE printed
  ERROR_VARIABLE errors
  RESULT_VARIABLE exit_code)
file(READ "${EXPECTED}" expected)
string(REPLACE "\r\n" "\n" printed "${printed}")
string(REPLACE "\r\n" "\n" expected "${expected}")
if(NOT exit_code STREQUAL "0")
  message(FATAL_ERROR "the program exited with ${exit_code}\nstderr:\n${errors}")
endif()
if(NOT printed STREQUAL expected)
  message(FATAL_ERROR "the program printed:\n${printed}\n"
                      "the guide says it prints (${EXPECTED}):\n${expected}")
endif()
