/* SPDX-License-Identifier: BSD-3-Clause */
/* What a launcher hands a component (core/launcher_env.c).
 * mstro_init with a negative component index takes the launcher's rank:
 * MSTRO_COMPONENT_INDEX, then PMIX_RANK, SLURM_PROCID, OMPI_COMM_WORLD_RANK,
 * PMI_RANK; a bad value is refused naming its variable; none set is refused;
 * an explicit index wins over all of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"
#include "launcher_env.h"

static const char *const vars[] = {"MSTRO_COMPONENT_INDEX", "PMIX_RANK", "SLURM_PROCID",
                                   "OMPI_COMM_WORLD_RANK", "PMI_RANK"};
#define N_VARS (sizeof vars / sizeof vars[0])

static void clear(void)
{
  for (size_t i = 0; i < N_VARS; i++)
    unsetenv(vars[i]);
}

static int64_t index_after_init(int64_t given)
{
  assert_int_equal(mstro_init("idx", "rank", given), MSTRO_OK);
  int64_t got = mstro__g.component_index;
  assert_int_equal(mstro_finalize(), MSTRO_OK);
  return got;
}

static void test_each_variable(void **state)
{
  (void)state;
  for (size_t i = 0; i < N_VARS; i++) {
    clear();
    setenv(vars[i], "17", 1);
    assert_int_equal(index_after_init(-1), 17);
  }
  clear();
}

static void test_order(void **state)
{
  (void)state;
  clear();
  /* every variable set to its position: the first in the list wins */
  char v[8];
  for (size_t i = 0; i < N_VARS; i++) {
    snprintf(v, sizeof v, "%zu", 100 + i);
    setenv(vars[i], v, 1);
  }
  for (size_t i = 0; i < N_VARS; i++) {
    assert_int_equal(index_after_init(-1), (int64_t)(100 + i));
    unsetenv(vars[i]);
  }
  setenv("SLURM_PROCID", "3", 1);
  assert_int_equal(index_after_init(42), 42); /* an explicit index wins */
  clear();
}

static void test_refusals(void **state)
{
  (void)state;
  char err[256];
  int64_t x = -5;
  clear();
  assert_int_equal(mstro_init("idx", "rank", -1), MSTRO_INVARG); /* none set */
  assert_int_equal(mstro__component_index_from_env(&x, err, sizeof err), MSTRO_NOENT);
  assert_non_null(strstr(err, "PMIX_RANK"));
  const char *bad[] = {"-1", "x", "3x", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("PMIX_RANK", bad[i], 1);
    assert_int_equal(mstro_init("idx", "rank", -1), MSTRO_INVARG);
    assert_int_equal(mstro__component_index_from_env(&x, err, sizeof err), MSTRO_INVARG);
    assert_non_null(strstr(err, "PMIX_RANK=\""));
  }
  assert_int_equal(x, -5); /* untouched on refusal */
  clear();
}

/* MSTRO_POOL_MANAGER_INFO as maestro-pm's whole stdout line */
static void test_pm_info_unwrap(void **state)
{
  (void)state;
  char buf[64];
  assert_string_equal(mstro__pm_info_unwrap("mpm1:abc", buf, sizeof buf), "mpm1:abc");
  assert_string_equal(mstro__pm_info_unwrap("MSTRO_POOL_MANAGER_INFO;mpm1:abc;", buf, sizeof buf),
                      "mpm1:abc");
  assert_string_equal(mstro__pm_info_unwrap("MSTRO_POOL_MANAGER_INFO;mpm1:abc;\n", buf, sizeof buf),
                      "mpm1:abc");
  assert_string_equal(mstro__pm_info_unwrap("MSTRO_POOL_MANAGER_INFO;mpm1:abc", buf, sizeof buf),
                      "mpm1:abc");
  const char *longer = "MSTRO_POOL_MANAGER_INFO;0123456789;";
  assert_ptr_equal(mstro__pm_info_unwrap(longer, buf, 8), longer); /* left to the parser */
  assert_null(mstro__pm_info_unwrap(NULL, buf, sizeof buf));
}

int main(void)
{
  unsetenv("MSTRO_POOL_MANAGER_INFO");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_variable),
      cmocka_unit_test(test_order),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_pm_info_unwrap),
  };
  return cmocka_run_group_tests_name("component_index", tests, NULL, NULL);
}
