/* SPDX-License-Identifier: BSD-3-Clause */
/* Table-driven environment options: parsing and validation. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_bool(const char *t, bool *out)
{
  static const char *const yes[] = {"1", "yes", "true", "on"};
  static const char *const no[] = {"0", "no", "false", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(t, yes[i]) == 0) {
      *out = true;
      return 0;
    }
    if (strcasecmp(t, no[i]) == 0) {
      *out = false;
      return 0;
    }
  }
  return -1;
}

static int parse_ll(const char *t, long long *out)
{
  char *end = NULL;
  long long v;
  errno = 0;
  v = strtoll(t, &end, 10);
  if (errno != 0 || end == t || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

static int parse_size(const char *t, uint64_t *out)
{
  char *end = NULL;
  unsigned long long v;
  unsigned shift = 0;
  const char *p = t;
  while (isspace((unsigned char)*p))
    p++;
  if (*p == '-' || !isdigit((unsigned char)*p))
    return -1;
  errno = 0;
  v = strtoull(p, &end, 10);
  if (errno != 0 || end == p)
    return -1;
  switch (toupper((unsigned char)*end)) {
  case '\0':
    break;
  case 'K':
    shift = 10;
    break;
  case 'M':
    shift = 20;
    break;
  case 'G':
    shift = 30;
    break;
  case 'T':
    shift = 40;
    break;
  default:
    return -1;
  }
  if (shift != 0) {
    end++;
    if (toupper((unsigned char)*end) == 'I')
      end++;
    if (toupper((unsigned char)*end) == 'B')
      end++;
  }
  if (*end != '\0' || (shift != 0 && v > (UINT64_MAX >> shift)))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

static bool bounded(const struct mmb__opt_def *d)
{
  return d->min != 0 || d->max != 0;
}

int mmb__opt_parse(const struct mmb__opt_def *d, const char *text, void *base, char *err,
                   size_t errlen)
{
  int rc = -1;
  char *field = (char *)base + d->offset;

  if (text == NULL) {
    snprintf(err, errlen, "%s: no value", d->name);
    goto cleanup;
  }
  switch (d->kind) {
  case MMB__OPT_STRING:
    if (*text == '\0') {
      snprintf(err, errlen, "%s is set but empty", d->name);
      goto cleanup;
    }
    *(const char **)field = text;
    break;
  case MMB__OPT_BOOL:
    if (parse_bool(text, (bool *)field) != 0) {
      snprintf(err, errlen, "%s=\"%s\": expected 1/0, yes/no, true/false or on/off", d->name, text);
      goto cleanup;
    }
    break;
  case MMB__OPT_INT: {
    long long v;
    if (parse_ll(text, &v) != 0) {
      snprintf(err, errlen, "%s=\"%s\": not an integer", d->name, text);
      goto cleanup;
    }
    if (bounded(d) && (v < d->min || v > d->max)) {
      snprintf(err, errlen, "%s=%lld: out of range [%lld, %lld]", d->name, v, d->min, d->max);
      goto cleanup;
    }
    *(long long *)field = v;
    break;
  }
  case MMB__OPT_SIZE: {
    uint64_t v;
    if (parse_size(text, &v) != 0) {
      snprintf(err, errlen, "%s=\"%s\": expected a byte count such as 4096, 64K or 2GiB", d->name,
               text);
      goto cleanup;
    }
    if (bounded(d) && (v < (uint64_t)d->min || v > (uint64_t)d->max)) {
      snprintf(err, errlen, "%s=%s: out of range [%lld, %lld] bytes", d->name, text, d->min,
               d->max);
      goto cleanup;
    }
    *(uint64_t *)field = v;
    break;
  }
  case MMB__OPT_ENUM: {
    int found = -1;
    for (int i = 0; d->choices != NULL && d->choices[i] != NULL; i++) {
      if (strcasecmp(text, d->choices[i]) == 0) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      size_t off = (size_t)snprintf(err, errlen, "%s=\"%s\": expected one of", d->name, text);
      for (int i = 0; d->choices != NULL && d->choices[i] != NULL && off < errlen; i++)
        off += (size_t)snprintf(err + off, errlen - off, " %s", d->choices[i]);
      goto cleanup;
    }
    *(int *)field = found;
    break;
  }
  case MMB__OPT_CUSTOM: {
    char sub[256] = "invalid value";
    if (d->validate == NULL || d->validate(text, field, sub, sizeof sub) != 0) {
      snprintf(err, errlen, "%s=\"%s\": %s", d->name, text, sub);
      goto cleanup;
    }
    break;
  }
  default:
    snprintf(err, errlen, "%s: unknown option kind %d", d->name, (int)d->kind);
    goto cleanup;
  }
  rc = 0;
cleanup:
  return rc;
}

int mmb__opt_load(const struct mmb__opt_def *defs, size_t n, void *base, char *err, size_t errlen)
{
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    const char *v = getenv(defs[i].name);
    if (v == NULL)
      v = defs[i].default_text;
    if (v != NULL)
      rc = mmb__opt_parse(&defs[i], v, base, err, errlen);
  }
  return rc;
}

void mmb__opt_print(const struct mmb__opt_def *defs, size_t n, FILE *out)
{
  static const char *const kinds[] = {"string", "bool", "integer", "size", "choice", "value"};
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "%s (%s, default %s): %s\n", defs[i].name, kinds[defs[i].kind],
            defs[i].default_text ? defs[i].default_text : "unset", defs[i].doc);
  }
}
