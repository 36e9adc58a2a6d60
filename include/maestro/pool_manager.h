/** @file
 * Becoming the Pool Manager inside an application (DESIGN.md section 4).
 * Implemented in pm/ (libmaestro-pm); the maestro-pm binary uses the same calls.
 */
#ifndef MAESTRO_POOL_MANAGER_H
#define MAESTRO_POOL_MANAGER_H

#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** This process becomes the Pool Manager of its workflow (after mstro_init).
 * @return MSTRO_OK; MSTRO_UNINIT; MSTRO_NOT_TWICE; MSTRO_TRANSPORT when no
 *         fabric endpoint can be opened. */
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
