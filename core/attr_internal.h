/* SPDX-License-Identifier: BSD-3-Clause */
/* The attribute dictionary's parts (internal to attr*.c): its layout and
 * the entry operations its YAML input and wire format share. The module's
 * interface is attr.h.
 *
 *  - attr.c: the dictionary (typed values keyed by schema definitions);
 *  - attr_yaml.c: values given as YAML text (mstro_cdo_attribute_set_yaml);
 *  - attr_wire.c: printing, and the wire format between processes.
 */
#ifndef MSTRO_ATTR_INTERNAL_H
#define MSTRO_ATTR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "attr.h"

#define ARRAY_MAX_ELEMS (1u << 24)

struct mstro__attr_entry {
  const struct mstro__attr_def *def;
  mstro__attr_value v; /* canonical value (not used for by-reference scalars) */
  void *ref;           /* by-reference scalar: the caller's storage */
  bool owned;          /* free the storage (ref, string, blob data, array) */
};

struct mstro__attr_dict {
  struct mstro__attr_entry **e; /* sorted by def->id; entries never move (stable pointers) */
  size_t n, cap;
  struct mstro__attr_entry **byid; /* direct index by def->id (O(1) lookup for selectors) */
  uint32_t nbyid;
};

const struct mstro__attr_entry *mstro__attr_find_entry(const mstro__attr_dict *d,
                                                       const struct mstro__attr_def *def);
mstro_status mstro__attr_put_entry(mstro__attr_dict *d, struct mstro__attr_entry *e);
bool mstro__attr_count_value(const mstro__attr_dict *d, const struct mstro__attr_def *cdef,
                             size_t *n);
mstro_status mstro__attr_validate(const mstro__attr_dict *d, const struct mstro__attr_def *def,
                                  const mstro__attr_value *cand);
const struct mstro__attr_def *mstro__attr_resolve(const char *key, bool *dropped);

#endif
