/* Who this process is in its workflow, for the layer above the core: the
 * Pool Manager library (pm/pm_api.c) links libmaestro as a client and sees
 * only its exported symbols, so the name mstro_init recorded is handed over
 * by one exported internal function rather than read from the environment
 * again (the two could disagree). */
#ifndef MSTRO_IDENTITY_H
#define MSTRO_IDENTITY_H

#include "maestro/export.h"

/* The workflow name given to (or found by) mstro_init; NULL before mstro_init
 * and after mstro_finalize. Valid until mstro_finalize. */
MSTRO_API const char *mstro__workflow_name(void);

#endif
