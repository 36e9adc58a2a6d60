# mstro_add_man_page(<target> [SECTION <n>])
# Generates <target>.<n> from the program's own --help and --version
# (scripts/gen-man.sh) at build time, into ${PROJECT_BINARY_DIR}/man/man<n>,
# and installs it under share/man/man<n>. Works for any installed program
# whose --help follows the shape gen-man.sh documents.
function(mstro_add_man_page target)
  cmake_parse_arguments(A "" "SECTION" "" ${ARGN})
  if(NOT A_SECTION)
    set(A_SECTION 1)
  endif()
  set(_dir ${PROJECT_BINARY_DIR}/man/man${A_SECTION})
  set(_page ${_dir}/${target}.${A_SECTION})
  add_custom_command(OUTPUT ${_page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_dir}
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/gen-man.sh $<TARGET_FILE:${target}> ${_page} ${A_SECTION}
    DEPENDS ${target} ${PROJECT_SOURCE_DIR}/scripts/gen-man.sh
    COMMENT "gen-man.sh: the man page of ${target} from its --help"
    VERBATIM)
  add_custom_target(${target}_man ALL DEPENDS ${_page})
  install(FILES ${_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${A_SECTION})
endfunction()
