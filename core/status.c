/* SPDX-License-Identifier: BSD-3-Clause */
/* Status strings, version, clock and the logging domain of libmaestro. */
#include <time.h>

#include "maestro.h"
#include "mstro_log.h"

#define MSTRO__MOD_NAME(id, name) name,
static const char *const mstro_module_names[] = {MSTRO__LOG_MODULE_LIST(MSTRO__MOD_NAME)};
#undef MSTRO__MOD_NAME

struct mmb__log_domain mstro__log_domain =
    MMB__LOG_DOMAIN_INIT("maestro", "MSTRO", NULL, mstro_module_names, MSTRO__MOD_COUNT);

#define MSTRO__STATUS_TEXT(name, text) [name] = text,
static const char *const mstro_status_text[] = {MSTRO_STATUS_LIST(MSTRO__STATUS_TEXT)};

const char *mstro_status_description(mstro_status s)
{
  const char *text = "unknown status";
  if ((int)s >= 0 && s < MSTRO_STATUS_MAX && mstro_status_text[s] != NULL)
    text = mstro_status_text[s];
  return text;
}

const char *mstro_version(void)
{
  return MSTRO_VERSION_STRING;
}

uint64_t mstro_clock(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}
