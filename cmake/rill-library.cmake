# rill_add_library(<target> <export name> <sources>...): one of rill's
# libraries, exported as rill::<export name>.
#
# Compiled (the default): a static or shared library, as BUILD_SHARED_LIBS
# says, whose users get RILL_SEPARATE_COMPILATION (and RILL_DYN_LINK when it
# is shared, for dllimport on Windows). It exports only what rill marks
# RILL_API: -fvisibility=hidden, as shared libraries should be built.
# Header-only (RILL_HEADER_ONLY=ON): an interface library whose users get
# RILL_HEADER_ONLY and compile the definitions inline.
#
# Sets RILL_USAGE in the caller's scope to the keyword for usage
# requirements (PUBLIC or INTERFACE).
function(rill_add_library target export_name)
  if(RILL_HEADER_ONLY)
    add_library(${target} INTERFACE)
    target_compile_definitions(${target} INTERFACE RILL_HEADER_ONLY)
    set(RILL_USAGE INTERFACE PARENT_SCOPE)
  else()
    add_library(${target} ${ARGN})
    target_compile_definitions(${target}
      PUBLIC RILL_SEPARATE_COMPILATION
      PRIVATE RILL_BUILDING)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "SHARED_LIBRARY")
      target_compile_definitions(${target} PUBLIC RILL_DYN_LINK)
    endif()
    set_target_properties(${target} PROPERTIES
      CXX_VISIBILITY_PRESET hidden
      VISIBILITY_INLINES_HIDDEN ON
      POSITION_INDEPENDENT_CODE ON
      OUTPUT_NAME ${target}
      VERSION ${PROJECT_VERSION}
      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
    rill_target_warnings(${target})
    set(RILL_USAGE PUBLIC PARENT_SCOPE)
  endif()
  add_library(rill::${export_name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
endfunction()
