/* SPDX-License-Identifier: BSD-3-Clause */
/* Selectors: parsing (good and malformed input, error positions), typed
 * evaluation, the evaluator against a naive reference on random
 * dictionaries, serialization and concurrent evaluation. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attr.h"
#include "schema.h"
#include "selector_internal.h"

static int setup(void **state)
{
  (void)state;
  unsetenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES");
  setenv("MSTRO_SCHEMA_PATH", MSTRO_TEST_DATA_DIR, 1);
  setenv("MSTRO_SCHEMA_LIST", "test-types.yaml;ecmwf.yaml", 1);
  return mstro__schemas_init() == MSTRO_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  mstro__schemas_fini();
  return 0;
}

static bool sel_match(const char *nspace, const char *query, const mstro__attr_dict *d)
{
  mstro_cdo_selector s = NULL;
  char err[512];
  mstro_status st = mstro__selector_create_ex(NULL, nspace, query, &s, err, sizeof err, NULL);
  if (st != MSTRO_OK)
    fail_msg("query '%s' did not compile: %s", query, err);
  bool m = false;
  assert_int_equal(mstro__selector_eval(s, d, &m), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(s), MSTRO_OK);
  return m;
}

static mstro__attr_dict *sample(void)
{
  mstro__attr_dict *d = NULL;
  assert_int_equal(mstro__attr_dict_create(&d), MSTRO_OK);
  assert_int_equal(
      mstro__attr_dict_set_yaml(
          d, NULL,
          "{scope.local-size: 822329, layout.ndims: 2, "
          "layout.dims-size: [3, 4], .maestro.ecmwf.step: 6, .maestro.ecmwf.param: t2m, "
          ".maestro.ecmwf.levelist: 18446744073709551615, "
          ".maestro.ecmwf.date: \"2024-05-01T00:00:00Z\", .maestro.test.d: -0.5, "
          ".maestro.test.b: true, .maestro.test.f: 1.5}"),
      MSTRO_OK);
  const char *nm_ = "ecmwf/t2m/step-6";
  assert_int_equal(mstro__attr_dict_set(d, "name", &nm_, true, false), MSTRO_OK);
  return d;
}

static void test_evaluate(void **state)
{
  (void)state;
  mstro__attr_dict *d = sample();
  /* NULL and empty queries match everything */
  assert_true(sel_match(NULL, NULL, d));
  assert_true(sel_match(NULL, "  ", d));
  bool m = false;
  assert_int_equal(mstro__selector_eval(NULL, d, &m), MSTRO_OK);
  assert_true(m);
  assert_int_equal(mstro__selector_eval(NULL, d, NULL), MSTRO_INVARG);

  assert_true(sel_match(NULL, "(has name)", d));
  assert_true(sel_match(NULL, "(has .maestro.core.cdo.name)", d));
  assert_false(sel_match(NULL, "(has layout.element-size)", d));
  /* defaults count as values */
  assert_true(sel_match(NULL, "(has lifetime)", d));
  assert_true(sel_match(NULL, "(lifetime = 0)", d));
  assert_true(sel_match(NULL, "(name = \"ecmwf/t2m/step-6\")", d));
  assert_true(sel_match(NULL, "(name != \"x\")", d));
  assert_true(sel_match(NULL, "(name > \"ecmwf\")", d));
  assert_true(sel_match(NULL, "(name ~= \"^ecmwf/[a-z0-9]+/step-[0-9]+$\")", d));
  assert_false(sel_match(NULL, "(name ~= \"^t2m\")", d));
  assert_true(sel_match(NULL, "(name ~= \"t2m\")", d)); /* unanchored search */
  assert_true(sel_match(NULL, "(name ~= \"step\\.?-6\")", d));
  assert_true(sel_match(NULL, "(scope.local-size >= 822329)", d));
  assert_false(sel_match(NULL, "(scope.local-size > 822329)", d));
  assert_true(sel_match(NULL, "(scope.local-size < 822329.5)", d));
  assert_true(sel_match(NULL, "(scope.local-size > 822328.5)", d));
  assert_true(sel_match(NULL, "(scope.local-size = 822329.0)", d));
  assert_true(sel_match(NULL, "(scope.local-size==0xc8c39)", d));
  assert_true(sel_match(NULL, "(layout.ndims = 02)", d)); /* decimal, not octal */
  assert_true(sel_match(NULL, "(scope.local-size = 0822329)", d));
  /* relative keys in another namespace, and absolute keys anywhere */
  assert_true(sel_match(".maestro.ecmwf.", "(and (step = 6) (param = \"t2m\"))", d));
  assert_true(sel_match(".maestro.ecmwf", "(step <= 6)", d)); /* trailing dot added */
  assert_true(sel_match(".maestro.ecmwf.", "(.maestro.core.cdo.layout.ndims = 2)", d));
  /* unsigned against signed and real literals */
  assert_true(sel_match(".maestro.ecmwf.", "(levelist = 18446744073709551615)", d));
  assert_true(sel_match(".maestro.ecmwf.", "(levelist > -1)", d));
  assert_true(sel_match(".maestro.ecmwf.", "(levelist > 9223372036854775807)", d));
  assert_false(sel_match(".maestro.ecmwf.", "(levelist < 1e19)", d));
  assert_true(sel_match(".maestro.ecmwf.", "(levelist < 1.8446744073709552e19)", d));
  /* doubles against integers */
  assert_true(sel_match(".maestro.test.", "(d < 0)", d));
  assert_true(sel_match(".maestro.test.", "(d > -1)", d));
  assert_true(sel_match(".maestro.test.", "(d = -0.5)", d));
  assert_true(sel_match(".maestro.test.", "(f = 1.5)", d));
  assert_true(sel_match(".maestro.test.", "(f > 1)", d));
  /* bool */
  assert_true(sel_match(".maestro.test.", "(b = true)", d));
  assert_false(sel_match(".maestro.test.", "(b = false)", d));
  assert_true(sel_match(".maestro.test.", "(b = 1)", d));
  /* timestamps */
  assert_true(sel_match(".maestro.ecmwf.", "(date = \"2024-05-01T02:00:00+02:00\")", d));
  assert_true(sel_match(".maestro.ecmwf.", "(date < \"2024-05-01T00:00:00.000000001Z\")", d));
  assert_true(sel_match(".maestro.ecmwf.", "(date >= 1714521600)", d));
  assert_true(sel_match(".maestro.ecmwf.", "(date > 1714521599.5)", d));
  assert_true(sel_match(".maestro.ecmwf.", "(date < 2024-05-02T00:00:00Z)", d));
  /* missing keys make comparisons false */
  assert_false(sel_match(NULL, "(layout.element-size = 8)", d));
  assert_false(sel_match(NULL, "(layout.element-size != 8)", d));
  assert_true(sel_match(NULL, "(not (layout.element-size = 8))", d));
  assert_false(sel_match(NULL, "(transport ~= \".*\")", d));
  /* and / or / not, empty forms, nesting, whitespace */
  assert_true(sel_match(NULL, "(and)", d));
  assert_false(sel_match(NULL, "(or)", d));
  assert_true(sel_match(NULL, "(or (has transport) (and (has name) (not (has transport))))", d));
  assert_true(sel_match(NULL, "\n\t( and\n ( has   name )\t(layout.ndims=2) )\n", d));
  assert_true(sel_match(NULL, "(has layout.dims-size)", d));
  /* NULL dictionary: empty, defaults still apply */
  mstro_cdo_selector s;
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(lifetime = 0)", &s), MSTRO_OK);
  assert_int_equal(mstro__selector_eval(s, NULL, &m), MSTRO_OK);
  assert_true(m);
  assert_string_equal(mstro__selector_to_string(s), "(lifetime = 0)");
  assert_string_equal(mstro__selector_namespace(s), ".maestro.core.cdo.");
  assert_null(mstro__selector_schema(s));
  mstro_cdo_selector_dispose(s);
  /* a selector restricted to a schema, namespace taken from it */
  mstro_schema ecmwf = mstro__schema_find("ecmwf");
  assert_int_equal(mstro_cdo_selector_create(ecmwf, NULL, "(and (step = 6) (has name))", &s),
                   MSTRO_OK);
  assert_int_equal(mstro__selector_eval(s, d, &m), MSTRO_OK);
  assert_true(m);
  mstro_cdo_selector_dispose(s);
  assert_int_equal(mstro_cdo_selector_create(ecmwf, NULL, "(.maestro.test.b = true)", &s),
                   MSTRO_INVARG);
  mstro__attr_dict_destroy(d);
}

