/* SPDX-License-Identifier: BSD-3-Clause */
/* Status tables of every library: each code has its own text, out-of-range
 * codes are reported as unknown, versions are the project's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lyt.h"
#include "maestro.h"
#include "mamba.h"
#include "mtr.h"

typedef const char *(*describe_fn)(int);

static void check_table(const char *(*describe)(int), int max)
{
  for (int i = 0; i < max; i++) {
    const char *t = describe(i);
    assert_non_null(t);
    assert_true(strlen(t) > 0);
    assert_string_not_equal(t, "unknown status");
    for (int j = 0; j < i; j++)
      assert_string_not_equal(t, describe(j));
  }
  assert_string_equal(describe(max), "unknown status");
  assert_string_equal(describe(-1), "unknown status");
  assert_string_equal(describe(max + 1000), "unknown status");
}

static const char *d_mstro(int s)
{
  return mstro_status_description((mstro_status)s);
}
static const char *d_mmb(int s)
{
  return mmb_status_description((mmb_status)s);
}
static const char *d_lyt(int s)
{
  return lyt_status_description((lyt_status)s);
}
static const char *d_mtr(int s)
{
  return mtr_status_description((mtr_status)s);
}

static void test_tables(void **state)
{
  (void)state;
  check_table(d_mstro, MSTRO_STATUS_MAX);
  check_table(d_mmb, MMB_STATUS_MAX);
  check_table(d_lyt, LYT_STATUS_MAX);
  check_table(d_mtr, MTR_STATUS_MAX);
}

/* maestro-core clients depend on these numeric values. */
static void test_fixed_mstro_order(void **state)
{
  (void)state;
  assert_int_equal(MSTRO_OK, 0);
  assert_int_equal(MSTRO_FAIL, 1);
  assert_int_equal(MSTRO_UNIMPL, 2);
  assert_int_equal(MSTRO_INVARG, 3);
  assert_int_equal(MSTRO_INVOUT, 4);
  assert_int_equal(MSTRO_UNINIT, 5);
  assert_int_equal(MSTRO_NOT_TWICE, 6);
  assert_int_equal(MSTRO_NOMEM, 7);
  assert_int_equal(MSTRO_NOENT, 8);
  assert_int_equal(MSTRO_NOMATCH, 9);
  assert_int_equal(MSTRO_TIMEOUT, 10);
  assert_int_equal(MSTRO_WOULDBLOCK, 11);
  assert_int_equal(MSTRO_NO_PM, 12);
  assert_int_equal(MSTRO_INVMSG, 13);
  assert_int_equal(MSTRO_AUTH, 14);
  assert_string_equal(mstro_status_description(MSTRO_OK), "success");
  assert_string_equal(mstro_status_description(MSTRO_INVARG), "invalid argument");
}

static void test_versions(void **state)
{
  (void)state;
  assert_string_equal(mstro_version(), MSTRO_TEST_VERSION);
  assert_string_equal(mmb_version(), MSTRO_TEST_VERSION);
  assert_string_equal(lyt_version(), MSTRO_TEST_VERSION);
  assert_string_equal(mtr_version(), MSTRO_TEST_VERSION);
}

static void test_clock_monotonic(void **state)
{
  (void)state;
  uint64_t a = mstro_clock(), b = mstro_clock();
  assert_true(a > 0);
  assert_true(b >= a);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_fixed_mstro_order),
      cmocka_unit_test(test_versions),
      cmocka_unit_test(test_clock_monotonic),
  };
  return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
