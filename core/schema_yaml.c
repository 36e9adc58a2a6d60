/* SPDX-License-Identifier: BSD-3-Clause */
/* Schema files: parsed with libyaml, their attributes registered. */
#include "schema_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "mstro_log.h"
#include "yaml_value.h"

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
    mstro__schema_error(c->file, line, "attribute %s: 'type' must be a scalar like int()",
                        d->rel_key);
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
    mstro__schema_error(c->file, line,
                        "attribute %s: unknown type '%s' (int() uint() str() bool() "
                        "double() float() int32() uint32() timestamp() pointer() blob() "
                        "int64_array(count=KEY))",
                        d->rel_key, text);
    return MSTRO_INVARG;
  }
  while (isspace((unsigned char)*p))
    p++;
  if (*p != '(') {
    mstro__schema_error(c->file, line, "attribute %s: type '%s' lacks '(...)'", d->rel_key, text);
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
      mstro__schema_error(c->file, line, "attribute %s: malformed type arguments in '%s'",
                          d->rel_key, text);
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
      mstro__schema_error(c->file, line, "attribute %s: malformed type arguments in '%s'",
                          d->rel_key, text);
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
      ok = mstro__parse_u64(val, &u) && u <= SIZE_MAX;
      if (ok) {
        if (is_min)
          d->min_len = (size_t)u;
        else
          d->max_len = (size_t)u;
      }
    } else if ((is_min || is_max) && mstro__attr_type_is_signed(d->type)) {
      int64_t x;
      ok = mstro__parse_i64(val, &x);
      if (ok && is_min) {
        d->has_min = true;
        d->imin = x;
      } else if (ok) {
        d->has_max = true;
        d->imax = x;
      }
    } else if ((is_min || is_max) && mstro__attr_type_is_unsigned(d->type)) {
      uint64_t x;
      ok = mstro__parse_u64(val, &x);
      if (ok && is_min) {
        d->has_min = true;
        d->umin = x;
      } else if (ok) {
        d->has_max = true;
        d->umax = x;
      }
    } else if ((is_min || is_max) && mstro__attr_type_is_real(d->type)) {
      double x;
      ok = mstro__parse_double(val, &x) && !isnan(x);
      if (ok && is_min) {
        d->has_min = true;
        d->dmin = x;
      } else if (ok) {
        d->has_max = true;
        d->dmax = x;
      }
    } else {
      mstro__schema_error(c->file, line,
                          "attribute %s: type argument '%.*s' not allowed for %.*s()", d->rel_key,
                          (int)al, ab, (int)nl, nb);
      return MSTRO_INVARG;
    }
    if (!ok) {
      mstro__schema_error(c->file, line, "attribute %s: bad value '%s' for type argument '%.*s'",
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
    mstro__schema_error(c->file, line, "attribute %s: trailing text after type '%s'", d->rel_key,
                        text);
    return MSTRO_INVARG;
  }
  if (d->type == MSTRO_CDO_ATTR_VALUE_int64_array && !*count_key) {
    mstro__schema_error(c->file, line, "attribute %s: int64_array needs count=KEY", d->rel_key);
    return MSTRO_INVARG;
  }
  bool inverted = false;
  if (d->has_min && d->has_max) {
    if (mstro__attr_type_is_signed(d->type))
      inverted = d->imin > d->imax;
    else if (mstro__attr_type_is_unsigned(d->type))
      inverted = d->umin > d->umax;
    else
      inverted = d->dmin > d->dmax;
  }
  if (d->max_len && d->min_len > d->max_len)
    inverted = true;
  if (inverted) {
    mstro__schema_error(c->file, line, "attribute %s: min greater than max in '%s'", d->rel_key,
                        text);
    return MSTRO_INVARG;
  }
  return MSTRO_OK;
}

