/* The component index a launcher hands every rank (launcher_index.h): one
 * program started N times by srun, mpirun or a PMIx launcher needs no code
 * to tell its instances apart. Our own variable first, then the launchers'
 * in the order of how specific they are. */
#include "launcher_index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
      snprintf(err, errlen, "%s=\"%s\" is not a component index (an integer >= 0)",
               index_vars[i], v);
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
