# SPDX-License-Identifier: BSD-3-Clause
# Tests of the pool area of the core (CDO lifecycle, pool, events, groups,
# telemetry). Public-API tests link maestro::maestro; white-box tests link
# the static maestro_internal (never both).
set(_mstro_pool_env "MSTRO_SCHEMA_PATH=${CMAKE_CURRENT_SOURCE_DIR}"
  "MSTRO_SCHEMA_LIST=conformance-schema.yaml")
mstro_add_test(test_conformance SOURCES test_conformance.c LIBS maestro::maestro
  TIMEOUT 60 LABELS core ENV ${_mstro_pool_env})
target_compile_definitions(test_conformance PRIVATE
  MSTRO_TEST_SCHEMA_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
mstro_add_test(test_pool_dir SOURCES test_pool_dir.c LIBS maestro_internal TIMEOUT 60 LABELS core)
mstro_add_test(test_cdo_state SOURCES test_cdo_state.c LIBS maestro_internal TIMEOUT 60
  LABELS core)
mstro_add_test(test_events SOURCES test_events.c LIBS maestro::maestro TIMEOUT 60 LABELS core)
mstro_add_test(test_pool_local SOURCES test_pool_local.c LIBS maestro::maestro TIMEOUT 60
  LABELS core)
mstro_add_test(test_groups SOURCES test_groups.c LIBS maestro::maestro TIMEOUT 60 LABELS core)
mstro_add_test(test_init SOURCES test_init.c LIBS maestro::maestro TIMEOUT 60 LABELS core)
mstro_add_test(test_stress SOURCES test_stress.c LIBS maestro::maestro TIMEOUT 300 LABELS core)
