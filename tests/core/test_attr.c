/* SPDX-License-Identifier: BSD-3-Clause */
/* Attribute dictionaries: typed set/get of every type, copy and ownership
 * semantics, unknown keys, forbidden values, YAML, copy/merge, printing,
 * serialization. Run under ASan too: ownership mistakes show as leaks or
 * double frees. */
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

static mstro__attr_dict *new_dict(void)
{
  mstro__attr_dict *d = NULL;
  assert_int_equal(mstro__attr_dict_create(&d), MSTRO_OK);
  assert_non_null(d);
  return d;
}

static const void *get_ok(mstro__attr_dict *d, const char *key, enum mstro_cdo_attr_value_type want)
{
  enum mstro_cdo_attr_value_type t = MSTRO_CDO_ATTR_VALUE_INVALID;
  const void *v = NULL;
  assert_int_equal(mstro__attr_dict_get(d, key, &t, &v), MSTRO_OK);
  assert_int_equal(t, want);
  return v;
}

static void test_every_type(void **state)
{
  (void)state;
  mstro__attr_dict *d = new_dict();
  bool b = true;
  int32_t i32 = -7;
  int64_t i64 = INT64_MIN;
  uint32_t u32 = UINT32_MAX;
  uint64_t u64 = UINT64_MAX;
  float f = 1.25f;
  double dd = -3.5e100;
  const char *s = "hello";
  mstro_timestamp ts = {1714564800, 123456789, 60};
  void *p = &ts;
  mstro_blob blob = {4, (void *)"\x00\x01\x02\x03"};
  int64_t n = 3, arr[3] = {10, -20, 30};

  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.b", &b, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.i32", &i32, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.i64", &i64, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.u32", &u32, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.u64", &u64, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.f", &f, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.d", &dd, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.s", &s, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.ts", &ts, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.p", &p, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.blob", &blob, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.n", &n, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.arr", arr, true, false), MSTRO_OK);
  /* values were copied: change the originals */
  b = false;
  i32 = i64 = 0;
  u32 = 0;
  u64 = 0;
  f = 0;
  dd = 0;
  s = "other";
  ts.sec = 0;
  arr[0] = 0;

  assert_true(*(const bool *)get_ok(d, ".maestro.test.b", MSTRO_CDO_ATTR_VALUE_bool));
  assert_int_equal(*(const int32_t *)get_ok(d, ".maestro.test.i32", MSTRO_CDO_ATTR_VALUE_int32),
                   -7);
  assert_true(*(const int64_t *)get_ok(d, ".maestro.test.i64", MSTRO_CDO_ATTR_VALUE_int64) ==
              INT64_MIN);
  assert_true(*(const uint32_t *)get_ok(d, ".maestro.test.u32", MSTRO_CDO_ATTR_VALUE_uint32) ==
              UINT32_MAX);
  assert_true(*(const uint64_t *)get_ok(d, ".maestro.test.u64", MSTRO_CDO_ATTR_VALUE_uint64) ==
              UINT64_MAX);
  assert_true(*(const float *)get_ok(d, ".maestro.test.f", MSTRO_CDO_ATTR_VALUE_float) == 1.25f);
  assert_true(*(const double *)get_ok(d, ".maestro.test.d", MSTRO_CDO_ATTR_VALUE_double) ==
              -3.5e100);
  /* a string reads back as a pointer to the stored const char * */
  assert_string_equal(
      *(const char *const *)get_ok(d, ".maestro.test.s", MSTRO_CDO_ATTR_VALUE_cstring), "hello");
  const mstro_timestamp *gts = get_ok(d, ".maestro.test.ts", MSTRO_CDO_ATTR_VALUE_timestamp);
  assert_int_equal(gts->sec, 1714564800);
  assert_int_equal(gts->nsec, 123456789);
  assert_int_equal(gts->offset, 60);
  assert_ptr_equal(*(void *const *)get_ok(d, ".maestro.test.p", MSTRO_CDO_ATTR_VALUE_pointer), &ts);
  const mstro_blob *gb = get_ok(d, ".maestro.test.blob", MSTRO_CDO_ATTR_VALUE_blob);
  assert_int_equal(gb->len, 4);
  assert_memory_equal(gb->data, "\x00\x01\x02\x03", 4);
  assert_ptr_not_equal(gb->data, blob.data);
  const int64_t *ga = get_ok(d, ".maestro.test.arr", MSTRO_CDO_ATTR_VALUE_int64_array);
  assert_int_equal(ga[0], 10);
  assert_int_equal(ga[1], -20);
  assert_int_equal(ga[2], 30);

  /* relative keys (to .maestro.core.cdo.) and absolute keys are the same */
  int64_t size = 822329;
  assert_int_equal(mstro__attr_dict_set(d, "scope.local-size", &size, true, false), MSTRO_OK);
  assert_int_equal(
      *(const int64_t *)get_ok(d, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, MSTRO_CDO_ATTR_VALUE_int64),
      822329);
  const char *name = "a CDO";
  assert_int_equal(mstro__attr_dict_set(d, MSTRO_ATTR_CORE_CDO_NAME, &name, true, false), MSTRO_OK);
  assert_string_equal(*(const char *const *)get_ok(d, "name", MSTRO_CDO_ATTR_VALUE_cstring),
                      "a CDO");
  /* setting again replaces (and frees the old copy) */
  name = "renamed";
  assert_int_equal(mstro__attr_dict_set(d, "name", &name, true, false), MSTRO_OK);
  assert_string_equal(*(const char *const *)get_ok(d, "name", MSTRO_CDO_ATTR_VALUE_cstring),
                      "renamed");
  assert_int_equal(mstro__attr_dict_count(d), 15);
  assert_int_equal(mstro__attr_dict_print(d, "test CDO"), MSTRO_OK);
  mstro__attr_dict_destroy(d);
}

