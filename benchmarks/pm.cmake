# SPDX-License-Identifier: BSD-3-Clause
# Benchmarks of the cross-process pool (README.md, section transfer).
mstro_add_benchmark(transfer SOURCES transfer.c LIBS maestro::maestro maestro::pm PkgConfig::FABRIC
  ${RADOS_LIBRARY} TIMEOUT 600)
if(MSTRO_HAVE_RADOS)
  # the MIO case's baseline: rados_write_full + rados_read
  target_compile_definitions(transfer PRIVATE MSTRO_HAVE_RADOS=1)
  target_include_directories(transfer PRIVATE ${RADOS_INCLUDE_DIR})
endif()
# PM throughput with 1..8 producer/consumer pairs of processes (README.md, section pm_scale).
mstro_add_benchmark(pm_scale SOURCES pm_scale.c LIBS maestro::maestro maestro::pm PkgConfig::FABRIC
  TIMEOUT 600)
# Group demand through the PM against one-by-one require + demand (issue 13).
mstro_add_benchmark(group_demand SOURCES group_demand.c LIBS maestro::maestro maestro::pm
  PkgConfig::FABRIC TIMEOUT 600)
