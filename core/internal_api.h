/* SPDX-License-Identifier: BSD-3-Clause */
/* What libmaestro exports to the layer above it. The Pool Manager library and
 * binary (pm/) link libmaestro as a client and see only its exported symbols;
 * these few internal functions hand over what mstro_init knows, so that pm/
 * neither reads the environment again (the two could disagree) nor carries a
 * second copy of the core's checks. Not installed, not public API. */
#ifndef MSTRO_INTERNAL_API_H
#define MSTRO_INTERNAL_API_H

#include <stddef.h>

#include "maestro/export.h"
#include "maestro/status.h"

/* The workflow name given to (or found by) mstro_init; NULL before mstro_init
 * and after mstro_finalize. Valid until mstro_finalize. */
MSTRO_API const char *mstro__workflow_name(void);

/* The checks mstro_init makes of the MSTRO_* environment (logging settings,
 * the option table, the transport layer's variables), without initializing:
 * MSTRO_OK, or MSTRO_INVARG with the same reason mstro_init logs in err
 * ("bad logging setting: ...", "bad environment: ..." or "bad transport
 * setting: ..."). */
MSTRO_API mstro_status mstro__env_check(char *err, size_t errlen);

#endif
