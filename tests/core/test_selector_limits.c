/* SPDX-License-Identifier: BSD-3-Clause */
/* Selectors: the bounds on `~=` patterns (docs/selectors.md, "Limits"). A
 * pattern longer or more complex than the limits is MSTRO_INVARG with the
 * position and the limit in the message, before regcomp allocates; the most
 * expensive patterns the limits allow compile within a memory bound. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "attr.h"
#include "schema.h"
#include "selector_internal.h"

/* What the worst allowed pattern may add to the peak RSS of a process
 * (glibc needs 0.5-2 MiB for them; the rest is headroom for ASan). */
#define RSS_BOUND_KIB (32 * 1024)

static int setup(void **state)
{
  (void)state;
  setenv("MSTRO_SCHEMA_PATH", MSTRO_TEST_DATA_DIR, 1);
  setenv("MSTRO_SCHEMA_LIST", "ecmwf.yaml", 1);
  return mstro__schemas_init() == MSTRO_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  mstro__schemas_fini();
  return 0;
}

/* "(name ~= "<re>")", the pattern starting at offset 10 */
static char *regex_query(const char *re)
{
  size_t n = strlen(re) + 16;
  char *q = malloc(n);
  assert_non_null(q);
  snprintf(q, n, "(name ~= \"%s\")", re);
  return q;
}

static mstro_status compile(const char *re, char *err, size_t errlen, size_t *off)
{
  char *q = regex_query(re);
  mstro_cdo_selector s = NULL;
  mstro_status st = mstro__selector_create_ex(NULL, NULL, q, &s, err, errlen, off);
  if (st == MSTRO_OK)
    assert_int_equal(mstro_cdo_selector_dispose(s), MSTRO_OK);
  free(q);
  return st;
}

static void refused(const char *re, const char *why, const char *limit)
{
  char err[512];
  size_t off = 0;
  mstro_status st = compile(re, err, sizeof err, &off);
  if (st != MSTRO_INVARG)
    fail_msg("'%s' gave %d, not MSTRO_INVARG", re, (int)st);
  assert_int_equal(off, 9); /* the opening quote of the pattern */
  if (!strstr(err, why) || !strstr(err, limit))
    fail_msg("'%s': message lacks '%s' / '%s': %s", re, why, limit, err);
}

static void accepted(const char *re)
{
  char err[512];
  if (compile(re, err, sizeof err, NULL) != MSTRO_OK)
    fail_msg("'%s' refused: %s", re, err);
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
  size_t n = strlen(unit) * times + strlen(tail) + 1;
  char *s = malloc(n);
  assert_non_null(s);
  s[0] = 0;
  for (size_t i = 0; i < times; i++)
    strcat(s, unit);
  strcat(s, tail);
  return s;
}

static void test_pathological(void **state)
{
  (void)state;
  /* nested bounded repetitions: a million nodes, gigabytes in regcomp */
  refused("((a{1,100}){1,100}){1,100}", "too complex", "2000 nodes");
  refused("(a{1,100}){1,100}", "pattern byte 10", "2000 nodes"); /* docs/selectors.md */
  /* 148 bytes, as the one fuzz_selector found: nine nested bounds */
  const char *fz =
      "(((((((((fc/[a-z]{1,99}){1,99}){2,98}){1,97}){3,96}){1,95}){1,94}){1,93}){0,92})"
      "|^(ecmwf|od)/([[:alnum:]_.-]{1,64}/){1,32}(t2m|2t|10u|u){1,9}[0-9]*$";
  assert_int_equal(strlen(fz), 148);
  refused(fz, "too complex", "2000 nodes");
  /* open bounds and '+' grow too */
  refused("((a{3,}){9,}){50,}", "too complex", "2000");
  refused("(((a+)+)+){200}", "too complex", "2000");
  refused("((a*){1,250}){1,4}", "too complex", "2000");
  /* many flat bounds add up */
  char *flat = repeat("[0-9]{1,99}", 11, "");
  refused(flat, "too complex", "2000");
  free(flat);
}

static void test_other_limits(void **state)
{
  (void)state;
  char *s = repeat("a", 257, "");
  refused(s, "257 bytes", "limit is 256");
  free(s);
  s = repeat("a", 256, "");
  accepted(s);
  free(s);
  refused("x{1,256}", "bound 256", "limit is 255");
  refused("x{300}", "bound 300", "limit is 255");
  accepted("x{1,255}");
  refused("(a)\\\\1", "back-reference", "not allowed");
  /* stacked repetitions: fuzz_selector's 179-byte pattern of stars ran for 28 s */
  refused("^e\\\\^**********", "follows another repetition", "undefined in POSIX");
  refused("a+*", "follows another repetition", "byte 2");
  refused("a{2}?", "follows another repetition", "byte 4");
  accepted("(a*)b*c?");
  s = repeat("(", 17, "a)))))))))))))))))");
  refused(s, "nested deeper than 16", "16");
  free(s);
  s = repeat("(", 16, "a))))))))))))))))");
  accepted(s);
  free(s);
}

