/* SPDX-License-Identifier: BSD-3-Clause */
/* Attribute dictionaries: typed values keyed by schema definitions. */
#include "attr.h"
#include "attr_internal.h"

#include <inttypes.h>

#include "mstro_log.h"
#include "yaml_value.h"

static bool is_scalar(enum mstro_cdo_attr_value_type t)
{
  switch (t) {
  case MSTRO_CDO_ATTR_VALUE_bool:
  case MSTRO_CDO_ATTR_VALUE_int32:
  case MSTRO_CDO_ATTR_VALUE_int64:
  case MSTRO_CDO_ATTR_VALUE_uint32:
  case MSTRO_CDO_ATTR_VALUE_uint64:
  case MSTRO_CDO_ATTR_VALUE_float:
  case MSTRO_CDO_ATTR_VALUE_double:
  case MSTRO_CDO_ATTR_VALUE_timestamp:
    return true;
  default:
    return false;
  }
}

static size_t scalar_size(enum mstro_cdo_attr_value_type t)
{
  switch (t) {
  case MSTRO_CDO_ATTR_VALUE_bool:
    return sizeof(bool);
  case MSTRO_CDO_ATTR_VALUE_int32:
  case MSTRO_CDO_ATTR_VALUE_uint32:
  case MSTRO_CDO_ATTR_VALUE_float:
    return 4;
  case MSTRO_CDO_ATTR_VALUE_int64:
  case MSTRO_CDO_ATTR_VALUE_uint64:
  case MSTRO_CDO_ATTR_VALUE_double:
    return 8;
  case MSTRO_CDO_ATTR_VALUE_timestamp:
    return sizeof(mstro_timestamp);
  default:
    return 0;
  }
}

/* Read a scalar from caller memory into the union (bools byte-wise, so that
 * a stray byte value is not undefined behaviour). */
static void load_scalar(enum mstro_cdo_attr_value_type t, const void *src, mstro__attr_value *out)
{
  if (t == MSTRO_CDO_ATTR_VALUE_bool)
    out->b = *(const unsigned char *)src != 0;
  else
    memcpy(out, src, scalar_size(t));
}

static void entry_free(struct mstro__attr_entry *e)
{
  if (!e)
    return;
  if (e->owned) {
    if (e->ref)
      free(e->ref);
    else if (e->def->type == MSTRO_CDO_ATTR_VALUE_pointer)
      free(e->v.p);
    else
      mstro__attr_value_free(e->def->type, &e->v);
  }
  free(e);
}