static void test_defaults_and_noent(void **state)
{
  (void)state;
  mstro__attr_dict *d = new_dict();
  /* schema defaults for unset keys */
  assert_int_equal(*(const int64_t *)get_ok(d, "scope.local-size", MSTRO_CDO_ATTR_VALUE_int64), -1);
  assert_string_equal(*(const char *const *)get_ok(d, "mem-layer", MSTRO_CDO_ATTR_VALUE_cstring),
                      "DRAM");
  assert_true(
      *(const double *)get_ok(d, ".maestro.test.with-default", MSTRO_CDO_ATTR_VALUE_double) == 2.5);
  assert_int_equal(*(const int64_t *)get_ok(d, ".maestro.ecmwf.step", MSTRO_CDO_ATTR_VALUE_int64),
                   0);
  /* known key without value and without default */
  enum mstro_cdo_attr_value_type t = MSTRO_CDO_ATTR_VALUE_int64;
  const void *v = &t;
  assert_int_equal(mstro__attr_dict_get(d, "layout.ndims", &t, &v), MSTRO_NOENT);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_INVALID);
  assert_null(v);
  /* unknown key */
  assert_int_equal(mstro__attr_dict_get(d, "no.such.key", &t, &v), MSTRO_INVARG);
  /* NULL arguments */
  assert_int_equal(mstro__attr_dict_get(NULL, "name", &t, &v), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_get(d, NULL, &t, &v), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_get(d, "name", NULL, &v), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_get(d, "name", &t, NULL), MSTRO_INVARG);
  int64_t x = 1;
  assert_int_equal(mstro__attr_dict_set(NULL, "lifetime", &x, true, false), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set(d, NULL, &x, true, false), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set(d, "lifetime", NULL, true, false), MSTRO_INVARG);
  const char *nullstr = NULL;
  assert_int_equal(mstro__attr_dict_set(d, "transport", &nullstr, true, false), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_create(NULL), MSTRO_INVARG);
  /* required keys */
  const struct mstro__attr_def *missing = NULL;
  assert_int_equal(mstro__attr_dict_check_required(d, &missing), MSTRO_INVARG);
  assert_non_null(missing);
  assert_string_equal(missing->key, MSTRO_ATTR_CORE_CDO_NAME);
  const char *nm = "x";
  assert_int_equal(mstro__attr_dict_set(d, "name", &nm, true, false), MSTRO_OK);
  /* test-types has a required key, but no key of it is set: it does not apply */
  assert_int_equal(mstro__attr_dict_check_required(d, &missing), MSTRO_OK);
  int64_t one = 1;
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.i64", &one, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_check_required(d, &missing), MSTRO_INVARG);
  assert_string_equal(missing->key, ".maestro.test.needed");
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.needed", &nm, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_check_required(d, &missing), MSTRO_OK);
  assert_null(missing);
  /* unset */
  assert_int_equal(mstro__attr_dict_unset(d, ".maestro.test.needed"), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_unset(d, ".maestro.test.needed"), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_unset(d, "bogus"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_count(d), 2);
  mstro__attr_dict_destroy(d);
  mstro__attr_dict_destroy(NULL);
}

