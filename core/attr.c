/* Attribute dictionaries: typed values keyed by schema definitions. */
#include "attr.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "mstro_log.h"
#include "yaml_value.h"

#define ARRAY_MAX_ELEMS (1u << 24)

struct entry {
  const struct mstro__attr_def *def;
  mstro__attr_value v; /* canonical value (not used for by-reference scalars) */
  void *ref;           /* by-reference scalar: the caller's storage */
  bool owned;          /* free the storage (ref, string, blob data, array) */
};

struct mstro__attr_dict {
  struct entry **e; /* sorted by def->id; entries never move (stable pointers) */
  size_t n, cap;
  struct entry **byid; /* direct index by def->id (O(1) lookup for selectors) */
  uint32_t nbyid;
};

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

static void entry_free(struct entry *e)
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

static const struct entry *find(const mstro__attr_dict *d, const struct mstro__attr_def *def)
{
  if (!d || !def || def->id >= d->nbyid)
    return NULL;
  return d->byid[def->id];
}

/* Insert or replace; takes ownership of e (freed on failure). */
static mstro_status put(mstro__attr_dict *d, struct entry *e)
{
  bool found;
  uint32_t id = e->def->id;
  if (id >= d->nbyid) {
    uint32_t nn = d->nbyid ? d->nbyid : 16;
    while (nn <= id)
      nn *= 2;
    if (nn < mstro__schema_attr_count())
      nn = mstro__schema_attr_count();
    struct entry **nb = realloc(d->byid, nn * sizeof *nb);
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
    struct entry **ne = realloc(d->e, nc * sizeof *ne);
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
  const struct entry *e = find(d, def);
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
static bool count_value(const mstro__attr_dict *d, const struct mstro__attr_def *cdef, size_t *n)
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
static mstro_status validate(const mstro__attr_dict *d, const struct mstro__attr_def *def,
                             const mstro__attr_value *cand)
{
  mstro_status st = mstro__attr_value_check(def, cand);
  if (st != MSTRO_OK)
    return st;
  if (def->type == MSTRO_CDO_ATTR_VALUE_int64_array) {
    size_t n;
    if (!count_value(d, def->count_def, &n)) {
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
      const struct entry *e = d->e[i];
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

static const struct mstro__attr_def *resolve(const char *key, bool *dropped)
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
    if (!count_value(d, def->count_def, &arr_n)) {
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
  mstro_status st = validate(d, def, &cand);
  if (st != MSTRO_OK)
    return st;

  struct entry *e = calloc(1, sizeof *e);
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
  return put(d, e);
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
  const struct mstro__attr_def *def = resolve(key, &dropped);
  if (!def)
    return dropped ? MSTRO_OK : MSTRO_INVARG;
  return mstro__attr_dict_set_def(d, def, val, copy_value, user_owned_value);
}

static const void *value_ptr(const struct mstro__attr_def *def, const struct entry *e)
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
  const struct entry *e = find(d, def);
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
static struct entry *entry_from_value(const struct mstro__attr_def *def, const mstro__attr_value *v)
{
  struct entry *e = calloc(1, sizeof *e);
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
    const struct entry *se = src->e[i];
    if (se->def->type == MSTRO_CDO_ATTR_VALUE_pointer && !with_pointers)
      continue;
    if (!overwrite && find(dst, se->def))
      continue;
    mstro__attr_value v;
    mstro__attr_dict_value_load(src, se->def, &v, NULL);
    struct entry *e = entry_from_value(se->def, &v);
    if (!e)
      return MSTRO_NOMEM;
    mstro_status st = put(dst, e);
    if (st != MSTRO_OK)
      return st;
  }
  /* An array and its count key travel as a unit: when the merge left an
   * array whose length disagrees with its count key (one side kept, the
   * other taken), the array is dropped rather than left inconsistent. */
  for (size_t i = 0; i < dst->n;) {
    const struct entry *e = dst->e[i];
    size_t n;
    if (e->def->type == MSTRO_CDO_ATTR_VALUE_int64_array &&
        (!count_value(dst, e->def->count_def, &n) || n != e->v.arr.n)) {
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
    const struct entry *e = d->e[i];
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

/* ------------------------------------------------------------- printing */

#define APPEND(...)                                                                                \
  do {                                                                                             \
    int w_ = snprintf(buf + (pos < buflen ? pos : buflen), pos < buflen ? buflen - pos : 0,        \
                      __VA_ARGS__);                                                                \
    if (w_ > 0)                                                                                    \
      pos += (size_t)w_;                                                                           \
  } while (0)

size_t mstro__attr_value_format(const struct mstro__attr_def *def, const mstro__attr_value *v,
                                size_t count, char *buf, size_t buflen)
{
  size_t pos = 0;
  if (buflen)
    buf[0] = 0;
  if (!def || !v)
    return 0;
  switch (def->type) {
  case MSTRO_CDO_ATTR_VALUE_bool:
    APPEND("%s", v->b ? "true" : "false");
    break;
  case MSTRO_CDO_ATTR_VALUE_int32:
    APPEND("%" PRId32, v->i32);
    break;
  case MSTRO_CDO_ATTR_VALUE_int64:
    APPEND("%" PRId64, v->i64);
    break;
  case MSTRO_CDO_ATTR_VALUE_uint32:
    APPEND("%" PRIu32, v->u32);
    break;
  case MSTRO_CDO_ATTR_VALUE_uint64:
    APPEND("%" PRIu64, v->u64);
    break;
  case MSTRO_CDO_ATTR_VALUE_float:
    APPEND("%.9g", (double)v->f);
    break;
  case MSTRO_CDO_ATTR_VALUE_double:
    APPEND("%.17g", v->d);
    break;
  case MSTRO_CDO_ATTR_VALUE_cstring:
    APPEND("\"");
    for (const char *p = v->s ? v->s : ""; *p; p++) {
      unsigned char c = (unsigned char)*p;
      if (c == '"' || c == '\\')
        APPEND("\\%c", c);
      else if (c < 0x20 || c == 0x7f)
        APPEND("\\x%02x", c);
      else
        APPEND("%c", c);
    }
    APPEND("\"");
    break;
  case MSTRO_CDO_ATTR_VALUE_timestamp: {
    time_t t = (time_t)(v->ts.sec + (int64_t)v->ts.offset * 60);
    struct tm tm;
    if (gmtime_r(&t, &tm)) {
      APPEND("%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId32, tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, v->ts.nsec);
      if (v->ts.offset == 0)
        APPEND("Z");
      else
        APPEND("%c%02d:%02d", v->ts.offset < 0 ? '-' : '+', abs(v->ts.offset) / 60,
               abs(v->ts.offset) % 60);
    } else {
      APPEND("%" PRId64, v->ts.sec);
    }
    break;
  }
  case MSTRO_CDO_ATTR_VALUE_pointer:
    APPEND("%p", v->p);
    break;
  case MSTRO_CDO_ATTR_VALUE_blob:
    APPEND("<blob of %zu bytes>", v->blob.len);
    break;
  case MSTRO_CDO_ATTR_VALUE_int64_array:
    APPEND("[");
    for (size_t i = 0; i < count && v->arr.v; i++)
      APPEND("%s%" PRId64, i ? ", " : "", v->arr.v[i]);
    APPEND("]");
    break;
  default:
    APPEND("?");
    break;
  }
  return pos;
}

mstro_status mstro__attr_dict_print(const mstro__attr_dict *d, const char *title)
{
  if (!d)
    return MSTRO_INVARG;
  MSTRO_LOG_INFO(ATTR, "attributes of %s (%zu set):", title ? title : "CDO", d->n);
  char buf[512];
  for (size_t i = 0; i < d->n; i++) {
    mstro__attr_value v;
    size_t count = 1;
    mstro__attr_dict_value_load(d, d->e[i]->def, &v, &count);
    size_t need = mstro__attr_value_format(d->e[i]->def, &v, count, buf, sizeof buf);
    MSTRO_LOG_INFO(ATTR, "  %s (%s) = %s%s", d->e[i]->def->key,
                   mstro__attr_type_name(d->e[i]->def->type), buf, need >= sizeof buf ? "..." : "");
  }
  return MSTRO_OK;
}

/* ----------------------------------------------------------------- YAML */

static mstro_status yaml_node_value(yaml_document_t *doc, yaml_node_t *n,
                                    const struct mstro__attr_def *def, mstro__attr_value *out)
{
  char why[300] = "";
  mstro_status st = mstro__attr_value_from_yaml(doc, n, def->type, out, why, sizeof why);
  if (st == MSTRO_INVARG)
    MSTRO_LOG_ERR(ATTR, "attribute %s: %s", def->key, why);
  return st;
}

static mstro_status set_from_node(mstro__attr_dict *d, yaml_document_t *doc,
                                  const struct mstro__attr_def *def, yaml_node_t *n)
{
  mstro__attr_value v;
  if (def->readonly) {
    MSTRO_LOG_ERR(ATTR, "attribute %s is read-only (set by maestro)", def->key);
    return MSTRO_INVSTATE;
  }
  mstro_status st = yaml_node_value(doc, n, def, &v);
  if (st != MSTRO_OK)
    return st;
  st = validate(d, def, &v);
  if (st != MSTRO_OK) {
    mstro__attr_value_free(def->type, &v);
    return st;
  }
  struct entry *e = calloc(1, sizeof *e);
  if (!e) {
    mstro__attr_value_free(def->type, &v);
    return MSTRO_NOMEM;
  }
  e->def = def;
  e->v = v;
  e->owned = def->type == MSTRO_CDO_ATTR_VALUE_cstring || def->type == MSTRO_CDO_ATTR_VALUE_blob ||
             def->type == MSTRO_CDO_ATTR_VALUE_int64_array;
  return put(d, e);
}

mstro_status mstro__attr_dict_set_yaml(mstro__attr_dict *d, const char *key, const char *text)
{
  if (!d || !text) {
    MSTRO_LOG_ERR(ATTR, "NULL argument");
    return MSTRO_INVARG;
  }
  if (!mstro__schemas_ready())
    return MSTRO_UNINIT;
  const struct mstro__attr_def *def = NULL;
  bool dropped = false;
  if (key) {
    def = resolve(key, &dropped);
    if (!def)
      return dropped ? MSTRO_OK : MSTRO_INVARG;
  }
  yaml_parser_t parser;
  yaml_document_t doc;
  mstro_status st = MSTRO_OK;
  if (!yaml_parser_initialize(&parser))
    return MSTRO_NOMEM;
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
  if (!yaml_parser_load(&parser, &doc)) {
    MSTRO_LOG_ERR(ATTR, "attribute %s: YAML syntax error at line %zu column %zu: %s",
                  key ? key : "(mapping)", parser.problem_mark.line + 1,
                  parser.problem_mark.column + 1, parser.problem ? parser.problem : "?");
    yaml_parser_delete(&parser);
    return MSTRO_INVARG;
  }
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root) {
    MSTRO_LOG_ERR(ATTR, "attribute %s: empty YAML text", key ? key : "(mapping)");
    st = MSTRO_INVARG;
  } else if (root->type == YAML_MAPPING_NODE) {
    yaml_node_pair_t *b = root->data.mapping.pairs.start, *e = root->data.mapping.pairs.top;
    if (key && e - b != 1) {
      MSTRO_LOG_ERR(ATTR, "attribute %s: YAML text is a mapping of %td entries", key, e - b);
      st = MSTRO_INVARG;
    }
    for (yaml_node_pair_t *p = b; p < e && st == MSTRO_OK; p++) {
      yaml_node_t *k = yaml_document_get_node(&doc, p->key);
      yaml_node_t *v = yaml_document_get_node(&doc, p->value);
      if (!k || k->type != YAML_SCALAR_NODE || !v) {
        MSTRO_LOG_ERR(ATTR, "YAML mapping keys must be scalars");
        st = MSTRO_INVARG;
        break;
      }
      const char *ks = (const char *)k->data.scalar.value;
      const struct mstro__attr_def *kd = resolve(ks, &dropped);
      if (!kd) {
        st = dropped ? MSTRO_OK : MSTRO_INVARG;
        continue;
      }
      if (key && kd != def) {
        MSTRO_LOG_ERR(ATTR, "attribute %s: YAML text sets a different key %s", def->key, ks);
        st = MSTRO_INVARG;
        break;
      }
      st = set_from_node(d, &doc, kd, v);
    }
  } else if (!key) {
    MSTRO_LOG_ERR(ATTR, "YAML text without a key must be a mapping of keys to values");
    st = MSTRO_INVARG;
  } else {
    st = set_from_node(d, &doc, def, root);
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return st;
}

/* -------------------------------------------------------- serialization */

/* Format (little endian):
 *   "MSTA" u8 version=1 u8 0 u16 0 u32 count
 *   count x { u16 keylen, key bytes, u8 type, payload }
 * payload: bool u8; int32/uint32/float 4 bytes; int64/uint64/double 8;
 * timestamp i64 sec, i32 nsec, i32 offset; cstring u32 len + bytes;
 * blob u64 len + bytes; int64_array u32 n + n x i64. */
#define SER_MAGIC       "MSTA"
#define SER_VERSION     1
#define SER_MAX_ENTRIES 65536u

struct wbuf {
  unsigned char *p;
  size_t n, cap;
  bool fail;
};

static void w_bytes(struct wbuf *w, const void *src, size_t len)
{
  if (w->fail)
    return;
  if (w->n + len > w->cap) {
    size_t nc = w->cap ? w->cap : 256;
    while (nc < w->n + len)
      nc *= 2;
    unsigned char *np = realloc(w->p, nc);
    if (!np) {
      w->fail = true;
      return;
    }
    w->p = np;
    w->cap = nc;
  }
  if (len)
    memcpy(w->p + w->n, src, len);
  w->n += len;
}

static void w_u(struct wbuf *w, uint64_t x, int bytes)
{
  unsigned char b[8];
  for (int i = 0; i < bytes; i++)
    b[i] = (unsigned char)(x >> (8 * i));
  w_bytes(w, b, (size_t)bytes);
}

mstro_status mstro__attr_dict_serialize(const mstro__attr_dict *d, void **buf, size_t *len)
{
  if (!d || !buf || !len)
    return MSTRO_INVARG;
  struct wbuf w = {0};
  size_t count = 0;
  for (size_t i = 0; i < d->n; i++)
    if (d->e[i]->def->type != MSTRO_CDO_ATTR_VALUE_pointer)
      count++;
  w_bytes(&w, SER_MAGIC, 4);
  w_u(&w, SER_VERSION, 1);
  w_u(&w, 0, 1);
  w_u(&w, 0, 2);
  w_u(&w, count, 4);
  for (size_t i = 0; i < d->n; i++) {
    const struct mstro__attr_def *def = d->e[i]->def;
    if (def->type == MSTRO_CDO_ATTR_VALUE_pointer)
      continue;
    mstro__attr_value v;
    mstro__attr_dict_value_load(d, def, &v, NULL);
    size_t kl = strlen(def->key);
    w_u(&w, kl, 2);
    w_bytes(&w, def->key, kl);
    w_u(&w, (uint64_t)def->type, 1);
    uint32_t u32;
    uint64_t u64;
    switch (def->type) {
    case MSTRO_CDO_ATTR_VALUE_bool:
      w_u(&w, v.b, 1);
      break;
    case MSTRO_CDO_ATTR_VALUE_int32:
      w_u(&w, (uint32_t)v.i32, 4);
      break;
    case MSTRO_CDO_ATTR_VALUE_uint32:
      w_u(&w, v.u32, 4);
      break;
    case MSTRO_CDO_ATTR_VALUE_float:
      memcpy(&u32, &v.f, 4);
      w_u(&w, u32, 4);
      break;
    case MSTRO_CDO_ATTR_VALUE_int64:
      w_u(&w, (uint64_t)v.i64, 8);
      break;
    case MSTRO_CDO_ATTR_VALUE_uint64:
      w_u(&w, v.u64, 8);
      break;
    case MSTRO_CDO_ATTR_VALUE_double:
      memcpy(&u64, &v.d, 8);
      w_u(&w, u64, 8);
      break;
    case MSTRO_CDO_ATTR_VALUE_timestamp:
      w_u(&w, (uint64_t)v.ts.sec, 8);
      w_u(&w, (uint32_t)v.ts.nsec, 4);
      w_u(&w, (uint32_t)v.ts.offset, 4);
      break;
    case MSTRO_CDO_ATTR_VALUE_cstring: {
      size_t sl = strlen(v.s);
      w_u(&w, sl, 4);
      w_bytes(&w, v.s, sl);
      break;
    }
    case MSTRO_CDO_ATTR_VALUE_blob:
      w_u(&w, v.blob.len, 8);
      w_bytes(&w, v.blob.data, v.blob.len);
      break;
    case MSTRO_CDO_ATTR_VALUE_int64_array:
      w_u(&w, v.arr.n, 4);
      for (size_t k = 0; k < v.arr.n; k++)
        w_u(&w, (uint64_t)v.arr.v[k], 8);
      break;
    default:
      break;
    }
  }
  if (w.fail) {
    free(w.p);
    return MSTRO_NOMEM;
  }
  *buf = w.p;
  *len = w.n;
  return MSTRO_OK;
}

struct rbuf {
  const unsigned char *p;
  size_t n, off;
};

static bool r_u(struct rbuf *r, int bytes, uint64_t *x)
{
  if (r->n - r->off < (size_t)bytes)
    return false;
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (uint64_t)r->p[r->off + (size_t)i] << (8 * i);
  r->off += (size_t)bytes;
  *x = v;
  return true;
}

static bool r_bytes(struct rbuf *r, size_t len, const unsigned char **out)
{
  if (r->n - r->off < len)
    return false;
  *out = r->p + r->off;
  r->off += len;
  return true;
}

mstro_status mstro__attr_dict_deserialize(const void *buf, size_t len, mstro__attr_dict **result)
{
  if (!buf || !result) {
    MSTRO_LOG_ERR(ATTR, "NULL argument");
    return MSTRO_INVARG;
  }
  *result = NULL;
  mstro__attr_dict *d = NULL;
  mstro_status st = mstro__attr_dict_create(&d);
  if (st != MSTRO_OK)
    return st;
  struct rbuf r = {.p = buf, .n = len};
  const unsigned char *magic;
  uint64_t ver, pad, count, x;
  const char *why = NULL;
  size_t entry_off = 0;
  if (!r_bytes(&r, 4, &magic) || memcmp(magic, SER_MAGIC, 4)) {
    why = "bad magic";
    goto bad;
  }
  if (!r_u(&r, 1, &ver) || ver != SER_VERSION) {
    why = "unsupported version";
    goto bad;
  }
  if (!r_u(&r, 1, &pad) || !r_u(&r, 2, &x) || !r_u(&r, 4, &count)) {
    why = "truncated header";
    goto bad;
  }
  if (count > SER_MAX_ENTRIES || count > (len - r.off) / 4) {
    why = "entry count larger than the buffer allows";
    goto bad;
  }
  for (uint64_t i = 0; i < count; i++) {
    entry_off = r.off;
    uint64_t kl, type;
    const unsigned char *kb;
    if (!r_u(&r, 2, &kl) || kl == 0 || kl > MSTRO__ATTR_KEY_MAX || !r_bytes(&r, kl, &kb) ||
        !r_u(&r, 1, &type)) {
      why = "truncated or oversized key";
      goto bad;
    }
    if (memchr(kb, 0, kl) || kb[0] != '.') {
      why = "key is not an absolute key";
      goto bad;
    }
    mstro__attr_value v;
    memset(&v, 0, sizeof v);
    const unsigned char *data = NULL;
    bool ok = true;
    switch (type) {
    case MSTRO_CDO_ATTR_VALUE_bool:
      ok = r_u(&r, 1, &x) && x <= 1;
      v.b = x != 0;
      break;
    case MSTRO_CDO_ATTR_VALUE_int32:
      ok = r_u(&r, 4, &x);
      v.i32 = (int32_t)(uint32_t)x;
      break;
    case MSTRO_CDO_ATTR_VALUE_uint32:
      ok = r_u(&r, 4, &x);
      v.u32 = (uint32_t)x;
      break;
    case MSTRO_CDO_ATTR_VALUE_float: {
      ok = r_u(&r, 4, &x);
      uint32_t u = (uint32_t)x;
      memcpy(&v.f, &u, 4);
      break;
    }
    case MSTRO_CDO_ATTR_VALUE_int64:
      ok = r_u(&r, 8, &x);
      v.i64 = (int64_t)x;
      break;
    case MSTRO_CDO_ATTR_VALUE_uint64:
      ok = r_u(&r, 8, &x);
      v.u64 = x;
      break;
    case MSTRO_CDO_ATTR_VALUE_double:
      ok = r_u(&r, 8, &x);
      memcpy(&v.d, &x, 8);
      break;
    case MSTRO_CDO_ATTR_VALUE_timestamp:
      ok = r_u(&r, 8, &x);
      v.ts.sec = (int64_t)x;
      ok = ok && r_u(&r, 4, &x);
      v.ts.nsec = (int32_t)(uint32_t)x;
      ok = ok && r_u(&r, 4, &x);
      v.ts.offset = (int32_t)(uint32_t)x;
      break;
    case MSTRO_CDO_ATTR_VALUE_cstring:
      ok = r_u(&r, 4, &x) && r_bytes(&r, x, &data) && !memchr(data, 0, x);
      if (ok) {
        char *s = malloc(x + 1);
        if (!s) {
          st = MSTRO_NOMEM;
          goto cleanup;
        }
        memcpy(s, data, x);
        s[x] = 0;
        v.s = s;
      }
      break;
    case MSTRO_CDO_ATTR_VALUE_blob:
      ok = r_u(&r, 8, &x) && r_bytes(&r, x, &data);
      if (ok) {
        v.blob.data = malloc(x ? x : 1);
        if (!v.blob.data) {
          st = MSTRO_NOMEM;
          goto cleanup;
        }
        if (x)
          memcpy(v.blob.data, data, x);
        v.blob.len = x;
      }
      break;
    case MSTRO_CDO_ATTR_VALUE_int64_array:
      ok = r_u(&r, 4, &x) && x <= ARRAY_MAX_ELEMS && x <= (r.n - r.off) / 8;
      if (ok) {
        v.arr.v = malloc(x ? x * 8 : 1);
        if (!v.arr.v) {
          st = MSTRO_NOMEM;
          goto cleanup;
        }
        v.arr.n = x;
        for (size_t k = 0; k < x; k++) {
          uint64_t el = 0;
          r_u(&r, 8, &el);
          v.arr.v[k] = (int64_t)el;
        }
      }
      break;
    default:
      why = "unknown value type";
      goto bad;
    }
    enum mstro_cdo_attr_value_type t = (enum mstro_cdo_attr_value_type)type;
    if (!ok) {
      mstro__attr_value_free(t, &v);
      why = "truncated or malformed value";
      goto bad;
    }
    const struct mstro__attr_def *def = mstro__schema_lookup_n(NULL, NULL, (const char *)kb, kl);
    if (!def) {
      MSTRO_LOG_WARN(ATTR,
                     "received attribute %.*s is not defined by any loaded schema; "
                     "dropped",
                     (int)kl, (const char *)kb);
      mstro__attr_value_free(t, &v);
      continue;
    }
    if (def->type != t) {
      MSTRO_LOG_ERR(ATTR, "received attribute %s has type %s, the local schema says %s", def->key,
                    mstro__attr_type_name(t), mstro__attr_type_name(def->type));
      mstro__attr_value_free(t, &v);
      why = "type disagrees with the local schema";
      goto bad;
    }
    if (find(d, def)) {
      mstro__attr_value_free(t, &v);
      why = "key given twice";
      goto bad;
    }
    if (mstro__attr_value_check(def, &v) != MSTRO_OK) {
      mstro__attr_value_free(t, &v);
      why = "value violates the schema";
      goto bad;
    }
    struct entry *e = calloc(1, sizeof *e);
    if (!e) {
      mstro__attr_value_free(t, &v);
      st = MSTRO_NOMEM;
      goto cleanup;
    }
    e->def = def;
    e->v = v;
    e->owned = t == MSTRO_CDO_ATTR_VALUE_cstring || t == MSTRO_CDO_ATTR_VALUE_blob ||
               t == MSTRO_CDO_ATTR_VALUE_int64_array;
    st = put(d, e);
    if (st != MSTRO_OK)
      goto cleanup;
  }
  entry_off = r.off;
  if (r.off != r.n) {
    why = "trailing bytes";
    goto bad;
  }
  /* arrays must agree with their count keys */
  for (size_t i = 0; i < d->n; i++) {
    const struct entry *e = d->e[i];
    size_t n;
    if (e->def->type == MSTRO_CDO_ATTR_VALUE_int64_array &&
        (!count_value(d, e->def->count_def, &n) || n != e->v.arr.n)) {
      MSTRO_LOG_ERR(ATTR, "received attribute %s has %zu entries, disagreeing with %s", e->def->key,
                    e->v.arr.n, e->def->count_def->key);
      why = "array length disagrees with its count key";
      goto bad;
    }
  }
  *result = d;
  return MSTRO_OK;
bad:
  MSTRO_LOG_ERR(ATTR, "malformed attribute buffer (%zu bytes) at offset %zu: %s", len, entry_off,
                why);
  st = MSTRO_INVMSG;
cleanup:
  mstro__attr_dict_destroy(d);
  return st;
}
