/* Attribute schemas: YAML loading (libyaml) and the key registry. */
#include "schema.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "base64.h"
#include "mstro_log.h"
#include "yaml_value.h"

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

static struct {
  int refcount;
  struct mstro_schema_ *schemas; /* load order */
  struct mstro_schema_ *core;
  struct mstro__attr_def **defs; /* by id */
  uint32_t n, cap;
  uint32_t *slots; /* open addressing: id+1, 0 empty */
  uint32_t nslots; /* power of two */
} reg;

static _Thread_local char last_error[512];

const char *mstro__schema_last_error(void)
{
  return last_error;
}

static void schema_error(const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void schema_error(const char *file, size_t line, const char *fmt, ...)
{
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line > 0)
    snprintf(last_error, sizeof last_error, "%s:%zu: %s", file ? file : "(schema)", line, msg);
  else
    snprintf(last_error, sizeof last_error, "%s: %s", file ? file : "(schema)", msg);
  MSTRO_LOG_ERR(SCHEMA, "schema %s", last_error);
}

/* ---------------------------------------------------------------- types */

static const char *const type_names[MSTRO_CDO_ATTR_VALUE__MAX] = {
    [MSTRO_CDO_ATTR_VALUE_INVALID] = "invalid",
    [MSTRO_CDO_ATTR_VALUE_bool] = "bool",
    [MSTRO_CDO_ATTR_VALUE_int32] = "int32",
    [MSTRO_CDO_ATTR_VALUE_int64] = "int64",
    [MSTRO_CDO_ATTR_VALUE_uint32] = "uint32",
    [MSTRO_CDO_ATTR_VALUE_uint64] = "uint64",
    [MSTRO_CDO_ATTR_VALUE_float] = "float",
    [MSTRO_CDO_ATTR_VALUE_double] = "double",
    [MSTRO_CDO_ATTR_VALUE_cstring] = "cstring",
    [MSTRO_CDO_ATTR_VALUE_timestamp] = "timestamp",
    [MSTRO_CDO_ATTR_VALUE_pointer] = "pointer",
    [MSTRO_CDO_ATTR_VALUE_blob] = "blob",
    [MSTRO_CDO_ATTR_VALUE_int64_array] = "int64_array",
    [MSTRO_CDO_ATTR_VALUE_NA] = "NA",
};

const char *mstro__attr_type_name(enum mstro_cdo_attr_value_type t)
{
  if ((int)t >= 0 && t < MSTRO_CDO_ATTR_VALUE__MAX && type_names[t])
    return type_names[t];
  return "unknown";
}

/* Schema type spellings (the part before the parenthesis). */
static const struct {
  const char *name;
  enum mstro_cdo_attr_value_type type;
} schema_types[] = {
    {"int", MSTRO_CDO_ATTR_VALUE_int64},
    {"int64", MSTRO_CDO_ATTR_VALUE_int64},
    {"int32", MSTRO_CDO_ATTR_VALUE_int32},
    {"uint", MSTRO_CDO_ATTR_VALUE_uint64},
    {"uint64", MSTRO_CDO_ATTR_VALUE_uint64},
    {"uint32", MSTRO_CDO_ATTR_VALUE_uint32},
    {"str", MSTRO_CDO_ATTR_VALUE_cstring},
    {"string", MSTRO_CDO_ATTR_VALUE_cstring},
    {"bool", MSTRO_CDO_ATTR_VALUE_bool},
    {"double", MSTRO_CDO_ATTR_VALUE_double},
    {"float", MSTRO_CDO_ATTR_VALUE_float},
    {"timestamp", MSTRO_CDO_ATTR_VALUE_timestamp},
    {"pointer", MSTRO_CDO_ATTR_VALUE_pointer},
    {"blob", MSTRO_CDO_ATTR_VALUE_blob},
    {"int64_array", MSTRO_CDO_ATTR_VALUE_int64_array},
};

static bool type_is_signed(enum mstro_cdo_attr_value_type t)
{
  return t == MSTRO_CDO_ATTR_VALUE_int32 || t == MSTRO_CDO_ATTR_VALUE_int64 ||
         t == MSTRO_CDO_ATTR_VALUE_int64_array;
}
static bool type_is_unsigned(enum mstro_cdo_attr_value_type t)
{
  return t == MSTRO_CDO_ATTR_VALUE_uint32 || t == MSTRO_CDO_ATTR_VALUE_uint64;
}
static bool type_is_real(enum mstro_cdo_attr_value_type t)
{
  return t == MSTRO_CDO_ATTR_VALUE_float || t == MSTRO_CDO_ATTR_VALUE_double;
}

/* ---------------------------------------------------------- value parsing */

/* Integer base of a literal: 16 after an optional sign and "0x", else 10
 * ("010" is ten, as in YAML 1.2, not octal). */
static int int_base(const char *p)
{
  while (isspace((unsigned char)*p))
    p++;
  if (*p == '-' || *p == '+')
    p++;
  return (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) ? 16 : 10;
}

static bool parse_i64(const char *text, int64_t *out)
{
  if (!text || !*text || isspace((unsigned char)*text))
    return false;
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, int_base(text));
  if (errno || end == text)
    return false;
  while (isspace((unsigned char)*end))
    end++;
  if (*end)
    return false;
  *out = v;
  return true;
}

static bool parse_u64(const char *text, uint64_t *out)
{
  if (!text || !*text || isspace((unsigned char)*text))
    return false;
  const char *p = text;
  if (*p == '+')
    p++;
  if (!isdigit((unsigned char)*p))
    return false; /* strtoull accepts "-1" */
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, int_base(p));
  if (errno || end == p)
    return false;
  while (isspace((unsigned char)*end))
    end++;
  if (*end)
    return false;
  *out = v;
  return true;
}

static bool parse_double(const char *text, double *out)
{
  if (!text || !*text || isspace((unsigned char)*text))
    return false;
  if (!strcmp(text, ".inf") || !strcmp(text, ".Inf") || !strcmp(text, "+.inf")) {
    *out = INFINITY;
    return true;
  }
  if (!strcmp(text, "-.inf") || !strcmp(text, "-.Inf")) {
    *out = -INFINITY;
    return true;
  }
  if (!strcmp(text, ".nan") || !strcmp(text, ".NaN")) {
    *out = NAN;
    return true;
  }
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || (errno == ERANGE && isinf(v)))
    return false;
  while (isspace((unsigned char)*end))
    end++;
  if (*end)
    return false;
  *out = v;
  return true;
}

static bool parse_bool(const char *text, bool *out)
{
  static const char *const yes[] = {"true", "yes", "on", "1", "y"};
  static const char *const no[] = {"false", "no", "off", "0", "n"};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
    if (!strcasecmp(text, yes[i])) {
      *out = true;
      return true;
    }
    if (!strcasecmp(text, no[i])) {
      *out = false;
      return true;
    }
  }
  return false;
}

