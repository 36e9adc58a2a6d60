/* SPDX-License-Identifier: BSD-3-Clause */
/* Attribute schemas: the registry of known keys (internal).
 *
 * The registry holds every attribute definition of the loaded schemas: the
 * built-in core schema (core/schemas/maestro-core.yaml, compiled into the
 * library; a file of the same name in a MSTRO_SCHEMA_PATH directory
 * overrides it) and the user schemas named by MSTRO_SCHEMA_LIST
 * (';'-separated file names, each searched in the ':'-separated directories
 * of MSTRO_SCHEMA_PATH, then in the current directory and in the installed
 * schema directory; a name containing '/' is used as given).
 *
 * Every definition has an absolute key (".maestro.core.cdo.scope.local-size"),
 * a declared type, optional constraints and an optional default, and a small
 * integer id (dense, 0..mstro__schema_attr_count()-1) that dictionaries and
 * selectors use instead of the key text.
 *
 * Lifetime and threads: mstro__schemas_init / mstro__schemas_fini are
 * reference counted and must not race with each other; between them the
 * registry is immutable and every lookup below is safe from any thread.
 * Definitions (const struct mstro__attr_def *) stay valid until the last
 * mstro__schemas_fini.
 */
#ifndef MSTRO_SCHEMA_H
#define MSTRO_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maestro/attributes.h"
#include "maestro/selector.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Name of the built-in schema file. */
#define MSTRO__CORE_SCHEMA_FILE "maestro-core.yaml"

/** Longest absolute key accepted (bytes, without the NUL). */
#define MSTRO__ATTR_KEY_MAX 1024

/** A stored attribute value, as the dictionary and schema defaults hold it.
 * Which member is valid is given by the type it travels with. */
typedef union mstro__attr_value {
  bool b;
  int32_t i32;
  int64_t i64;
  uint32_t u32;
  uint64_t u64;
  float f;
  double d;
  const char *s; /* cstring: NUL-terminated */
  mstro_timestamp ts;
  void *p;
  mstro_blob blob;
  struct {
    int64_t *v;
    size_t n;
  } arr; /* int64_array */
} mstro__attr_value;

/** One attribute definition of a schema. */
struct mstro__attr_def {
  const char *key;                     /* absolute key */
  const char *rel_key;                 /* key as written in the schema */
  enum mstro_cdo_attr_value_type type; /* declared type */
  uint32_t id;                         /* dense registry index */
  bool required;                       /* schema "required: True" */
  bool readonly;                       /* schema "read-only: True": set only by maestro itself */
  /* constraints; which apply depends on the type */
  bool has_min, has_max;
  int64_t imin, imax;                      /* signed integer types and int64_array elements */
  uint64_t umin, umax;                     /* unsigned integer types */
  double dmin, dmax;                       /* float, double */
  size_t max_len;                          /* cstring: max strlen; blob: max bytes; 0: unlimited */
  size_t min_len;                          /* cstring/blob minimum length */
  const struct mstro__attr_def *count_def; /* int64_array: key giving the element count */
  bool has_default;
  mstro__attr_value def_value;        /* default (owned by the registry) */
  const char *doc;                    /* documentation text or "" */
  const struct mstro_schema_ *schema; /* the schema defining it */
};

/** Load the core schema and the user schemas named by the environment.
 * Reference counted: a second call only counts.
 * @return MSTRO_OK; MSTRO_INVARG for a malformed schema file or a schema
 *         file that cannot be found/read (the log names file and line) or a
 *         key defined twice; MSTRO_NOMEM. On error nothing stays loaded. */
mstro_status mstro__schemas_init(void);

/** Drop one reference; the last one frees the registry. */
void mstro__schemas_fini(void);

/** True between a successful mstro__schemas_init and the last fini. */
bool mstro__schemas_ready(void);

/** Load one more schema file (for tests and tools) into the live registry.
 * Not thread safe against lookups: call before anything uses the registry.
 * @return as mstro__schemas_init. */
mstro_status mstro__schema_load_file(const char *path, mstro_schema *result);

/** Parse a schema from memory (fname names it in messages). Same rules. */
mstro_status mstro__schema_load_buffer(const char *text, size_t len, const char *fname,
                                       mstro_schema *result);

/** Find a loaded schema by its schema-name. NULL if none. */
mstro_schema mstro__schema_find(const char *name);

/** schema-name, schema-namespace and schema-version of a loaded schema. */
const char *mstro__schema_name(mstro_schema s);
const char *mstro__schema_namespace(mstro_schema s);
int64_t mstro__schema_version(mstro_schema s);

/** Resolve a key: absolute (leading '.') or relative to `nspace`
 * (NULL: MSTRO_ATTR_CORE_CDO_NAMESPACE). With schema != NULL only that
 * schema's definitions (and the core schema's) are considered.
 * @return the definition, or NULL when no loaded schema defines the key or
 *         the registry is not initialized. Lock-free; O(length of key). */
const struct mstro__attr_def *mstro__schema_lookup(mstro_schema schema, const char *nspace,
                                                   const char *key);

/** Like mstro__schema_lookup for a key of `len` bytes (not NUL-terminated). */
const struct mstro__attr_def *mstro__schema_lookup_n(mstro_schema schema, const char *nspace,
                                                     const char *key, size_t len);

/** Number of definitions in the registry (ids are < this). */
uint32_t mstro__schema_attr_count(void);

/** Definition with the given id, NULL if out of range. */
const struct mstro__attr_def *mstro__schema_attr_by_id(uint32_t id);

/** Name of a value type ("int64", "cstring", ...); never NULL. */
const char *mstro__attr_type_name(enum mstro_cdo_attr_value_type t);

/** Text of the last schema loading error of the calling thread ("" if
 * none): "FILE:LINE: what". For tests and tools. */
const char *mstro__schema_last_error(void);

/** Whether MSTRO_DROP_UNKNOWN_ATTRIBUTES asks to drop unknown keys (read now). */
bool mstro__schemas_drop_unknown(void);

/** Parse the text of a YAML scalar (already unquoted) as a value of `def`'s
 * type into *out; strings, blobs and arrays are malloc'ed (free with
 * mstro__attr_value_free). Does not check the schema constraints.
 * Timestamps: RFC 3339 ("2024-05-01T12:00:00.5Z", "...+01:00") or integer
 * seconds since the epoch. Blobs: base64. Pointers cannot be parsed.
 * @return MSTRO_OK; MSTRO_INVARG with a log line when the text is not of the
 *         type; MSTRO_NOMEM. */
mstro_status mstro__attr_value_parse(enum mstro_cdo_attr_value_type type, const char *text,
                                     mstro__attr_value *out);

/** Free what mstro__attr_value_parse or a copy allocated. */
void mstro__attr_value_free(enum mstro_cdo_attr_value_type type, mstro__attr_value *v);

/** Check a value against the constraints of `def` (range, length). The
 * array element count is checked by the dictionary. On violation logs why
 * (naming the key) and returns MSTRO_INVARG. */
mstro_status mstro__attr_value_check(const struct mstro__attr_def *def, const mstro__attr_value *v);

/** Parse an RFC 3339 timestamp. @return MSTRO_OK or MSTRO_INVARG. */
mstro_status mstro__timestamp_parse(const char *text, mstro_timestamp *ts);

#ifdef __cplusplus
}
#endif
#endif
