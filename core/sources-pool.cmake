# Sources of the pool area of libmaestro (CDO lifecycle, pool directory,
# events, groups, telemetry, Maestro-provided memory, init/finalize).
list(APPEND MSTRO_CORE_SOURCES init.c cdo_state.c cdo.c pool_dir.c pool.c events.c groups.c
  telemetry.c mem.c pool_pm.c)

