/* SPDX-License-Identifier: BSD-3-Clause */
/* Deterministic mutation fuzzing of the metadata parsers: the selector
 * parser, the schema parser, the YAML value setter and the attribute
 * dictionary decoder are fed seeded random mutations of valid inputs. Every
 * call must return a status (no crash, no leak, no sanitizer report); what
 * is accepted must also evaluate / re-serialize. Runs in seconds; meant for
 * the ASan+UBSan build. MSTRO_FUZZ_SCALE (default 1) multiplies the counts,
 * MSTRO_FUZZ_SEED changes the seed. The libFuzzer harnesses in tests/fuzz
 * cover the same entry points without bounds. */
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

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static size_t rndn(size_t n)
{
  return n ? (size_t)(rnd() % n) : 0;
}

static int scale = 1;

static const char alphabet[] = "()\"'=<>!~ \t\n.-+0123456789aehnostx\\[]{}:,#&*|?^$e_/";

/* Mutate buf (len bytes, capacity cap) in place; returns the new length. */
static size_t mutate(unsigned char *buf, size_t len, size_t cap, bool text)
{
  int n = 1 + (int)rndn(4);
  for (int i = 0; i < n; i++) {
    switch (rndn(7)) {
    case 0: /* flip a bit */
      if (len)
        buf[rndn(len)] ^= (unsigned char)(1u << rndn(8));
      break;
    case 1: /* replace a byte */
      if (len)
        buf[rndn(len)] =
            text ? (unsigned char)alphabet[rndn(sizeof alphabet - 1)] : (unsigned char)rnd();
      break;
    case 2: /* insert a byte */
      if (len < cap) {
        size_t at = rndn(len + 1);
        memmove(buf + at + 1, buf + at, len - at);
        buf[at] = text ? (unsigned char)alphabet[rndn(sizeof alphabet - 1)] : (unsigned char)rnd();
        len++;
      }
      break;
    case 3: /* delete a run */
      if (len) {
        size_t at = rndn(len), l = 1 + rndn(len - at < 8 ? len - at : 8);
        memmove(buf + at, buf + at + l, len - at - l);
        len -= l;
      }
      break;
    case 4: /* duplicate a run */
      if (len) {
        size_t at = rndn(len), l = 1 + rndn(len - at < 16 ? len - at : 16);
        if (len + l <= cap) {
          size_t to = rndn(len + 1);
          unsigned char tmp[16];
          memcpy(tmp, buf + at, l);
          memmove(buf + to + l, buf + to, len - to);
          memcpy(buf + to, tmp, l);
          len += l;
        }
      }
      break;
    case 5: /* truncate */
      len = rndn(len + 1);
      break;
    default: /* interesting numbers in binary input */
      if (!text && len >= 4) {
        static const uint32_t v[] = {0, 1, 0x7fffffff, 0xffffffff, 0x80000000, 0xffff, 255};
        uint32_t x = v[rndn(7)];
        memcpy(buf + rndn(len - 3), &x, 4);
      } else if (len) {
        buf[rndn(len)] = (unsigned char)rnd();
      }
      break;
    }
  }
  return len;
}

static mstro__attr_dict *sample_dict(void)
{
  mstro__attr_dict *d = NULL;
  assert_int_equal(mstro__attr_dict_create(&d), MSTRO_OK);
  assert_int_equal(
      mstro__attr_dict_set_yaml(
          d, NULL,
          "{scope.local-size: 822329, layout.ndims: 2, "
          "layout.dims-size: [3, 4], .maestro.ecmwf.step: 6, .maestro.ecmwf.param: t2m, "
          ".maestro.ecmwf.date: 1714521600, .maestro.test.d: -0.5, .maestro.test.b: true, "
          ".maestro.test.u32: 7, .maestro.test.i32: -7, .maestro.test.f: 0.25, "
          ".maestro.test.blob: AAECAw==, .maestro.test.s: abc, .maestro.test.n: 1, "
          ".maestro.test.arr: [5]}"),
      MSTRO_OK);
  const char *nm_ = "ecmwf/t2m/6";
  assert_int_equal(mstro__attr_dict_set(d, "name", &nm_, true, false), MSTRO_OK);
  return d;
}

