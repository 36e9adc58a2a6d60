# Sources of the pool area of libmaestro (CDO lifecycle, pool directory,
# events, groups, telemetry, Maestro-provided memory, init/finalize).
list(APPEND MSTRO_CORE_SOURCES init.c cdo_state.c cdo.c pool_dir.c pool.c events.c groups.c
  telemetry.c mem.c)

# libmaestro now needs liblyt and libmamba at run time; an application linked
# with a RUNPATH to the install libdir finds libmaestro, but the loader does
# not use that RUNPATH for libmaestro's own dependencies. Until the shared
# helper (cmake/MaestroHelpers.cmake) sets it for every library, let the
# installed libmaestro look next to itself.
cmake_language(DEFER CALL set_target_properties maestro PROPERTIES INSTALL_RPATH "\$ORIGIN")
