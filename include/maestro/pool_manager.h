/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Becoming the Pool Manager inside an application (DESIGN.md section 4).
 * Implemented in libmaestro-pm, which `pkg-config --libs maestro` and CMake's
 * maestro::maestro link too; the maestro-pm binary uses the same calls.
 */
#ifndef MAESTRO_POOL_MANAGER_H
#define MAESTRO_POOL_MANAGER_H

#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** This process becomes the Pool Manager of its workflow: the one given to
 * mstro_init, or MSTRO_WORKFLOW_NAME in a process that never called it.
 * @return MSTRO_OK; MSTRO_UNINIT when there is no workflow name (no mstro_init
 *         and MSTRO_WORKFLOW_NAME unset); MSTRO_NOT_TWICE; MSTRO_TRANSPORT
 *         when no fabric endpoint can be opened; MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_pm_start(void);
/** Contact string of the running Pool Manager (fabric addresses and the
 * workflow secret) for MSTRO_POOL_MANAGER_INFO; the caller frees it.
 * @param[out] info receives the contact string (free with free())
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_NOENT if no PM runs here. */
MSTRO_API mstro_status mstro_pm_getinfo(char **info);
/** Tell every component, then stop serving.
 * @return MSTRO_OK; MSTRO_NOENT if no PM runs here. */
MSTRO_API mstro_status mstro_pm_terminate(void);

#ifdef __cplusplus
}
#endif
#endif
