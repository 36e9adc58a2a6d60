/* SPDX-License-Identifier: BSD-3-Clause */
/* What a launcher hands a component (launcher_env.h). The component index:
 * one program started N times by srun, mpirun or a PMIx launcher needs no
 * code to tell its instances apart; our own variable first, then the
 * launchers' in the order of how specific they are. */
#include "launcher_env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const index_vars[] = {"MSTRO_COMPONENT_INDEX", "PMIX_RANK", "SLURM_PROCID",
                                         "OMPI_COMM_WORLD_RANK", "PMI_RANK"};
#define N_INDEX_VARS (sizeof index_vars / sizeof index_vars[0])

mstro_status mstro__component_index_from_env(int64_t *index, char *err, size_t errlen)
{
  mstro_status st = MSTRO_NOENT;
  for (size_t i = 0; i < N_INDEX_VARS; i++) {
    const char *v = getenv(index_vars[i]);
    if (v == NULL || v[0] == '\0')
      continue;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end != '\0' || errno != 0 || x < 0) {
      snprintf(err, errlen, "%s=\"%s\" is not a component index (an integer >= 0)", index_vars[i],
               v);
      st = MSTRO_INVARG;
    } else {
      *index = (int64_t)x;
      st = MSTRO_OK;
    }
    goto cleanup;
  }
  snprintf(err, errlen,
           "a negative component index and none of MSTRO_COMPONENT_INDEX, PMIX_RANK, "
           "SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK is set");
cleanup:
  return st;
}

const char *mstro__pm_info_unwrap(const char *value, char *buf, size_t len)
{
  static const char line_prefix[] = "MSTRO_POOL_MANAGER_INFO;";
  const size_t plen = sizeof line_prefix - 1;
  if (value == NULL || buf == NULL || strncmp(value, line_prefix, plen) != 0)
    return value;
  const char *p = value + plen;
  size_t n = strlen(p);
  while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
    n--;
  if (n > 0 && p[n - 1] == ';')
    n--;
  if (n >= len)
    return value;
  memcpy(buf, p, n);
  buf[n] = '\0';
  return buf;
}
