/* SPDX-License-Identifier: BSD-3-Clause */
/* Schemas: the built-in core schema, user schemas through the environment,
 * malformed schema files (message names file and line). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attr.h"
#include "schema.h"

static void clear_env(void)
{
  unsetenv("MSTRO_SCHEMA_LIST");
  unsetenv("MSTRO_SCHEMA_PATH");
  unsetenv("MSTRO_DROP_UNKNOWN_ATTRIBUTES");
}

static void test_core_schema(void **state)
{
  (void)state;
  clear_env();
  assert_false(mstro__schemas_ready());
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  assert_true(mstro__schemas_ready());
  mstro_schema core = mstro__schema_find("maestro-core");
  assert_non_null(core);
  assert_string_equal(mstro__schema_namespace(core), ".maestro.core.cdo.");
  assert_int_equal(mstro__schema_version(core), 1);

  /* every built-in key of include/maestro/attributes.h is defined */
  const char *keys[] = {MSTRO_ATTR_CORE_CDO_NAME,
                        MSTRO_ATTR_CORE_CDO_RAW_PTR,
                        MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE,
                        MSTRO_ATTR_CORE_CDO_ALLOCATE_NOW,
                        MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE,
                        MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE,
                        MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS,
                        MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE,
                        MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER,
                        MSTRO_ATTR_CORE_CDO_LAYOUT_DISTRIBUTION,
                        MSTRO_ATTR_CORE_CDO_MEM_LAYER,
                        MSTRO_ATTR_CORE_CDO_LIFETIME,
                        MSTRO_ATTR_CORE_CDO_TRANSPORT};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    const struct mstro__attr_def *d = mstro__schema_lookup(NULL, NULL, keys[i]);
    assert_non_null(d);
    assert_string_equal(d->key, keys[i]);
    /* relative form resolves to the same definition */
    const char *rel = keys[i] + strlen(MSTRO_ATTR_CORE_CDO_NAMESPACE);
    assert_ptr_equal(mstro__schema_lookup(NULL, NULL, rel), d);
    assert_ptr_equal(mstro__schema_attr_by_id(d->id), d);
  }
  const struct mstro__attr_def *d =
      mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE);
  assert_int_equal(d->type, MSTRO_CDO_ATTR_VALUE_int64);
  assert_true(d->has_default);
  assert_int_equal(d->def_value.i64, -1);
  assert_true(d->has_min);
  assert_int_equal(d->imin, -1);
  d = mstro__schema_lookup(NULL, NULL, "layout.dims-size");
  assert_int_equal(d->type, MSTRO_CDO_ATTR_VALUE_int64_array);
  assert_ptr_equal(d->count_def, mstro__schema_lookup(NULL, NULL, "layout.ndims"));
  d = mstro__schema_lookup(NULL, NULL, "name");
  assert_true(d->readonly);
  assert_int_equal(d->type, MSTRO_CDO_ATTR_VALUE_cstring);
  d = mstro__schema_lookup(NULL, NULL, "mem-layer");
  assert_string_equal(d->def_value.s, "DRAM");

  assert_null(mstro__schema_lookup(NULL, NULL, "no-such-key"));
  assert_null(mstro__schema_lookup(NULL, NULL, ".maestro.core.cdo."));
  assert_null(mstro__schema_lookup(NULL, NULL, ""));
  assert_null(mstro__schema_lookup(NULL, NULL, NULL));
  /* lookup with an explicit namespace */
  assert_non_null(mstro__schema_lookup(NULL, ".maestro.core.", "cdo.name"));
  /* reference counting */
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  mstro__schemas_fini();
  assert_true(mstro__schemas_ready());
  mstro__schemas_fini();
  assert_false(mstro__schemas_ready());
  assert_null(mstro__schema_lookup(NULL, NULL, "name"));
  mstro__schemas_fini(); /* extra fini is harmless */
}