static bool parse_yaml_bool(const yaml_node_t *n, bool *out)
{
  const char *t = scalar(n);
  return t && mstro__parse_bool(t, out);
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
      if (!it || !scalar(it) || !mstro__parse_i64(scalar(it), &v[i])) {
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
    mstro__schema_error(c->file, line,
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
      mstro__schema_error(c->file, node_line(k), "attribute field names must be scalars");
      st = MSTRO_INVARG;
      goto cleanup;
    }
    if (!strcmp(ks, "key")) {
      const char *vs = scalar(v);
      if (!vs || !*vs || d->rel_key) {
        mstro__schema_error(c->file, node_line(v), "'key' must be a non-empty scalar, given once");
        st = MSTRO_INVARG;
        goto cleanup;
      }
      for (const char *q = vs; *q; q++) {
        if (!isalnum((unsigned char)*q) && !strchr("._-/:+", *q)) {
          mstro__schema_error(c->file, node_line(v), "key '%s': character '%c' not allowed in keys",
                              vs, isprint((unsigned char)*q) ? *q : '?');
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
        mstro__schema_error(c->file, node_line(v), "'%s' must be True or False", ks);
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
        mstro__schema_error(c->file, node_line(v), "'documentation' must be a scalar");
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
      mstro__schema_error(c->file, node_line(k),
                          "unknown attribute field '%s' (key, type, required, "
                          "default, documentation, read-only)",
                          ks);
      st = MSTRO_INVARG;
      goto cleanup;
    }
  }
  if (!d->rel_key) {
    mstro__schema_error(c->file, line, "attribute entry without 'key'");
    st = MSTRO_INVARG;
    goto cleanup;
  }
  if (!type_node) {
    mstro__schema_error(c->file, line, "attribute %s: no 'type'", d->rel_key);
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
    mstro__schema_error(c->file, line, "attribute %s: key longer than %d bytes", d->rel_key,
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
    mstro__schema_error(c->file, line, "attribute %s: key must not end with '.'", d->rel_key);
    st = MSTRO_INVARG;
    goto cleanup;
  }
  MSTRO_CHECK_CALL(SCHEMA, st, parse_type(c, type_node, d, &count_key), "in schema %s", c->file);
  if (default_node) {
    if (d->type == MSTRO_CDO_ATTR_VALUE_pointer) {
      mstro__schema_error(c->file, node_line(default_node),
                          "attribute %s: a pointer has no default", d->rel_key);
      st = MSTRO_INVARG;
      goto cleanup;
    }
    if (d->type == MSTRO_CDO_ATTR_VALUE_int64_array) {
      mstro__schema_error(c->file, node_line(default_node),
                          "attribute %s: int64_array attributes take no default", d->rel_key);
      st = MSTRO_INVARG;
      goto cleanup;
    }
    char why[300];
    st = mstro__attr_value_from_yaml(c->doc, default_node, d->type, &d->def_value, why, sizeof why);
    if (st != MSTRO_OK) {
      mstro__schema_error(c->file, node_line(default_node),
                          "attribute %s: default value '%s' is not a %s", d->rel_key,
                          scalar(default_node) ? scalar(default_node) : "(non-scalar)",
                          mstro__attr_type_name(d->type));
      st = MSTRO_INVARG;
      goto cleanup;
    }
    d->has_default = true;
    if (mstro__attr_value_check(d, &d->def_value) != MSTRO_OK) {
      mstro__schema_error(c->file, node_line(default_node),
                          "attribute %s: default value violates the type's constraints",
                          d->rel_key);
      st = MSTRO_INVARG;
      goto cleanup;
    }
  }
  /* duplicates within the file */
  for (size_t i = 0; i < c->n; i++) {
    if (!strcmp(c->defs[i]->key, d->key)) {
      mstro__schema_error(c->file, line, "key %s defined twice (first at line %zu)", d->key,
                          c->lines[i]);
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
  mstro__schema_def_free(d);
  return st;
}

static mstro_status parse_doc(struct parse_ctx *c)
{
  yaml_node_t *root = yaml_document_get_root_node(c->doc);
  yaml_node_t *attrs = NULL;
  bool have_version = false;
  if (!root) {
    mstro__schema_error(c->file, 0, "empty schema file");
    return MSTRO_INVARG;
  }
  if (root->type != YAML_MAPPING_NODE) {
    mstro__schema_error(c->file, node_line(root),
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
      mstro__schema_error(c->file, node_line(k), "top-level keys must be scalars");
      return MSTRO_INVARG;
    }
    if (!strcmp(ks, "schema-name")) {
      if (!vs || !*vs || c->schema->name) {
        mstro__schema_error(c->file, node_line(v),
                            "schema-name must be a non-empty scalar, given once");
        return MSTRO_INVARG;
      }
      if (!(c->schema->name = strdup(vs)))
        return MSTRO_NOMEM;
    } else if (!strcmp(ks, "schema-version")) {
      if (!vs || !mstro__parse_i64(vs, &c->schema->version) || have_version) {
        mstro__schema_error(c->file, node_line(v), "schema-version must be an integer, given once");
        return MSTRO_INVARG;
      }
      have_version = true;
    } else if (!strcmp(ks, "schema-namespace")) {
      size_t l = vs ? strlen(vs) : 0;
      if (l < 2 || vs[0] != '.' || vs[l - 1] != '.' || c->schema->nspace ||
          l > MSTRO__ATTR_KEY_MAX / 2) {
        mstro__schema_error(
            c->file, node_line(v),
            "schema-namespace must start and end with '.' (like \".maestro.ecmwf.\"), "
            "given once");
        return MSTRO_INVARG;
      }
      if (!(c->schema->nspace = strdup(vs)))
        return MSTRO_NOMEM;
    } else if (!strcmp(ks, "maestro-attributes")) {
      if (attrs || (v->type != YAML_SEQUENCE_NODE &&
                    !(v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0))) {
        mstro__schema_error(c->file, node_line(v), "maestro-attributes must be a list, given once");
        return MSTRO_INVARG;
      }
      attrs = v;
    } else if (!strcmp(ks, "schema-documentation") || !strcmp(ks, "documentation")) {
      /* free text, ignored */
    } else {
      mstro__schema_error(c->file, node_line(k), "unknown top-level key '%s'", ks);
      return MSTRO_INVARG;
    }
  }
  if (!c->schema->name) {
    mstro__schema_error(c->file, node_line(root), "no schema-name");
    return MSTRO_INVARG;
  }
  if (!c->schema->nspace) {
    mstro__schema_error(c->file, node_line(root), "no schema-namespace");
    return MSTRO_INVARG;
  }
  if (!attrs) {
    mstro__schema_error(c->file, node_line(root), "no maestro-attributes");
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
    mstro__schema_def_free(c->defs[i]);
    free(c->count_keys[i]);
  }
  free(c->defs);
  free(c->count_keys);
  free(c->lines);
  mstro__schema_free(c->schema);
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
    const struct mstro__attr_def *old =
        mstro__schema_lookup_abs(c->defs[i]->key, strlen(c->defs[i]->key));
    if (old) {
      mstro__schema_error(c->file, c->lines[i], "key %s already defined by schema %s (%s)",
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
      cd = mstro__schema_lookup_abs(abs, strlen(abs));
    if (!cd || !(mstro__attr_type_is_signed(cd->type) || mstro__attr_type_is_unsigned(cd->type)) ||
        cd->type == MSTRO_CDO_ATTR_VALUE_int64_array) {
      mstro__schema_error(c->file, c->lines[i],
                          "attribute %s: count key %s is not an integer attribute", c->defs[i]->key,
                          abs);
      return MSTRO_INVARG;
    }
    c->defs[i]->count_def = cd;
  }
  if (mstro__schema_reg.n + c->n > mstro__schema_reg.cap) {
    uint32_t nc = mstro__schema_reg.cap ? mstro__schema_reg.cap : 32;
    while (nc < mstro__schema_reg.n + c->n)
      nc *= 2;
    struct mstro__attr_def **nd = realloc(mstro__schema_reg.defs, nc * sizeof *nd);
    if (!nd)
      return MSTRO_NOMEM;
    mstro__schema_reg.defs = nd;
    mstro__schema_reg.cap = nc;
  }
  uint32_t first = mstro__schema_reg.n;
  for (size_t i = 0; i < c->n; i++) {
    c->defs[i]->id = mstro__schema_reg.n;
    mstro__schema_reg.defs[mstro__schema_reg.n++] = c->defs[i];
  }
  st = mstro__schema_rehash(mstro__schema_reg.n);
  if (st != MSTRO_OK) {
    mstro__schema_reg.n = first; /* defs still owned by the context */
    return st;
  }
  /* registry owns them now */
  c->schema->next = NULL;
  struct mstro_schema_ **tail = &mstro__schema_reg.schemas;
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
  mstro__schema_error_clear();
  if (!text) {
    mstro__schema_error(c.file, 0, "NULL schema text");
    return MSTRO_INVARG;
  }
  if (len > SCHEMA_FILE_MAX) {
    mstro__schema_error(c.file, 0, "schema larger than %u bytes", SCHEMA_FILE_MAX);
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
      mstro__schema_error(c.file, parser.problem_mark.line + 1,
                          "YAML syntax error: %s %s (that started at line %zu)",
                          parser.problem ? parser.problem : "unknown problem", parser.context,
                          parser.context_mark.line + 1);
    else
      mstro__schema_error(c.file, parser.problem_mark.line + 1, "YAML syntax error: %s",
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
      mstro__schema_error(c.file, l2, "more than one YAML document in a schema file");
      st = MSTRO_INVARG;
      goto cleanup;
    }
  } else {
    mstro__schema_error(c.file, parser.problem_mark.line + 1, "YAML syntax error: %s",
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
  mstro__schema_error_clear();
  if (!path) {
    mstro__schema_error("(null)", 0, "NULL schema path");
    return MSTRO_INVARG;
  }
  f = fopen(path, "rb");
  if (!f) {
    mstro__schema_error(path, 0, "cannot open: %s", strerror(errno));
    return MSTRO_INVARG;
  }
  buf = malloc(SCHEMA_FILE_MAX + 1);
  if (!buf) {
    st = MSTRO_NOMEM;
    goto cleanup;
  }
  size_t n = fread(buf, 1, SCHEMA_FILE_MAX + 1, f);
  if (ferror(f)) {
    mstro__schema_error(path, 0, "read error");
    st = MSTRO_INVARG;
    goto cleanup;
  }
  if (n > SCHEMA_FILE_MAX) {
    mstro__schema_error(path, 0, "schema file larger than %u bytes", SCHEMA_FILE_MAX);
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
