/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Status codes of liblyt, from one X-macro list.
 */
#ifndef LYT_STATUS_H
#define LYT_STATUS_H

#include "lyt_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** X-macro list: X(name, description). New codes go at the end. */
#define LYT_STATUS_LIST(X)                                                                         \
  X(LYT_OK, "success")                                                                             \
  X(LYT_ERROR, "unspecified failure")                                                              \
  X(LYT_INVALID_ARG, "invalid argument")                                                           \
  X(LYT_NOMEM, "out of memory")                                                                    \
  X(LYT_UNIMPLEMENTED, "not implemented")                                                          \
  X(LYT_MISMATCH, "layouts do not describe the same index space")                                  \
  X(LYT_OVERFLOW, "size computation overflows")                                                    \
  X(LYT_OVERLAP, "distribution blocks overlap")                                                    \
  X(LYT_HOLE, "distribution leaves elements unowned")

/** Expands one LYT_STATUS_LIST entry into an enumerator. */
#define LYT__STATUS_ENUM(name, text) name,
/** Result of every lyt_ function. */
typedef enum { LYT_STATUS_LIST(LYT__STATUS_ENUM) LYT_STATUS_MAX } lyt_status;
#undef LYT__STATUS_ENUM

/** Human-readable text for a status.
 * @param s a status
 * @return the text; never NULL ("unknown status" when out of range). */
LYT_API const char *lyt_status_description(lyt_status s);

/** Library version.
 * @return "MAJOR.MINOR.PATCH". */
LYT_API const char *lyt_version(void);

#ifdef __cplusplus
}
#endif
#endif