struct bad_case {
  const char *query;
  size_t offset;
};

static void test_malformed(void **state)
{
  (void)state;
  char deep[2000] = "";
  for (int i = 0; i < 300; i++)
    strcat(deep, "(not ");
  const struct bad_case cases[] = {
      {"(", 1},
      {"(has name", 9},
      {"(has)", 4},
      {"has name", 0},
      {"(and (has name) x)", 16},
      {"(name = )", 8},
      {"(name = foo)", 8},
      {"(nosuch = 1)", 1},
      {"(.maestro.nosuch = 1)", 1},
      {"(lifetime = \"x\")", 12},
      {"(lifetime >> 3)", 10},
      {"(lifetime 3)", 10},
      {"(name ~= \"(\")", 9},
      {"(has name) extra", 11},
      {"(not (has name) (has name))", 16},
      {"(not)", 4},
      {"(name = \"abc)", 8},
      {"()", 1},
      {"(lifetime = 1.2.3)", 12},
      {"(raw-ptr = 1)", 11},
      {"(layout.dims-size = 1)", 20},
      {"((has name))", 1},
      {"(lifetime ~= \"x\")", 13},
      {"(name ~= x)", 9},
      {"(creation-time > \"yesterday\")", 17},
      {"(creation-time > yesterday)", 17},
      {"(allocate-now = maybe)", 16},
      {"(lifetime = 1))", 14},
      {"(has name)(has name)", 10},
      {deep, 1005},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mstro_cdo_selector s = (mstro_cdo_selector)1;
    char err[512] = "";
    size_t off = 9999;
    mstro_status st =
        mstro__selector_create_ex(NULL, NULL, cases[i].query, &s, err, sizeof err, &off);
    if (st != MSTRO_INVARG || s != NULL || off != cases[i].offset)
      fail_msg("case %zu '%.40s': status %d, offset %zu (expected %zu), message: %s", i,
               cases[i].query, st, off, cases[i].offset, err);
    char want[32];
    snprintf(want, sizeof want, "offset %zu:", cases[i].offset);
    assert_non_null(strstr(err, want));
    assert_non_null(strchr(err, '^')); /* the caret line */
    /* the caret sits under the offending character */
    const char *excerpt = strchr(err, '\n');
    const char *caret = strrchr(err, '\n');
    assert_non_null(excerpt);
    assert_true(caret > excerpt);
    size_t col = (size_t)(strchr(caret, '^') - caret);
    if (cases[i].offset < strlen(cases[i].query) && cases[i].offset < 30)
      assert_int_equal(excerpt[col], cases[i].query[cases[i].offset]);
  }
  /* the public entry point logs and returns MSTRO_INVARG */
  mstro_cdo_selector s = NULL;
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(oops", &s), MSTRO_INVARG);
  assert_null(s);
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(has name)", NULL), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_selector_create(NULL, "no-dot", "(has name)", &s), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_selector_dispose(NULL), MSTRO_INVARG);
}

static void test_uninit(void **state)
{
  (void)state;
  mstro__schemas_fini();
  mstro_cdo_selector s = NULL;
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(has name)", &s), MSTRO_UNINIT);
  mstro__attr_dict *d = NULL;
  assert_int_equal(mstro__attr_dict_create(&d), MSTRO_UNINIT);
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
}

static void test_serialize(void **state)
{
  (void)state;
  mstro__attr_dict *d = sample();
  const char *queries[] = {"(and (step = 6) (param ~= \"^t\"))", NULL,
                           "(has .maestro.core.cdo.name)"};
  for (size_t i = 0; i < 3; i++) {
    mstro_cdo_selector s, r;
    assert_int_equal(mstro_cdo_selector_create(NULL, ".maestro.ecmwf.", queries[i], &s), MSTRO_OK);
    void *buf;
    size_t len;
    assert_int_equal(mstro__selector_serialize(s, &buf, &len), MSTRO_OK);
    assert_int_equal(mstro__selector_deserialize(buf, len, &r), MSTRO_OK);
    if (queries[i])
      assert_string_equal(mstro__selector_to_string(r), queries[i]);
    else
      assert_null(mstro__selector_to_string(r));
    assert_string_equal(mstro__selector_namespace(r), ".maestro.ecmwf.");
    bool m1, m2;
    mstro__selector_eval(s, d, &m1);
    mstro__selector_eval(r, d, &m2);
    assert_true(m1);
    assert_int_equal(m1, m2);
    for (size_t cut = 0; cut < len; cut++) {
      mstro_cdo_selector x = NULL;
      assert_int_equal(mstro__selector_deserialize(buf, cut, &x), MSTRO_INVMSG);
      assert_null(x);
    }
    free(buf);
    mstro_cdo_selector_dispose(s);
    mstro_cdo_selector_dispose(r);
  }
  mstro_schema ecmwf = mstro__schema_find("ecmwf");
  mstro_cdo_selector s, r;
  assert_int_equal(mstro_cdo_selector_create(ecmwf, NULL, "(step = 6)", &s), MSTRO_OK);
  void *buf;
  size_t len;
  assert_int_equal(mstro__selector_serialize(s, &buf, &len), MSTRO_OK);
  assert_int_equal(mstro__selector_deserialize(buf, len, &r), MSTRO_OK);
  assert_ptr_equal(mstro__selector_schema(r), ecmwf);
  free(buf);
  mstro_cdo_selector_dispose(s);
  mstro_cdo_selector_dispose(r);
  mstro__attr_dict_destroy(d);
}

/* ---------------------------------------------- random reference testing */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}
static int rndn(int n)
{
  return (int)(rnd() % (uint64_t)n);
}

