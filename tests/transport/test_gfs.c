/* SPDX-License-Identifier: BSD-3-Clause */
/* GFS store: round trips, overwrite, sizes, bad keys, atomic replacement
 * against a concurrent reader in another process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtr.h"
#include "store_check.h"

static char g_dir[256];

static int make_dir(void **state)
{
  snprintf(g_dir, sizeof g_dir, "/tmp/mtr-gfs-XXXXXX");
  if (mkdtemp(g_dir) == NULL)
    return -1;
  setenv("MSTRO_GFS_DIR", g_dir, 1);
  return 0;
}

static int remove_dir(void **state)
{
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

static mtr_store *open_store(void)
{
  const struct mtr_ops *ops = NULL;
  mtr_store *s = NULL;
  assert_int_equal(mtr_transport_find("gfs", &ops), MTR_OK);
  assert_int_equal(mtr_store_open(ops, NULL, &s), MTR_OK);
  assert_ptr_equal(mtr_store_ops(s), ops);
  return s;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)((i * 131u + seed * 7u + (i >> 12)) & 0xff);
}

static void test_round_trips(void **state)
{
  mtr_store *s = open_store();
  const size_t sizes[] = {0, 1, 7, 4096, 65537, (1u << 20) + 3, 8u << 20};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k], got = 99;
    unsigned char *a = malloc(n + 1), *b = malloc(n + 1);
    fill(a, n, (unsigned)k);
    char key[64];
    snprintf(key, sizeof key, "cdo.%zu", n);
    assert_int_equal(mtr_store_put(s, key, a, n), MTR_OK);
    assert_int_equal(mtr_store_stat(s, key, &got), MTR_OK);
    assert_int_equal(got, n);
    got = 99;
    assert_int_equal(mtr_store_get(s, key, b, n + 1, &got), MTR_OK);
    assert_int_equal(got, n);
    assert_memory_equal(a, b, n);
    if (n > 0) {
      /* too small a buffer: nothing copied, size told */
      got = 0;
      assert_int_equal(mtr_store_get(s, key, b, n - 1, &got), MTR_TRUNCATED);
      assert_int_equal(got, n);
    }
    assert_int_equal(mtr_store_remove(s, key), MTR_OK);
    assert_int_equal(mtr_store_stat(s, key, &got), MTR_NOT_FOUND);
    assert_int_equal(mtr_store_get(s, key, b, n + 1, &got), MTR_NOT_FOUND);
    assert_int_equal(mtr_store_remove(s, key), MTR_NOT_FOUND);
    free(a);
    free(b);
  }
  /* overwrite with a shorter value */
  char v1[100], v2[10], out[100];
  size_t got = 0;
  memset(v1, 'x', sizeof v1);
  memset(v2, 'y', sizeof v2);
  assert_int_equal(mtr_store_put(s, "ow", v1, sizeof v1), MTR_OK);
  assert_int_equal(mtr_store_put(s, "ow", v2, sizeof v2), MTR_OK);
  assert_int_equal(mtr_store_get(s, "ow", out, sizeof out, &got), MTR_OK);
  assert_int_equal(got, sizeof v2);
  assert_memory_equal(out, v2, sizeof v2);
  assert_int_equal(mtr_store_remove(s, "ow"), MTR_OK);
  assert_int_equal(mtr_store_close(s), MTR_OK);
}

/* Counts entries of the directory (temporary files included). */
static int count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