static ptrdiff_t find_pos(const mstro__attr_dict *d, uint32_t id, bool *found)
{
  size_t lo = 0, hi = d->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint32_t mid_id = d->e[mid]->def->id;
    if (mid_id == id) {
      *found = true;
      return (ptrdiff_t)mid;
    }
    if (mid_id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return (ptrdiff_t)lo;
}

static const struct mstro__attr_entry *find(const mstro__attr_dict *d,
                                            const struct mstro__attr_def *def)
{
  if (!d || !def || def->id >= d->nbyid)
    return NULL;
  return d->byid[def->id];
}

/* Insert or replace; takes ownership of e (freed on failure). */
const struct mstro__attr_entry *mstro__attr_find_entry(const mstro__attr_dict *d,
                                                       const struct mstro__attr_def *def)
{
  return find(d, def);
}

mstro_status mstro__attr_put_entry(mstro__attr_dict *d, struct mstro__attr_entry *e)
{
  bool found;
  uint32_t id = e->def->id;
  if (id >= d->nbyid) {
    uint32_t nn = d->nbyid ? d->nbyid : 16;
    while (nn <= id)
      nn *= 2;
    if (nn < mstro__schema_attr_count())
      nn = mstro__schema_attr_count();
    struct mstro__attr_entry **nb = realloc(d->byid, nn * sizeof *nb);
    if (!nb) {
      entry_free(e);
      return MSTRO_NOMEM;
    }
    memset(nb + d->nbyid, 0, (nn - d->nbyid) * sizeof *nb);
    d->byid = nb;
    d->nbyid = nn;
  }
  ptrdiff_t pos = find_pos(d, id, &found);
  if (found) {
    entry_free(d->e[pos]);
    d->e[pos] = e;
    d->byid[id] = e;
    return MSTRO_OK;
  }
  if (d->n == d->cap) {
    size_t nc = d->cap ? 2 * d->cap : 8;
    struct mstro__attr_entry **ne = realloc(d->e, nc * sizeof *ne);
    if (!ne) {
      entry_free(e);
      return MSTRO_NOMEM;
    }
    d->e = ne;
    d->cap = nc;
  }
  memmove(d->e + pos + 1, d->e + pos, (d->n - (size_t)pos) * sizeof *d->e);
  d->e[pos] = e;
  d->n++;
  d->byid[id] = e;
  return MSTRO_OK;
}

mstro_status mstro__attr_dict_create(mstro__attr_dict **result)
{
  if (!result) {
    MSTRO_LOG_ERR(ATTR, "NULL result");
    return MSTRO_INVARG;
  }
  *result = NULL;
  if (!mstro__schemas_ready()) {
    MSTRO_LOG_ERR(ATTR, "attribute dictionary created before the schemas were loaded");
    return MSTRO_UNINIT;
  }
  mstro__attr_dict *d = calloc(1, sizeof *d);
  if (!d)
    return MSTRO_NOMEM;
  *result = d;
  return MSTRO_OK;
}

void mstro__attr_dict_destroy(mstro__attr_dict *d)
{
  if (!d)
    return;
  for (size_t i = 0; i < d->n; i++)
    entry_free(d->e[i]);
  free(d->e);
  free(d->byid);
  free(d);
}

bool mstro__attr_dict_value_load(const mstro__attr_dict *d, const struct mstro__attr_def *def,
                                 mstro__attr_value *out, size_t *count)
{
  const struct mstro__attr_entry *e = find(d, def);
  size_t n = 1;
  if (e) {
    if (e->ref)
      load_scalar(def->type, e->ref, out);
    else
      *out = e->v;
  } else if (def && def->has_default) {
    *out = def->def_value;
  } else {
    return false;
  }
  if (def->type == MSTRO_CDO_ATTR_VALUE_int64_array)
    n = out->arr.n;
  if (count)
    *count = n;
  return true;
}

bool mstro__attr_dict_is_set(const mstro__attr_dict *d, const struct mstro__attr_def *def)
{
  return find(d, def) != NULL;
}

/* Integer value of a count key (set or default); false if none or negative. */
bool mstro__attr_count_value(const mstro__attr_dict *d, const struct mstro__attr_def *cdef,
                             size_t *n)
{
  mstro__attr_value v;
  if (!mstro__attr_dict_value_load(d, cdef, &v, NULL))
    return false;
  int64_t x;
  switch (cdef->type) {
  case MSTRO_CDO_ATTR_VALUE_int32:
    x = v.i32;
    break;
  case MSTRO_CDO_ATTR_VALUE_int64:
    x = v.i64;
    break;
  case MSTRO_CDO_ATTR_VALUE_uint32:
    x = v.u32;
    break;
  case MSTRO_CDO_ATTR_VALUE_uint64:
    x = v.u64 > INT64_MAX ? -1 : (int64_t)v.u64;
    break;
  default:
    return false;
  }
  if (x < 0 || x > (int64_t)ARRAY_MAX_ELEMS)
    return false;
  *n = (size_t)x;
  return true;
}

/* The candidate value as an integer if `def` is an integer type. */
static bool as_count(const struct mstro__attr_def *def, const mstro__attr_value *v, int64_t *x)
{
  switch (def->type) {
  case MSTRO_CDO_ATTR_VALUE_int32:
    *x = v->i32;
    return true;
  case MSTRO_CDO_ATTR_VALUE_int64:
    *x = v->i64;
    return true;
  case MSTRO_CDO_ATTR_VALUE_uint32:
    *x = v->u32;
    return true;
  case MSTRO_CDO_ATTR_VALUE_uint64:
    *x = v->u64 > INT64_MAX ? -1 : (int64_t)v->u64;
    return true;
  default:
    return false;
  }
}

/* Checks of a candidate value in the context of the dictionary: schema
 * constraints, array length against the count key, and count keys against
 * arrays already set. */
mstro_status mstro__attr_validate(const mstro__attr_dict *d, const struct mstro__attr_def *def,
                                  const mstro__attr_value *cand)
{
  mstro_status st = mstro__attr_value_check(def, cand);
  if (st != MSTRO_OK)
    return st;
  if (def->type == MSTRO_CDO_ATTR_VALUE_int64_array) {
    size_t n;
    if (!mstro__attr_count_value(d, def->count_def, &n)) {
      MSTRO_LOG_ERR(ATTR, "attribute %s: set %s (to a size in 0..%u) first", def->key,
                    def->count_def->key, ARRAY_MAX_ELEMS);
      return MSTRO_INVARG;
    }
    if (n != cand->arr.n) {
      MSTRO_LOG_ERR(ATTR, "attribute %s: %zu entries but %s is %zu", def->key, cand->arr.n,
                    def->count_def->key, n);
      return MSTRO_INVARG;
    }
  }
  int64_t newcount;
  if (as_count(def, cand, &newcount)) {
    for (size_t i = 0; i < d->n; i++) {
      const struct mstro__attr_entry *e = d->e[i];
      if (e->def->type == MSTRO_CDO_ATTR_VALUE_int64_array && e->def->count_def == def &&
          (newcount < 0 || (uint64_t)newcount != e->v.arr.n)) {
        MSTRO_LOG_ERR(ATTR,
                      "attribute %s: value %" PRId64 " disagrees with %s, which has %zu "
                      "entries (unset it or set it again after this)",
                      def->key, newcount, e->def->key, e->v.arr.n);
        return MSTRO_INVARG;
      }
    }
  }
  return MSTRO_OK;
}

const struct mstro__attr_def *mstro__attr_resolve(const char *key, bool *dropped)
{
  const struct mstro__attr_def *def = mstro__schema_lookup(NULL, NULL, key);
  *dropped = false;
  if (!def) {
    if (mstro__schemas_drop_unknown()) {
      MSTRO_LOG_WARN(ATTR,
                     "attribute key %s is not defined by any loaded schema; dropped "
                     "(MSTRO_DROP_UNKNOWN_ATTRIBUTES)",
                     key);
      *dropped = true;
    } else {
      MSTRO_LOG_ERR(ATTR,
                    "attribute key %s is not defined by any loaded schema (load its "
                    "schema with MSTRO_SCHEMA_LIST, or set MSTRO_DROP_UNKNOWN_ATTRIBUTES=1)",
                    key);
    }
  }
  return def;
}

mstro_status mstro__attr_dict_set_def(mstro__attr_dict *d, const struct mstro__attr_def *def,
                                      const void *val, bool copy_value, bool user_owned_value)
{
  if (!d || !def) {
    MSTRO_LOG_ERR(ATTR, "NULL %s", d ? "definition" : "dictionary");
    return MSTRO_INVARG;
  }
  enum mstro_cdo_attr_value_type t = def->type;
  mstro__attr_value cand;
  memset(&cand, 0, sizeof cand);
  size_t arr_n = 0;
  if (t == MSTRO_CDO_ATTR_VALUE_int64_array) {
    if (!mstro__attr_count_value(d, def->count_def, &arr_n)) {
      MSTRO_LOG_ERR(ATTR, "attribute %s: set %s (to a size in 0..%u) first", def->key,
                    def->count_def->key, ARRAY_MAX_ELEMS);
      return MSTRO_INVARG;
    }
  }
  if (!val && !(t == MSTRO_CDO_ATTR_VALUE_int64_array && arr_n == 0)) {
    MSTRO_LOG_ERR(ATTR, "attribute %s: NULL value pointer", def->key);
    return MSTRO_INVARG;
  }
  if (is_scalar(t)) {
    load_scalar(t, val, &cand);
  } else if (t == MSTRO_CDO_ATTR_VALUE_cstring) {
    cand.s = *(const char *const *)val;
    if (!cand.s) {
      MSTRO_LOG_ERR(ATTR,
                    "attribute %s: NULL string (val must be a const char ** pointing "
                    "at the string)",
                    def->key);
      return MSTRO_INVARG;
    }
  } else if (t == MSTRO_CDO_ATTR_VALUE_pointer) {
    cand.p = copy_value ? *(void *const *)val : (void *)val;
  } else if (t == MSTRO_CDO_ATTR_VALUE_blob) {
    cand.blob = *(const mstro_blob *)val;
  } else if (t == MSTRO_CDO_ATTR_VALUE_int64_array) {
    cand.arr.v = (int64_t *)val;
    cand.arr.n = arr_n;
  } else {
    MSTRO_LOG_ERR(ATTR, "attribute %s: type %s cannot be set", def->key, mstro__attr_type_name(t));
    return MSTRO_INVARG;
  }
  mstro_status st = mstro__attr_validate(d, def, &cand);
  if (st != MSTRO_OK)
    return st;

  struct mstro__attr_entry *e = calloc(1, sizeof *e);
  if (!e)
    return MSTRO_NOMEM;
  e->def = def;
  if (is_scalar(t)) {
    if (copy_value) {
      e->v = cand;
    } else {
      e->ref = (void *)val;
      e->owned = !user_owned_value;
    }
  } else if (t == MSTRO_CDO_ATTR_VALUE_pointer) {
    e->v.p = cand.p;
    e->owned = !copy_value && !user_owned_value;
  } else if (copy_value) {
    e->owned = true;
    if (t == MSTRO_CDO_ATTR_VALUE_cstring) {
      e->v.s = strdup(cand.s);
      if (!e->v.s)
        goto nomem;
    } else if (t == MSTRO_CDO_ATTR_VALUE_blob) {
      e->v.blob.len = cand.blob.len;
      e->v.blob.data = malloc(cand.blob.len ? cand.blob.len : 1);
      if (!e->v.blob.data)
        goto nomem;
      if (cand.blob.len)
        memcpy(e->v.blob.data, cand.blob.data, cand.blob.len);
    } else {
      e->v.arr.n = cand.arr.n;
      e->v.arr.v = malloc(cand.arr.n ? cand.arr.n * sizeof(int64_t) : 1);
      if (!e->v.arr.v)
        goto nomem;
      if (cand.arr.n)
        memcpy(e->v.arr.v, cand.arr.v, cand.arr.n * sizeof(int64_t));
    }
  } else {
    e->v = cand;
    e->owned = !user_owned_value;
  }
  return mstro__attr_put_entry(d, e);
nomem:
  e->owned = false;
  entry_free(e);
  return MSTRO_NOMEM;
}

mstro_status mstro__attr_dict_set(mstro__attr_dict *d, const char *key, const void *val,
                                  bool copy_value, bool user_owned_value)
{
  if (!d || !key) {
    MSTRO_LOG_ERR(ATTR, "NULL %s", d ? "key" : "dictionary");
    return MSTRO_INVARG;
  }
  if (!mstro__schemas_ready()) {
    MSTRO_LOG_ERR(ATTR, "schemas not loaded");
    return MSTRO_UNINIT;
  }
  bool dropped;
  const struct mstro__attr_def *def = mstro__attr_resolve(key, &dropped);
  if (!def)
    return dropped ? MSTRO_OK : MSTRO_INVARG;
  return mstro__attr_dict_set_def(d, def, val, copy_value, user_owned_value);
}

static const void *value_ptr(const struct mstro__attr_def *def, const struct mstro__attr_entry *e)
{
  const mstro__attr_value *v = e ? &e->v : &def->def_value;
  if (e && e->ref)
    return e->ref;
  switch (def->type) {
  case MSTRO_CDO_ATTR_VALUE_cstring:
    return &v->s;
  case MSTRO_CDO_ATTR_VALUE_pointer:
    return &v->p;
  case MSTRO_CDO_ATTR_VALUE_blob:
    return &v->blob;
  case MSTRO_CDO_ATTR_VALUE_int64_array:
    return v->arr.v;
  default:
    return v;
  }
}

mstro_status mstro__attr_dict_get_def(const mstro__attr_dict *d, const struct mstro__attr_def *def,
                                      enum mstro_cdo_attr_value_type *type, const void **valptr)
{
  if (!d || !def || !type || !valptr) {
    MSTRO_LOG_ERR(ATTR, "NULL argument");
    return MSTRO_INVARG;
  }
  const struct mstro__attr_entry *e = find(d, def);
  if (!e && !def->has_default) {
    *type = MSTRO_CDO_ATTR_VALUE_INVALID;
    *valptr = NULL;
    return MSTRO_NOENT;
  }
  *type = def->type;
  *valptr = value_ptr(def, e);
  return MSTRO_OK;
}

mstro_status mstro__attr_dict_get(const mstro__attr_dict *d, const char *key,
                                  enum mstro_cdo_attr_value_type *type, const void **valptr)
{
  if (!d || !key || !type || !valptr) {
    MSTRO_LOG_ERR(ATTR, "NULL argument");
    return MSTRO_INVARG;
  }
  const struct mstro__attr_def *def = mstro__schema_lookup(NULL, NULL, key);
  if (!def) {
    MSTRO_LOG_ERR(ATTR, "attribute key %s is not defined by any loaded schema", key);
    *type = MSTRO_CDO_ATTR_VALUE_INVALID;
    *valptr = NULL;
    return MSTRO_INVARG;
  }
  return mstro__attr_dict_get_def(d, def, type, valptr);
}

mstro_status mstro__attr_dict_unset(mstro__attr_dict *d, const char *key)
{
  if (!d || !key)
    return MSTRO_INVARG;
  const struct mstro__attr_def *def = mstro__schema_lookup(NULL, NULL, key);
  if (!def) {
    MSTRO_LOG_ERR(ATTR, "attribute key %s is not defined by any loaded schema", key);
    return MSTRO_INVARG;
  }
  bool found;
  ptrdiff_t pos = find_pos(d, def->id, &found);
  if (found) {
    entry_free(d->e[pos]);
    memmove(d->e + pos, d->e + pos + 1, (d->n - (size_t)pos - 1) * sizeof *d->e);
    d->n--;
    d->byid[def->id] = NULL;
  }
  return MSTRO_OK;
}

size_t mstro__attr_dict_count(const mstro__attr_dict *d)
{
  return d ? d->n : 0;
}

/* A new entry owning a deep copy of value v of def. */
static struct mstro__attr_entry *entry_from_value(const struct mstro__attr_def *def,
                                                  const mstro__attr_value *v)
{
  struct mstro__attr_entry *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->def = def;
  e->v = *v;
  switch (def->type) {
  case MSTRO_CDO_ATTR_VALUE_cstring:
    e->v.s = strdup(v->s ? v->s : "");
    e->owned = true;
    if (!e->v.s)
      goto fail;
    break;
  case MSTRO_CDO_ATTR_VALUE_blob:
    e->v.blob.data = malloc(v->blob.len ? v->blob.len : 1);
    e->owned = true;
    if (!e->v.blob.data)
      goto fail;
    if (v->blob.len)
      memcpy(e->v.blob.data, v->blob.data, v->blob.len);
    break;
  case MSTRO_CDO_ATTR_VALUE_int64_array:
    e->v.arr.v = malloc(v->arr.n ? v->arr.n * sizeof(int64_t) : 1);
    e->owned = true;
    if (!e->v.arr.v)
      goto fail;
    if (v->arr.n)
      memcpy(e->v.arr.v, v->arr.v, v->arr.n * sizeof(int64_t));
    break;
  default: /* scalars and pointers: by value, not owned */
    break;
  }
  return e;
fail:
  e->owned = false;
  free(e);
  return NULL;
}

mstro_status mstro__attr_dict_merge(mstro__attr_dict *dst, const mstro__attr_dict *src,
                                    bool overwrite, bool with_pointers)
{
  if (!dst || !src)
    return MSTRO_INVARG;
  if (dst == src)
    return MSTRO_OK;
  for (size_t i = 0; i < src->n; i++) {
    const struct mstro__attr_entry *se = src->e[i];
    if (se->def->type == MSTRO_CDO_ATTR_VALUE_pointer && !with_pointers)
      continue;
    if (!overwrite && find(dst, se->def))
      continue;
    mstro__attr_value v;
    mstro__attr_dict_value_load(src, se->def, &v, NULL);
    struct mstro__attr_entry *e = entry_from_value(se->def, &v);
    if (!e)
      return MSTRO_NOMEM;
    mstro_status st = mstro__attr_put_entry(dst, e);
    if (st != MSTRO_OK)
      return st;
  }
  /* An array and its count key travel as a unit: when the merge left an
   * array whose length disagrees with its count key (one side kept, the
   * other taken), the array is dropped rather than left inconsistent. */
  for (size_t i = 0; i < dst->n;) {
    const struct mstro__attr_entry *e = dst->e[i];
    size_t n;
    if (e->def->type == MSTRO_CDO_ATTR_VALUE_int64_array &&
        (!mstro__attr_count_value(dst, e->def->count_def, &n) || n != e->v.arr.n)) {
      MSTRO_LOG_WARN(ATTR, "merged attributes: %s has %zu entries but %s disagrees; %s dropped",
                     e->def->key, e->v.arr.n, e->def->count_def->key, e->def->key);
      dst->byid[e->def->id] = NULL;
      entry_free(dst->e[i]);
      memmove(dst->e + i, dst->e + i + 1, (dst->n - i - 1) * sizeof *dst->e);
      dst->n--;
      continue;
    }
    i++;
  }
  return MSTRO_OK;
}

mstro_status mstro__attr_dict_copy(const mstro__attr_dict *src, mstro__attr_dict **result)
{
  if (!src || !result)
    return MSTRO_INVARG;
  *result = NULL;
  mstro__attr_dict *d = calloc(1, sizeof *d);
  if (!d)
    return MSTRO_NOMEM;
  mstro_status st = mstro__attr_dict_merge(d, src, true, true);
  if (st != MSTRO_OK) {
    mstro__attr_dict_destroy(d);
    return st;
  }
  *result = d;
  return MSTRO_OK;
}

mstro_status mstro__attr_dict_foreach(const mstro__attr_dict *d, mstro__attr_visit_fn fn, void *ctx)
{
  if (!d || !fn)
    return MSTRO_INVARG;
  for (size_t i = 0; i < d->n; i++) {
    const struct mstro__attr_entry *e = d->e[i];
    if (!fn(e->def, e->def->type, value_ptr(e->def, e), ctx))
      break;
  }
  return MSTRO_OK;
}

mstro_status mstro__attr_dict_check_required(const mstro__attr_dict *d,
                                             const struct mstro__attr_def **missing)
{
  if (!d)
    return MSTRO_INVARG;
  uint32_t n = mstro__schema_attr_count();
  mstro_schema core = mstro__schema_find("maestro-core");
  for (uint32_t id = 0; id < n; id++) {
    const struct mstro__attr_def *def = mstro__schema_attr_by_id(id);
    if (!def->required || def->has_default || find(d, def))
      continue;
    /* a user schema applies to a CDO once one of its keys is set */
    bool applies = def->schema == core;
    for (size_t i = 0; i < d->n && !applies; i++)
      applies = d->e[i]->def->schema == def->schema;
    if (applies) {
      if (missing)
        *missing = def;
      MSTRO_LOG_ERR(ATTR, "required attribute %s has no value", def->key);
      return MSTRO_INVARG;
    }
  }
  if (missing)
    *missing = NULL;
  return MSTRO_OK;
}
