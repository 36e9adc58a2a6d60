/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging engine: level and module parsing, bad environment values,
 * destinations, and that a disabled message does not evaluate its arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "log.h"

static const char *const mods[] = {"core", "core.cdo", "core.pool", "mamba", "mamba.pool", "pm"};
enum { M_CORE, M_CDO, M_POOL, M_MAMBA, M_MPOOL, M_PM, M_N };

static struct mmb__log_domain dom = MMB__LOG_DOMAIN_INIT("test", "TLOG", "TFALL", mods, M_N);

static void clear_env(void)
{
  const char *vars[] = {"TLOG_LOG_LEVEL",  "TLOG_LOG_MODULES",  "TLOG_LOG_DST",  "TLOG_LOG_TIME",
                        "TFALL_LOG_LEVEL", "TFALL_LOG_MODULES", "TFALL_LOG_DST", "TFALL_LOG_TIME"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    unsetenv(vars[i]);
  mmb__log_reset(&dom);
}

static int setup(void **state)
{
  (void)state;
  clear_env();
  return 0;
}

static void test_parse_level(void **state)
{
  (void)state;
  int l = -7;
  assert_int_equal(mmb__log_parse_level("err", &l), 0);
  assert_int_equal(l, MMB__LOG_ERR);
  assert_int_equal(mmb__log_parse_level("WARN", &l), 0);
  assert_int_equal(l, MMB__LOG_WARN);
  assert_int_equal(mmb__log_parse_level("info", &l), 0);
  assert_int_equal(l, MMB__LOG_INFO);
  assert_int_equal(mmb__log_parse_level("debug", &l), 0);
  assert_int_equal(l, MMB__LOG_DEBUG);
  assert_int_equal(mmb__log_parse_level("2", &l), 0);
  assert_int_equal(l, 2);
  l = 99;
  assert_int_equal(mmb__log_parse_level("4", &l), -1);
  assert_int_equal(mmb__log_parse_level("verbose", &l), -1);
  assert_int_equal(mmb__log_parse_level("", &l), -1);
  assert_int_equal(mmb__log_parse_level("-1", &l), -1);
  assert_int_equal(mmb__log_parse_level(NULL, &l), -1);
  assert_int_equal(l, 99); /* untouched on error */
}

static void test_parse_modules(void **state)
{
  (void)state;
  uint64_t m = 0;
  char err[256];
  assert_int_equal(mmb__log_parse_modules("all", mods, M_N, &m, err, sizeof err), 0);
  assert_int_equal(m, 0x3f);
  assert_int_equal(mmb__log_parse_modules("all,^mamba", mods, M_N, &m, err, sizeof err), 0);
  assert_int_equal(m, 0x3f & ~((1u << M_MAMBA) | (1u << M_MPOOL)));
  /* a list that starts with a negation starts from all */
  assert_int_equal(mmb__log_parse_modules("^core", mods, M_N, &m, err, sizeof err), 0);
  assert_int_equal(m, (1u << M_MAMBA) | (1u << M_MPOOL) | (1u << M_PM));
  /* a name selects itself and its children, not a longer sibling */
  assert_int_equal(mmb__log_parse_modules("core.cdo,pm", mods, M_N, &m, err, sizeof err), 0);
  assert_int_equal(m, (1u << M_CDO) | (1u << M_PM));
  assert_int_equal(mmb__log_parse_modules("cor", mods, M_N, &m, err, sizeof err), 0);
  assert_int_equal(m, 0);
  /* unknown names belong to other libraries and are accepted */
  assert_int_equal(mmb__log_parse_modules("transport", mods, M_N, &m, err, sizeof err), 0);
  assert_int_equal(m, 0);
  /* syntax errors */
  assert_int_equal(mmb__log_parse_modules("", mods, M_N, &m, err, sizeof err), -1);
  assert_int_equal(mmb__log_parse_modules("core,,pm", mods, M_N, &m, err, sizeof err), -1);
  assert_non_null(strstr(err, "offset 5"));
  assert_int_equal(mmb__log_parse_modules("core,", mods, M_N, &m, err, sizeof err), -1);
  assert_int_equal(mmb__log_parse_modules("^", mods, M_N, &m, err, sizeof err), -1);
  assert_int_equal(mmb__log_parse_modules("co re", mods, M_N, &m, err, sizeof err), -1);
  assert_non_null(strstr(err, "bad character"));
}

static void test_configure_bad_values(void **state)
{
  (void)state;
  char err[512];
  setenv("TLOG_LOG_LEVEL", "loud", 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), -1);
  assert_non_null(strstr(err, "TLOG_LOG_LEVEL"));
  assert_non_null(strstr(err, "loud"));
  /* defaults stay usable: warn on, info off */
  assert_true(mmb__log_on(&dom, M_CORE, MMB__LOG_WARN));
  assert_false(mmb__log_on(&dom, M_CORE, MMB__LOG_INFO));
  clear_env();
  setenv("TLOG_LOG_MODULES", "core,,x", 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), -1);
  assert_non_null(strstr(err, "TLOG_LOG_MODULES"));
  clear_env();
  setenv("TLOG_LOG_DST", "/nonexistent-dir/x/y.log", 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), -1);
  assert_non_null(strstr(err, "/nonexistent-dir/x/y.log"));
}