enum rkind { R_BOOL, R_I32, R_I64, R_U32, R_U64, R_F, R_D, R_S, R_TS, R_NKEYS };
static const char *const rkeys[R_NKEYS] = {"b", "i32", "i64", "u32", "u64", "f", "d", "s", "ts"};

struct rval {
  bool set;
  long double num; /* exact for every integer and double here */
  const char *s;
  mstro_timestamp ts;
};

static const int64_t ivals[] = {-3, -1, 0, 1, 2, 3, INT64_MIN, INT64_MAX};
static const uint64_t uvals[] = {0, 1, 2, 3, UINT64_MAX, (uint64_t)INT64_MAX + 1};
static const double dvals[] = {-1.5, 0.0, 0.5, 1.0, 2.0, 3.25, -1e300};
static const char *const svals[] = {"", "a", "ab", "abc", "b", "ba", "xyz"};
static const int64_t tsecs[] = {0, 1, 1714521600, -5};

static void random_dict(mstro__attr_dict *d, struct rval *vals)
{
  char key[64];
  for (int k = 0; k < R_NKEYS; k++) {
    vals[k].set = rndn(10) < 7;
    if (!vals[k].set)
      continue;
    snprintf(key, sizeof key, ".maestro.test.%s", rkeys[k]);
    mstro_status st = MSTRO_FAIL;
    switch (k) {
    case R_BOOL: {
      bool b = rndn(2);
      vals[k].num = b;
      st = mstro__attr_dict_set(d, key, &b, true, false);
      break;
    }
    case R_I32: {
      int32_t x = (int32_t)ivals[rndn(6)];
      vals[k].num = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    case R_I64: {
      int64_t x = ivals[rndn(8)];
      vals[k].num = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    case R_U32: {
      uint32_t x = (uint32_t)uvals[rndn(4)];
      vals[k].num = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    case R_U64: {
      uint64_t x = uvals[rndn(6)];
      vals[k].num = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    case R_F: {
      float x = (float)dvals[rndn(6)];
      vals[k].num = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    case R_D: {
      double x = dvals[rndn(7)];
      vals[k].num = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    case R_S: {
      const char *x = svals[rndn(7)];
      vals[k].s = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    case R_TS: {
      mstro_timestamp x = {tsecs[rndn(4)], rndn(2) ? 0 : 500000000, 0};
      vals[k].ts = x;
      st = mstro__attr_dict_set(d, key, &x, true, false);
      break;
    }
    }
    assert_int_equal(st, MSTRO_OK);
  }
}

static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};

static bool op_result(int op, int c)
{
  switch (op) {
  case 0:
    return c == 0;
  case 1:
    return c != 0;
  case 2:
    return c < 0;
  case 3:
    return c <= 0;
  case 4:
    return c > 0;
  default:
    return c >= 0;
  }
}

static const char *const regexes[] = {"^a", "b$", "a.c", "^$", "y"};
static bool regex_ref(int r, const char *s)
{
  size_t n = strlen(s);
  switch (r) {
  case 0:
    return s[0] == 'a';
  case 1:
    return n > 0 && s[n - 1] == 'b';
  case 2:
    for (size_t i = 0; i + 2 < n; i++)
      if (s[i] == 'a' && s[i + 2] == 'c')
        return true;
    return false;
  case 3:
    return n == 0;
  default:
    return strchr(s, 'y') != NULL;
  }
}

/* Generate a random query into buf (appending) and return its reference value. */
static bool gen(char *buf, size_t cap, int depth, const struct rval *v, bool relative)
{
  size_t len = strlen(buf);
  char *p = buf + len;
  size_t room = cap - len;
  int form = depth >= 3 ? 3 + rndn(3) : rndn(7);
  const char *pre = relative ? "" : ".maestro.test.";
  if (form == 0 || form == 1) { /* and / or */
    bool isand = form == 0;
    snprintf(p, room, "(%s", isand ? "and" : "or");
    int n = rndn(4);
    bool acc = isand;
    for (int i = 0; i < n; i++) {
      strncat(buf, rndn(2) ? " " : "\n ", cap - strlen(buf) - 1);
      bool r = gen(buf, cap, depth + 1, v, relative);
      acc = isand ? (acc && r) : (acc || r);
    }
    strncat(buf, ")", cap - strlen(buf) - 1);
    return acc;
  }
  if (form == 2) {
    snprintf(p, room, "(not ");
    bool r = gen(buf, cap, depth + 1, v, relative);
    strncat(buf, ")", cap - strlen(buf) - 1);
    return !r;
  }
  int k = rndn(R_NKEYS);
  if (form == 3) {
    snprintf(p, room, "(has %s%s)", pre, rkeys[k]);
    return v[k].set;
  }
  if (k == R_S && rndn(3) == 0) {
    int r = rndn(5);
    snprintf(p, room, "(%s%s ~= \"%s\")", pre, rkeys[k], regexes[r]);
    return v[k].set && regex_ref(r, v[k].s);
  }
  int op = rndn(6);
  if (k == R_S) {
    const char *lit = svals[rndn(7)];
    snprintf(p, room, "(%s%s %s \"%s\")", pre, rkeys[k], ops[op], lit);
    if (!v[k].set)
      return false;
    int c = strcmp(v[k].s, lit);
    return op_result(op, c);
  }
  if (k == R_TS) {
    int64_t sec = tsecs[rndn(4)];
    int32_t nsec = rndn(2) ? 0 : 500000000;
    if (nsec)
      snprintf(p, room, "(%s%s %s %lld.5)", pre, rkeys[k], ops[op], (long long)sec);
    else
      snprintf(p, room, "(%s%s %s %lld)", pre, rkeys[k], ops[op], (long long)sec);
    if (sec < 0 && nsec) { /* -5.5 is -6 s + 0.5 */
      sec -= 1;
    }
    if (!v[k].set)
      return false;
    int c = v[k].ts.sec != sec ? (v[k].ts.sec < sec ? -1 : 1)
                               : (v[k].ts.nsec > nsec) - (v[k].ts.nsec < nsec);
    return op_result(op, c);
  }
  long double lit;
  if (k == R_BOOL && rndn(2)) {
    bool b = rndn(2);
    snprintf(p, room, "(%s%s %s %s)", pre, rkeys[k], ops[op], b ? "true" : "false");
    lit = b;
  } else {
    switch (rndn(3)) {
    case 0: {
      int64_t x = ivals[rndn(8)];
      snprintf(p, room, "(%s%s %s %lld)", pre, rkeys[k], ops[op], (long long)x);
      lit = x;
      break;
    }
    case 1: {
      uint64_t x = uvals[rndn(6)];
      snprintf(p, room, "(%s%s%s%llu)", pre, rkeys[k], ops[op], (unsigned long long)x);
      lit = x;
      break;
    }
    default: {
      double x = dvals[rndn(7)];
      snprintf(p, room, "(%s%s %s %.17g)", pre, rkeys[k], ops[op], x);
      lit = x;
      break;
    }
    }
  }
  if (!v[k].set)
    return false;
  long double a = v[k].num;
  int c = a < lit ? -1 : a > lit ? 1 : 0;
  return op_result(op, c);
}

static void test_random_reference(void **state)
{
  (void)state;
  int matches = 0, total = 0;
  for (int round = 0; round < 300; round++) {
    mstro__attr_dict *d = NULL;
    assert_int_equal(mstro__attr_dict_create(&d), MSTRO_OK);
    struct rval vals[R_NKEYS];
    memset(vals, 0, sizeof vals);
    random_dict(d, vals);
    for (int q = 0; q < 40; q++) {
      char query[8192] = "";
      bool relative = rndn(2);
      bool want = gen(query, sizeof query, 0, vals, relative);
      mstro_cdo_selector s = NULL;
      char err[512];
      mstro_status st = mstro__selector_create_ex(NULL, relative ? ".maestro.test." : NULL, query,
                                                  &s, err, sizeof err, NULL);
      if (st != MSTRO_OK)
        fail_msg("generated query does not compile: %s\n%s", query, err);
      bool got = !want;
      assert_int_equal(mstro__selector_eval(s, d, &got), MSTRO_OK);
      if (got != want)
        fail_msg("round %d: query %s: evaluator says %d, reference %d", round, query, got, want);
      matches += got;
      total++;
      mstro_cdo_selector_dispose(s);
    }
    mstro__attr_dict_destroy(d);
  }
  /* the generator must exercise both outcomes */
  assert_true(matches > total / 10);
  assert_true(matches < total - total / 10);
}

struct thr {
  mstro_cdo_selector s[3];
  const mstro__attr_dict *d;
  int mismatches;
};

static void *eval_thread(void *arg)
{
  struct thr *t = arg;
  const bool expect[3] = {true, false, true};
  for (int i = 0; i < 20000; i++) {
    bool m;
    mstro__selector_eval(t->s[i % 3], t->d, &m);
    if (m != expect[i % 3])
      __atomic_add_fetch(&t->mismatches, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

static void test_concurrent(void **state)
{
  (void)state;
  mstro__attr_dict *d = sample();
  struct thr t = {.d = d};
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(name ~= \"t2m\")", &t.s[0]), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(scope.local-size < 10)", &t.s[1]),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_create(NULL, ".maestro.ecmwf.",
                                             "(and (step >= 6) (param = \"t2m\"))", &t.s[2]),
                   MSTRO_OK);
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&th[i], NULL, eval_thread, &t);
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(t.mismatches, 0);
  for (int i = 0; i < 3; i++)
    mstro_cdo_selector_dispose(t.s[i]);
  mstro__attr_dict_destroy(d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_evaluate),         cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_uninit),           cmocka_unit_test(test_serialize),
      cmocka_unit_test(test_random_reference), cmocka_unit_test(test_concurrent),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
