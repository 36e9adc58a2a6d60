/* The component index from the launcher's environment, for mstro_init with a
 * negative index (launcher_index.c). */
#ifndef MSTRO_LAUNCHER_INDEX_H
#define MSTRO_LAUNCHER_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "maestro/status.h"

/* The first of MSTRO_COMPONENT_INDEX, PMIX_RANK, SLURM_PROCID,
 * OMPI_COMM_WORLD_RANK, PMI_RANK that is set, into *index: MSTRO_OK;
 * MSTRO_INVARG with the variable and value in err when that one is not an
 * integer from 0 to INT64_MAX; MSTRO_NOENT with the list in err when none is
 * set. */
mstro_status mstro__component_index_from_env(int64_t *index, char *err, size_t errlen);

#endif