static void test_bad_keys(void **state)
{
  mtr_store *s = open_store();
  char buf[16] = "payload", out[16];
  size_t got = 0;
  char longkey[MTR_KEY_MAX + 2];
  memset(longkey, 'k', sizeof longkey - 1);
  longkey[sizeof longkey - 1] = '\0';

  assert_int_equal(mtr_store_put(s, NULL, buf, 4), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_put(s, "", buf, 4), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_put(s, longkey, buf, 4), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_put(s, "k", NULL, 4), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_put(NULL, "k", buf, 4), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_get(s, "k", NULL, 4, &got), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_get(s, "k", out, sizeof out, NULL), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_stat(s, "k", NULL), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_remove(s, NULL), MTR_INVALID_ARG);

  /* Path traversal: these are plain keys inside the directory. */
  const char *evil[] = {"..",      ".",     "../escape", "/tmp/mtr-escape-abs",
                        "a/b/c",   "..%2F", ".hidden",   "sp ace\n\t",
                        "\xff\xfe"};
  char parent[300], *slash;
  snprintf(parent, sizeof parent, "%s", g_dir);
  slash = strrchr(parent, '/');
  *slash = '\0';
  for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
    assert_int_equal(mtr_store_put(s, evil[i], buf, sizeof buf), MTR_OK);
    assert_int_equal(mtr_store_get(s, evil[i], out, sizeof out, &got), MTR_OK);
    assert_memory_equal(out, buf, sizeof buf);
  }
  assert_int_equal(count_entries(g_dir), (int)(sizeof evil / sizeof evil[0]));
  struct stat sb;
  char esc[400];
  snprintf(esc, sizeof esc, "%s/escape", parent);
  assert_int_not_equal(stat(esc, &sb), 0);
  assert_int_not_equal(stat("/tmp/mtr-escape-abs", &sb), 0);
  /* distinct keys stay distinct */
  assert_int_equal(mtr_store_put(s, "a/b", "1", 1), MTR_OK);
  assert_int_equal(mtr_store_put(s, "a%2Fb", "2", 1), MTR_OK);
  assert_int_equal(mtr_store_get(s, "a/b", out, sizeof out, &got), MTR_OK);
  assert_int_equal(out[0], '1');
  for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++)
    assert_int_equal(mtr_store_remove(s, evil[i]), MTR_OK);
  assert_int_equal(mtr_store_remove(s, "a/b"), MTR_OK);
  assert_int_equal(mtr_store_remove(s, "a%2Fb"), MTR_OK);

  /* A long key of special characters (escapes to more than a file name) */
  char special[MTR_KEY_MAX + 1];
  memset(special, '/', MTR_KEY_MAX);
  special[MTR_KEY_MAX] = '\0';
  assert_int_equal(mtr_store_put(s, special, buf, 3), MTR_OK);
  assert_int_equal(mtr_store_get(s, special, out, sizeof out, &got), MTR_OK);
  assert_int_equal(got, 3);
  assert_int_equal(mtr_store_remove(s, special), MTR_OK);
  assert_int_equal(count_entries(g_dir), 0);
  assert_int_equal(mtr_store_close(s), MTR_OK);
}

static void test_bad_config(void **state)
{
  const struct mtr_ops *ops = NULL;
  mtr_store *s = NULL;
  char why[256];
  assert_int_equal(mtr_transport_find("GFS", &ops), MTR_OK);
  struct mtr_store_config cfg = {.size = sizeof cfg, .location = "/nonexistent/mtr/dir"};
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_UNAVAILABLE);
  assert_null(s);
  cfg.location = "/etc/hostname";
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_UNAVAILABLE);
  cfg.size = 3;
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_open(NULL, NULL, &s), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_open(ops, NULL, NULL), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_close(NULL), MTR_OK);
  unsetenv("MSTRO_GFS_DIR");
  assert_int_equal(mtr_transport_probe(ops, why, sizeof why), MTR_UNAVAILABLE);
  assert_non_null(strstr(why, "MSTRO_GFS_DIR"));
  assert_int_equal(mtr_store_open(ops, NULL, &s), MTR_UNAVAILABLE);
  setenv("MSTRO_GFS_DIR", g_dir, 1);
  assert_int_equal(mtr_transport_probe(ops, why, sizeof why), MTR_OK);
  /* a store has no endpoints */
  mtr_ep *ep = NULL;
  assert_int_equal(mtr_ep_open(ops, NULL, &ep), MTR_UNIMPLEMENTED);
}

/* A writer process replaces the value with uniform 4 MiB blocks of 'A'..'Z'
 * while this process reads: every read is complete and uniform. */
static void test_atomic_replace(void **state)
{
  const struct mtr_ops *ops = NULL;
  assert_int_equal(mtr_transport_find("GFS", &ops), MTR_OK);
  mtr_store *s = open_store();
  store_check_atomic_replace(ops, NULL, s, "hot", 4u << 20, 40, MTR_NOT_FOUND);
  assert_int_equal(count_entries(g_dir), 0); /* no temporary left behind */
  mtr_store_close(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_bad_keys),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_atomic_replace),
  };
  return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