static int digits(const char **p, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

mstro_status mstro__timestamp_parse(const char *text, mstro_timestamp *ts)
{
  if (!text || !ts)
    return MSTRO_INVARG;
  int64_t secs;
  if (parse_i64(text, &secs)) {
    ts->sec = secs;
    ts->nsec = 0;
    ts->offset = 0;
    return MSTRO_OK;
  }
  const char *p = text;
  int Y, M, D, h, m, s;
  if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' || digits(&p, 2, &D))
    return MSTRO_INVARG;
  if (*p != 'T' && *p != 't' && *p != ' ')
    return MSTRO_INVARG;
  p++;
  if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m) || *p++ != ':' || digits(&p, 2, &s))
    return MSTRO_INVARG;
  int32_t nsec = 0;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return MSTRO_INVARG;
    int n = 0;
    while (isdigit((unsigned char)*p)) {
      if (n < 9) {
        nsec = nsec * 10 + (*p - '0');
        n++;
      }
      p++;
    }
    for (; n < 9; n++)
      nsec *= 10;
  }
  int offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1, oh, om;
    if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
      return MSTRO_INVARG;
    offset = sign * (oh * 60 + om);
  } else {
    return MSTRO_INVARG;
  }
  if (*p)
    return MSTRO_INVARG;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || s > 60)
    return MSTRO_INVARG;
  struct tm tm = {0};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  time_t t = timegm(&tm);
  ts->sec = (int64_t)t - (int64_t)offset * 60;
  ts->nsec = nsec;
  ts->offset = offset;
  return MSTRO_OK;
}

static mstro_status parse_base64(const char *text, mstro_blob *out)
{
  size_t len = strlen(text), cap = len / 4 * 3 + 3;
  unsigned char *buf = malloc(cap);
  if (!buf)
    return MSTRO_NOMEM;
  long n = mstro__base64_decode(text, len, MSTRO__B64_TEXT, buf, cap);
  if (n < 0) {
    free(buf);
    return MSTRO_INVARG;
  }
  out->len = (size_t)n;
  out->data = buf;
  return MSTRO_OK;
}

/* "[1, 2, 3]" or "1, 2, 3" */
static mstro_status parse_i64_array(const char *text, mstro__attr_value *out)
{
  const char *p = text;
  while (isspace((unsigned char)*p))
    p++;
  bool bracket = *p == '[';
  if (bracket)
    p++;
  size_t cap = 8, n = 0;
  int64_t *v = malloc(cap * sizeof *v);
  if (!v)
    return MSTRO_NOMEM;
  for (;;) {
    while (isspace((unsigned char)*p))
      p++;
    if (bracket && *p == ']' && n == 0) {
      p++;
      break;
    }
    char *end;
    errno = 0;
    long long x = strtoll(p, &end, int_base(p));
    if (end == p || errno)
      goto bad;
    if (n == cap) {
      if (cap > (1u << 24))
        goto bad;
      int64_t *nv = realloc(v, 2 * cap * sizeof *v);
      if (!nv) {
        free(v);
        return MSTRO_NOMEM;
      }
      v = nv;
      cap *= 2;
    }
    v[n++] = x;
    p = end;
    while (isspace((unsigned char)*p))
      p++;
    if (*p == ',') {
      p++;
      continue;
    }
    if (bracket) {
      if (*p != ']')
        goto bad;
      p++;
    }
    break;
  }
  while (isspace((unsigned char)*p))
    p++;
  if (*p)
    goto bad;
  out->arr.v = v;
  out->arr.n = n;
  return MSTRO_OK;
bad:
  free(v);
  return MSTRO_INVARG;
}

mstro_status mstro__attr_value_parse(enum mstro_cdo_attr_value_type type, const char *text,
                                     mstro__attr_value *out)
{
  if (!text || !out)
    return MSTRO_INVARG;
  memset(out, 0, sizeof *out);
  int64_t i;
  uint64_t u;
  double d;
  switch (type) {
  case MSTRO_CDO_ATTR_VALUE_bool:
    return parse_bool(text, &out->b) ? MSTRO_OK : MSTRO_INVARG;
  case MSTRO_CDO_ATTR_VALUE_int32:
    if (!parse_i64(text, &i) || i < INT32_MIN || i > INT32_MAX)
      return MSTRO_INVARG;
    out->i32 = (int32_t)i;
    return MSTRO_OK;
  case MSTRO_CDO_ATTR_VALUE_int64:
    return parse_i64(text, &out->i64) ? MSTRO_OK : MSTRO_INVARG;
  case MSTRO_CDO_ATTR_VALUE_uint32:
    if (!parse_u64(text, &u) || u > UINT32_MAX)
      return MSTRO_INVARG;
    out->u32 = (uint32_t)u;
    return MSTRO_OK;
  case MSTRO_CDO_ATTR_VALUE_uint64:
    return parse_u64(text, &out->u64) ? MSTRO_OK : MSTRO_INVARG;
  case MSTRO_CDO_ATTR_VALUE_float:
    if (!parse_double(text, &d))
      return MSTRO_INVARG;
    if (isfinite(d) && (d > 3.4028234663852886e38 || d < -3.4028234663852886e38))
      return MSTRO_INVARG;
    out->f = (float)d;
    return MSTRO_OK;
  case MSTRO_CDO_ATTR_VALUE_double:
    return parse_double(text, &out->d) ? MSTRO_OK : MSTRO_INVARG;
  case MSTRO_CDO_ATTR_VALUE_cstring:
    out->s = strdup(text);
    return out->s ? MSTRO_OK : MSTRO_NOMEM;
  case MSTRO_CDO_ATTR_VALUE_timestamp:
    return mstro__timestamp_parse(text, &out->ts);
  case MSTRO_CDO_ATTR_VALUE_blob:
    return parse_base64(text, &out->blob);
  case MSTRO_CDO_ATTR_VALUE_int64_array:
    return parse_i64_array(text, out);
  default:
    return MSTRO_INVARG;
  }
}

void mstro__attr_value_free(enum mstro_cdo_attr_value_type type, mstro__attr_value *v)
{
  if (!v)
    return;
  switch (type) {
  case MSTRO_CDO_ATTR_VALUE_cstring:
    free((char *)v->s);
    v->s = NULL;
    break;
  case MSTRO_CDO_ATTR_VALUE_blob:
    free(v->blob.data);
    v->blob.data = NULL;
    v->blob.len = 0;
    break;
  case MSTRO_CDO_ATTR_VALUE_int64_array:
    free(v->arr.v);
    v->arr.v = NULL;
    v->arr.n = 0;
    break;
  default:
    break;
  }
}

