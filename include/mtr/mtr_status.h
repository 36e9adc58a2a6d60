/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Status codes of maestro transport, from one X-macro list.
 */
#ifndef MTR_STATUS_H
#define MTR_STATUS_H

#include "mtr_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** X-macro list: X(name, description). New codes go at the end. */
#define MTR_STATUS_LIST(X)                                                                         \
  X(MTR_OK, "success")                                                                             \
  X(MTR_ERROR, "unspecified failure")                                                              \
  X(MTR_INVALID_ARG, "invalid argument")                                                           \
  X(MTR_NOMEM, "out of memory")                                                                    \
  X(MTR_UNIMPLEMENTED, "not implemented")                                                          \
  X(MTR_UNAVAILABLE, "transport unavailable on this machine")                                      \
  X(MTR_TIMEOUT, "timed out")                                                                      \
  X(MTR_AGAIN, "try again")                                                                        \
  X(MTR_IO, "I/O error")                                                                           \
  X(MTR_PEER, "peer unreachable or gone")                                                          \
  X(MTR_TRUNCATED, "message truncated or oversized")                                               \
  X(MTR_NOT_FOUND, "no such key, object or address")                                               \
  X(MTR_CLOSED, "endpoint or store closed or unusable after an earlier failure")

/** Expands one MTR_STATUS_LIST entry into an enumerator. */
#define MTR__STATUS_ENUM(name, text) name,
/** Result of every mtr_ function. */
typedef enum { MTR_STATUS_LIST(MTR__STATUS_ENUM) MTR_STATUS_MAX } mtr_status;
#undef MTR__STATUS_ENUM

/** Human-readable text for a status.
 * @param s a status
 * @return the text; never NULL ("unknown status" when out of range). */
MTR_API const char *mtr_status_description(mtr_status s);

/** Library version.
 * @return "MAJOR.MINOR.PATCH". */
MTR_API const char *mtr_version(void);

#ifdef __cplusplus
}
#endif
#endif
