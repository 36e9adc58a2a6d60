/* SPDX-License-Identifier: BSD-3-Clause */
/* Where schemas come from: the built-in core schema (or an override found
 * in MSTRO_SCHEMA_PATH), then the user schemas of MSTRO_SCHEMA_LIST. */
#include "schema_internal.h"

#include "env.h"

#include <ctype.h>

#include "mstro_log.h"
#include "yaml_value.h"

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
  struct mstro__options ol, op;
  mstro__env_load_one("MSTRO_SCHEMA_LIST", &ol);
  mstro__env_load_one("MSTRO_SCHEMA_PATH", &op);
  const char *list = ol.schema_list, *path = op.schema_path;
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
      mstro__schema_error(tok, 0,
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
  if (mstro__schema_reg.refcount > 0) {
    mstro__schema_reg.refcount++;
    return MSTRO_OK;
  }
  mstro_status st;
  char full[4096];
  struct mstro__options op;
  mstro__env_load_one("MSTRO_SCHEMA_PATH", &op);
  const char *path = op.schema_path;
  if (find_in_path(path, MSTRO__CORE_SCHEMA_FILE, full, sizeof full)) {
    MSTRO_LOG_INFO(SCHEMA, "core schema overridden by %s (from MSTRO_SCHEMA_PATH)", full);
    st = mstro__schema_load_file(full, &mstro__schema_reg.core);
  } else {
    st = mstro__schema_load_buffer(mstro__core_schema_text, mstro__core_schema_len,
                                   "(built-in)/" MSTRO__CORE_SCHEMA_FILE, &mstro__schema_reg.core);
  }
  if (st == MSTRO_OK && (!mstro__schema_reg.core ||
                         strcmp(mstro__schema_reg.core->nspace, MSTRO_ATTR_CORE_CDO_NAMESPACE))) {
    mstro__schema_error(
        mstro__schema_reg.core ? mstro__schema_reg.core->file : MSTRO__CORE_SCHEMA_FILE, 0,
        "the core schema must have schema-namespace \"%s\"", MSTRO_ATTR_CORE_CDO_NAMESPACE);
    st = MSTRO_INVARG;
  }
  if (st == MSTRO_OK)
    st = load_user_schemas();
  if (st != MSTRO_OK) {
    mstro__schema_registry_clear();
    return st;
  }
  mstro__schema_reg.refcount = 1;
  return MSTRO_OK;
}

void mstro__schemas_fini(void)
{
  if (mstro__schema_reg.refcount <= 0)
    return;
  if (--mstro__schema_reg.refcount == 0)
    mstro__schema_registry_clear();
}
