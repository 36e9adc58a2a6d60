/* SPDX-License-Identifier: BSD-3-Clause */
/* Attribute dictionaries: the metadata of one CDO (internal).
 *
 * Keys are resolved through the schema registry (core/schema.h); a key no
 * loaded schema defines is refused (MSTRO_INVARG, logged with the key) unless
 * MSTRO_DROP_UNKNOWN_ATTRIBUTES=1, in which case it is dropped with a warning
 * and MSTRO_OK is returned. Values are read as the key's declared type.
 *
 * Value passing (`val` of mstro__attr_dict_set, DESIGN.md section 3):
 *  - bool, integers, float, double, timestamp: `val` points at the value.
 *    copy_value: the value is copied now. Otherwise the pointer `val` is kept
 *    as the value's storage (later changes through it are visible) and, unless
 *    user_owned_value, free(val) is called when the value is replaced or the
 *    dictionary destroyed.
 *  - cstring: `val` is a `const char **`. copy_value: the string is copied
 *    (strdup). Otherwise the string `*val` is kept and, unless
 *    user_owned_value, freed when replaced or at destroy.
 *  - pointer: copy_value: `val` is a `void **` and `*val` is stored.
 *    Otherwise `val` itself is the pointer value (maestro-core's
 *    `attribute_set(cdo, RAW_PTR, buf, false, true)` idiom) and, unless
 *    user_owned_value, free(val) is called at destroy.
 *  - blob: `val` is a `mstro_blob *`. copy_value: the bytes are copied.
 *    Otherwise blob->data is kept (the struct itself is copied) and, unless
 *    user_owned_value, blob->data is freed at destroy.
 *  - int64_array: `val` points at the first of n int64_t, n being the current
 *    value of the definition's count key (layout.dims-size: layout.ndims, which
 *    must be set first). copy_value: copied. Otherwise `val` is kept and,
 *    unless user_owned_value, freed at destroy.
 *
 * mstro__attr_dict_get returns in *valptr a pointer to the stored value: for
 * a cstring a `const char *const *` (so `*(const char **)valptr` is the
 * string), for a pointer a `void *const *`, for a blob a `const mstro_blob *`,
 * for an int64_array a pointer to the first element. Unset keys whose schema
 * gives a default read as the default.
 *
 * A refused set (unknown key, type constraint, range, string too long,
 * negative size other than -1, dims/ndims disagreement) changes nothing; when
 * copy_value is false and the set is refused, the caller keeps ownership.
 *
 * Threads: a dictionary has no lock of its own. Any number of readers (get,
 * foreach, copy, serialize, selector evaluation) may run at once when no
 * writer runs; writers must be serialized by the caller (the CDO's lock).
 */
#ifndef MSTRO_ATTR_H
#define MSTRO_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maestro/attributes.h"
#include "maestro/status.h"
#include "schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mstro__attr_dict mstro__attr_dict;

/** Create an empty dictionary. @return MSTRO_OK; MSTRO_INVARG for NULL;
 *  MSTRO_NOMEM; MSTRO_UNINIT when the schemas are not loaded. */
mstro_status mstro__attr_dict_create(mstro__attr_dict **result);

/** Free the dictionary and every value it owns. NULL is a no-op. */
void mstro__attr_dict_destroy(mstro__attr_dict *d);

/** Set `key` (absolute or relative to .maestro.core.cdo.) to the value at
 * `val` (see the file comment for how each type is passed).
 * @return MSTRO_OK; MSTRO_INVARG for NULL d/key/val, an unknown key (or
 *         MSTRO_OK when dropped by MSTRO_DROP_UNKNOWN_ATTRIBUTES=1) or a
 *         forbidden value (old value kept); MSTRO_NOMEM; MSTRO_UNINIT. */
mstro_status mstro__attr_dict_set(mstro__attr_dict *d, const char *key, const void *val,
                                  bool copy_value, bool user_owned_value);

/** Same with the definition already resolved (no lookup). */
mstro_status mstro__attr_dict_set_def(mstro__attr_dict *d, const struct mstro__attr_def *def,
                                      const void *val, bool copy_value, bool user_owned_value);

/** Set from YAML text. With key != NULL the text is the value of `key`
 * ("42", "\"text\"", "[1, 2]", "2024-05-01T00:00:00Z") or a one-entry mapping
 * whose key resolves to the same key. With key == NULL the text must be a
 * mapping; each entry is set in order (stops at the first failure).
 * Keys the schema marks read-only are refused (MSTRO_INVSTATE): this is the
 * path of user input (mstro_cdo_attribute_set_yaml).
 * @return as mstro__attr_dict_set; MSTRO_INVARG when the text is not valid
 *         YAML or not of the key's type (pointers cannot be set this way);
 *         MSTRO_INVSTATE for a read-only key. */
mstro_status mstro__attr_dict_set_yaml(mstro__attr_dict *d, const char *key, const char *text);