static bool check_i(const struct mstro__attr_def *def, int64_t x)
{
  return !((def->has_min && x < def->imin) || (def->has_max && x > def->imax));
}

mstro_status mstro__attr_value_check(const struct mstro__attr_def *def, const mstro__attr_value *v)
{
  if (!def || !v)
    return MSTRO_INVARG;
  bool ok = true;
  char why[160] = "";
  switch (def->type) {
  case MSTRO_CDO_ATTR_VALUE_int32:
    ok = check_i(def, v->i32);
    break;
  case MSTRO_CDO_ATTR_VALUE_int64:
    ok = check_i(def, v->i64);
    break;
  case MSTRO_CDO_ATTR_VALUE_uint32:
    ok = !((def->has_min && v->u32 < def->umin) || (def->has_max && v->u32 > def->umax));
    break;
  case MSTRO_CDO_ATTR_VALUE_uint64:
    ok = !((def->has_min && v->u64 < def->umin) || (def->has_max && v->u64 > def->umax));
    break;
  case MSTRO_CDO_ATTR_VALUE_float:
    ok = !isnan(v->f) || !(def->has_min || def->has_max);
    ok = ok && !((def->has_min && v->f < def->dmin) || (def->has_max && v->f > def->dmax));
    break;
  case MSTRO_CDO_ATTR_VALUE_double:
    ok = !isnan(v->d) || !(def->has_min || def->has_max);
    ok = ok && !((def->has_min && v->d < def->dmin) || (def->has_max && v->d > def->dmax));
    break;
  case MSTRO_CDO_ATTR_VALUE_cstring: {
    if (!v->s) {
      ok = false;
      snprintf(why, sizeof why, "NULL string");
      break;
    }
    size_t len = strlen(v->s);
    if (def->max_len && len > def->max_len) {
      ok = false;
      snprintf(why, sizeof why, "string of %zu bytes, longer than the schema's max=%zu", len,
               def->max_len);
    } else if (len < def->min_len) {
      ok = false;
      snprintf(why, sizeof why, "string of %zu bytes, shorter than the schema's min=%zu", len,
               def->min_len);
    }
    break;
  }
  case MSTRO_CDO_ATTR_VALUE_blob:
    if (v->blob.len && !v->blob.data) {
      ok = false;
      snprintf(why, sizeof why, "blob of %zu bytes with NULL data", v->blob.len);
    } else if (def->max_len && v->blob.len > def->max_len) {
      ok = false;
      snprintf(why, sizeof why, "blob of %zu bytes, longer than the schema's max=%zu", v->blob.len,
               def->max_len);
    } else if (v->blob.len < def->min_len) {
      ok = false;
      snprintf(why, sizeof why, "blob of %zu bytes, shorter than min=%zu", v->blob.len,
               def->min_len);
    }
    break;
  case MSTRO_CDO_ATTR_VALUE_int64_array:
    for (size_t k = 0; k < v->arr.n; k++) {
      if (!check_i(def, v->arr.v[k])) {
        ok = false;
        snprintf(why, sizeof why, "element %zu = %" PRId64 " out of range", k, v->arr.v[k]);
        break;
      }
    }
    break;
  case MSTRO_CDO_ATTR_VALUE_timestamp:
    ok = v->ts.nsec >= 0 && v->ts.nsec < 1000000000 && v->ts.offset > -24 * 60 &&
         v->ts.offset < 24 * 60;
    if (!ok)
      snprintf(why, sizeof why, "timestamp with nsec=%" PRId32 " offset=%" PRId32, v->ts.nsec,
               v->ts.offset);
    break;
  default:
    break;
  }
  if (!ok) {
    if (!why[0]) {
      char lo[48] = "-inf", hi[48] = "+inf";
      if (type_is_signed(def->type)) {
        if (def->has_min)
          snprintf(lo, sizeof lo, "%" PRId64, def->imin);
        if (def->has_max)
          snprintf(hi, sizeof hi, "%" PRId64, def->imax);
      } else if (type_is_unsigned(def->type)) {
        snprintf(lo, sizeof lo, "%" PRIu64, def->has_min ? def->umin : 0);
        if (def->has_max)
          snprintf(hi, sizeof hi, "%" PRIu64, def->umax);
      } else if (type_is_real(def->type)) {
        if (def->has_min)
          snprintf(lo, sizeof lo, "%g", def->dmin);
        if (def->has_max)
          snprintf(hi, sizeof hi, "%g", def->dmax);
      }
      snprintf(why, sizeof why, "value outside the schema's range [%s, %s]", lo, hi);
    }
    MSTRO_LOG_ERR(ATTR, "attribute %s: forbidden value: %s", def->key, why);
    return MSTRO_INVARG;
  }
  return MSTRO_OK;
}

/* ------------------------------------------------------------- registry */

static uint64_t hash_key(const char *s, size_t n)
{
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h;
}

static const struct mstro__attr_def *lookup_abs(const char *key, size_t len)
{
  if (!reg.nslots)
    return NULL;
  uint32_t mask = reg.nslots - 1;
  for (uint32_t i = (uint32_t)hash_key(key, len) & mask;; i = (i + 1) & mask) {
    uint32_t s = reg.slots[i];
    if (!s)
      return NULL;
    const struct mstro__attr_def *d = reg.defs[s - 1];
    if (strlen(d->key) == len && memcmp(d->key, key, len) == 0)
      return d;
  }
}

static mstro_status rehash(uint32_t want)
{
  uint32_t n = 64;
  while (n < want * 2)
    n *= 2;
  uint32_t *slots = calloc(n, sizeof *slots);
  if (!slots)
    return MSTRO_NOMEM;
  for (uint32_t id = 0; id < reg.n; id++) {
    const char *k = reg.defs[id]->key;
    uint32_t i = (uint32_t)hash_key(k, strlen(k)) & (n - 1);
    while (slots[i])
      i = (i + 1) & (n - 1);
    slots[i] = id + 1;
  }
  free(reg.slots);
  reg.slots = slots;
  reg.nslots = n;
  return MSTRO_OK;
}

static void def_free(struct mstro__attr_def *d)
{
  if (!d)
    return;
  if (d->has_default)
    mstro__attr_value_free(d->type, &d->def_value);
  free((char *)d->key);
  free((char *)d->rel_key);
  free((char *)d->doc);
  free(d);
}

static void schema_free(struct mstro_schema_ *s)
{
  if (!s)
    return;
  free(s->name);
  free(s->nspace);
  free(s->file);
  free(s);
}

