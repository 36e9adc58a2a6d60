/* SPDX-License-Identifier: BSD-3-Clause */
/* The attribute key registry: every key of every loaded schema, found by
 * key (open addressing) and by id. */
#include "schema_internal.h"

#include "env.h"

#include "mstro_log.h"
#include "yaml_value.h"

struct mstro__schema_registry mstro__schema_reg;

static _Thread_local char last_error[512];

const char *mstro__schema_last_error(void)
{
  return last_error;
}

void mstro__schema_error_clear(void)
{
  last_error[0] = '\0';
}

void mstro__schema_error(const char *file, size_t line, const char *fmt, ...)
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

const struct mstro__attr_def *mstro__schema_lookup_abs(const char *key, size_t len)
{
  if (!mstro__schema_reg.nslots)
    return NULL;
  uint32_t mask = mstro__schema_reg.nslots - 1;
  for (uint32_t i = (uint32_t)hash_key(key, len) & mask;; i = (i + 1) & mask) {
    uint32_t s = mstro__schema_reg.slots[i];
    if (!s)
      return NULL;
    const struct mstro__attr_def *d = mstro__schema_reg.defs[s - 1];
    if (strlen(d->key) == len && memcmp(d->key, key, len) == 0)
      return d;
  }
}

mstro_status mstro__schema_rehash(uint32_t want)
{
  uint32_t n = 64;
  while (n < want * 2)
    n *= 2;
  uint32_t *slots = calloc(n, sizeof *slots);
  if (!slots)
    return MSTRO_NOMEM;
  for (uint32_t id = 0; id < mstro__schema_reg.n; id++) {
    const char *k = mstro__schema_reg.defs[id]->key;
    uint32_t i = (uint32_t)hash_key(k, strlen(k)) & (n - 1);
    while (slots[i])
      i = (i + 1) & (n - 1);
    slots[i] = id + 1;
  }
  free(mstro__schema_reg.slots);
  mstro__schema_reg.slots = slots;
  mstro__schema_reg.nslots = n;
  return MSTRO_OK;
}

void mstro__schema_def_free(struct mstro__attr_def *d)
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

void mstro__schema_free(struct mstro_schema_ *s)
{
  if (!s)
    return;
  free(s->name);
  free(s->nspace);
  free(s->file);
  free(s);
}

void mstro__schema_registry_clear(void)
{
  for (uint32_t i = 0; i < mstro__schema_reg.n; i++)
    mstro__schema_def_free(mstro__schema_reg.defs[i]);
  free(mstro__schema_reg.defs);
  free(mstro__schema_reg.slots);
  while (mstro__schema_reg.schemas) {
    struct mstro_schema_ *n = mstro__schema_reg.schemas->next;
    mstro__schema_free(mstro__schema_reg.schemas);
    mstro__schema_reg.schemas = n;
  }
  mstro__schema_reg.defs = NULL;
  mstro__schema_reg.slots = NULL;
  mstro__schema_reg.n = mstro__schema_reg.cap = mstro__schema_reg.nslots = 0;
  mstro__schema_reg.core = NULL;
}

const struct mstro__attr_def *mstro__schema_lookup_n(mstro_schema schema, const char *nspace,
                                                     const char *key, size_t len)
{
  if (!key || !mstro__schema_reg.n)
    return NULL;
  const struct mstro__attr_def *d;
  if (len > 0 && key[0] == '.') {
    d = mstro__schema_lookup_abs(key, len);
  } else {
    if (!nspace)
      nspace = MSTRO_ATTR_CORE_CDO_NAMESPACE;
    size_t nl = strlen(nspace);
    char buf[MSTRO__ATTR_KEY_MAX + 1];
    if (nl + len > MSTRO__ATTR_KEY_MAX)
      return NULL;
    memcpy(buf, nspace, nl);
    memcpy(buf + nl, key, len);
    d = mstro__schema_lookup_abs(buf, nl + len);
  }
  if (d && schema && d->schema != schema && d->schema != mstro__schema_reg.core)
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
  return mstro__schema_reg.n;
}

const struct mstro__attr_def *mstro__schema_attr_by_id(uint32_t id)
{
  return id < mstro__schema_reg.n ? mstro__schema_reg.defs[id] : NULL;
}

mstro_schema mstro__schema_find(const char *name)
{
  for (struct mstro_schema_ *s = mstro__schema_reg.schemas; s && name; s = s->next)
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
  return mstro__schema_reg.refcount > 0;
}

bool mstro__schemas_drop_unknown(void)
{
  struct mstro__options o;
  mstro__env_load_one("MSTRO_DROP_UNKNOWN_ATTRIBUTES", &o);
  return o.drop_unknown;
}
