/* SPDX-License-Identifier: BSD-3-Clause */
/* Table-driven option reader: every kind, defaults, bounds, and bad values
 * rejected with a message naming the variable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "options.h"

struct opts {
  const char *name;
  bool flag;
  long long timeout;
  uint64_t bytes;
  int transport;
  int even;
};

static int validate_even(const char *text, void *out, char *err, size_t errlen)
{
  char *end;
  long v = strtol(text, &end, 10);
  if (*end != '\0' || v % 2 != 0) {
    snprintf(err, errlen, "not an even number");
    return -1;
  }
  *(int *)out = (int)v;
  return 0;
}

static const char *const transports[] = {"OFI", "GFS", "MIO", NULL};

static const struct mmb__opt_def defs[] = {
    {.name = "TOPT_NAME",
     .kind = MMB__OPT_STRING,
     .offset = offsetof(struct opts, name),
     .doc = "a name"},
    {.name = "TOPT_FLAG",
     .kind = MMB__OPT_BOOL,
     .default_text = "no",
     .offset = offsetof(struct opts, flag),
     .doc = "a flag"},
    {.name = "TOPT_TIMEOUT",
     .kind = MMB__OPT_INT,
     .default_text = "30",
     .min = 1,
     .max = 3600,
     .offset = offsetof(struct opts, timeout),
     .doc = "seconds"},
    {.name = "TOPT_BYTES",
     .kind = MMB__OPT_SIZE,
     .default_text = "1M",
     .min = 4096,
     .max = 1LL << 40,
     .offset = offsetof(struct opts, bytes),
     .doc = "bytes"},
    {.name = "TOPT_TRANSPORT",
     .kind = MMB__OPT_ENUM,
     .default_text = "OFI",
     .choices = transports,
     .offset = offsetof(struct opts, transport),
     .doc = "transport"},
    {.name = "TOPT_EVEN",
     .kind = MMB__OPT_CUSTOM,
     .validate = validate_even,
     .offset = offsetof(struct opts, even),
     .doc = "an even number"},
};
#define NDEFS (sizeof defs / sizeof defs[0])

static int setup(void **state)
{
  (void)state;
  for (size_t i = 0; i < NDEFS; i++)
    unsetenv(defs[i].name);
  return 0;
}

static void test_defaults(void **state)
{
  (void)state;
  struct opts o = {0};
  char err[256];
  assert_int_equal(mmb__opt_load(defs, NDEFS, &o, err, sizeof err), 0);
  assert_null(o.name);
  assert_false(o.flag);
  assert_int_equal(o.timeout, 30);
  assert_int_equal(o.bytes, 1 << 20);
  assert_int_equal(o.transport, 0);
}

static void test_good_values(void **state)
{
  (void)state;
  struct opts o = {0};
  char err[256];
  setenv("TOPT_NAME", "wf", 1);
  setenv("TOPT_FLAG", "ON", 1);
  setenv("TOPT_TIMEOUT", "3600", 1);
  setenv("TOPT_BYTES", "2GiB", 1);
  setenv("TOPT_TRANSPORT", "mio", 1);
  setenv("TOPT_EVEN", "12", 1);
  assert_int_equal(mmb__opt_load(defs, NDEFS, &o, err, sizeof err), 0);
  assert_string_equal(o.name, "wf");
  assert_true(o.flag);
  assert_int_equal(o.timeout, 3600);
  assert_int_equal(o.bytes, 2ULL << 30);
  assert_int_equal(o.transport, 2);
  assert_int_equal(o.even, 12);
}

static void expect_bad(const char *var, const char *value, const char *fragment)
{
  struct opts o = {0};
  char err[256] = "";
  setup(NULL);
  setenv(var, value, 1);
  assert_int_equal(mmb__opt_load(defs, NDEFS, &o, err, sizeof err), -1);
  assert_non_null(strstr(err, var));
  if (fragment != NULL && strstr(err, fragment) == NULL)
    fail_msg("message \"%s\" lacks \"%s\"", err, fragment);
}

static void test_bad_values(void **state)
{
  (void)state;
  expect_bad("TOPT_NAME", "", "empty");
  expect_bad("TOPT_FLAG", "maybe", "yes/no");
  expect_bad("TOPT_TIMEOUT", "ten", "not an integer");
  expect_bad("TOPT_TIMEOUT", "0", "out of range");
  expect_bad("TOPT_TIMEOUT", "3601", "out of range");
  expect_bad("TOPT_TIMEOUT", "99999999999999999999999", "not an integer");
  expect_bad("TOPT_TIMEOUT", "12abc", "not an integer");
  expect_bad("TOPT_BYTES", "-5", "byte count");
  expect_bad("TOPT_BYTES", "12Q", "byte count");
  expect_bad("TOPT_BYTES", "100", "out of range");
  expect_bad("TOPT_BYTES", "99999999999T", "byte count");
  expect_bad("TOPT_TRANSPORT", "RDMAX", "OFI GFS MIO");
  expect_bad("TOPT_EVEN", "3", "even");
}

static void test_print(void **state)
{
  (void)state;
  char buf[2048] = "";
  FILE *f = fmemopen(buf, sizeof buf, "w");
  mmb__opt_print(defs, NDEFS, f);
  fclose(f);
  assert_non_null(strstr(buf, "TOPT_TIMEOUT (integer, default 30): seconds"));
  assert_non_null(strstr(buf, "TOPT_NAME (string, default unset)"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_defaults, setup),
      cmocka_unit_test_setup(test_good_values, setup),
      cmocka_unit_test_setup(test_bad_values, setup),
      cmocka_unit_test_setup(test_print, setup),
  };
  return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