static void test_ownership(void **state)
{
  (void)state;
  mstro__attr_dict *d = new_dict();
  /* by reference, caller-owned: later changes are visible */
  int64_t life = 5;
  assert_int_equal(mstro__attr_dict_set(d, "lifetime", &life, false, true), MSTRO_OK);
  life = 6;
  assert_int_equal(*(const int64_t *)get_ok(d, "lifetime", MSTRO_CDO_ATTR_VALUE_int64), 6);
  assert_ptr_equal(get_ok(d, "lifetime", MSTRO_CDO_ATTR_VALUE_int64), &life);
  /* by reference, maestro-owned: freed when replaced (ASan: no leak) */
  int64_t *heap = malloc(sizeof *heap);
  *heap = 7;
  assert_int_equal(mstro__attr_dict_set(d, "lifetime", heap, false, false), MSTRO_OK);
  assert_int_equal(*(const int64_t *)get_ok(d, "lifetime", MSTRO_CDO_ATTR_VALUE_int64), 7);
  heap = malloc(sizeof *heap);
  *heap = 8;
  assert_int_equal(mstro__attr_dict_set(d, "lifetime", heap, false, false), MSTRO_OK);
  /* bool by reference with a stray byte: read as true, no UB */
  unsigned char bb = 2;
  assert_int_equal(mstro__attr_dict_set(d, "allocate-now", &bb, false, true), MSTRO_OK);
  mstro__attr_value val;
  assert_true(
      mstro__attr_dict_value_load(d, mstro__schema_lookup(NULL, NULL, "allocate-now"), &val, NULL));
  assert_true(val.b);

  /* strings: maestro takes the string itself (freed at destroy) */
  char *s = strdup("DRAM");
  assert_int_equal(mstro__attr_dict_set(d, "mem-layer", &s, false, false), MSTRO_OK);
  const char *const *gs = get_ok(d, "mem-layer", MSTRO_CDO_ATTR_VALUE_cstring);
  assert_ptr_equal(*gs, s); /* not copied */
  /* caller keeps a string it owns */
  static char mine[] = "GPU:0";
  char *mp = mine;
  assert_int_equal(mstro__attr_dict_set(d, "mem-layer", &mp, false, true), MSTRO_OK);
  gs = get_ok(d, "mem-layer", MSTRO_CDO_ATTR_VALUE_cstring);
  assert_ptr_equal(*gs, mine);

  /* pointer: maestro-core idiom: val is the pointer itself when not copied */
  char buf[16];
  assert_int_equal(mstro__attr_dict_set(d, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_ptr_equal(*(void *const *)get_ok(d, "raw-ptr", MSTRO_CDO_ATTR_VALUE_pointer), buf);
  void *bp = buf + 1;
  assert_int_equal(mstro__attr_dict_set(d, "raw-ptr", &bp, true, false), MSTRO_OK);
  assert_ptr_equal(*(void *const *)get_ok(d, "raw-ptr", MSTRO_CDO_ATTR_VALUE_pointer), buf + 1);
  void *owned = malloc(32);
  assert_int_equal(mstro__attr_dict_set(d, "raw-ptr", owned, false, false), MSTRO_OK);

  /* blob: data kept and freed */
  mstro_blob bl = {3, malloc(3)};
  memcpy(bl.data, "abc", 3);
  assert_int_equal(mstro__attr_dict_set(d, "layout.distribution", &bl, false, false), MSTRO_OK);
  const mstro_blob *gb = get_ok(d, "layout.distribution", MSTRO_CDO_ATTR_VALUE_blob);
  assert_ptr_equal(gb->data, bl.data);

  /* arrays: kept and freed */
  int64_t nd = 2;
  assert_int_equal(mstro__attr_dict_set(d, "layout.ndims", &nd, true, false), MSTRO_OK);
  int64_t *dims = malloc(2 * sizeof *dims);
  dims[0] = 4;
  dims[1] = 5;
  assert_int_equal(mstro__attr_dict_set(d, "layout.dims-size", dims, false, false), MSTRO_OK);
  assert_ptr_equal(get_ok(d, "layout.dims-size", MSTRO_CDO_ATTR_VALUE_int64_array), dims);
  /* a refused set leaves ownership with the caller */
  char *longs = strdup("this string is much longer than sixty-four bytes, which is the schema's "
                       "maximum for mem-layer");
  assert_int_equal(mstro__attr_dict_set(d, "mem-layer", &longs, false, false), MSTRO_INVARG);
  free(longs);
  gs = get_ok(d, "mem-layer", MSTRO_CDO_ATTR_VALUE_cstring);
  assert_ptr_equal(*gs, mine);

  /* deep copy survives the original */
  mstro__attr_dict *c = NULL;
  assert_int_equal(mstro__attr_dict_copy(d, &c), MSTRO_OK);
  mstro__attr_dict_destroy(d);
  assert_int_equal(*(const int64_t *)get_ok(c, "lifetime", MSTRO_CDO_ATTR_VALUE_int64), 8);
  assert_string_equal(*(const char *const *)get_ok(c, "mem-layer", MSTRO_CDO_ATTR_VALUE_cstring),
                      "GPU:0");
  gb = get_ok(c, "layout.distribution", MSTRO_CDO_ATTR_VALUE_blob);
  assert_memory_equal(gb->data, "abc", 3);
  const int64_t *gd = get_ok(c, "layout.dims-size", MSTRO_CDO_ATTR_VALUE_int64_array);
  assert_int_equal(gd[1], 5);
  mstro__attr_dict_destroy(c);
}

static void test_unknown_keys(void **state)
{
  (void)state;
  mstro__attr_dict *d = new_dict();
  int64_t x = 1;
  unsetenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES");
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.unknown.key", &x, true, false), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set(d, "not-a-core-key", &x, true, false), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "not-a-core-key", "1"), MSTRO_INVARG);
  setenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES", "1", 1);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.unknown.key", &x, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "not-a-core-key", "1"), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set_yaml(d, NULL, "{not-a-core-key: 1, lifetime: 3}"),
                   MSTRO_OK);
  assert_int_equal(mstro__attr_dict_count(d), 1); /* only lifetime */
  setenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES", "0", 1);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.unknown.key", &x, true, false), MSTRO_INVARG);
  unsetenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES");
  mstro__attr_dict_destroy(d);
}