static void test_levels_and_fallback(void **state)
{
  (void)state;
  char err[256];
  setenv("TFALL_LOG_LEVEL", "info", 1); /* only the fallback is set */
  setenv("TLOG_LOG_MODULES", "all,^core.pool", 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), 0);
  assert_true(mmb__log_on(&dom, M_CDO, MMB__LOG_INFO));
  assert_false(mmb__log_on(&dom, M_CDO, MMB__LOG_DEBUG));
  assert_false(mmb__log_on(&dom, M_POOL, MMB__LOG_ERR));
  setenv("TLOG_LOG_LEVEL", "err", 1); /* the primary prefix wins */
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), 0);
  assert_false(mmb__log_on(&dom, M_CDO, MMB__LOG_WARN));
}

/* A bad value read through the fallback prefix is reported under the
 * fallback's name (MSTRO_LOG_LEVEL inherited by libmamba is not MMB_LOG_LEVEL). */
static void test_bad_fallback_named_as_set(void **state)
{
  (void)state;
  char err[512];
  setenv("TFALL_LOG_LEVEL", "loud", 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), -1);
  assert_non_null(strstr(err, "TFALL_LOG_LEVEL=\"loud\""));
  assert_null(strstr(err, "TLOG_LOG_LEVEL"));
  clear_env();
  setenv("TFALL_LOG_MODULES", "core,,x", 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), -1);
  assert_non_null(strstr(err, "TFALL_LOG_MODULES"));
  assert_null(strstr(err, "TLOG_LOG_MODULES"));
  clear_env();
  setenv("TFALL_LOG_TIME", "local", 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), -1);
  assert_non_null(strstr(err, "TFALL_LOG_TIME=\"local\" is not utc or epoch"));
}

static void test_format_time(void **state)
{
  (void)state;
  char buf[40];
  /* 2026-12-02 05:20:01 UTC and 123.456789 ms */
  struct timespec ts = {.tv_sec = 1796188801, .tv_nsec = 123456789};
  assert_int_equal(mmb__log_format_time(&ts, false, buf, sizeof buf), 0);
  assert_string_equal(buf, "2026-12-02T05:20:01.123Z");
  assert_int_equal(mmb__log_format_time(&ts, true, buf, sizeof buf), 0);
  assert_string_equal(buf, "1796188801.123456");
  struct timespec epoch0 = {.tv_sec = 0, .tv_nsec = 999999999};
  assert_int_equal(mmb__log_format_time(&epoch0, false, buf, sizeof buf), 0);
  assert_string_equal(buf, "1970-01-01T00:00:00.999Z");
  assert_int_equal(mmb__log_format_time(&ts, false, buf, 10), -1); /* too small */
}

/* Logs one warning with the environment as set and returns its line. */
static void log_one_line(const char *text, char *line, size_t len)
{
  char path[] = "/tmp/mstro_test_log_XXXXXX";
  char err[256];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  setenv("TLOG_LOG_DST", path, 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), 0);
  MMB__LOG(&dom, M_CDO, MMB__LOG_WARN, "%s", text);
  mmb__log_reset(&dom);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  assert_non_null(fgets(line, (int)len, f));
  fclose(f);
  unlink(path);
}

