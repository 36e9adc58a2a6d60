/* SPDX-License-Identifier: BSD-3-Clause */
/* CDO selectors: compiled s-expressions over attributes (internal).
 *
 * mstro_cdo_selector_create (include/maestro/selector.h) parses the query
 * once into an immutable tree: keys resolved to schema definitions, literal
 * values converted to the key's type, regular expressions compiled with
 * POSIX regcomp (REG_EXTENDED). Evaluation walks the tree without allocating
 * or locking, so any number of threads may evaluate one selector at once.
 *
 * Keys: absolute (leading '.'), or relative to the selector's namespace; a
 * relative key that the namespace does not define is looked up relative to
 * .maestro.core.cdo. as well, so (has name) works in any namespace. A key no
 * loaded schema defines is a syntax error (a typo never silently matches
 * nothing).
 *
 * Semantics: a key with neither a value nor a default makes every comparison
 * on it false ((has K) false; (not (K = 1)) true). Numbers compare
 * numerically across signed, unsigned and floating types; strings
 * byte-wise (strcmp); timestamps by time (sec, nsec; offset ignored); bool
 * false < true. `~=` is an unanchored POSIX extended regex search on a
 * string value. (and) is true, (or) false.
 */
#ifndef MSTRO_SELECTOR_INTERNAL_H
#define MSTRO_SELECTOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "attr.h"
#include "maestro/selector.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Evaluate a selector on a dictionary. A NULL selector (or one created from
 * a NULL query) matches everything; a NULL dictionary is treated as empty.
 * @return MSTRO_OK with *match set; MSTRO_INVARG for a NULL match. */
mstro_status mstro__selector_eval(mstro_cdo_selector s, const mstro__attr_dict *d, bool *match);

/** The query text the selector was created from (NULL for match-all). Valid
 * while the selector lives. Together with mstro__selector_namespace this is
 * all that is needed to recreate it elsewhere. */
const char *mstro__selector_to_string(mstro_cdo_selector s);

/** The namespace relative keys were resolved in (never NULL). */
const char *mstro__selector_namespace(mstro_cdo_selector s);

/** The schema given at create time (NULL: all loaded schemas). */
mstro_schema mstro__selector_schema(mstro_cdo_selector s);

/** Serialize (namespace and query text) into a malloc'ed buffer; caller frees.
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_NOMEM. */
mstro_status mstro__selector_serialize(mstro_cdo_selector s, void **buf, size_t *len);

/** Recreate a selector from mstro__selector_serialize output (hostile input:
 * bounded, MSTRO_INVMSG when malformed; MSTRO_INVARG when the query does not
 * compile here). */
mstro_status mstro__selector_deserialize(const void *buf, size_t len, mstro_cdo_selector *result);

/** Parse a query and report a syntax error into errbuf ("offset N: what",
 * followed by the query and a caret line) instead of only logging it; used
 * by tests and tools. errbuf may be NULL. Same return codes as create. */
mstro_status mstro__selector_create_ex(mstro_schema schema, const char *nspace, const char *query,
                                       mstro_cdo_selector *result, char *errbuf, size_t errlen,
                                       size_t *err_offset);

#ifdef __cplusplus
}
#endif
#endif
