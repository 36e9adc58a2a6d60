# SPDX-License-Identifier: BSD-3-Clause
# Warnings, visibility and sanitizers for every target of the project.
set(CMAKE_C_VISIBILITY_PRESET hidden)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

add_compile_definitions(_GNU_SOURCE)
add_compile_options(-Wall -Wextra -Wno-unused-parameter)
if(MSTRO_WERROR)
  add_compile_options(-Werror)
endif()

set(MSTRO_SANITIZE_FLAGS "")
if(MSTRO_SANITIZE STREQUAL "address")
  set(MSTRO_SANITIZE_FLAGS "-fsanitize=address,undefined")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(MSTRO_SANITIZE STREQUAL "thread")
  set(MSTRO_SANITIZE_FLAGS "-fsanitize=thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT MSTRO_SANITIZE STREQUAL "")
  message(FATAL_ERROR "MSTRO_SANITIZE must be '', 'address' or 'thread', not '${MSTRO_SANITIZE}'")
endif()

# An upward call (a lower layer using a symbol of a higher one) must fail to link.
# Sanitizer runtimes are resolved at load time, so --no-undefined stays only for
# plain builds of the shared libraries.
if(MSTRO_SANITIZE STREQUAL "")
  set(MSTRO_NO_UNDEFINED_FLAG "-Wl,--no-undefined")
else()
  set(MSTRO_NO_UNDEFINED_FLAG "")
endif()

# Installed programs find the project's libraries in ../lib; the libraries
# themselves use $ORIGIN (cmake/MaestroHelpers.cmake).
set(CMAKE_INSTALL_RPATH "\$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
