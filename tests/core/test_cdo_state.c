/* SPDX-License-Identifier: BSD-3-Clause */
/* The CDO state machine: the transition table (white box) and every illegal
 * transition through the public API (MSTRO_INVSTATE / MSTRO_INVARG, never a
 * crash). Links maestro_internal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cdo_state.h"
#include "maestro.h"

static int setup(void **state)
{
  (void)state;
  return mstro_init("state", "test", 0) == MSTRO_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  return mstro_finalize() == MSTRO_OK ? 0 : -1;
}

static void test_table(void **state)
{
  mstro__cdo_state to;
  (void)state;
  /* producer path */
  assert_true(mstro__cdo_transition(MSTRO__OP_SEAL, MSTRO__CDO_DECLARED, &to));
  assert_int_equal(to, MSTRO__CDO_SEALED);
  assert_true(mstro__cdo_transition(MSTRO__OP_OFFER, MSTRO__CDO_SEALED, &to));
  assert_int_equal(to, MSTRO__CDO_OFFERED);
  assert_true(mstro__cdo_transition(MSTRO__OP_WITHDRAW, MSTRO__CDO_OFFERED, &to));
  assert_int_equal(to, MSTRO__CDO_WITHDRAWN);
  assert_true(mstro__cdo_transition(MSTRO__OP_DISPOSE, MSTRO__CDO_WITHDRAWN, &to));
  assert_int_equal(to, MSTRO__CDO_DISPOSED);
  /* consumer path */
  assert_true(mstro__cdo_transition(MSTRO__OP_REQUIRE, MSTRO__CDO_SEALED, &to));
  assert_int_equal(to, MSTRO__CDO_REQUIRED);
  assert_true(mstro__cdo_transition(MSTRO__OP_RETRACT, MSTRO__CDO_REQUIRED, &to));
  assert_int_equal(to, MSTRO__CDO_SEALED);
  assert_true(mstro__cdo_transition(MSTRO__OP_DEMAND, MSTRO__CDO_REQUIRED, &to));
  assert_int_equal(to, MSTRO__CDO_DEMANDED);
  /* refusals */
  assert_false(mstro__cdo_transition(MSTRO__OP_SEAL, MSTRO__CDO_SEALED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_OFFER, MSTRO__CDO_OFFERED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_OFFER, MSTRO__CDO_REQUIRED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_DEMAND, MSTRO__CDO_OFFERED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_DEMAND, MSTRO__CDO_DEMANDED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_ATTR_SET, MSTRO__CDO_SEALED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_DISPOSE, MSTRO__CDO_OFFERED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_DISPOSE, MSTRO__CDO_REQUIRED, &to));
  /* nothing is allowed on a disposed handle */
  for (int op = 0; op < MSTRO__OP_MAX; op++)
    assert_false(mstro__cdo_transition((mstro__cdo_op)op, MSTRO__CDO_DISPOSED, &to));
  /* out of range */
  assert_false(mstro__cdo_transition(MSTRO__OP_MAX, MSTRO__CDO_DECLARED, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_SEAL, MSTRO__CDO_STATE_MAX, &to));
  assert_false(mstro__cdo_transition(MSTRO__OP_SEAL, MSTRO__CDO_STATE_INVALID, &to));
  assert_string_equal(mstro__cdo_state_name(MSTRO__CDO_OFFERED), "OFFERED");
  assert_string_equal(mstro__cdo_state_name((mstro__cdo_state)99), "INVALID");
  assert_string_equal(mstro__cdo_op_name(MSTRO__OP_DEMAND), "demand");
}

static void test_null_handles(void **state)
{
  void *p;
  int64_t len;
  enum mstro_cdo_attr_value_type t;
  const void *v;
  int64_t x = 1;
  (void)state;
  assert_int_equal(mstro_cdo_seal(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_offer(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_withdraw(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_require(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_retract(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_demand(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_dispose(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_access_ptr(NULL, &p, &len), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_attribute_set(NULL, "lifetime", &x, true, false), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_attribute_get(NULL, "lifetime", &t, &v), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_attributes_print(NULL), MSTRO_INVARG);
  assert_null(mstro_cdo_name(NULL));
  /* garbage that is not a handle */
  {
    uint64_t junk[16] = {0};
    assert_int_equal(mstro_cdo_seal((mstro_cdo)junk), MSTRO_INVARG);
  }
}

static void test_illegal_producer(void **state)
{
  mstro_cdo c = NULL;
  int64_t x = 5;
  (void)state;
  assert_int_equal(mstro_cdo_declare("illegal-p", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_INVSTATE); /* not offered */
  assert_int_equal(mstro_cdo_retract(c), MSTRO_INVSTATE);  /* not required */
  assert_int_equal(mstro_cdo_seal(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_seal(c), MSTRO_INVSTATE); /* twice */
  assert_int_equal(mstro_cdo_attribute_set(c, "lifetime", &x, true, false), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_INVSTATE);  /* twice */
  assert_int_equal(mstro_cdo_demand(c), MSTRO_INVSTATE); /* own offer */
  assert_int_equal(mstro_cdo_require(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_INVSTATE); /* while offered */
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_OK); /* a withdrawn CDO may be offered again */
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  /* after dispose: everything refused, and the double dispose too */
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_seal(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_attribute_set(c, "lifetime", &x, true, false), MSTRO_INVSTATE);
}

static void test_illegal_consumer(void **state)
{
  mstro_cdo p = NULL, c = NULL;
  (void)state;
  assert_int_equal(mstro_cdo_declare("illegal-c", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_INVSTATE); /* while required */
  assert_int_equal(mstro_cdo_retract(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_retract(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_declare("illegal-c", MSTRO_ATTR_DEFAULT, &p), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_INVSTATE); /* twice */
  assert_int_equal(mstro_cdo_require(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_INVSTATE); /* demand after dispose */
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
}

static void test_uninitialized(void **state)
{
  mstro_cdo c = NULL;
  (void)state;
  assert_int_equal(mstro_finalize(), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("x", MSTRO_ATTR_DEFAULT, &c), MSTRO_UNINIT);
  assert_int_equal(mstro_finalize(), MSTRO_UNINIT);
  assert_int_equal(mstro_init("state", "test", 0), MSTRO_OK);
  assert_int_equal(mstro_init("state", "test", 0), MSTRO_NOT_TWICE);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_null_handles),
      cmocka_unit_test(test_illegal_producer),
      cmocka_unit_test(test_illegal_consumer),
      cmocka_unit_test(test_uninitialized),
  };
  return cmocka_run_group_tests_name("cdo_state", tests, setup, teardown);
}