static int setup(void **state)
{
  (void)state;
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

static void test_selector_parser(void **state)
{
  (void)state;
  static const char *const seeds[] = {
      "(has name)",
      "(and (name ~= \"^ecmwf/.*\") (scope.local-size >= 1024) (not (has transport)))",
      "(or (.maestro.ecmwf.step = 6) (.maestro.ecmwf.param != \"t2m\") (lifetime < 3.5))",
      "(and (.maestro.ecmwf.date > \"2024-05-01T00:00:00Z\") (.maestro.test.u64 <= "
      "18446744073709551615))",
      "(not (or (.maestro.test.b = true) (.maestro.test.d > -1e300) (.maestro.test.i32 == 0x10)))",
      "(and)",
      "(.maestro.test.s ~= \"a(b|c)*[0-9]{1,3}\\\\.\")",
  };
  mstro__attr_dict *d = sample_dict();
  unsigned char buf[1024];
  int ok = 0, iters = 100000 * scale;
  for (int i = 0; i < iters; i++) {
    const char *seed = seeds[rndn(sizeof seeds / sizeof *seeds)];
    size_t len = strlen(seed);
    memcpy(buf, seed, len);
    len = mutate(buf, len, sizeof buf - 1, rndn(4) != 0);
    buf[len] = 0;
    mstro_cdo_selector s = NULL;
    size_t off = 0;
    mstro_status st = mstro__selector_create_ex(NULL, rndn(8) ? NULL : ".maestro.test.",
                                                (const char *)buf, &s, NULL, 0, &off);
    if (st == MSTRO_OK) {
      bool m;
      assert_int_equal(mstro__selector_eval(s, d, &m), MSTRO_OK);
      assert_int_equal(mstro__selector_eval(s, NULL, &m), MSTRO_OK);
      void *ser;
      size_t sl;
      assert_int_equal(mstro__selector_serialize(s, &ser, &sl), MSTRO_OK);
      mstro_cdo_selector r = NULL;
      assert_int_equal(mstro__selector_deserialize(ser, sl, &r), MSTRO_OK);
      mstro_cdo_selector_dispose(r);
      /* mutate the serialized form too */
      unsigned char sb[2048];
      if (sl < sizeof sb) {
        memcpy(sb, ser, sl);
        size_t ml = mutate(sb, sl, sizeof sb, false);
        r = NULL;
        if (mstro__selector_deserialize(sb, ml, &r) == MSTRO_OK)
          mstro_cdo_selector_dispose(r);
      }
      free(ser);
      mstro_cdo_selector_dispose(s);
      ok++;
    } else {
      assert_true(st == MSTRO_INVARG);
      assert_null(s);
      assert_true(off <= len);
    }
  }
  print_message("selector parser: %d of %d mutated queries accepted\n", ok, iters);
  assert_true(ok > 0 && ok < iters);
  mstro__attr_dict_destroy(d);
}

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *b = malloc(1 << 16);
  *len = fread(b, 1, (1 << 16) - 1, f);
  b[*len] = 0;
  fclose(f);
  return b;
}

static void test_schema_parser(void **state)
{
  (void)state;
  size_t l1, l2;
  char *s1 = slurp(MSTRO_TEST_DATA_DIR "/ecmwf.yaml", &l1);
  char *s2 = slurp(MSTRO_TEST_DATA_DIR "/test-types.yaml", &l2);
  /* rename the seeds so that an accepted mutant does not clash by name */
  const char *seeds[2] = {s1, s2};
  size_t lens[2] = {l1, l2};
  unsigned char *buf = malloc(1 << 16);
  int ok = 0, iters = 10000 * scale;
  for (int i = 0; i < iters; i++) {
    int k = (int)rndn(2);
    memcpy(buf, seeds[k], lens[k]);
    size_t len = mutate(buf, lens[k], (1 << 16) - 1, rndn(3) != 0);
    /* a fresh registry now and then keeps accepted mutants from piling up */
    if (i % 64 == 0) {
      mstro__schemas_fini();
      assert_int_equal(mstro__schemas_init(), MSTRO_OK);
    }
    mstro_schema sc = NULL;
    mstro_status st = mstro__schema_load_buffer((const char *)buf, len, "mutant.yaml", &sc);
    if (st == MSTRO_OK) {
      ok++;
    } else {
      assert_true(st == MSTRO_INVARG);
      assert_non_null(strstr(mstro__schema_last_error(), "mutant.yaml"));
    }
  }
  print_message("schema parser: %d of %d mutated schemas accepted\n", ok, iters);
  /* leave the fixture's registry as setup made it */
  mstro__schemas_fini();
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  free(buf);
  free(s1);
  free(s2);
}