static void registry_clear(void)
{
  for (uint32_t i = 0; i < reg.n; i++)
    def_free(reg.defs[i]);
  free(reg.defs);
  free(reg.slots);
  while (reg.schemas) {
    struct mstro_schema_ *n = reg.schemas->next;
    schema_free(reg.schemas);
    reg.schemas = n;
  }
  reg.defs = NULL;
  reg.slots = NULL;
  reg.n = reg.cap = reg.nslots = 0;
  reg.core = NULL;
}

const struct mstro__attr_def *mstro__schema_lookup_n(mstro_schema schema, const char *nspace,
                                                     const char *key, size_t len)
{
  if (!key || !reg.n)
    return NULL;
  const struct mstro__attr_def *d;
  if (len > 0 && key[0] == '.') {
    d = lookup_abs(key, len);
  } else {
    if (!nspace)
      nspace = MSTRO_ATTR_CORE_CDO_NAMESPACE;
    size_t nl = strlen(nspace);
    char buf[MSTRO__ATTR_KEY_MAX + 1];
    if (nl + len > MSTRO__ATTR_KEY_MAX)
      return NULL;
    memcpy(buf, nspace, nl);
    memcpy(buf + nl, key, len);
    d = lookup_abs(buf, nl + len);
  }
  if (d && schema && d->schema != schema && d->schema != reg.core)
    return NULL;
  return d;
}

const struct mstro__attr_def *mstro__schema_lookup(mstro_schema schema, const char *nspace,
                                                   const char *key)
{
  if (!key)
    return NULL;
  return mstro__schema_lookup_n(schema, nspace, key, strlen(key));
}

uint32_t mstro__schema_attr_count(void)
{
  return reg.n;
}

const struct mstro__attr_def *mstro__schema_attr_by_id(uint32_t id)
{
  return id < reg.n ? reg.defs[id] : NULL;
}

mstro_schema mstro__schema_find(const char *name)
{
  for (struct mstro_schema_ *s = reg.schemas; s && name; s = s->next)
    if (!strcmp(s->name, name))
      return s;
  return NULL;
}

const char *mstro__schema_name(mstro_schema s)
{
  return s ? s->name : NULL;
}
const char *mstro__schema_namespace(mstro_schema s)
{
  return s ? s->nspace : NULL;
}
int64_t mstro__schema_version(mstro_schema s)
{
  return s ? s->version : -1;
}

bool mstro__schemas_ready(void)
{
  return reg.refcount > 0;
}

bool mstro__schemas_drop_unknown(void)
{
  const char *v = getenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES");
  bool b = false;
  return v && parse_bool(v, &b) && b;
}

/* --------------------------------------------------------- YAML parsing */

struct parse_ctx {
  const char *file;
  yaml_document_t *doc;
  struct mstro_schema_ *schema;
  struct mstro__attr_def **defs; /* parsed, not yet registered */
  char **count_keys;             /* per def: count=KEY text or NULL */
  size_t *lines;
  size_t n, cap;
};

static size_t node_line(const yaml_node_t *n)
{
  return n ? n->start_mark.line + 1 : 0;
}

