/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Status codes of libmaestro, from one X-macro list. The first fifteen names
 * and their order are fixed by maestro-core compatibility (DESIGN.md section 3).
 */
#ifndef MAESTRO_STATUS_H
#define MAESTRO_STATUS_H

#include "maestro/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** X-macro list: X(name, description). New codes go at the end. */
#define MSTRO_STATUS_LIST(X)                                                                       \
  X(MSTRO_OK, "success")                                                                           \
  X(MSTRO_FAIL, "operation failed")                                                                \
  X(MSTRO_UNIMPL, "not implemented")                                                               \
  X(MSTRO_INVARG, "invalid argument")                                                              \
  X(MSTRO_INVOUT, "invalid output destination")                                                    \
  X(MSTRO_UNINIT, "maestro is not initialized")                                                    \
  X(MSTRO_NOT_TWICE, "operation may not be done twice")                                            \
  X(MSTRO_NOMEM, "out of memory")                                                                  \
  X(MSTRO_NOENT, "no such entry")                                                                  \
  X(MSTRO_NOMATCH, "no match")                                                                     \
  X(MSTRO_TIMEOUT, "timed out")                                                                    \
  X(MSTRO_WOULDBLOCK, "operation would block")                                                     \
  X(MSTRO_NO_PM, "pool manager unreachable")                                                       \
  X(MSTRO_INVMSG, "invalid message")                                                               \
  X(MSTRO_AUTH, "authentication refused")                                                          \
  X(MSTRO_INVSTATE, "operation not allowed in the object's current state")                         \
  X(MSTRO_TRANSPORT, "transport failure")

/** Expands one MSTRO_STATUS_LIST entry into an enumerator. */
#define MSTRO__STATUS_ENUM(name, text) name,
/** Result of every mstro_ function. */
typedef enum { MSTRO_STATUS_LIST(MSTRO__STATUS_ENUM) MSTRO_STATUS_MAX } mstro_status;
#undef MSTRO__STATUS_ENUM

/** Human-readable text for a status.
 * @param s a status
 * @return the text; never NULL ("unknown status" when out of range). */
MSTRO_API const char *mstro_status_description(mstro_status s);

#ifdef __cplusplus
}
#endif
#endif
