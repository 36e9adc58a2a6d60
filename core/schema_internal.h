/* SPDX-License-Identifier: BSD-3-Clause */
/* The schema module's parts (internal to schema_*.c): the registry's
 * state, the value-type helpers the YAML parser shares, and error
 * reporting. The module's interface is schema.h.
 *
 *  - schema_value.c: value types, parsing text into values, range checks;
 *  - schema_registry.c: the key registry (lookup by key and id);
 *  - schema_yaml.c: schema files (libyaml) and registering what they define;
 *  - schema_search.c: MSTRO_SCHEMA_PATH / _LIST and init / fini.
 */
#ifndef MSTRO_SCHEMA_INTERNAL_H
#define MSTRO_SCHEMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h"

/* The built-in core schema, generated from schemas/maestro-core.yaml at
 * configure time (sources-metadata.cmake). */
extern const char mstro__core_schema_text[];
extern const size_t mstro__core_schema_len;

#define SCHEMA_FILE_MAX (16u << 20) /* refuse schema files above 16 MiB */

struct mstro_schema_ {
  char *name;
  char *nspace;
  int64_t version;
  char *file;
  struct mstro_schema_ *next;
};

struct mstro__schema_registry {
  int refcount;
  struct mstro_schema_ *schemas; /* load order */
  struct mstro_schema_ *core;
  struct mstro__attr_def **defs; /* by id */
  uint32_t n, cap;
  uint32_t *slots; /* open addressing: id+1, 0 empty */
  uint32_t nslots; /* power of two */
};
extern struct mstro__schema_registry mstro__schema_reg;

/* Record (for mstro__schema_last_error) and log a schema error. */
void mstro__schema_error(const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Forget the last error (a load starts). */
void mstro__schema_error_clear(void);

/* ---- value types (schema_value.c) ---- */
bool mstro__attr_type_is_signed(enum mstro_cdo_attr_value_type t);
bool mstro__attr_type_is_unsigned(enum mstro_cdo_attr_value_type t);
bool mstro__attr_type_is_real(enum mstro_cdo_attr_value_type t);
bool mstro__parse_i64(const char *text, int64_t *out);
bool mstro__parse_u64(const char *text, uint64_t *out);
bool mstro__parse_double(const char *text, double *out);
bool mstro__parse_bool(const char *text, bool *out);

/* ---- registry (schema_registry.c) ---- */
const struct mstro__attr_def *mstro__schema_lookup_abs(const char *key, size_t len);
mstro_status mstro__schema_rehash(uint32_t want);
void mstro__schema_def_free(struct mstro__attr_def *d);
void mstro__schema_free(struct mstro_schema_ *s);
void mstro__schema_registry_clear(void);

#endif