static void test_user_schema_env(void **state)
{
  (void)state;
  clear_env();
  setenv("MSTRO_SCHEMA_PATH", "/nonexistent:" MSTRO_TEST_DATA_DIR, 1);
  setenv("MSTRO_SCHEMA_LIST", " ecmwf.yaml ;test-types.yaml;", 1);
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  mstro_schema ecmwf = mstro__schema_find("ecmwf");
  assert_non_null(ecmwf);
  const struct mstro__attr_def *step = mstro__schema_lookup(NULL, NULL, ".maestro.ecmwf.step");
  assert_non_null(step);
  assert_int_equal(step->type, MSTRO_CDO_ATTR_VALUE_int64);
  assert_ptr_equal(mstro__schema_lookup(NULL, ".maestro.ecmwf.", "step"), step);
  assert_ptr_equal(mstro__schema_lookup(ecmwf, ".maestro.ecmwf.", "step"), step);
  /* restricted to another schema: not visible; core keys stay visible */
  mstro_schema tt = mstro__schema_find("test-types");
  assert_non_null(tt);
  assert_null(mstro__schema_lookup(tt, NULL, ".maestro.ecmwf.step"));
  assert_non_null(mstro__schema_lookup(tt, NULL, "name"));
  assert_non_null(mstro__schema_lookup(NULL, NULL, ".maestro.test.arr"));
  mstro__schemas_fini();

  /* a name containing '/' is used as a path */
  clear_env();
  setenv("MSTRO_SCHEMA_LIST", MSTRO_TEST_DATA_DIR "/ecmwf.yaml", 1);
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  assert_non_null(mstro__schema_lookup(NULL, NULL, ".maestro.ecmwf.param"));
  mstro__schemas_fini();

  /* a listed schema that cannot be found is an error, nothing stays loaded */
  clear_env();
  setenv("MSTRO_SCHEMA_PATH", MSTRO_TEST_DATA_DIR, 1);
  setenv("MSTRO_SCHEMA_LIST", "ecmwf.yaml;missing-schema.yaml", 1);
  assert_int_equal(mstro__schemas_init(), MSTRO_INVARG);
  assert_non_null(strstr(mstro__schema_last_error(), "missing-schema.yaml"));
  assert_false(mstro__schemas_ready());
  assert_null(mstro__schema_lookup(NULL, NULL, "name"));

  /* the same schema twice: the second is skipped with a warning */
  setenv("MSTRO_SCHEMA_LIST", "ecmwf.yaml;" MSTRO_TEST_DATA_DIR "/ecmwf.yaml", 1);
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  mstro__schemas_fini();

  /* a malformed user schema fails init with file and line */
  setenv("MSTRO_SCHEMA_PATH", MSTRO_TEST_DATA_DIR "/malformed", 1);
  setenv("MSTRO_SCHEMA_LIST", "unknown-type.yaml", 1);
  assert_int_equal(mstro__schemas_init(), MSTRO_INVARG);
  assert_non_null(strstr(mstro__schema_last_error(), "unknown-type.yaml:7:"));
  assert_false(mstro__schemas_ready());
  clear_env();
}

static void test_core_override(void **state)
{
  (void)state;
  clear_env();
  /* a maestro-core.yaml in MSTRO_SCHEMA_PATH overrides the built-in one */
  char dir[] = "/tmp/mstro_schema_test_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/maestro-core.yaml", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("schema-name: maestro-core\nschema-version: 99\nschema-namespace: \".maestro.core.cdo.\"\n"
        "maestro-attributes:\n  - key: name\n    type: str()\n",
        f);
  fclose(f);
  setenv("MSTRO_SCHEMA_PATH", dir, 1);
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  assert_int_equal(mstro__schema_version(mstro__schema_find("maestro-core")), 99);
  assert_null(mstro__schema_lookup(NULL, NULL, "raw-ptr"));
  mstro__schemas_fini();
  /* an override with a wrong namespace is refused */
  f = fopen(path, "w");
  fputs("schema-name: maestro-core\nschema-version: 1\nschema-namespace: \".other.\"\n"
        "maestro-attributes: []\n",
        f);
  fclose(f);
  assert_int_equal(mstro__schemas_init(), MSTRO_INVARG);
  assert_false(mstro__schemas_ready());
  remove(path);
  rmdir(dir);
  clear_env();
}

/* Every file in data/malformed starts with "# line N": loading it must fail
 * with MSTRO_INVARG and an error "FILE:N: ...". */
