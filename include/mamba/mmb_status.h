/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Status codes of libmamba, from one X-macro list.
 */
#ifndef MMB_STATUS_H
#define MMB_STATUS_H

#include "mmb_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** X-macro list: X(name, description). New codes go at the end. */
#define MMB_STATUS_LIST(X)                                                                         \
  X(MMB_OK, "success")                                                                             \
  X(MMB_ERROR, "unspecified failure")                                                              \
  X(MMB_INVALID_ARG, "invalid argument")                                                           \
  X(MMB_OUT_OF_MEMORY, "out of memory in the requested space")                                     \
  X(MMB_UNIMPLEMENTED, "not implemented")                                                          \
  X(MMB_NOT_FOUND, "no such layer, space, allocation or entry")                                    \
  X(MMB_UNSUPPORTED, "not supported by this space or machine")                                     \
  X(MMB_INVALID_FREE, "double free, foreign pointer, or pointer of another space")                 \
  X(MMB_UNINIT, "libmamba is not initialized")                                                     \
  X(MMB_NOT_TWICE, "already initialized")                                                          \
  X(MMB_LIMIT, "size limit of the space or cache reached")                                         \
  X(MMB_NO_DEVICE, "no such device at run time")                                                   \
  X(MMB_BUSY, "resource in use")

/** Expands one MMB_STATUS_LIST entry into an enumerator. */
#define MMB__STATUS_ENUM(name, text) name,
/** Result of every mmb_ function. */
typedef enum { MMB_STATUS_LIST(MMB__STATUS_ENUM) MMB_STATUS_MAX } mmb_status;
#undef MMB__STATUS_ENUM

/** Human-readable text for a status.
 * @param s a status
 * @return the text; never NULL ("unknown status" when out of range). */
MMB_API const char *mmb_status_description(mmb_status s);

/** Library version.
 * @return "MAJOR.MINOR.PATCH". */
MMB_API const char *mmb_version(void);

#ifdef __cplusplus
}
#endif
#endif
