# Sources of the pool area of libmaestro (CDO lifecycle, events, groups,
# telemetry, Maestro-provided memory, init/finalize); the pool directory is the
# maestro_pooldir target of core/CMakeLists.txt.
list(APPEND MSTRO_CORE_SOURCES init.c cdo_state.c cdo.c pool.c events.c groups.c
  telemetry.c mem.c pool_pm.c)