static void test_forbidden_values(void **state)
{
  (void)state;
  mstro__attr_dict *d = new_dict();
  int64_t v = 100;
  assert_int_equal(mstro__attr_dict_set(d, "scope.local-size", &v, true, false), MSTRO_OK);
  int64_t bad = -5;
  assert_int_equal(mstro__attr_dict_set(d, "scope.local-size", &bad, true, false), MSTRO_INVARG);
  assert_int_equal(*(const int64_t *)get_ok(d, "scope.local-size", MSTRO_CDO_ATTR_VALUE_int64),
                   100);
  int64_t unknown = -1;
  assert_int_equal(mstro__attr_dict_set(d, "scope.local-size", &unknown, true, false), MSTRO_OK);
  /* dims before ndims */
  int64_t dims[3] = {2, 3, 4};
  assert_int_equal(mstro__attr_dict_set(d, "layout.dims-size", dims, true, false), MSTRO_INVARG);
  int64_t nd = 3;
  assert_int_equal(mstro__attr_dict_set(d, "layout.ndims", &nd, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, "layout.dims-size", dims, true, false), MSTRO_OK);
  /* ndims that disagrees with the dims already set */
  int64_t nd2 = 2;
  assert_int_equal(mstro__attr_dict_set(d, "layout.ndims", &nd2, true, false), MSTRO_INVARG);
  assert_int_equal(*(const int64_t *)get_ok(d, "layout.ndims", MSTRO_CDO_ATTR_VALUE_int64), 3);
  assert_int_equal(mstro__attr_dict_set(d, "layout.ndims", &nd, true, false), MSTRO_OK);
  /* YAML dims of the wrong length */
  assert_int_equal(mstro__attr_dict_set_yaml(d, "layout.dims-size", "[1, 2]"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "layout.dims-size", "[1, 2, 3]"), MSTRO_OK);
  /* negative dims */
  int64_t negdims[3] = {1, -2, 3};
  assert_int_equal(mstro__attr_dict_set(d, "layout.dims-size", negdims, true, false), MSTRO_INVARG);
  const int64_t *g = get_ok(d, "layout.dims-size", MSTRO_CDO_ATTR_VALUE_int64_array);
  assert_int_equal(g[1], 2);
  /* after unsetting dims, ndims may change */
  assert_int_equal(mstro__attr_dict_unset(d, "layout.dims-size"), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, "layout.ndims", &nd2, true, false), MSTRO_OK);
  /* ndims out of range (max 64) */
  int64_t big = 65;
  assert_int_equal(mstro__attr_dict_set(d, "layout.ndims", &big, true, false), MSTRO_INVARG);
  /* string longer than the schema allows */
  const char *ok = "NUMA:1";
  const char *toolong = "0123456789abcdefX"; /* test-types s: max=16 */
  assert_int_equal(mstro__attr_dict_set(d, "mem-layer", &ok, true, false), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.s", &toolong, true, false), MSTRO_INVARG);
  const char *just = "0123456789abcdef";
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.s", &just, true, false), MSTRO_OK);
  /* ranges of other types */
  int32_t i32 = 1001;
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.i32", &i32, true, false), MSTRO_INVARG);
  int64_t order = 3;
  assert_int_equal(mstro__attr_dict_set(d, "layout.order", &order, true, false), MSTRO_INVARG);
  double dd = -1e301;
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.d", &dd, true, false), MSTRO_INVARG);
  mstro_blob big_blob = {2000, calloc(1, 2000)};
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.blob", &big_blob, true, false),
                   MSTRO_INVARG);
  free(big_blob.data);
  mstro_timestamp badts = {0, 1000000000, 0};
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.ts", &badts, true, false), MSTRO_INVARG);
  const char *empty = "";
  assert_int_equal(mstro__attr_dict_set(d, "name", &empty, true, false), MSTRO_INVARG);
  /* a long name (1000+ characters) is fine */
  char *longname = malloc(2001);
  memset(longname, 'n', 2000);
  longname[2000] = 0;
  assert_int_equal(mstro__attr_dict_set(d, "name", &longname, true, false), MSTRO_OK);
  free(longname);
  mstro__attr_dict_destroy(d);
}

