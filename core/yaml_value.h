/* SPDX-License-Identifier: BSD-3-Clause */
/* The one conversion of a YAML node to an attribute value, for schema
 * defaults (schema_yaml.c) and YAML input of attributes (attr_yaml.c). */
#ifndef MSTRO_YAML_VALUE_H
#define MSTRO_YAML_VALUE_H

#include <stddef.h>
#include <yaml.h>

#include "attr.h"

/* Elements of an int64_array written as a YAML sequence, at most. */
#define MSTRO__YAML_ARRAY_MAX (1u << 24)

/* Convert node `n` of `doc` to a value of `type`: a scalar by the text
 * parser (mstro__attr_value_parse; a quoted scalar only as a string,
 * timestamp or blob; no embedded NUL), a sequence of integers as an
 * int64_array (at most MSTRO__YAML_ARRAY_MAX elements); a pointer never.
 * @return MSTRO_OK (*out set, free with mstro__attr_value_free);
 *         MSTRO_INVARG with the reason in why; MSTRO_NOMEM. */
mstro_status mstro__attr_value_from_yaml(yaml_document_t *doc, yaml_node_t *n,
                                         enum mstro_cdo_attr_value_type type,
                                         mstro__attr_value *out, char *why, size_t whylen);

#endif