static void test_ordinary(void **state)
{
  (void)state;
  /* what selectors use keeps working, brackets hiding ( ) { | included */
  const char *ok[] = {"^fc/",
                      "(od|oper)/t2m$",
                      "^ecmwf/[[:alpha:]]+/[0-9]{2,4}$",
                      "[](|{]x",
                      "[^]a]{1,3}",
                      "a{,5}b",
                      "\\.grib$",
                      "([a-z]{1,30}/){1,30}",
                      "((.*){1,249}){1,2}",
                      "[[:alnum:]_.-]{1,255}",
                      "x|y|z"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    accepted(ok[i]);
  /* regcomp's own errors still come through */
  char err[512];
  const char *bad[] = {"a{2,1}", "a{", "(ab", "[a-"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(compile(bad[i], err, sizeof err, NULL), MSTRO_INVARG);
    assert_non_null(strstr(err, "bad regular expression"));
  }
}

static long status_kib(const char *field)
{
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, n) && line[n] == ':')
      v = strtol(line + n + 1, NULL, 10);
  fclose(f);
  return v;
}

/* In a child: the peak RSS growth (KiB) of compiling and using re in the
 * locale (multibyte brackets cost more in a UTF-8 one). */
static long rss_growth_kib(const char *re, const char *locale)
{
  int fd[2];
  assert_int_equal(pipe(fd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fd[0]);
    setlocale(LC_ALL, locale);                     /* where it is missing, the C locale stays */
    FILE *f = fopen("/proc/self/clear_refs", "w"); /* "5": reset the peak */
    if (f) {
      fputs("5", f);
      fclose(f);
    }
    long before = status_kib("VmRSS");
    char *q = regex_query(re);
    mstro_cdo_selector s = NULL;
    long grown = -1;
    if (mstro__selector_create_ex(NULL, NULL, q, &s, NULL, 0, NULL) == MSTRO_OK) {
      mstro__attr_dict *d = NULL;
      const char *name = "ecmwf/od/t2m/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
      bool m;
      if (mstro__attr_dict_create(&d) == MSTRO_OK &&
          mstro__attr_dict_set(d, "name", &name, true, false) == MSTRO_OK &&
          mstro__selector_eval(s, d, &m) == MSTRO_OK)
        grown = status_kib("VmHWM") - before;
      mstro__attr_dict_destroy(d);
      mstro_cdo_selector_dispose(s);
    }
    if (write(fd[1], &grown, sizeof grown) != sizeof grown)
      _exit(2);
    _exit(0);
  }
  close(fd[1]);
  long grown = -1;
  ssize_t r = read(fd[0], &grown, sizeof grown);
  close(fd[0]);
  int ws = 0;
  assert_int_equal(waitpid(pid, &ws, 0), pid);
  assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  assert_int_equal(r, (ssize_t)sizeof grown);
  return grown;
}

static void test_memory_bound(void **state)
{
  (void)state;
  /* near the size limit, the shapes regcomp finds dearest: stars inside
   * bounds (epsilon closures), nested bounds, optional runs, classes */
  const char *worst[] = {"((a*){1,249}){1,2}",
                         "((.*){1,249}){1,2}",
                         "(a{1,30}){1,32}",
                         "(((a{1,4}){1,4}){1,4}){1,9}",
                         "([[:alpha:]]?){1,249}",
                         "(a?b?c?d?e?f?g?h?){1,110}",
                         "(a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p){1,60}",
                         "[[:alnum:]_.-]{1,200}(x*y*){1,200}"};
  for (size_t i = 0; i < sizeof worst / sizeof worst[0]; i++) {
    accepted(worst[i]);
    for (int l = 0; l < 2; l++) {
      const char *loc = l ? "C.UTF-8" : "C";
      long kib = rss_growth_kib(worst[i], loc);
      print_message("peak RSS growth of '%s' (%s): %ld KiB\n", worst[i], loc, kib);
      assert_true(kib >= 0);
      if (kib > RSS_BOUND_KIB)
        fail_msg("'%s' grew the peak RSS by %ld KiB (bound %d KiB)", worst[i], kib, RSS_BOUND_KIB);
    }
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pathological),
      cmocka_unit_test(test_other_limits),
      cmocka_unit_test(test_ordinary),
      cmocka_unit_test(test_memory_bound),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
