/* SPDX-License-Identifier: BSD-3-Clause */
/* mstro_cdo_attribute_type: the type the loaded schemas declare for a key.
 * mstro_cdo_attribute_get only reports the type of a value that is set (or
 * defaulted); bindings that convert a value before setting it need the
 * declared type of any key. */
#include "cdo.h"
#include "core.h"
#include "schema.h"

mstro_status mstro_cdo_attribute_type(mstro_cdo cdo, const char *key,
                                      enum mstro_cdo_attr_value_type *valtype)
{
  mstro_status st = MSTRO_OK;
  const struct mstro__attr_def *def = NULL;
  MSTRO__REQUIRE_INIT();
  if (valtype != NULL)
    *valtype = MSTRO_CDO_ATTR_VALUE_INVALID;
  MSTRO_CHECK_CALL(ATTR, st, mstro__cdo_validate(cdo, MSTRO__OP_ATTR_GET, __func__),
                   "mstro_cdo_attribute_type: bad CDO handle");
  MSTRO_CHECK(ATTR, key != NULL && valtype != NULL, st, MSTRO_INVARG,
              "mstro_cdo_attribute_type on '%.200s': NULL %s", cdo->name,
              key == NULL ? "key" : "result");
  def = mstro__schema_lookup(NULL, NULL, key);
  MSTRO_CHECK(ATTR, def != NULL, st, MSTRO_NOENT,
              "mstro_cdo_attribute_type on '%.200s': no loaded schema defines '%.200s'", cdo->name,
              key);
  *valtype = def->type;
cleanup:
  return st;
}
