# SPDX-License-Identifier: BSD-3-Clause
# The built-in core schema of libmaestro (its sources are listed in
# core/CMakeLists.txt).
# The built-in core schema is compiled into the library from
# schemas/maestro-core.yaml (regenerated whenever that file changes).
set(_mstro_core_schema ${CMAKE_CURRENT_SOURCE_DIR}/schemas/maestro-core.yaml)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_mstro_core_schema})
file(READ ${_mstro_core_schema} _mstro_schema_hex HEX)
string(LENGTH "${_mstro_schema_hex}" _mstro_schema_hexlen)
math(EXPR _mstro_schema_len "${_mstro_schema_hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _mstro_schema_bytes "${_mstro_schema_hex}")
set(_mstro_schema_c ${CMAKE_CURRENT_BINARY_DIR}/core_schema_text.c)
set(_mstro_schema_src "/* Generated from core/schemas/maestro-core.yaml; do not edit. */
#include <stddef.h>
const char mstro__core_schema_text[] = {${_mstro_schema_bytes} 0};
const size_t mstro__core_schema_len = ${_mstro_schema_len};
")
file(CONFIGURE OUTPUT ${_mstro_schema_c} CONTENT "${_mstro_schema_src}" @ONLY)

list(APPEND MSTRO_CORE_SOURCES ${_mstro_schema_c})
