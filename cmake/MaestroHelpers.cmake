# SPDX-License-Identifier: BSD-3-Clause
# Functions every layer uses to declare its library, tests and benchmarks.

# The shared infrastructure (status helpers, logging, option tables) lives in
# common/, below every layer, and is linked privately into each library;
# with hidden visibility every library keeps its own copy.

# mstro_add_library(<name> ALIAS <ns::alias> OUTPUT <libname> SOURCES ...
#                   [PUBLIC_LIBS ...] [PRIVATE_LIBS ...] [EXPORT_MACRO_HEADER <path>])
function(mstro_add_library name)
  cmake_parse_arguments(A "" "ALIAS;OUTPUT" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(${name} SHARED ${A_SOURCES})
  add_library(${A_ALIAS} ALIAS ${name})
  set_target_properties(${name} PROPERTIES
    OUTPUT_NAME ${A_OUTPUT}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}
    EXPORT_NAME ${name}
    # The loader does not use an application's RUNPATH for a library's own
    # dependencies: an installed library finds its siblings next to itself.
    INSTALL_RPATH "\$ORIGIN")
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/common
                             ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${A_PUBLIC_LIBS} PRIVATE ${A_PRIVATE_LIBS}
                        $<BUILD_INTERFACE:mstro_common> Threads::Threads)
  target_link_options(${name} PRIVATE ${MSTRO_NO_UNDEFINED_FLAG})
  string(TOUPPER ${name} upper)
  target_compile_definitions(${name} PRIVATE ${upper}_BUILDING=1)
  set_property(GLOBAL APPEND PROPERTY MSTRO_INSTALLED_LIBS ${name})
endfunction()

# mstro_add_test(<name> SOURCES ... [LIBS ...] [TIMEOUT s] [LABELS ...] [ARGS ...]
#                [ENV VAR=VALUE ...])
# One binary per feature; cmocka prints its own summary, ctest collects it.
function(mstro_add_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;LIBS;LABELS;ARGS;ENV" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LIBS} PkgConfig::CMOCKA Threads::Threads)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/common)
  add_test(NAME ${name} COMMAND ${name} ${A_ARGS})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS "${A_LABELS}")
  if(A_ENV)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${A_ENV}")
  endif()
endfunction()

# mstro_add_benchmark(<name> SOURCES ... [LIBS ...])
# Benchmarks print BENCH lines (benchmarks/README.md); ctest runs each once
# with --quick so that they cannot rot, labelled "bench" so it can be skipped.
function(mstro_add_benchmark name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LIBS} Threads::Threads)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/benchmarks/common)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/benchmarks)
  if(MSTRO_BUILD_TESTS)
    add_test(NAME bench_${name}_quick COMMAND ${name} --quick)
    set_tests_properties(bench_${name}_quick PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS bench
                         PASS_REGULAR_EXPRESSION "BENCH ${name} ")
  endif()
endfunction()