static void test_yaml(void **state)
{
  (void)state;
  mstro__attr_dict *d = new_dict();
  assert_int_equal(mstro__attr_dict_set_yaml(d, "scope.local-size", "822329"), MSTRO_OK);
  assert_int_equal(*(const int64_t *)get_ok(d, "scope.local-size", MSTRO_CDO_ATTR_VALUE_int64),
                   822329);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "scope.local-size", "scope.local-size: 12"),
                   MSTRO_OK);
  assert_int_equal(*(const int64_t *)get_ok(d, "scope.local-size", MSTRO_CDO_ATTR_VALUE_int64), 12);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "scope.local-size", "lifetime: 12"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "scope.local-size", "\"12\""), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "scope.local-size", "-2"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "scope.local-size", "[1"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "scope.local-size", ""), MSTRO_INVARG);
  assert_int_equal(*(const int64_t *)get_ok(d, "scope.local-size", MSTRO_CDO_ATTR_VALUE_int64), 12);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "mem-layer", "\"NUMA:0\""), MSTRO_OK);
  assert_string_equal(*(const char *const *)get_ok(d, "mem-layer", MSTRO_CDO_ATTR_VALUE_cstring),
                      "NUMA:0");
  assert_int_equal(mstro__attr_dict_set_yaml(d, "allocate-now", "yes"), MSTRO_OK);
  assert_true(*(const bool *)get_ok(d, "allocate-now", MSTRO_CDO_ATTR_VALUE_bool));
  assert_int_equal(mstro__attr_dict_set_yaml(d, "raw-ptr", "0x1000"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, ".maestro.ecmwf.date", "2024-05-01T00:00:00Z"),
                   MSTRO_OK);
  const mstro_timestamp *ts = get_ok(d, ".maestro.ecmwf.date", MSTRO_CDO_ATTR_VALUE_timestamp);
  assert_int_equal(ts->sec, 1714521600);
  assert_int_equal(mstro__attr_dict_set_yaml(d, NULL,
                                             "{layout.ndims: 2, layout.dims-size: [3, 4], "
                                             ".maestro.ecmwf.param: t2m, .maestro.ecmwf.step: 6}"),
                   MSTRO_OK);
  const int64_t *dims = get_ok(d, "layout.dims-size", MSTRO_CDO_ATTR_VALUE_int64_array);
  assert_int_equal(dims[0], 3);
  assert_int_equal(dims[1], 4);
  assert_string_equal(
      *(const char *const *)get_ok(d, ".maestro.ecmwf.param", MSTRO_CDO_ATTR_VALUE_cstring), "t2m");
  assert_int_equal(mstro__attr_dict_set_yaml(d, NULL, "42"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, NULL, "{[1]: 2}"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, ".maestro.test.blob", "aGVsbG8="), MSTRO_OK);
  const mstro_blob *b = get_ok(d, ".maestro.test.blob", MSTRO_CDO_ATTR_VALUE_blob);
  assert_int_equal(b->len, 5);
  assert_int_equal(mstro__attr_dict_set_yaml(NULL, "lifetime", "1"), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_set_yaml(d, "lifetime", NULL), MSTRO_INVARG);
  mstro__attr_dict_destroy(d);
}

