/* SPDX-License-Identifier: BSD-3-Clause */
/* libmaestro's environment variables: the one table (types, defaults,
 * bounds, documentation), and the one place that reads them (env.h). */
#include "env.h"

#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "options.h"

/* MSTRO_TELEMETRY_DST: log, stderr, stdout, off, or a file we can write. */
static int validate_telemetry_dst(const char *text, void *out, char *err, size_t errlen)
{
  static const char *const words[] = {"log", "stderr", "stdout", "off"};
  char *copy;
  int ok;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcasecmp(text, words[i]) == 0) {
      *(const char **)out = text;
      return 0;
    }
  if (access(text, F_OK) == 0) {
    ok = access(text, W_OK) == 0;
  } else {
    copy = strdup(text);
    ok = copy != NULL && access(dirname(copy), W_OK | X_OK) == 0;
    free(copy);
  }
  if (!ok) {
    snprintf(err, errlen, "not log, stderr, stdout, off or a file path that can be written");
    return -1;
  }
  *(const char **)out = text;
  return 0;
}

/* Every MSTRO_* variable libmaestro reads, read only here (docs/environment.md
 * lists them all; MSTRO_LOG_* are read by the logging engine, the transport
 * layer's, MSTRO_TRANSPORT_DEFAULT among them, by transport/mtr_env.c). */
#define OPT(f) offsetof(struct mstro__options, f)
static const struct mmb__opt_def env_defs[] = {
    {.name = "MSTRO_WORKFLOW_NAME",
     .kind = MMB__OPT_STRING,
     .offset = OPT(workflow_name),
     .doc = "workflow name when mstro_init gets NULL"},
    {.name = "MSTRO_COMPONENT_NAME",
     .kind = MMB__OPT_STRING,
     .offset = OPT(component_name),
     .doc = "component name when mstro_init gets NULL"},
    {.name = "MSTRO_POOL_MANAGER_INFO",
     .kind = MMB__OPT_STRING,
     .offset = OPT(pm_info),
     .doc = "contact string of the Pool Manager to join (unset: local pool only)"},
    {.name = "MSTRO_DROP_UNKNOWN_ATTRIBUTES",
     .kind = MMB__OPT_BOOL,
     .default_text = "0",
     .offset = OPT(drop_unknown),
     .doc = "drop attributes no schema defines (with a warning)"},
    {.name = "MSTRO_PM_TIMEOUT",
     .kind = MMB__OPT_INT,
     .default_text = "30",
     .min = 1,
     .max = 86400,
     .offset = OPT(pm_timeout),
     .doc = "seconds before a call blocked on a silent Pool Manager returns MSTRO_NO_PM"},
    {.name = "MSTRO_PM_SPIN_US",
     .kind = MMB__OPT_INT,
     .default_text = "10000",
     .min = 0,
     .max = 10000000,
     .offset = OPT(pm_spin_us),
     .doc = "microseconds a call waiting for the Pool Manager polls for its answer before it "
            "sleeps (0: sleeps at once; with MSTRO_PM_BLOCK the most the adaptive spin grows to)"},
    {.name = "MSTRO_PM_BLOCK",
     .kind = MMB__OPT_BOOL,
     .default_text = "1",
     .offset = OPT(pm_block),
     .doc = "1: after a short adaptive spin the receiver thread blocks on the endpoint's wait "
            "object; 0: it spins for MSTRO_PM_SPIN_US, then polls every 50 us (dedicated cores)"},
    {.name = "MSTRO_TELEMETRY_DST",
     .kind = MMB__OPT_CUSTOM,
     .validate = validate_telemetry_dst,
     .offset = OPT(telemetry_dst),
     .doc = "where mstro_finalize writes the telemetry report: log, stderr, stdout, off or a "
            "file path (JSON)"},
    {.name = "MSTRO_SCHEMA_PATH",
     .kind = MMB__OPT_STRING,
     .offset = OPT(schema_path),
     .doc = "':'-separated directories searched for schema files"},
    {.name = "MSTRO_SCHEMA_LIST",
     .kind = MMB__OPT_STRING,
     .offset = OPT(schema_list),
     .doc = "';'-separated user schema files to load"},
};
#undef OPT
#define N_ENV (sizeof env_defs / sizeof env_defs[0])

mstro_status mstro__env_load(struct mstro__options *opts, char *err, size_t errlen)
{
  memset(opts, 0, sizeof *opts);
  return mmb__opt_load(env_defs, N_ENV, opts, err, errlen) == 0 ? MSTRO_OK : MSTRO_INVARG;
}

void mstro__env_load_one(const char *name, struct mstro__options *opts)
{
  char err[256];
  memset(opts, 0, sizeof *opts);
  for (size_t i = 0; i < N_ENV; i++) {
    if (strcmp(env_defs[i].name, name) != 0)
      continue;
    const char *v = getenv(name);
    if (v == NULL || mmb__opt_parse(&env_defs[i], v, opts, err, sizeof err) != 0) {
      memset(opts, 0, sizeof *opts);
      if (env_defs[i].default_text != NULL)
        mmb__opt_parse(&env_defs[i], env_defs[i].default_text, opts, err, sizeof err);
    }
    break;
  }
}
