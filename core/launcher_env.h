/* SPDX-License-Identifier: BSD-3-Clause */
/* What a launcher hands a component in its environment (launcher_env.c):
 * its rank, for mstro_init with a negative index, and the Pool Manager's
 * contact string as maestro-pm printed it. */
#ifndef MSTRO_LAUNCHER_ENV_H
#define MSTRO_LAUNCHER_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "maestro/status.h"

/* The first of MSTRO_COMPONENT_INDEX, PMIX_RANK, SLURM_PROCID,
 * OMPI_COMM_WORLD_RANK, PMI_RANK that is set, into *index: MSTRO_OK;
 * MSTRO_INVARG with the variable and value in err when that one is not an
 * integer from 0 to INT64_MAX; MSTRO_NOENT with the list in err when none is
 * set. */
mstro_status mstro__component_index_from_env(int64_t *index, char *err, size_t errlen);

/* MSTRO_POOL_MANAGER_INFO's value as the contact string: the value itself,
 * or, when it is maestro-pm's whole stdout line
 * ("MSTRO_POOL_MANAGER_INFO;<info>;", a trailing newline allowed), <info>
 * copied into buf. A line too long for buf is returned as it is (the parser
 * then says what is wrong with it). */
const char *mstro__pm_info_unwrap(const char *value, char *buf, size_t len);

#endif