static const char *scalar(const yaml_node_t *n)
{
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Whether a scalar node is a plain (unquoted) scalar. */
static bool plain(const yaml_node_t *n)
{
  return n && n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* Parse "name(arg=v, arg=v)" */
static mstro_status parse_type(struct parse_ctx *c, const yaml_node_t *node,
                               struct mstro__attr_def *d, char **count_key)
{
  const char *text = scalar(node);
  size_t line = node_line(node);
  if (!text) {
    schema_error(c->file, line, "attribute %s: 'type' must be a scalar like int()", d->rel_key);
    return MSTRO_INVARG;
  }
  const char *p = text;
  while (isspace((unsigned char)*p))
    p++;
  const char *nb = p;
  while (isalnum((unsigned char)*p) || *p == '_')
    p++;
  size_t nl = (size_t)(p - nb);
  d->type = MSTRO_CDO_ATTR_VALUE_INVALID;
  for (size_t i = 0; i < sizeof schema_types / sizeof *schema_types; i++)
    if (strlen(schema_types[i].name) == nl && !strncmp(schema_types[i].name, nb, nl))
      d->type = schema_types[i].type;
  if (d->type == MSTRO_CDO_ATTR_VALUE_INVALID) {
    schema_error(c->file, line,
                 "attribute %s: unknown type '%s' (int() uint() str() bool() "
                 "double() float() int32() uint32() timestamp() pointer() blob() "
                 "int64_array(count=KEY))",
                 d->rel_key, text);
    return MSTRO_INVARG;
  }
  while (isspace((unsigned char)*p))
    p++;
  if (*p != '(') {
    schema_error(c->file, line, "attribute %s: type '%s' lacks '(...)'", d->rel_key, text);
    return MSTRO_INVARG;
  }
  p++;
  for (;;) {
    while (isspace((unsigned char)*p))
      p++;
    if (*p == ')')
      break;
    const char *ab = p;
    while (isalnum((unsigned char)*p) || *p == '_')
      p++;
    size_t al = (size_t)(p - ab);
    while (isspace((unsigned char)*p))
      p++;
    if (al == 0 || *p != '=') {
      schema_error(c->file, line, "attribute %s: malformed type arguments in '%s'", d->rel_key,
                   text);
      return MSTRO_INVARG;
    }
    p++;
    while (isspace((unsigned char)*p))
      p++;
    const char *vb = p;
    while (*p && *p != ',' && *p != ')')
      p++;
    const char *ve = p;
    while (ve > vb && isspace((unsigned char)ve[-1]))
      ve--;
    char val[256];
    size_t vl = (size_t)(ve - vb);
    if (vl == 0 || vl >= sizeof val || !*p) {
      schema_error(c->file, line, "attribute %s: malformed type arguments in '%s'", d->rel_key,
                   text);
      return MSTRO_INVARG;
    }
    memcpy(val, vb, vl);
    val[vl] = 0;
    if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
      memmove(val, val + 1, vl - 2);
      val[vl - 2] = 0;
    }
    bool is_min = al == 3 && !strncmp(ab, "min", 3);
    bool is_max = al == 3 && !strncmp(ab, "max", 3);
    bool ok = false;
    if (al == 5 && !strncmp(ab, "count", 5) && d->type == MSTRO_CDO_ATTR_VALUE_int64_array) {
      free(*count_key);
      *count_key = strdup(val);
      ok = *count_key != NULL;
    } else if ((is_min || is_max) &&
               (d->type == MSTRO_CDO_ATTR_VALUE_cstring || d->type == MSTRO_CDO_ATTR_VALUE_blob)) {
      uint64_t u;
      ok = parse_u64(val, &u) && u <= SIZE_MAX;
      if (ok) {
        if (is_min)
          d->min_len = (size_t)u;
        else
          d->max_len = (size_t)u;
      }
    } else if ((is_min || is_max) && type_is_signed(d->type)) {
      int64_t x;
      ok = parse_i64(val, &x);
      if (ok && is_min) {
        d->has_min = true;
        d->imin = x;
      } else if (ok) {
        d->has_max = true;
        d->imax = x;
      }
    } else if ((is_min || is_max) && type_is_unsigned(d->type)) {
      uint64_t x;
      ok = parse_u64(val, &x);
      if (ok && is_min) {
        d->has_min = true;
        d->umin = x;
      } else if (ok) {
        d->has_max = true;
        d->umax = x;
      }
    } else if ((is_min || is_max) && type_is_real(d->type)) {
      double x;
      ok = parse_double(val, &x) && !isnan(x);
      if (ok && is_min) {
        d->has_min = true;
        d->dmin = x;
      } else if (ok) {
        d->has_max = true;
        d->dmax = x;
      }
    } else {
      schema_error(c->file, line, "attribute %s: type argument '%.*s' not allowed for %.*s()",
                   d->rel_key, (int)al, ab, (int)nl, nb);
      return MSTRO_INVARG;
    }
    if (!ok) {
      schema_error(c->file, line, "attribute %s: bad value '%s' for type argument '%.*s'",
                   d->rel_key, val, (int)al, ab);
      return MSTRO_INVARG;
    }
    if (*p == ',')
      p++;
  }
  p++;
  while (isspace((unsigned char)*p))
    p++;
  if (*p) {
    schema_error(c->file, line, "attribute %s: trailing text after type '%s'", d->rel_key, text);
    return MSTRO_INVARG;
  }
  if (d->type == MSTRO_CDO_ATTR_VALUE_int64_array && !*count_key) {
    schema_error(c->file, line, "attribute %s: int64_array needs count=KEY", d->rel_key);
    return MSTRO_INVARG;
  }
  bool inverted = false;
  if (d->has_min && d->has_max) {
    if (type_is_signed(d->type))
      inverted = d->imin > d->imax;
    else if (type_is_unsigned(d->type))
      inverted = d->umin > d->umax;
    else
      inverted = d->dmin > d->dmax;
  }
  if (d->max_len && d->min_len > d->max_len)
    inverted = true;
  if (inverted) {
    schema_error(c->file, line, "attribute %s: min greater than max in '%s'", d->rel_key, text);
    return MSTRO_INVARG;
  }
  return MSTRO_OK;
}

static bool parse_yaml_bool(const yaml_node_t *n, bool *out)
{
  const char *t = scalar(n);
  return t && parse_bool(t, out);
}

mstro_status mstro__attr_value_from_yaml(yaml_document_t *doc, yaml_node_t *n,
                                         enum mstro_cdo_attr_value_type type,
                                         mstro__attr_value *out, char *why, size_t whylen)
{
  mstro_status st = MSTRO_OK;
  memset(out, 0, sizeof *out);
  if (type == MSTRO_CDO_ATTR_VALUE_pointer) {
    snprintf(why, whylen, "a pointer cannot be set from YAML");
    return MSTRO_INVARG;
  }
  if (n->type == YAML_SEQUENCE_NODE && type == MSTRO_CDO_ATTR_VALUE_int64_array) {
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt > MSTRO__YAML_ARRAY_MAX) {
      snprintf(why, whylen, "%zu elements, more than the %u allowed", cnt, MSTRO__YAML_ARRAY_MAX);
      return MSTRO_INVARG;
    }
    int64_t *v = malloc(cnt ? cnt * sizeof *v : 1);
    if (!v)
      return MSTRO_NOMEM;
    for (size_t i = 0; i < cnt; i++) {
      yaml_node_t *it = yaml_document_get_node(doc, n->data.sequence.items.start[i]);
      if (!it || !scalar(it) || !parse_i64(scalar(it), &v[i])) {
        free(v);
        snprintf(why, whylen, "element %zu is not an integer", i);
        return MSTRO_INVARG;
      }
    }
    out->arr.v = v;
    out->arr.n = cnt;
    return MSTRO_OK;
  }
  const char *t = scalar(n);
  if (t == NULL) {
    snprintf(why, whylen, "YAML value is not a scalar");
    return MSTRO_INVARG;
  }
  if (n->data.scalar.length != strlen(t)) {
    snprintf(why, whylen, "value contains a NUL byte");
    return MSTRO_INVARG;
  }
  if (!plain(n) && type != MSTRO_CDO_ATTR_VALUE_cstring && type != MSTRO_CDO_ATTR_VALUE_timestamp &&
      type != MSTRO_CDO_ATTR_VALUE_blob) {
    snprintf(why, whylen, "quoted text '%.200s' given for a %s", t, mstro__attr_type_name(type));
    return MSTRO_INVARG;
  }
  st = mstro__attr_value_parse(type, t, out);
  if (st == MSTRO_INVARG)
    snprintf(why, whylen, "'%.200s' is not a %s", t, mstro__attr_type_name(type));
  return st;
}