static bool count_visit(const struct mstro__attr_def *def, enum mstro_cdo_attr_value_type type,
                        const void *val, void *ctx)
{
  assert_int_equal(def->type, type);
  assert_non_null(val);
  (*(int *)ctx)++;
  return true;
}

static void test_merge_foreach(void **state)
{
  (void)state;
  mstro__attr_dict *prod = new_dict(), *cons = new_dict();
  assert_int_equal(mstro__attr_dict_set_yaml(prod, NULL, "{scope.local-size: 100, lifetime: 9}"),
                   MSTRO_OK);
  char buf[4];
  assert_int_equal(mstro__attr_dict_set(prod, "raw-ptr", buf, false, true), MSTRO_OK);
  char cbuf[4];
  assert_int_equal(mstro__attr_dict_set(cons, "raw-ptr", cbuf, false, true), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_set_yaml(cons, "lifetime", "1"), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_merge(cons, prod, false, false), MSTRO_OK);
  assert_int_equal(*(const int64_t *)get_ok(cons, "lifetime", MSTRO_CDO_ATTR_VALUE_int64), 1);
  assert_int_equal(*(const int64_t *)get_ok(cons, "scope.local-size", MSTRO_CDO_ATTR_VALUE_int64),
                   100);
  assert_ptr_equal(*(void *const *)get_ok(cons, "raw-ptr", MSTRO_CDO_ATTR_VALUE_pointer), cbuf);
  assert_int_equal(mstro__attr_dict_merge(cons, prod, true, true), MSTRO_OK);
  assert_int_equal(*(const int64_t *)get_ok(cons, "lifetime", MSTRO_CDO_ATTR_VALUE_int64), 9);
  assert_ptr_equal(*(void *const *)get_ok(cons, "raw-ptr", MSTRO_CDO_ATTR_VALUE_pointer), buf);
  /* an array and its count key stay consistent across a merge */
  mstro__attr_dict *a = new_dict(), *b = new_dict();
  assert_int_equal(mstro__attr_dict_set_yaml(a, NULL, "{layout.ndims: 2}"), MSTRO_OK);
  assert_int_equal(
      mstro__attr_dict_set_yaml(b, NULL, "{layout.ndims: 3, layout.dims-size: [1, 2, 3]}"),
      MSTRO_OK);
  assert_int_equal(mstro__attr_dict_merge(a, b, false, false), MSTRO_OK);
  assert_int_equal(*(const int64_t *)get_ok(a, "layout.ndims", MSTRO_CDO_ATTR_VALUE_int64), 2);
  assert_false(mstro__attr_dict_is_set(a, mstro__schema_lookup(NULL, NULL, "layout.dims-size")));
  assert_int_equal(mstro__attr_dict_merge(a, b, true, false), MSTRO_OK);
  assert_int_equal(*(const int64_t *)get_ok(a, "layout.ndims", MSTRO_CDO_ATTR_VALUE_int64), 3);
  assert_true(mstro__attr_dict_is_set(a, mstro__schema_lookup(NULL, NULL, "layout.dims-size")));
  mstro__attr_dict_destroy(a);
  mstro__attr_dict_destroy(b);
  int n = 0;
  assert_int_equal(mstro__attr_dict_foreach(cons, count_visit, &n), MSTRO_OK);
  assert_int_equal(n, 3);
  assert_int_equal(mstro__attr_dict_foreach(NULL, count_visit, &n), MSTRO_INVARG);
  assert_int_equal(mstro__attr_dict_merge(NULL, prod, true, true), MSTRO_INVARG);
  char text[64];
  mstro__attr_value v = {.i64 = 42};
  mstro__attr_value_format(mstro__schema_lookup(NULL, NULL, "lifetime"), &v, 1, text, sizeof text);
  assert_string_equal(text, "42");
  mstro__attr_dict_destroy(prod);
  mstro__attr_dict_destroy(cons);
}

