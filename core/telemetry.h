/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry (telemetry.c): counters per operation, bytes moved, demand
 * latency, and the report written at mstro_finalize. */
#ifndef MSTRO_TELEMETRY_H
#define MSTRO_TELEMETRY_H

#include <stdint.h>

#include "maestro.h"

typedef enum {
  MSTRO__TM_DECLARE = 0,
  MSTRO__TM_SEAL,
  MSTRO__TM_OFFER,
  MSTRO__TM_WITHDRAW,
  MSTRO__TM_REQUIRE,
  MSTRO__TM_RETRACT,
  MSTRO__TM_DEMAND,
  MSTRO__TM_DISPOSE,
  MSTRO__TM_GROUP_OFFER,
  MSTRO__TM_GROUP_DEMAND,
  MSTRO__TM_EVENT,
  MSTRO__TM_SUBSCRIBE,
  MSTRO__TM_ERROR,
  MSTRO__TM_MAX
} mstro__tm_op;
void mstro__tm_reset(void);
void mstro__tm_count(mstro__tm_op op);
/* Bytes brought to a consumer: copied (possibly transformed) or shared. */
void mstro__tm_bytes(uint64_t copied, uint64_t zero_copy, uint64_t transformed);
void mstro__tm_demand_latency(uint64_t ns);
/* Write the report (JSON to MSTRO_TELEMETRY_DST, or the log). */
mstro_status mstro__tm_report(const char *dst);

#endif