static mstro_status parse_attr(struct parse_ctx *c, yaml_node_t *node)
{
  mstro_status st = MSTRO_OK;
  struct mstro__attr_def *d = NULL;
  char *count_key = NULL;
  yaml_node_t *type_node = NULL, *default_node = NULL;
  size_t line = node_line(node);
  if (node->type != YAML_MAPPING_NODE) {
    schema_error(c->file, line,
                 "each entry of maestro-attributes must be a mapping with key: "
                 "and type:");
    return MSTRO_INVARG;
  }
  d = calloc(1, sizeof *d);
  if (!d)
    return MSTRO_NOMEM;
  d->schema = c->schema;
  for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
       p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
    const char *ks = scalar(k);
    if (!ks || !v) {
      schema_error(c->file, node_line(k), "attribute field names must be scalars");
      st = MSTRO_INVARG;
      goto cleanup;
    }
    if (!strcmp(ks, "key")) {
      const char *vs = scalar(v);
      if (!vs || !*vs || d->rel_key) {
        schema_error(c->file, node_line(v), "'key' must be a non-empty scalar, given once");
        st = MSTRO_INVARG;
        goto cleanup;
      }
      for (const char *q = vs; *q; q++) {
        if (!isalnum((unsigned char)*q) && !strchr("._-/:+", *q)) {
          schema_error(c->file, node_line(v), "key '%s': character '%c' not allowed in keys", vs,
                       isprint((unsigned char)*q) ? *q : '?');
          st = MSTRO_INVARG;
          goto cleanup;
        }
      }
      d->rel_key = strdup(vs);
      if (!d->rel_key) {
        st = MSTRO_NOMEM;
        goto cleanup;
      }
    } else if (!strcmp(ks, "type")) {
      type_node = v;
    } else if (!strcmp(ks, "default")) {
      default_node = v;
    } else if (!strcmp(ks, "required") || !strcmp(ks, "read-only")) {
      bool b;
      if (!parse_yaml_bool(v, &b)) {
        schema_error(c->file, node_line(v), "'%s' must be True or False", ks);
        st = MSTRO_INVARG;
        goto cleanup;
      }
      if (ks[0] == 'r' && ks[1] == 'e' && ks[2] == 'q')
        d->required = b;
      else
        d->readonly = b;
    } else if (!strcmp(ks, "documentation")) {
      const char *vs = scalar(v);
      if (!vs) {
        schema_error(c->file, node_line(v), "'documentation' must be a scalar");
        st = MSTRO_INVARG;
        goto cleanup;
      }
      free((char *)d->doc);
      d->doc = strdup(vs);
      if (!d->doc) {
        st = MSTRO_NOMEM;
        goto cleanup;
      }
    } else {
      schema_error(c->file, node_line(k),
                   "unknown attribute field '%s' (key, type, required, "
                   "default, documentation, read-only)",
                   ks);
      st = MSTRO_INVARG;
      goto cleanup;
    }
  }
  if (!d->rel_key) {
    schema_error(c->file, line, "attribute entry without 'key'");
    st = MSTRO_INVARG;
    goto cleanup;
  }
  if (!type_node) {
    schema_error(c->file, line, "attribute %s: no 'type'", d->rel_key);
    st = MSTRO_INVARG;
    goto cleanup;
  }
  if (!d->doc && !(d->doc = strdup(""))) {
    st = MSTRO_NOMEM;
    goto cleanup;
  }
  /* absolute key */
  size_t klen = strlen(d->rel_key) + (d->rel_key[0] == '.' ? 0 : strlen(c->schema->nspace));
  if (klen > MSTRO__ATTR_KEY_MAX) {
    schema_error(c->file, line, "attribute %s: key longer than %d bytes", d->rel_key,
                 MSTRO__ATTR_KEY_MAX);
    st = MSTRO_INVARG;
    goto cleanup;
  }
  char *abs = malloc(klen + 1);
  if (!abs) {
    st = MSTRO_NOMEM;
    goto cleanup;
  }
  if (d->rel_key[0] == '.')
    strcpy(abs, d->rel_key);
  else
    snprintf(abs, klen + 1, "%s%s", c->schema->nspace, d->rel_key);
  d->key = abs;
  if (abs[klen - 1] == '.') {
    schema_error(c->file, line, "attribute %s: key must not end with '.'", d->rel_key);
    st = MSTRO_INVARG;
    goto cleanup;
  }
  MSTRO_CHECK_CALL(SCHEMA, st, parse_type(c, type_node, d, &count_key), "in schema %s", c->file);
  if (default_node) {
    if (d->type == MSTRO_CDO_ATTR_VALUE_pointer) {
      schema_error(c->file, node_line(default_node), "attribute %s: a pointer has no default",
                   d->rel_key);
      st = MSTRO_INVARG;
      goto cleanup;
    }
    if (d->type == MSTRO_CDO_ATTR_VALUE_int64_array) {
      schema_error(c->file, node_line(default_node),
                   "attribute %s: int64_array attributes take no default", d->rel_key);
      st = MSTRO_INVARG;
      goto cleanup;
    }
    char why[300];
    st = mstro__attr_value_from_yaml(c->doc, default_node, d->type, &d->def_value, why, sizeof why);
    if (st != MSTRO_OK) {
      schema_error(c->file, node_line(default_node), "attribute %s: default value '%s' is not a %s",
                   d->rel_key, scalar(default_node) ? scalar(default_node) : "(non-scalar)",
                   mstro__attr_type_name(d->type));
      st = MSTRO_INVARG;
      goto cleanup;
    }
    d->has_default = true;
    if (mstro__attr_value_check(d, &d->def_value) != MSTRO_OK) {
      schema_error(c->file, node_line(default_node),
                   "attribute %s: default value violates the type's constraints", d->rel_key);
      st = MSTRO_INVARG;
      goto cleanup;
    }
  }
  /* duplicates within the file */
  for (size_t i = 0; i < c->n; i++) {
    if (!strcmp(c->defs[i]->key, d->key)) {
      schema_error(c->file, line, "key %s defined twice (first at line %zu)", d->key, c->lines[i]);
      st = MSTRO_INVARG;
      goto cleanup;
    }
  }
  if (c->n == c->cap) {
    size_t nc = c->cap ? 2 * c->cap : 16;
    struct mstro__attr_def **nd = realloc(c->defs, nc * sizeof *nd);
    if (nd)
      c->defs = nd;
    char **nk = realloc(c->count_keys, nc * sizeof *nk);
    if (nk)
      c->count_keys = nk;
    size_t *nl = realloc(c->lines, nc * sizeof *nl);
    if (nl)
      c->lines = nl;
    if (!nd || !nk || !nl) {
      st = MSTRO_NOMEM;
      goto cleanup;
    }
    c->cap = nc;
  }
  c->defs[c->n] = d;
  c->count_keys[c->n] = count_key;
  c->lines[c->n] = line;
  c->n++;
  return MSTRO_OK;
cleanup:
  free(count_key);
  def_free(d);
  return st;
}

