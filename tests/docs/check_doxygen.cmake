# Runs doxygen on the configured Doxyfile and fails on any warning (and on a
# non-zero exit, which WARN_AS_ERROR gives too). -DDOXYGEN=... -DDOXYFILE=...
if(NOT EXISTS "${DOXYFILE}")
  message(FATAL_ERROR "no ${DOXYFILE}: configure with doxygen installed")
endif()
execute_process(COMMAND "${DOXYGEN}" "${DOXYFILE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "[^\n]*(warning|error):[^\n]*" warnings "${out}\n${err}")
list(LENGTH warnings n)
if(n GREATER 0 OR NOT rc EQUAL 0)
  message("${err}")
  message(FATAL_ERROR "doxygen: exit ${rc}, ${n} warnings")
endif()
message(STATUS "doxygen: reference built without warnings")
