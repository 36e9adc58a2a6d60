/* SPDX-License-Identifier: BSD-3-Clause */
/* mstro_cdo_access_ptr answers in every state in which the caller owns the
 * data (declared with raw-ptr and size set, sealed, withdrawn, demanded) and
 * is refused while the CDO is offered (the pool owns the memory then), while
 * it is required, and after dispose. The array view waits for the final
 * layout (after seal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "maestro.h"

static int setup(void **state)
{
  (void)state;
  return mstro_init("access", "test", 0) == MSTRO_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  return mstro_finalize() == MSTRO_OK ? 0 : -1;
}

static mstro_cdo producer(const char *name, void *buf, int64_t size)
{
  mstro_cdo p = NULL;
  assert_int_equal(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &p), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(
      mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false),
      MSTRO_OK);
  return p;
}

/* access_ptr gives exactly (buf, size), or refuses with (NULL, 0). */
static void expect_access(mstro_cdo c, mstro_status want, const void *buf, int64_t size)
{
  void *p = (void *)&p;
  int64_t len = -1;
  assert_int_equal(mstro_cdo_access_ptr(c, &p, &len), want);
  if (want == MSTRO_OK) {
    assert_ptr_equal(p, buf);
    assert_int_equal(len, size);
  } else {
    assert_null(p);
    assert_int_equal(len, 0);
  }
}

static void test_producer_states(void **state)
{
  (void)state;
  char buf[333];
  mmbArray *a = NULL;
  memset(buf, 7, sizeof buf);
  mstro_cdo p = producer("access-p", buf, (int64_t)sizeof buf);
  expect_access(p, MSTRO_OK, buf, (int64_t)sizeof buf);                  /* declared */
  assert_int_equal(mstro_cdo_access_mamba_array(p, &a), MSTRO_INVSTATE); /* layout not final */
  assert_int_equal(mstro_cdo_seal(p), MSTRO_OK);
  expect_access(p, MSTRO_OK, buf, (int64_t)sizeof buf); /* sealed */
  assert_int_equal(mstro_cdo_access_mamba_array(p, &a), MSTRO_OK);
  assert_non_null(a);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  expect_access(p, MSTRO_INVSTATE, NULL, 0); /* offered: the pool's */
  assert_int_equal(mstro_cdo_access_mamba_array(p, &a), MSTRO_INVSTATE);
  assert_null(a);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  expect_access(p, MSTRO_OK, buf, (int64_t)sizeof buf); /* withdrawn */
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  expect_access(p, MSTRO_INVSTATE, NULL, 0); /* disposed */
}

static void test_declared_without_data(void **state)
{
  (void)state;
  mstro_cdo c = NULL;
  assert_int_equal(mstro_cdo_declare("access-empty", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  expect_access(c, MSTRO_NOENT, NULL, 0); /* nothing to access yet, but not a state error */
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

static void test_consumer_states(void **state)
{
  (void)state;
  char buf[4096];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (char)(i * 31u);
  mstro_cdo p = producer("access-c", buf, (int64_t)sizeof buf);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);

  mstro_cdo c = NULL;
  assert_int_equal(mstro_cdo_declare("access-c", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(c), MSTRO_OK);
  expect_access(c, MSTRO_INVSTATE, NULL, 0); /* required: the data are not here yet */
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  void *d = NULL;
  int64_t len = 0;
  assert_int_equal(mstro_cdo_access_ptr(c, &d, &len), MSTRO_OK); /* demanded */
  assert_int_equal(len, (int64_t)sizeof buf);
  assert_memory_equal(d, buf, sizeof buf);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  expect_access(c, MSTRO_INVSTATE, NULL, 0);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_producer_states),
      cmocka_unit_test(test_declared_without_data),
      cmocka_unit_test(test_consumer_states),
  };
  return cmocka_run_group_tests_name("access_ptr", tests, setup, teardown);
}
