/* SPDX-License-Identifier: BSD-3-Clause */
/* mstro_init / mstro_finalize: names from the environment, every MSTRO_*
 * variable of the core validated (a bad value is MSTRO_INVARG, never a
 * crash), the Pool Manager not pretended, the telemetry report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "maestro.h"

static void clear_env(void)
{
  static const char *const vars[] = {"MSTRO_WORKFLOW_NAME",
                                     "MSTRO_COMPONENT_NAME",
                                     "MSTRO_POOL_MANAGER_INFO",
                                     "MSTRO_TRANSPORT_DEFAULT",
                                     "MSTRO_DROP_UNKNOWN_ATTRIBUTES",
                                     "MSTRO_PM_TIMEOUT",
                                     "MSTRO_PM_SPIN_US",
                                     "MSTRO_TELEMETRY_DST",
                                     "MSTRO_LOG_LEVEL",
                                     "MSTRO_LOG_MODULES",
                                     "MSTRO_LOG_DST"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    unsetenv(vars[i]);
}

static void test_names(void **state)
{
  (void)state;
  clear_env();
  assert_int_equal(mstro_init(NULL, "c", 0), MSTRO_INVARG);
  assert_int_equal(mstro_init("w", NULL, 0), MSTRO_INVARG);
  assert_int_equal(mstro_init("w", "c", -1), MSTRO_INVARG);
  setenv("MSTRO_WORKFLOW_NAME", "wf-from-env", 1);
  setenv("MSTRO_COMPONENT_NAME", "comp-from-env", 1);
  assert_int_equal(mstro_init(NULL, NULL, 3), MSTRO_OK);
  assert_int_equal(mstro_init(NULL, NULL, 3), MSTRO_NOT_TWICE);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
  assert_int_equal(mstro_finalize(), MSTRO_UNINIT);
  clear_env();
}

static void expect_bad(const char *var, const char *value, mstro_status want)
{
  clear_env();
  setenv(var, value, 1);
  assert_int_equal(mstro_init("w", "c", 0), want);
  /* nothing stays initialized after a refused init */
  assert_int_equal(mstro_finalize(), MSTRO_UNINIT);
  clear_env();
}

static void test_bad_values(void **state)
{
  (void)state;
  expect_bad("MSTRO_PM_TIMEOUT", "soon", MSTRO_INVARG);
  expect_bad("MSTRO_PM_TIMEOUT", "0", MSTRO_INVARG);
  expect_bad("MSTRO_PM_SPIN_US", "-1", MSTRO_INVARG);
  expect_bad("MSTRO_PM_SPIN_US", "fast", MSTRO_INVARG);
  expect_bad("MSTRO_TRANSPORT_DEFAULT", "PIGEON", MSTRO_INVARG);
  expect_bad("MSTRO_DROP_UNKNOWN_ATTRIBUTES", "maybe", MSTRO_INVARG);
  expect_bad("MSTRO_LOG_LEVEL", "loud", MSTRO_INVARG);
  expect_bad("MSTRO_WORKFLOW_NAME", "", MSTRO_INVARG);
  expect_bad("MSTRO_TELEMETRY_DST", "/no/such/directory/report.json", MSTRO_INVARG);
  expect_bad("MSTRO_POOL_MANAGER_INFO", "ofi://somewhere;secret", MSTRO_INVARG);
}

static void test_good_values(void **state)
{
  (void)state;
  clear_env();
  setenv("MSTRO_TRANSPORT_DEFAULT", "rdma", 1);
  setenv("MSTRO_PM_TIMEOUT", "5", 1);
  setenv("MSTRO_PM_SPIN_US", "0", 1);
  setenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES", "yes", 1);
  setenv("MSTRO_LOG_LEVEL", "err", 1);
  setenv("MSTRO_TELEMETRY_DST", "off", 1);
  assert_int_equal(mstro_init("w", "c", 0), MSTRO_OK);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
  clear_env();
}

/* Handles left by the application are released by finalize; only offers
 * still in the pool make it report MSTRO_FAIL. */
static void test_leftovers(void **state)
{
  mstro_cdo a = NULL, b = NULL;
  mstro_group g = NULL;
  mstro_cdo_selector sel = NULL;
  mstro_subscription s = NULL;
  (void)state;
  clear_env();
  assert_int_equal(mstro_init("w", "c", 0), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("left-required", MSTRO_ATTR_DEFAULT, &a), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("left-declared", MSTRO_ATTR_DEFAULT, &b), MSTRO_OK);
  assert_int_equal(mstro_group_declare("left-group", &g), MSTRO_OK);
  assert_int_equal(mstro_group_add(g, b), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, NULL, &sel), MSTRO_OK);
  assert_int_equal(mstro_subscribe(sel, MSTRO_POOL_EVENT__ALL, 0, &s), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(sel), MSTRO_OK);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
}

static void test_drop_unknown(void **state)
{
  mstro_cdo c = NULL;
  int64_t v = 1;
  (void)state;
  clear_env();
  setenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES", "1", 1);
  assert_int_equal(mstro_init("w", "c", 0), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("drop", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, ".nobody.defines.this", &v, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
  clear_env();
}

static void test_telemetry_json(void **state)
{
  char path[] = "/tmp/mstro-telemetry-XXXXXX";
  int fd = mkstemp(path);
  char text[4096] = "";
  FILE *f;
  size_t n;
  mstro_cdo p = NULL, c = NULL;
  char buf[100] = {0};
  int64_t size = sizeof buf;
  (void)state;
  assert_true(fd >= 0);
  close(fd);
  clear_env();
  setenv("MSTRO_TELEMETRY_DST", path, 1);
  assert_int_equal(mstro_init("tele", "json", 2), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("t", MSTRO_ATTR_DEFAULT, &p), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, "scope.local-size", &size, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("t", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  /* left offered: finalize withdraws it and says so */
  assert_int_equal(mstro_finalize(), MSTRO_FAIL);
  f = fopen(path, "r");
  assert_non_null(f);
  n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  unlink(path);
  text[n] = '\0';
  assert_non_null(strstr(text, "\"component\":\"json\""));
  assert_non_null(strstr(text, "\"offer\":1"));
  assert_non_null(strstr(text, "\"demand\":1"));
  assert_non_null(strstr(text, "\"declare\":2"));
  assert_non_null(strstr(text, "\"zero_copy\":100"));
  assert_non_null(strstr(text, "\"demand_latency_ns\":{\"count\":1"));
  clear_env();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),       cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_good_values), cmocka_unit_test(test_drop_unknown),
      cmocka_unit_test(test_leftovers),   cmocka_unit_test(test_telemetry_json),
  };
  return cmocka_run_group_tests_name("init", tests, NULL, NULL);
}
