/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Library lifecycle of libmaestro.
 *
 * Thread safety: mstro_init and mstro_finalize must not race with each other
 * or with any other call; everything else may be called from any thread
 * between them.
 */
#ifndef MAESTRO_CORE_H
#define MAESTRO_CORE_H

#include <stdint.h>

#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Initialize Maestro for this process (component).
 *
 * @param workflow_name  name of the workflow; NULL reads MSTRO_WORKFLOW_NAME
 * @param component_name name of this component; NULL reads MSTRO_COMPONENT_NAME
 * @param component_index index of this component among those of the same name;
 *        negative: the first set of MSTRO_COMPONENT_INDEX, PMIX_RANK,
 *        SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK (the launcher's rank)
 * With MSTRO_POOL_MANAGER_INFO set the component joins that Pool Manager,
 * otherwise it runs with a process-local pool.
 * @return MSTRO_OK; MSTRO_NOT_TWICE if already initialized; MSTRO_INVARG for a
 *         missing name, a negative index with none of those variables set,
 *         or a bad environment value (logged with the variable);
 *         MSTRO_NO_PM or MSTRO_AUTH if the Pool Manager cannot be joined;
 *         MSTRO_NOMEM.
 */
MSTRO_API mstro_status mstro_init(const char *workflow_name, const char *component_name,
                                  int64_t component_index);

/** Finalize: leave the pool, write the telemetry report, free everything.
 * @return MSTRO_OK; MSTRO_UNINIT if not initialized; MSTRO_FAIL if CDOs were
 *         still offered (they are withdrawn and the fact logged). */
MSTRO_API mstro_status mstro_finalize(void);

/** Library version.
 * @return "MAJOR.MINOR.PATCH"; never NULL. */
MSTRO_API const char *mstro_version(void);

/** Monotonic clock (CLOCK_MONOTONIC).
 * @return nanoseconds since an arbitrary fixed point. */
MSTRO_API uint64_t mstro_clock(void);

/** Nanoseconds, as used by event timestamps. */
typedef uint64_t mstro_nanosec_t;

/** Identifier of a component (application) in a workflow. */
typedef uint64_t mstro_app_id;

#ifdef __cplusplus
}
#endif
#endif