static mstro__attr_dict *full_dict(void)
{
  mstro__attr_dict *d = new_dict();
  assert_int_equal(
      mstro__attr_dict_set_yaml(
          d, NULL,
          "{.maestro.test.b: true, .maestro.test.i32: -5, .maestro.test.i64: -9000000000, "
          ".maestro.test.u32: 4000000000, .maestro.test.u64: 18446744073709551615, "
          ".maestro.test.f: 0.5, .maestro.test.d: 1e-300, .maestro.test.s: \"quote\\\"d\", "
          ".maestro.test.ts: \"2024-05-01T13:30:00.25+01:30\", .maestro.test.blob: AAECAw==, "
          ".maestro.test.n: 2, .maestro.test.arr: [7, -8], "
          "scope.local-size: 822329, layout.ndims: 0, layout.dims-size: []}"),
      MSTRO_OK);
  void *p = d;
  assert_int_equal(mstro__attr_dict_set(d, ".maestro.test.p", &p, true, false), MSTRO_OK);
  const char *nm = "some/cdo";
  assert_int_equal(mstro__attr_dict_set(d, "name", &nm, true, false), MSTRO_OK);
  /* read-only keys cannot come from YAML (user input) */
  assert_int_equal(mstro__attr_dict_set_yaml(d, "name", "other"), MSTRO_INVSTATE);
  assert_int_equal(mstro__attr_dict_set_yaml(d, NULL, "{name: other}"), MSTRO_INVSTATE);
  return d;
}

