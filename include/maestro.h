/** @file
 * Maestro: multi-threaded, cross-application data transfer and inspection.
 * The umbrella header of libmaestro; the API is fixed by DESIGN.md section 3.
 */
#ifndef MAESTRO_H
#define MAESTRO_H

#include <stdint.h>

#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Library version, "MAJOR.MINOR.PATCH". Never NULL. */
MSTRO_API const char *mstro_version(void);

/** Monotonic clock in nanoseconds (CLOCK_MONOTONIC). */
MSTRO_API uint64_t mstro_clock(void);

#ifdef __cplusplus
}
#endif
#endif
