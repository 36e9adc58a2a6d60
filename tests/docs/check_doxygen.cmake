# SPDX-License-Identifier: BSD-3-Clause
# Runs doxygen on each configured Doxyfile (the reference, then the strict
# check that every parameter and return value of the public headers is
# documented) and fails on any warning or error, and on a non-zero exit
# (which WARN_AS_ERROR gives too). -DDOXYGEN=... -DDOXYFILES="a;b"
foreach(doxyfile IN LISTS DOXYFILES)
  if(NOT EXISTS "${doxyfile}")
    message(FATAL_ERROR "no ${doxyfile}: configure with doxygen installed")
  endif()
  execute_process(COMMAND "${DOXYGEN}" "${doxyfile}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX MATCHALL "[^\n]*(warning|error):[^\n]*" warnings "${out}\n${err}")
  list(LENGTH warnings n)
  if(n GREATER 0 OR NOT rc EQUAL 0)
    message("${err}")
    message(FATAL_ERROR "doxygen ${doxyfile}: exit ${rc}, ${n} warnings")
  endif()
  message(STATUS "doxygen ${doxyfile}: no warnings")
endforeach()
