# SPDX-License-Identifier: BSD-3-Clause
# Metadata tests (issue 5): schemas, attribute dictionaries, selectors.
# White-box: they link maestro_internal to reach the mstro__ functions.
set(_mstro_meta_data ${CMAKE_CURRENT_SOURCE_DIR}/data)
foreach(t test_schema test_attr test_selector test_selector_limits)
  mstro_add_test(${t} SOURCES ${t}.c LIBS maestro_internal TIMEOUT 120 LABELS core)
  target_compile_definitions(${t} PRIVATE MSTRO_TEST_DATA_DIR="${_mstro_meta_data}")
endforeach()
# Deterministic mutation fuzzing of the selector and schema parsers and of
# the attribute decoder (seeded; a few seconds; meant to run under ASan).
mstro_add_test(test_metadata_mutation SOURCES test_selector_mutation.c LIBS maestro_internal
  TIMEOUT 300 LABELS core)
target_compile_definitions(test_metadata_mutation PRIVATE MSTRO_TEST_DATA_DIR="${_mstro_meta_data}")
