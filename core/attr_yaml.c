/* SPDX-License-Identifier: BSD-3-Clause */
/* Attribute values given as YAML text (mstro_cdo_attribute_set_yaml and
 * mstro__attr_dict_set_yaml), through the one YAML-node converter. */
#include "attr_internal.h"

#include "mstro_log.h"
#include "yaml_value.h"

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
  st = mstro__attr_validate(d, def, &v);
  if (st != MSTRO_OK) {
    mstro__attr_value_free(def->type, &v);
    return st;
  }
  struct mstro__attr_entry *e = calloc(1, sizeof *e);
  if (!e) {
    mstro__attr_value_free(def->type, &v);
    return MSTRO_NOMEM;
  }
  e->def = def;
  e->v = v;
  e->owned = def->type == MSTRO_CDO_ATTR_VALUE_cstring || def->type == MSTRO_CDO_ATTR_VALUE_blob ||
             def->type == MSTRO_CDO_ATTR_VALUE_int64_array;
  return mstro__attr_put_entry(d, e);
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
    def = mstro__attr_resolve(key, &dropped);
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
      const struct mstro__attr_def *kd = mstro__attr_resolve(ks, &dropped);
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