static mstro_status parse_doc(struct parse_ctx *c)
{
  yaml_node_t *root = yaml_document_get_root_node(c->doc);
  yaml_node_t *attrs = NULL;
  bool have_version = false;
  if (!root) {
    schema_error(c->file, 0, "empty schema file");
    return MSTRO_INVARG;
  }
  if (root->type != YAML_MAPPING_NODE) {
    schema_error(c->file, node_line(root),
                 "a schema must be a mapping with schema-name, "
                 "schema-version, schema-namespace and maestro-attributes");
    return MSTRO_INVARG;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
       p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
    const char *ks = scalar(k);
    const char *vs = scalar(v);
    if (!ks || !v) {
      schema_error(c->file, node_line(k), "top-level keys must be scalars");
      return MSTRO_INVARG;
    }
    if (!strcmp(ks, "schema-name")) {
      if (!vs || !*vs || c->schema->name) {
        schema_error(c->file, node_line(v), "schema-name must be a non-empty scalar, given once");
        return MSTRO_INVARG;
      }
      if (!(c->schema->name = strdup(vs)))
        return MSTRO_NOMEM;
    } else if (!strcmp(ks, "schema-version")) {
      if (!vs || !parse_i64(vs, &c->schema->version) || have_version) {
        schema_error(c->file, node_line(v), "schema-version must be an integer, given once");
        return MSTRO_INVARG;
      }
      have_version = true;
    } else if (!strcmp(ks, "schema-namespace")) {
      size_t l = vs ? strlen(vs) : 0;
      if (l < 2 || vs[0] != '.' || vs[l - 1] != '.' || c->schema->nspace ||
          l > MSTRO__ATTR_KEY_MAX / 2) {
        schema_error(c->file, node_line(v),
                     "schema-namespace must start and end with '.' (like \".maestro.ecmwf.\"), "
                     "given once");
        return MSTRO_INVARG;
      }
      if (!(c->schema->nspace = strdup(vs)))
        return MSTRO_NOMEM;
    } else if (!strcmp(ks, "maestro-attributes")) {
      if (attrs || (v->type != YAML_SEQUENCE_NODE &&
                    !(v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0))) {
        schema_error(c->file, node_line(v), "maestro-attributes must be a list, given once");
        return MSTRO_INVARG;
      }
      attrs = v;
    } else if (!strcmp(ks, "schema-documentation") || !strcmp(ks, "documentation")) {
      /* free text, ignored */
    } else {
      schema_error(c->file, node_line(k), "unknown top-level key '%s'", ks);
      return MSTRO_INVARG;
    }
  }
  if (!c->schema->name) {
    schema_error(c->file, node_line(root), "no schema-name");
    return MSTRO_INVARG;
  }
  if (!c->schema->nspace) {
    schema_error(c->file, node_line(root), "no schema-namespace");
    return MSTRO_INVARG;
  }
  if (!attrs) {
    schema_error(c->file, node_line(root), "no maestro-attributes");
    return MSTRO_INVARG;
  }
  if (attrs->type == YAML_SEQUENCE_NODE) {
    for (yaml_node_item_t *it = attrs->data.sequence.items.start;
         it < attrs->data.sequence.items.top; it++) {
      yaml_node_t *n = yaml_document_get_node(c->doc, *it);
      if (!n)
        return MSTRO_INVARG;
      mstro_status st = parse_attr(c, n);
      if (st != MSTRO_OK)
        return st;
    }
  }
  return MSTRO_OK;
}

static void ctx_free(struct parse_ctx *c)
{
  for (size_t i = 0; i < c->n; i++) {
    def_free(c->defs[i]);
    free(c->count_keys[i]);
  }
  free(c->defs);
  free(c->count_keys);
  free(c->lines);
  schema_free(c->schema);
}

static mstro_status register_ctx(struct parse_ctx *c, mstro_schema *result)
{
  mstro_status st = MSTRO_OK;
  if (mstro__schema_find(c->schema->name)) {
    MSTRO_LOG_WARN(SCHEMA, "schema %s (%s) already loaded, skipping %s", c->schema->name,
                   mstro__schema_find(c->schema->name)->file, c->file);
    if (result)
      *result = mstro__schema_find(c->schema->name);
    ctx_free(c);
    return MSTRO_OK;
  }
  for (size_t i = 0; i < c->n; i++) {
    const struct mstro__attr_def *old = lookup_abs(c->defs[i]->key, strlen(c->defs[i]->key));
    if (old) {
      schema_error(c->file, c->lines[i], "key %s already defined by schema %s (%s)",
                   c->defs[i]->key, old->schema->name, old->schema->file);
      return MSTRO_INVARG;
    }
  }
  /* resolve count keys: in this file first, then the registry */
  for (size_t i = 0; i < c->n; i++) {
    if (!c->count_keys[i])
      continue;
    const char *ck = c->count_keys[i];
    char abs[MSTRO__ATTR_KEY_MAX + 1];
    if (ck[0] == '.')
      snprintf(abs, sizeof abs, "%s", ck);
    else
      snprintf(abs, sizeof abs, "%s%s", c->schema->nspace, ck);
    const struct mstro__attr_def *cd = NULL;
    for (size_t j = 0; j < c->n && !cd; j++)
      if (!strcmp(c->defs[j]->key, abs))
        cd = c->defs[j];
    if (!cd)
      cd = lookup_abs(abs, strlen(abs));
    if (!cd || !(type_is_signed(cd->type) || type_is_unsigned(cd->type)) ||
        cd->type == MSTRO_CDO_ATTR_VALUE_int64_array) {
      schema_error(c->file, c->lines[i], "attribute %s: count key %s is not an integer attribute",
                   c->defs[i]->key, abs);
      return MSTRO_INVARG;
    }
    c->defs[i]->count_def = cd;
  }
  if (reg.n + c->n > reg.cap) {
    uint32_t nc = reg.cap ? reg.cap : 32;
    while (nc < reg.n + c->n)
      nc *= 2;
    struct mstro__attr_def **nd = realloc(reg.defs, nc * sizeof *nd);
    if (!nd)
      return MSTRO_NOMEM;
    reg.defs = nd;
    reg.cap = nc;
  }
  uint32_t first = reg.n;
  for (size_t i = 0; i < c->n; i++) {
    c->defs[i]->id = reg.n;
    reg.defs[reg.n++] = c->defs[i];
  }
  st = rehash(reg.n);
  if (st != MSTRO_OK) {
    reg.n = first; /* defs still owned by the context */
    return st;
  }
  /* registry owns them now */
  c->schema->next = NULL;
  struct mstro_schema_ **tail = &reg.schemas;
  while (*tail)
    tail = &(*tail)->next;
  *tail = c->schema;
  MSTRO_LOG_INFO(SCHEMA, "loaded schema %s version %" PRId64 " (%s): %zu attributes in %s",
                 c->schema->name, c->schema->version, c->file, c->n, c->schema->nspace);
  if (result)
    *result = c->schema;
  for (size_t i = 0; i < c->n; i++)
    free(c->count_keys[i]);
  free(c->defs);
  free(c->count_keys);
  free(c->lines);
  return MSTRO_OK;
}