static void test_yaml_setter(void **state)
{
  (void)state;
  static const char *const seeds[] = {
      "{layout.ndims: 2, layout.dims-size: [3, 4]}",
      "{.maestro.ecmwf.param: t2m, .maestro.ecmwf.step: 6, name: \"x/y\"}",
      "{.maestro.test.ts: \"2024-05-01T13:30:00.25+01:30\", .maestro.test.blob: aGVsbG8=}",
      "{.maestro.test.u64: 18446744073709551615, .maestro.test.f: 1.5e3, .maestro.test.b: yes}",
  };
  unsigned char buf[512];
  int ok = 0, iters = 20000 * scale;
  for (int i = 0; i < iters; i++) {
    mstro__attr_dict *d = NULL;
    assert_int_equal(mstro__attr_dict_create(&d), MSTRO_OK);
    const char *seed = seeds[rndn(sizeof seeds / sizeof *seeds)];
    size_t len = strlen(seed);
    memcpy(buf, seed, len);
    len = mutate(buf, len, sizeof buf - 1, true);
    buf[len] = 0;
    if (mstro__attr_dict_set_yaml(d, NULL, (const char *)buf) == MSTRO_OK)
      ok++;
    mstro__attr_dict_print(d, "mutant");
    mstro__attr_dict_destroy(d);
  }
  print_message("YAML setter: %d of %d mutated texts accepted\n", ok, iters);
}

static void test_dict_decoder(void **state)
{
  (void)state;
  mstro__attr_dict *d = sample_dict();
  void *ser;
  size_t sl;
  assert_int_equal(mstro__attr_dict_serialize(d, &ser, &sl), MSTRO_OK);
  unsigned char *buf = malloc(sl + 256);
  int ok = 0, iters = 100000 * scale;
  for (int i = 0; i < iters; i++) {
    memcpy(buf, ser, sl);
    size_t len = mutate(buf, sl, sl + 256, false);
    mstro__attr_dict *r = NULL;
    mstro_status st = mstro__attr_dict_deserialize(buf, len, &r);
    if (st == MSTRO_OK) {
      void *again;
      size_t al;
      assert_int_equal(mstro__attr_dict_serialize(r, &again, &al), MSTRO_OK);
      free(again);
      mstro__attr_dict_destroy(r);
      ok++;
    } else {
      assert_true(st == MSTRO_INVMSG);
      assert_null(r);
    }
  }
  print_message("attribute decoder: %d of %d mutated buffers accepted\n", ok, iters);
  free(buf);
  free(ser);
  mstro__attr_dict_destroy(d);
}

int main(void)
{
  const char *sc = getenv("MSTRO_FUZZ_SCALE");
  if (sc && atoi(sc) > 0)
    scale = atoi(sc);
  const char *seed = getenv("MSTRO_FUZZ_SEED");
  if (seed && strtoull(seed, NULL, 0))
    rng = strtoull(seed, NULL, 0);
  /* the parsers log every rejection; keep the output readable */
  setenv("MSTRO_LOG_MODULES", "^core.attr,^core.schema,^core.selector", 0);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_selector_parser),
      cmocka_unit_test(test_schema_parser),
      cmocka_unit_test(test_yaml_setter),
      cmocka_unit_test(test_dict_decoder),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
