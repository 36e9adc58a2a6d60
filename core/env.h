/* SPDX-License-Identifier: BSD-3-Clause */
/* libmaestro's environment (env.c): one table of its variables, each read
 * there with its one default (docs/environment.md documents them). */
#ifndef MSTRO_ENV_H
#define MSTRO_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "maestro/status.h"

struct mstro__options {
  const char *workflow_name;
  const char *component_name;
  const char *pm_info;
  const char *telemetry_dst;
  bool drop_unknown;
  long long pm_timeout;
  long long pm_spin_us;
  bool pm_block;
  const char *schema_path;
  const char *schema_list;
};

/* Every variable into *opts (defaults for unset ones): MSTRO_OK, or
 * MSTRO_INVARG with the reason in err for a bad value (mstro_init). */
mstro_status mstro__env_load(struct mstro__options *opts, char *err, size_t errlen);

/* One variable of the table into its field of *opts (the rest zeroed); its
 * default when unset or bad (mstro_init refuses bad values): for modules
 * that are used before or without mstro_init (the schema registry). */
void mstro__env_load_one(const char *name, struct mstro__options *opts);

#endif