static void test_serialize(void **state)
{
  (void)state;
  mstro__attr_dict *d = full_dict();
  void *buf = NULL;
  size_t len = 0;
  assert_int_equal(mstro__attr_dict_serialize(d, &buf, &len), MSTRO_OK);
  mstro__attr_dict *r = NULL;
  assert_int_equal(mstro__attr_dict_deserialize(buf, len, &r), MSTRO_OK);
  /* same content except the pointer */
  assert_int_equal(mstro__attr_dict_count(r), mstro__attr_dict_count(d) - 1);
  void *buf2 = NULL;
  size_t len2 = 0;
  assert_int_equal(mstro__attr_dict_serialize(r, &buf2, &len2), MSTRO_OK);
  assert_int_equal(len, len2);
  assert_memory_equal(buf, buf2, len);
  const mstro_timestamp *ts = get_ok(r, ".maestro.test.ts", MSTRO_CDO_ATTR_VALUE_timestamp);
  assert_int_equal(ts->nsec, 250000000);
  assert_int_equal(ts->offset, 90);
  assert_string_equal(
      *(const char *const *)get_ok(r, ".maestro.test.s", MSTRO_CDO_ATTR_VALUE_cstring), "quote\"d");
  const int64_t *arr = get_ok(r, ".maestro.test.arr", MSTRO_CDO_ATTR_VALUE_int64_array);
  assert_int_equal(arr[1], -8);
  enum mstro_cdo_attr_value_type t;
  const void *v;
  assert_int_equal(mstro__attr_dict_get(r, ".maestro.test.p", &t, &v), MSTRO_NOENT);
  mstro__attr_dict_destroy(r);

  /* every truncation is refused cleanly */
  for (size_t cut = 0; cut < len; cut++) {
    r = (mstro__attr_dict *)1;
    assert_int_equal(mstro__attr_dict_deserialize(buf, cut, &r), MSTRO_INVMSG);
    assert_null(r);
  }
  /* trailing garbage */
  unsigned char *big = malloc(len + 1);
  memcpy(big, buf, len);
  big[len] = 0;
  assert_int_equal(mstro__attr_dict_deserialize(big, len + 1, &r), MSTRO_INVMSG);
  /* wrong type for a key: flip the type byte of the first entry */
  memcpy(big, buf, len);
  size_t kl = big[12] | (size_t)big[13] << 8;
  big[14 + kl] = MSTRO_CDO_ATTR_VALUE_int32 == big[14 + kl] ? MSTRO_CDO_ATTR_VALUE_int64
                                                            : MSTRO_CDO_ATTR_VALUE_int32;
  assert_int_equal(mstro__attr_dict_deserialize(big, len, &r), MSTRO_INVMSG);
  free(big);
  assert_int_equal(mstro__attr_dict_deserialize(NULL, 0, &r), MSTRO_INVARG);
  free(buf);
  free(buf2);
  mstro__attr_dict_destroy(d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_type),       cmocka_unit_test(test_defaults_and_noent),
      cmocka_unit_test(test_ownership),        cmocka_unit_test(test_unknown_keys),
      cmocka_unit_test(test_forbidden_values), cmocka_unit_test(test_yaml),
      cmocka_unit_test(test_merge_foreach),    cmocka_unit_test(test_serialize),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
