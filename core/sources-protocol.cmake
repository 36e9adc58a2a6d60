# SPDX-License-Identifier: BSD-3-Clause
# The control protocol (issue 6): mstro_pm.proto compiled by protoc-c at build
# time, the codec (framing, bounds, validation, the PM contact string) and the
# component side of membership (proto_client: JOIN, HEARTBEAT, LEAVE).
#
# It is a small static library of position-independent objects, linked
# privately into libmaestro (the component side) and into libmaestro-pm (the
# Pool Manager); the codec has no global state, so each keeps its own hidden
# copy. Its log lines go to the mstro__log_domain of the library it is linked
# into (core/status.c, pm/pm_log.c).
if(NOT PROTOC_C)
  message(FATAL_ERROR "protoc-c not found: run scripts/install-deps.sh (Debian package protobuf-c-compiler)")
endif()

set(_proto_src ${CMAKE_CURRENT_SOURCE_DIR}/protocol/mstro_pm.proto)
set(_proto_out ${CMAKE_CURRENT_BINARY_DIR}/protocol)
add_custom_command(
  OUTPUT ${_proto_out}/mstro_pm.pb-c.c ${_proto_out}/mstro_pm.pb-c.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_proto_out}
  COMMAND ${PROTOC_C} --proto_path=${CMAKE_CURRENT_SOURCE_DIR}/protocol --c_out=${_proto_out}
          ${_proto_src}
  DEPENDS ${_proto_src}
  COMMENT "protoc-c: generating the control protocol from mstro_pm.proto"
  VERBATIM)

add_library(maestro_proto STATIC ${_proto_out}/mstro_pm.pb-c.c
  ${CMAKE_CURRENT_SOURCE_DIR}/protocol/base64.c
  ${CMAKE_CURRENT_SOURCE_DIR}/protocol/proto_codec.c
  ${CMAKE_CURRENT_SOURCE_DIR}/protocol/proto_client.c)
target_include_directories(maestro_proto PUBLIC ${_proto_out} ${CMAKE_CURRENT_SOURCE_DIR}/protocol
  ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(maestro_proto PUBLIC PkgConfig::PROTOBUFC transport mstro_common)
# Generated code: no warnings of ours to fix there.
set_source_files_properties(${_proto_out}/mstro_pm.pb-c.c PROPERTIES COMPILE_OPTIONS "-w")

# core/CMakeLists.txt includes this file before it creates its targets, so
# the links are deferred to the end of that directory.
cmake_language(DEFER CALL target_link_libraries maestro_objects PUBLIC maestro_proto)
cmake_language(DEFER CALL target_link_libraries maestro PRIVATE $<BUILD_INTERFACE:maestro_proto>)
cmake_language(DEFER CALL target_link_libraries maestro_internal PUBLIC maestro_proto)
