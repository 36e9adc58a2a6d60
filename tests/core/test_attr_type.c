/* SPDX-License-Identifier: BSD-3-Clause */
/* mstro_cdo_attribute_type: the declared type of a key whether or not a
 * value is set, relative and absolute keys, user schema keys, and the
 * refusals (NULL arguments and handle, unknown key, disposed handle, before
 * init). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "maestro.h"

static void expect_type(mstro_cdo c, const char *key, enum mstro_cdo_attr_value_type want)
{
  enum mstro_cdo_attr_value_type t = MSTRO_CDO_ATTR_VALUE__MAX;
  assert_int_equal(mstro_cdo_attribute_type(c, key, &t), MSTRO_OK);
  assert_int_equal(t, want);
}

static void test_types(void **state)
{
  (void)state;
  mstro_cdo c = NULL;
  enum mstro_cdo_attr_value_type t = MSTRO_CDO_ATTR_VALUE_bool;
  const void *v = NULL;
  assert_int_equal(mstro_cdo_attribute_type(NULL, "name", &t), MSTRO_UNINIT);
  assert_int_equal(mstro_init("attr_type", "test", 0), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("t", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);

  /* a key without value or default: attribute_get cannot tell its type */
  assert_int_equal(mstro_cdo_attribute_get(c, "layout.element-size", &t, &v), MSTRO_NOENT);
  expect_type(c, "layout.element-size", MSTRO_CDO_ATTR_VALUE_int64);
  expect_type(c, MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, MSTRO_CDO_ATTR_VALUE_int64);
  expect_type(c, MSTRO_ATTR_CORE_CDO_NAME, MSTRO_CDO_ATTR_VALUE_cstring);
  expect_type(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, MSTRO_CDO_ATTR_VALUE_pointer);
  expect_type(c, MSTRO_ATTR_CORE_CDO_ALLOCATE_NOW, MSTRO_CDO_ATTR_VALUE_bool);
  expect_type(c, MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE, MSTRO_CDO_ATTR_VALUE_int64_array);
  expect_type(c, MSTRO_ATTR_CORE_CDO_LAYOUT_DISTRIBUTION, MSTRO_CDO_ATTR_VALUE_blob);
  expect_type(c, "creation-time", MSTRO_CDO_ATTR_VALUE_timestamp);
  /* user schema keys (tests/core/data/test-types.yaml) */
  expect_type(c, ".maestro.test.u32", MSTRO_CDO_ATTR_VALUE_uint32);
  expect_type(c, ".maestro.test.f", MSTRO_CDO_ATTR_VALUE_float);
  expect_type(c, ".maestro.test.d", MSTRO_CDO_ATTR_VALUE_double);
  expect_type(c, ".maestro.test.i32", MSTRO_CDO_ATTR_VALUE_int32);

  /* refusals leave INVALID behind */
  t = MSTRO_CDO_ATTR_VALUE_bool;
  assert_int_equal(mstro_cdo_attribute_type(c, "no-such-key", &t), MSTRO_NOENT);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_INVALID);
  assert_int_equal(mstro_cdo_attribute_type(c, ".maestro.test.nope", &t), MSTRO_NOENT);
  assert_int_equal(mstro_cdo_attribute_type(c, NULL, &t), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_attribute_type(c, "name", NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_attribute_type(NULL, "name", &t), MSTRO_INVARG);

  /* sealed still answers; disposed does not */
  assert_int_equal(mstro_cdo_seal(c), MSTRO_OK);
  expect_type(c, "scope.local-size", MSTRO_CDO_ATTR_VALUE_int64);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  /* disposed handles stay quarantined (core/cdo.c), so this is defined */
  t = MSTRO_CDO_ATTR_VALUE_bool;
  assert_int_equal(mstro_cdo_attribute_type(c, "name", &t), MSTRO_INVSTATE);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_INVALID);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_types)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