/** Get `key`: *type receives the declared type and *valptr a pointer to the
 * stored (or default) value.
 * @return MSTRO_OK; MSTRO_INVARG for NULL arguments or an unknown key;
 *         MSTRO_NOENT when the key is known but has neither a value nor a
 *         default (*type = MSTRO_CDO_ATTR_VALUE_INVALID, *valptr = NULL). */
mstro_status mstro__attr_dict_get(const mstro__attr_dict *d, const char *key,
                                  enum mstro_cdo_attr_value_type *type, const void **valptr);

/** Same with a resolved definition. */
mstro_status mstro__attr_dict_get_def(const mstro__attr_dict *d, const struct mstro__attr_def *def,
                                      enum mstro_cdo_attr_value_type *type, const void **valptr);

/** Raw access for the evaluator: load the value of `def` (set or default)
 * into *out in canonical form (a shallow copy: strings, blobs and arrays
 * still point into the dictionary) and *count (element count for arrays, 1
 * otherwise; may be NULL). @return true if there is a value. */
bool mstro__attr_dict_value_load(const mstro__attr_dict *d, const struct mstro__attr_def *def,
                                 mstro__attr_value *out, size_t *count);

/** Whether `key` has an explicitly set value (defaults do not count). */
bool mstro__attr_dict_is_set(const mstro__attr_dict *d, const struct mstro__attr_def *def);

/** Remove the value of `key` (no-op if unset). @return MSTRO_OK; MSTRO_INVARG. */
mstro_status mstro__attr_dict_unset(mstro__attr_dict *d, const char *key);

/** Number of explicitly set keys. */
size_t mstro__attr_dict_count(const mstro__attr_dict *d);

/** Deep copy: every value is copied into storage the copy owns (pointer
 * values are copied as pointer values, not followed).
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_NOMEM. */
mstro_status mstro__attr_dict_copy(const mstro__attr_dict *src, mstro__attr_dict **result);

/** Copy every set value of src into dst (deep). Keys already set in dst are
 * kept unless overwrite; pointer-typed values are skipped unless
 * with_pointers (a producer's raw-ptr means nothing to a consumer). An
 * int64 array left disagreeing with its count key (e.g. dst keeps its
 * layout.ndims, src brings a layout.dims-size of another length) is dropped
 * with a warning, so the result is always consistent.
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_NOMEM (dst may be partly updated). */
mstro_status mstro__attr_dict_merge(mstro__attr_dict *dst, const mstro__attr_dict *src,
                                    bool overwrite, bool with_pointers);

/** Visitor: return false to stop. `val` as mstro__attr_dict_get would give. */
typedef bool (*mstro__attr_visit_fn)(const struct mstro__attr_def *def,
                                     enum mstro_cdo_attr_value_type type, const void *val,
                                     void *ctx);

/** Call fn for every explicitly set key, in registry-id order.
 * @return MSTRO_OK; MSTRO_INVARG for NULL d or fn. */
mstro_status mstro__attr_dict_foreach(const mstro__attr_dict *d, mstro__attr_visit_fn fn,
                                      void *ctx);

/** Format one value as text (YAML-compatible where possible) into buf.
 * @return the length it needed (like snprintf). */
size_t mstro__attr_value_format(const struct mstro__attr_def *def, const mstro__attr_value *v,
                                size_t count, char *buf, size_t buflen);

/** Log every set key with its type and value at info level, under `title`
 * (e.g. the CDO name; may be NULL). @return MSTRO_OK; MSTRO_INVARG. */
mstro_status mstro__attr_dict_print(const mstro__attr_dict *d, const char *title);

/** Check that every key the schemas mark `required` has a value (set or
 * default): the core schema's always, a user schema's when the dictionary
 * has at least one key of that schema set (a schema applies to the CDOs that
 * use it). @return MSTRO_OK, or MSTRO_INVARG with *missing (if non-NULL) set
 * to the first missing definition. */
mstro_status mstro__attr_dict_check_required(const mstro__attr_dict *d,
                                             const struct mstro__attr_def **missing);

/** Serialize to a compact, self-describing byte buffer (malloc'ed; the
 * caller frees it). Keys travel as text; pointer values are not included;
 * blobs and arrays are.
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_NOMEM. */
mstro_status mstro__attr_dict_serialize(const mstro__attr_dict *d, void **buf, size_t *len);

/** Rebuild a dictionary from a serialized buffer. The input is treated as
 * hostile: every length is bounded by the buffer, types must agree with the
 * local schema, array lengths with their count keys, and constraints hold.
 * Keys the local schemas do not define are dropped with a warning.
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVMSG for a malformed
 *         buffer (logged with the offset); MSTRO_NOMEM. */
mstro_status mstro__attr_dict_deserialize(const void *buf, size_t len, mstro__attr_dict **result);

#ifdef __cplusplus
}
#endif
#endif