/* TIME HOST COMPONENT:INDEX LIB:MODULE LEVEL [PID:TID] FUNC:LINE: text */
static void test_line_prefix(void **state)
{
  (void)state;
  char line[4096], host[64], expect[256];
  int y, mo, d, h, mi, sec, ms;
  char z = 0;
  gethostname(host, sizeof host);
  host[sizeof host - 1] = '\0';
  char *dot = strchr(host, '.');
  if (dot != NULL && dot != host)
    *dot = '\0';

  log_one_line("before a component", line, sizeof line);
  assert_int_equal(
      sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec, &ms, &z), 8);
  assert_int_equal(z, 'Z');
  assert_true(y >= 2024 && mo >= 1 && mo <= 12 && ms >= 0 && ms <= 999);
  snprintf(expect, sizeof expect, "Z %s - test:core.cdo WARN  [%d:", host, (int)getpid());
  assert_non_null(strstr(line, expect));

  mmb__log_set_component("producer", 7);
  log_one_line("with a component", line, sizeof line);
  snprintf(expect, sizeof expect, "Z %s producer:7 test:core.cdo WARN  [", host);
  assert_non_null(strstr(line, expect));
  assert_non_null(strstr(line, "with a component"));

  /* the raw epoch seconds on request, through the fallback prefix too */
  setenv("TFALL_LOG_TIME", "epoch", 1);
  log_one_line("epoch", line, sizeof line);
  long long secs = 0;
  long usec = -1;
  assert_int_equal(sscanf(line, "%lld.%6ld ", &secs, &usec), 2);
  assert_true(secs > 1700000000LL && usec >= 0);
  snprintf(expect, sizeof expect, " %s producer:7 test:core.cdo WARN  [", host);
  assert_non_null(strstr(line, expect));

  mmb__log_set_component(NULL, -1);
  unsetenv("TFALL_LOG_TIME");
  log_one_line("after", line, sizeof line);
  snprintf(expect, sizeof expect, "Z %s - test:core.cdo", host);
  assert_non_null(strstr(line, expect));
}

static int evaluated;
static int count_eval(void)
{
  return ++evaluated;
}

static void test_disabled_costs_nothing_and_file_dst(void **state)
{
  (void)state;
  char path[] = "/tmp/mstro_test_log_XXXXXX";
  char err[256], line[4096];
  int fd = mkstemp(path);
  FILE *f;
  int found = 0;
  assert_true(fd >= 0);
  close(fd);
  setenv("TLOG_LOG_LEVEL", "warn", 1);
  setenv("TLOG_LOG_DST", path, 1);
  assert_int_equal(mmb__log_configure(&dom, err, sizeof err), 0);
  evaluated = 0;
  MMB__LOG(&dom, M_CORE, MMB__LOG_DEBUG, "never %d", count_eval());
  assert_int_equal(evaluated, 0);
  MMB__LOG(&dom, M_CDO, MMB__LOG_WARN, "shown %d", count_eval());
  assert_int_equal(evaluated, 1);
  mmb__log_reset(&dom); /* closes the file */
  f = fopen(path, "r");
  assert_non_null(f);
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, "test:core.cdo WARN") && strstr(line, "shown 1"))
      found++;
    assert_null(strstr(line, "never"));
  }
  fclose(f);
  unlink(path);
  assert_int_equal(found, 1);
}

static int check_helper(int fail)
{
  int st = 0;
  MMB__CHECK_DOM(&dom, M_CORE, !fail, st, 42, "failing as asked (%d)", fail);
  st = 7;
cleanup:
  return st;
}

static void test_check_macro(void **state)
{
  (void)state;
  assert_int_equal(check_helper(0), 7);
  assert_int_equal(check_helper(1), 42);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_parse_level, setup),
      cmocka_unit_test_setup(test_parse_modules, setup),
      cmocka_unit_test_setup(test_configure_bad_values, setup),
      cmocka_unit_test_setup(test_levels_and_fallback, setup),
      cmocka_unit_test_setup(test_bad_fallback_named_as_set, setup),
      cmocka_unit_test_setup(test_format_time, setup),
      cmocka_unit_test_setup(test_line_prefix, setup),
      cmocka_unit_test_setup(test_disabled_costs_nothing_and_file_dst, setup),
      cmocka_unit_test_setup(test_check_macro, setup),
  };
  return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