static void test_malformed_files(void **state)
{
  (void)state;
  clear_env();
  assert_int_equal(mstro__schemas_init(), MSTRO_OK);
  DIR *dir = opendir(MSTRO_TEST_DATA_DIR "/malformed");
  assert_non_null(dir);
  struct dirent *de;
  int checked = 0;
  while ((de = readdir(dir)) != NULL) {
    if (!strstr(de->d_name, ".yaml"))
      continue;
    char path[1024], expect[1100], first[128] = "";
    snprintf(path, sizeof path, "%s/malformed/%s", MSTRO_TEST_DATA_DIR, de->d_name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(first, sizeof first, f));
    fclose(f);
    int line = 0;
    assert_int_equal(sscanf(first, "# line %d", &line), 1);
    mstro_schema s = NULL;
    mstro_status st = mstro__schema_load_file(path, &s);
    snprintf(expect, sizeof expect, "%s:%d: ", path, line);
    if (st != MSTRO_INVARG || !strstr(mstro__schema_last_error(), expect))
      fail_msg("%s: status %d, error '%s', expected '%s'", de->d_name, st,
               mstro__schema_last_error(), expect);
    /* nothing of it was registered */
    assert_null(mstro__schema_find("bad"));
    checked++;
  }
  closedir(dir);
  assert_true(checked >= 10);
  /* missing file */
  assert_int_equal(mstro__schema_load_file(MSTRO_TEST_DATA_DIR "/nope.yaml", NULL), MSTRO_INVARG);
  assert_non_null(strstr(mstro__schema_last_error(), "nope.yaml"));
  assert_int_equal(mstro__schema_load_file(NULL, NULL), MSTRO_INVARG);
  assert_int_equal(mstro__schema_load_buffer(NULL, 0, "x", NULL), MSTRO_INVARG);
  /* empty and binary input */
  assert_int_equal(mstro__schema_load_buffer("", 0, "empty", NULL), MSTRO_INVARG);
  assert_int_equal(mstro__schema_load_buffer("\x01\x02\xff\xfe", 4, "binary", NULL), MSTRO_INVARG);
  /* two documents */
  const char *two = "schema-name: a\nschema-namespace: \".a.\"\nmaestro-attributes: []\n---\n"
                    "schema-name: b\n";
  assert_int_equal(mstro__schema_load_buffer(two, strlen(two), "two", NULL), MSTRO_INVARG);
  assert_non_null(strstr(mstro__schema_last_error(), "two:5:"));
  mstro__schemas_fini();
}

static void test_value_parse(void **state)
{
  (void)state;
  mstro__attr_value v;
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64, "-42", &v), MSTRO_OK);
  assert_int_equal(v.i64, -42);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64, "0x10", &v), MSTRO_OK);
  assert_int_equal(v.i64, 16);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64, "010", &v), MSTRO_OK);
  assert_int_equal(v.i64, 10); /* decimal, not octal */
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64, "-0x10", &v), MSTRO_OK);
  assert_int_equal(v.i64, -16);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64, "12abc", &v), MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64, "99999999999999999999", &v),
                   MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_uint64, "-1", &v), MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_uint64, "18446744073709551615", &v),
                   MSTRO_OK);
  assert_true(v.u64 == UINT64_MAX);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int32, "2147483648", &v),
                   MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_uint32, "4294967295", &v),
                   MSTRO_OK);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_bool, "True", &v), MSTRO_OK);
  assert_true(v.b);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_bool, "maybe", &v), MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_double, "1.5e3", &v), MSTRO_OK);
  assert_true(v.d == 1500.0);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_float, "1e39", &v), MSTRO_INVARG);
  assert_int_equal(
      mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_timestamp, "2024-05-01T12:00:00Z", &v),
      MSTRO_OK);
  assert_int_equal(v.ts.sec, 1714564800);
  assert_int_equal(v.ts.nsec, 0);
  assert_int_equal(
      mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_timestamp, "2024-05-01T13:30:00.25+01:30", &v),
      MSTRO_OK);
  assert_int_equal(v.ts.sec, 1714564800);
  assert_int_equal(v.ts.nsec, 250000000);
  assert_int_equal(v.ts.offset, 90);
  assert_int_equal(
      mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_timestamp, "2024-13-01T00:00:00Z", &v),
      MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_timestamp, "2024-05-01", &v),
                   MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_timestamp, "1700000000", &v),
                   MSTRO_OK);
  assert_int_equal(v.ts.sec, 1700000000);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_blob, "aGVsbG8=", &v), MSTRO_OK);
  assert_int_equal(v.blob.len, 5);
  assert_memory_equal(v.blob.data, "hello", 5);
  mstro__attr_value_free(MSTRO_CDO_ATTR_VALUE_blob, &v);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_blob, "a$==", &v), MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64_array, "[1, -2, 3]", &v),
                   MSTRO_OK);
  assert_int_equal(v.arr.n, 3);
  assert_int_equal(v.arr.v[1], -2);
  mstro__attr_value_free(MSTRO_CDO_ATTR_VALUE_int64_array, &v);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64_array, "[]", &v), MSTRO_OK);
  assert_int_equal(v.arr.n, 0);
  mstro__attr_value_free(MSTRO_CDO_ATTR_VALUE_int64_array, &v);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_int64_array, "[1,", &v),
                   MSTRO_INVARG);
  assert_int_equal(mstro__attr_value_parse(MSTRO_CDO_ATTR_VALUE_pointer, "0x1234", &v),
                   MSTRO_INVARG);
  assert_string_equal(mstro__attr_type_name(MSTRO_CDO_ATTR_VALUE_int64_array), "int64_array");
  assert_string_equal(mstro__attr_type_name((enum mstro_cdo_attr_value_type)999), "unknown");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_core_schema),   cmocka_unit_test(test_user_schema_env),
      cmocka_unit_test(test_core_override), cmocka_unit_test(test_malformed_files),
      cmocka_unit_test(test_value_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
