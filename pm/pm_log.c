/* SPDX-License-Identifier: BSD-3-Clause */
/* libmaestro-pm's own copy of the maestro logging domain: the library builds
 * with hidden visibility, so it cannot share libmaestro's. Same variables
 * (MSTRO_LOG_LEVEL, MSTRO_LOG_MODULES, MSTRO_LOG_DST) and module names, so
 * "pm" and "core.proto" are selected the same way in both. */
#include "mstro_log.h"

#define MSTRO__MOD_NAME(id, name) name,
static const char *const pm_module_names[] = {MSTRO__LOG_MODULE_LIST(MSTRO__MOD_NAME)};
#undef MSTRO__MOD_NAME

struct mmb__log_domain mstro__log_domain =
    MMB__LOG_DOMAIN_INIT("maestro-pm", "MSTRO", NULL, pm_module_names, MSTRO__MOD_COUNT);
