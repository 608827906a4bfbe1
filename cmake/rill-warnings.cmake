# rill_target_warnings(<target>): warning flags for rill's own targets (tests,
# examples, benchmarks). Not applied to rill::rill, whose users pick their own.
function(rill_target_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${RILL_WERROR}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic
      $<$<BOOL:${RILL_WERROR}>:-Werror>)
  endif()
endfunction()
