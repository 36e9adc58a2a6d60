/* SPDX-License-Identifier: BSD-3-Clause */
/* Attribute value types: names, parsing text into values, range checks. */
#include "schema_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "base64.h"
#include "mstro_log.h"
#include "yaml_value.h"

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

bool mstro__attr_type_is_signed(enum mstro_cdo_attr_value_type t)
{
  return t == MSTRO_CDO_ATTR_VALUE_int32 || t == MSTRO_CDO_ATTR_VALUE_int64 ||
         t == MSTRO_CDO_ATTR_VALUE_int64_array;
}
bool mstro__attr_type_is_unsigned(enum mstro_cdo_attr_value_type t)
{
  return t == MSTRO_CDO_ATTR_VALUE_uint32 || t == MSTRO_CDO_ATTR_VALUE_uint64;
}
bool mstro__attr_type_is_real(enum mstro_cdo_attr_value_type t)
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

bool mstro__parse_i64(const char *text, int64_t *out)
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

bool mstro__parse_u64(const char *text, uint64_t *out)
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

bool mstro__parse_double(const char *text, double *out)
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

bool mstro__parse_bool(const char *text, bool *out)
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
  if (mstro__parse_i64(text, &secs)) {
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
    return mstro__parse_bool(text, &out->b) ? MSTRO_OK : MSTRO_INVARG;
  case MSTRO_CDO_ATTR_VALUE_int32:
    if (!mstro__parse_i64(text, &i) || i < INT32_MIN || i > INT32_MAX)
      return MSTRO_INVARG;
    out->i32 = (int32_t)i;
    return MSTRO_OK;
  case MSTRO_CDO_ATTR_VALUE_int64:
    return mstro__parse_i64(text, &out->i64) ? MSTRO_OK : MSTRO_INVARG;
  case MSTRO_CDO_ATTR_VALUE_uint32:
    if (!mstro__parse_u64(text, &u) || u > UINT32_MAX)
      return MSTRO_INVARG;
    out->u32 = (uint32_t)u;
    return MSTRO_OK;
  case MSTRO_CDO_ATTR_VALUE_uint64:
    return mstro__parse_u64(text, &out->u64) ? MSTRO_OK : MSTRO_INVARG;
  case MSTRO_CDO_ATTR_VALUE_float:
    if (!mstro__parse_double(text, &d))
      return MSTRO_INVARG;
    if (isfinite(d) && (d > 3.4028234663852886e38 || d < -3.4028234663852886e38))
      return MSTRO_INVARG;
    out->f = (float)d;
    return MSTRO_OK;
  case MSTRO_CDO_ATTR_VALUE_double:
    return mstro__parse_double(text, &out->d) ? MSTRO_OK : MSTRO_INVARG;
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
      if (mstro__attr_type_is_signed(def->type)) {
        if (def->has_min)
          snprintf(lo, sizeof lo, "%" PRId64, def->imin);
        if (def->has_max)
          snprintf(hi, sizeof hi, "%" PRId64, def->imax);
      } else if (mstro__attr_type_is_unsigned(def->type)) {
        snprintf(lo, sizeof lo, "%" PRIu64, def->has_min ? def->umin : 0);
        if (def->has_max)
          snprintf(hi, sizeof hi, "%" PRIu64, def->umax);
      } else if (mstro__attr_type_is_real(def->type)) {
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
