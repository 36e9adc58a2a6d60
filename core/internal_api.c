/* SPDX-License-Identifier: BSD-3-Clause */
/* The internal functions libmaestro exports to pm/ (internal_api.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "mtr/mtr_transport.h"
#include "internal_api.h"

const char *mstro__workflow_name(void)
{
  if (!atomic_load_explicit(&mstro__g.initialized, memory_order_acquire))
    return NULL;
  return mstro__g.workflow_name;
}

mstro_status mstro__env_check(char *err, size_t errlen)
{
  mstro_status st = MSTRO_OK;
  char why[512] = "";
  struct mstro__options opts;
  memset(&opts, 0, sizeof opts);
  if (err == NULL || errlen == 0)
    return MSTRO_INVARG;
  err[0] = '\0';
  if (mmb__log_configure(&mstro__log_domain, why, sizeof why) != 0) {
    snprintf(err, errlen, "bad logging setting: %s", why);
    st = MSTRO_INVARG;
  } else if (mstro__env_load(&opts, why, sizeof why) != MSTRO_OK) {
    snprintf(err, errlen, "bad environment: %s", why);
    st = MSTRO_INVARG;
  } else if (mtr_env_check(why, sizeof why) != MTR_OK) {
    snprintf(err, errlen, "bad transport setting: %s", why);
    st = MSTRO_INVARG;
  }
  return st;
}
