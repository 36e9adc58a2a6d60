# SPDX-License-Identifier: BSD-3-Clause
# mstro_add_man_page(<target> [SECTION <n>] [PROGRAM <path>])
# Generates <target>.<n> from the program's own --help and --version
# (scripts/gen-man.sh) at build time, into ${PROJECT_BINARY_DIR}/man/man<n>,
# and installs it under share/man/man<n>. Works for any installed program
# whose --help follows the shape gen-man.sh documents. PROGRAM names a
# program that is no CMake target (an installed script); <target> is then
# the page's name.
function(mstro_add_man_page target)
  cmake_parse_arguments(A "" "SECTION;PROGRAM" "" ${ARGN})
  if(NOT A_SECTION)
    set(A_SECTION 1)
  endif()
  if(A_PROGRAM)
    set(_prog ${A_PROGRAM})
    set(_deps ${A_PROGRAM})
  else()
    set(_prog $<TARGET_FILE:${target}>)
    set(_deps ${target})
  endif()
  set(_dir ${PROJECT_BINARY_DIR}/man/man${A_SECTION})
  set(_page ${_dir}/${target}.${A_SECTION})
  add_custom_command(OUTPUT ${_page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_dir}
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/gen-man.sh ${_prog} ${_page} ${A_SECTION}
    DEPENDS ${_deps} ${PROJECT_SOURCE_DIR}/scripts/gen-man.sh
    COMMENT "gen-man.sh: the man page of ${target} from its --help"
    VERBATIM)
  add_custom_target(${target}_man ALL DEPENDS ${_page})
  install(FILES ${_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${A_SECTION})
endfunction()
