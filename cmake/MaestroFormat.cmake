# SPDX-License-Identifier: BSD-3-Clause
# `format-check` fails when a C source or header differs from .clang-format;
# `format` rewrites them.
find_program(CLANG_FORMAT NAMES clang-format clang-format-14)
if(CLANG_FORMAT)
  add_custom_target(format-check
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/format.sh --check
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMENT "clang-format check")
  add_custom_target(format
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/format.sh
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMENT "clang-format")
endif()