mstro_status mstro__schema_load_buffer(const char *text, size_t len, const char *fname,
                                       mstro_schema *result)
{
  mstro_status st = MSTRO_OK;
  yaml_parser_t parser;
  yaml_document_t doc;
  bool have_parser = false, have_doc = false;
  struct parse_ctx c = {.file = fname ? fname : "(buffer)", .doc = &doc};
  last_error[0] = 0;
  if (!text) {
    schema_error(c.file, 0, "NULL schema text");
    return MSTRO_INVARG;
  }
  if (len > SCHEMA_FILE_MAX) {
    schema_error(c.file, 0, "schema larger than %u bytes", SCHEMA_FILE_MAX);
    return MSTRO_INVARG;
  }
  c.schema = calloc(1, sizeof *c.schema);
  if (!c.schema || !(c.schema->file = strdup(c.file))) {
    st = MSTRO_NOMEM;
    goto cleanup;
  }
  if (!yaml_parser_initialize(&parser)) {
    st = MSTRO_NOMEM;
    goto cleanup;
  }
  have_parser = true;
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &doc)) {
    if (parser.context)
      schema_error(c.file, parser.problem_mark.line + 1,
                   "YAML syntax error: %s %s (that started at line %zu)",
                   parser.problem ? parser.problem : "unknown problem", parser.context,
                   parser.context_mark.line + 1);
    else
      schema_error(c.file, parser.problem_mark.line + 1, "YAML syntax error: %s",
                   parser.problem ? parser.problem : "unknown problem");
    st = MSTRO_INVARG;
    goto cleanup;
  }
  have_doc = true;
  st = parse_doc(&c);
  if (st != MSTRO_OK)
    goto cleanup;
  /* a second document in the stream is not allowed */
  yaml_document_t doc2;
  if (yaml_parser_load(&parser, &doc2)) {
    bool more = yaml_document_get_root_node(&doc2) != NULL;
    size_t l2 = more ? node_line(yaml_document_get_root_node(&doc2)) : 0;
    yaml_document_delete(&doc2);
    if (more) {
      schema_error(c.file, l2, "more than one YAML document in a schema file");
      st = MSTRO_INVARG;
      goto cleanup;
    }
  } else {
    schema_error(c.file, parser.problem_mark.line + 1, "YAML syntax error: %s",
                 parser.problem ? parser.problem : "unknown problem");
    st = MSTRO_INVARG;
    goto cleanup;
  }
  st = register_ctx(&c, result);
  if (st == MSTRO_OK)
    c.schema = NULL, c.n = 0, c.defs = NULL, c.count_keys = NULL, c.lines = NULL;
cleanup:
  if (st != MSTRO_OK)
    ctx_free(&c);
  if (have_doc)
    yaml_document_delete(&doc);
  if (have_parser)
    yaml_parser_delete(&parser);
  return st;
}

mstro_status mstro__schema_load_file(const char *path, mstro_schema *result)
{
  mstro_status st = MSTRO_OK;
  char *buf = NULL;
  FILE *f = NULL;
  last_error[0] = 0;
  if (!path) {
    schema_error("(null)", 0, "NULL schema path");
    return MSTRO_INVARG;
  }
  f = fopen(path, "rb");
  if (!f) {
    schema_error(path, 0, "cannot open: %s", strerror(errno));
    return MSTRO_INVARG;
  }
  buf = malloc(SCHEMA_FILE_MAX + 1);
  if (!buf) {
    st = MSTRO_NOMEM;
    goto cleanup;
  }
  size_t n = fread(buf, 1, SCHEMA_FILE_MAX + 1, f);
  if (ferror(f)) {
    schema_error(path, 0, "read error");
    st = MSTRO_INVARG;
    goto cleanup;
  }
  if (n > SCHEMA_FILE_MAX) {
    schema_error(path, 0, "schema file larger than %u bytes", SCHEMA_FILE_MAX);
    st = MSTRO_INVARG;
    goto cleanup;
  }
  st = mstro__schema_load_buffer(buf, n, path, result);
cleanup:
  free(buf);
  if (f)
    fclose(f);
  return st;
}

/* Find `name` in the ':'-separated dirs; writes the path into out. */
static bool find_in_path(const char *dirs, const char *name, char *out, size_t outlen)
{
  if (!dirs)
    return false;
  const char *p = dirs;
  while (*p) {
    const char *e = strchr(p, ':');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l > 0) {
      int w = snprintf(out, outlen, "%.*s/%s", (int)l, p, name);
      if (w > 0 && (size_t)w < outlen) {
        FILE *f = fopen(out, "rb");
        if (f) {
          fclose(f);
          return true;
        }
      }
    }
    if (!e)
      break;
    p = e + 1;
  }
  return false;
}

static mstro_status load_user_schemas(void)
{
  const char *list = getenv("MSTRO_SCHEMA_LIST");
  const char *path = getenv("MSTRO_SCHEMA_PATH");
  if (!list || !*list)
    return MSTRO_OK;
  char *copy = strdup(list);
  if (!copy)
    return MSTRO_NOMEM;
  mstro_status st = MSTRO_OK;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    while (isspace((unsigned char)*tok))
      tok++;
    size_t tl = strlen(tok);
    while (tl > 0 && isspace((unsigned char)tok[tl - 1]))
      tok[--tl] = 0;
    if (!*tok)
      continue;
    char full[4096];
    bool found = false;
    if (strchr(tok, '/')) {
      snprintf(full, sizeof full, "%s", tok);
      found = true;
    } else {
      found = find_in_path(path, tok, full, sizeof full) ||
              find_in_path(".", tok, full, sizeof full) ||
              find_in_path(MSTRO_SCHEMA_INSTALL_DIR, tok, full, sizeof full) ||
              find_in_path(MSTRO_SCHEMA_SOURCE_DIR, tok, full, sizeof full);
    }
    if (!found) {
      schema_error(tok, 0,
                   "schema file named in MSTRO_SCHEMA_LIST not found in "
                   "MSTRO_SCHEMA_PATH='%s', '.', or %s",
                   path ? path : "", MSTRO_SCHEMA_INSTALL_DIR);
      st = MSTRO_INVARG;
      break;
    }
    st = mstro__schema_load_file(full, NULL);
    if (st != MSTRO_OK)
      break;
  }
  free(copy);
  return st;
}

mstro_status mstro__schemas_init(void)
{
  if (reg.refcount > 0) {
    reg.refcount++;
    return MSTRO_OK;
  }
  mstro_status st;
  char full[4096];
  const char *path = getenv("MSTRO_SCHEMA_PATH");
  if (find_in_path(path, MSTRO__CORE_SCHEMA_FILE, full, sizeof full)) {
    MSTRO_LOG_INFO(SCHEMA, "core schema overridden by %s (from MSTRO_SCHEMA_PATH)", full);
    st = mstro__schema_load_file(full, &reg.core);
  } else {
    st = mstro__schema_load_buffer(mstro__core_schema_text, mstro__core_schema_len,
                                   "(built-in)/" MSTRO__CORE_SCHEMA_FILE, &reg.core);
  }
  if (st == MSTRO_OK && (!reg.core || strcmp(reg.core->nspace, MSTRO_ATTR_CORE_CDO_NAMESPACE))) {
    schema_error(reg.core ? reg.core->file : MSTRO__CORE_SCHEMA_FILE, 0,
                 "the core schema must have schema-namespace \"%s\"",
                 MSTRO_ATTR_CORE_CDO_NAMESPACE);
    st = MSTRO_INVARG;
  }
  if (st == MSTRO_OK)
    st = load_user_schemas();
  if (st != MSTRO_OK) {
    registry_clear();
    return st;
  }
  reg.refcount = 1;
  return MSTRO_OK;
}

void mstro__schemas_fini(void)
{
  if (reg.refcount <= 0)
    return;
  if (--reg.refcount == 0)
    registry_clear();
}
