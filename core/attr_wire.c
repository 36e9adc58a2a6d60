/* SPDX-License-Identifier: BSD-3-Clause */
/* Attribute dictionaries printed (the log, mstro_cdo_attributes_print) and
 * written to and read from the wire format between processes. */
#include "attr_internal.h"

#include <inttypes.h>

#include "mstro_log.h"
#include "yaml_value.h"

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
    if (mstro__attr_find_entry(d, def)) {
      mstro__attr_value_free(t, &v);
      why = "key given twice";
      goto bad;
    }
    if (mstro__attr_value_check(def, &v) != MSTRO_OK) {
      mstro__attr_value_free(t, &v);
      why = "value violates the schema";
      goto bad;
    }
    struct mstro__attr_entry *e = calloc(1, sizeof *e);
    if (!e) {
      mstro__attr_value_free(t, &v);
      st = MSTRO_NOMEM;
      goto cleanup;
    }
    e->def = def;
    e->v = v;
    e->owned = t == MSTRO_CDO_ATTR_VALUE_cstring || t == MSTRO_CDO_ATTR_VALUE_blob ||
               t == MSTRO_CDO_ATTR_VALUE_int64_array;
    st = mstro__attr_put_entry(d, e);
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
    const struct mstro__attr_entry *e = d->e[i];
    size_t n;
    if (e->def->type == MSTRO_CDO_ATTR_VALUE_int64_array &&
        (!mstro__attr_count_value(d, e->def->count_def, &n) || n != e->v.arr.n)) {
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
