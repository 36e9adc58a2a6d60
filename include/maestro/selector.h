/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Schemas and CDO selectors.
 *
 * A selector is an s-expression over attributes:
 *   (has KEY) (KEY = V) (KEY != V) (KEY < V) (KEY <= V) (KEY > V) (KEY >= V)
 *   (KEY ~= "regex") (and Q...) (or Q...) (not Q)
 * KEY is absolute (".maestro.core.cdo.name") or relative to the selector's
 * namespace. V is a number, a quoted string, true/false, or a timestamp.
 *
 * Thread safety: a selector is immutable once created and may be evaluated by
 * any number of threads at once.
 */
#ifndef MAESTRO_SELECTOR_H
#define MAESTRO_SELECTOR_H

#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded attribute schema (see docs/attributes.md). */
typedef struct mstro_schema_ *mstro_schema;

/** A compiled CDO selector. */
typedef struct mstro_cdo_selector_ *mstro_cdo_selector;

/** Compile a selector.
 * @param schema schema to resolve key types with; NULL: all loaded schemas
 * @param nspace namespace that relative keys are taken in; NULL: ".maestro.core.cdo."
 * @param query  the s-expression; NULL matches every CDO
 * @param result receives the selector
 * @return MSTRO_OK; MSTRO_INVARG for a NULL result or a syntax error (the log
 *         message gives the offset and shows the offending position);
 *         MSTRO_NOMEM; MSTRO_UNINIT. */
MSTRO_API mstro_status mstro_cdo_selector_create(mstro_schema schema, const char *nspace,
                                                 const char *query, mstro_cdo_selector *result);

/** Free a selector.
 * @param s the selector
 * @return MSTRO_OK; MSTRO_INVARG for NULL. */
MSTRO_API mstro_status mstro_cdo_selector_dispose(mstro_cdo_selector s);

#ifdef __cplusplus
}
#endif
#endif
