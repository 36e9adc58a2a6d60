/* SPDX-License-Identifier: BSD-3-Clause */
/* MIO store against a real single-node Ceph cluster (MSTRO_MIO_CONF, started
 * by the ctest fixture with scripts/ceph-start.sh): round trips inline and
 * chunked (small chunks and the cluster's own limit), overwrites that leave
 * no stale chunk objects, bounds, bad keys and configurations, an
 * unreachable cluster, and atomic replacement against a concurrent reader.
 * Exits 77 (skipped) without MSTRO_MIO_CONF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rados/librados.h>

#include "mtr.h"
#include "store_check.h"

#define SMALL_CHUNK (64u << 10)

static const struct mtr_ops *ops;
static const char *conf, *pool;

static mtr_store *open_store(size_t chunk)
{
  mtr_store *s = NULL;
  struct mtr_store_config cfg = {.size = sizeof cfg, .chunk_size = chunk};
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_OK);
  return s;
}

static unsigned char pat(size_t i, unsigned seed)
{
  return (unsigned char)(((uint64_t)i * 0x9E3779B97F4A7C15ull + seed) >> 56);
}

/* Objects of the pool whose name contains `needle` (through librados). */
static int count_objects(const char *needle)
{
  rados_t cl;
  rados_ioctx_t io;
  rados_list_ctx_t ctx;
  const char *entry;
  int n = 0;
  assert_int_equal(rados_create(&cl, NULL), 0);
  assert_int_equal(rados_conf_read_file(cl, conf), 0);
  assert_int_equal(rados_connect(cl), 0);
  assert_int_equal(rados_ioctx_create(cl, pool, &io), 0);
  assert_int_equal(rados_nobjects_list_open(io, &ctx), 0);
  while (rados_nobjects_list_next(ctx, &entry, NULL, NULL) == 0)
    if (strstr(entry, needle) != NULL)
      n++;
  rados_nobjects_list_close(ctx);
  rados_ioctx_destroy(io);
  rados_shutdown(cl);
  return n;
}

static void round_trip(mtr_store *s, const char *key, size_t n, unsigned seed)
{
  unsigned char *a = calloc(1, n + 1), *b = malloc(n + 1);
  size_t got = 0;
  for (size_t i = 0; i < n; i++)
    a[i] = pat(i, seed);
  assert_int_equal(mtr_store_put(s, key, a, n), MTR_OK);
  assert_int_equal(mtr_store_stat(s, key, &got), MTR_OK);
  assert_int_equal(got, n);
  got = 0;
  assert_int_equal(mtr_store_get(s, key, b, n + 1, &got), MTR_OK);
  assert_int_equal(got, n);
  assert_memory_equal(a, b, n);
  if (n > 0) {
    assert_int_equal(mtr_store_get(s, key, b, n - 1, &got), MTR_TRUNCATED);
    assert_int_equal(got, n);
  }
  free(a);
  free(b);
}

static void test_small_chunks(void **state)
{
  mtr_store *s = open_store(SMALL_CHUNK);
  const size_t sizes[] = {0,
                          1,
                          4095,
                          SMALL_CHUNK - 32,
                          SMALL_CHUNK - 31,
                          SMALL_CHUNK,
                          3 * SMALL_CHUNK + 5,
                          (1u << 20) + 3};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    round_trip(s, "sc-key", sizes[i], (unsigned)i);
  /* the last put was chunked; the previous generations' chunks are gone */
  assert_int_equal(count_objects("sc-key"),
                   1 + (int)(((1u << 20) + 3 + SMALL_CHUNK - 1) / SMALL_CHUNK));
  round_trip(s, "sc-key", 10, 99); /* back to inline: no chunk left */
  assert_int_equal(count_objects("sc-key"), 1);
  assert_int_equal(mtr_store_remove(s, "sc-key"), MTR_OK);
  assert_int_equal(count_objects("sc-key"), 0);
  size_t got;
  char b[4];
  assert_int_equal(mtr_store_get(s, "sc-key", b, sizeof b, &got), MTR_NOT_FOUND);
  assert_int_equal(mtr_store_stat(s, "sc-key", &got), MTR_NOT_FOUND);
  assert_int_equal(mtr_store_remove(s, "sc-key"), MTR_NOT_FOUND);
  assert_int_equal(mtr_store_close(s), MTR_OK);
}

/* The cluster's own limits: a 100 MiB value exceeds osd_max_write_size
 * (90 MiB by default) and must be chunked to be stored at all. */
static void test_cluster_limits(void **state)
{
  mtr_store *s = open_store(0);
  round_trip(s, "big", 100u << 20, 7);
  assert_true(count_objects("big") >= 3);
  assert_int_equal(mtr_store_remove(s, "big"), MTR_OK);
  assert_int_equal(count_objects("big"), 0);
  round_trip(s, "medium", 16u << 20, 8);
  assert_int_equal(mtr_store_remove(s, "medium"), MTR_OK);
  mtr_store_close(s);
}

static void test_keys(void **state)
{
  mtr_store *s = open_store(0);
  const char *keys[] = {"../x", "/abs/path", "a b\tc", "..", "mtr.h.nested", "\xff"};
  char out[8];
  size_t got;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    assert_int_equal(mtr_store_put(s, keys[i], "12345", 5), MTR_OK);
    assert_int_equal(mtr_store_get(s, keys[i], out, sizeof out, &got), MTR_OK);
    assert_int_equal(got, 5);
    assert_int_equal(mtr_store_remove(s, keys[i]), MTR_OK);
  }
  char longkey[MTR_KEY_MAX + 2];
  memset(longkey, 'k', sizeof longkey - 1);
  longkey[sizeof longkey - 1] = '\0';
  assert_int_equal(mtr_store_put(s, longkey, "1", 1), MTR_INVALID_ARG);
  longkey[MTR_KEY_MAX] = '\0';
  assert_int_equal(mtr_store_put(s, longkey, "1", 1), MTR_OK);
  assert_int_equal(mtr_store_remove(s, longkey), MTR_OK);
  assert_int_equal(mtr_store_put(s, "", "1", 1), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_put(s, "k", NULL, 1), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_get(s, "k", out, sizeof out, NULL), MTR_INVALID_ARG);
  mtr_store_close(s);
}

static void test_bad_config(void **state)
{
  mtr_store *s = NULL;
  char why[512];
  struct mtr_store_config cfg = {.size = sizeof cfg, .location = "/nonexistent/ceph.conf"};
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_UNAVAILABLE);
  cfg.location = NULL;
  cfg.pool = "no-such-pool";
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_UNAVAILABLE);
  cfg.pool = NULL;
  cfg.chunk_size = 1u << 30;
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_INVALID_ARG);
  cfg.chunk_size = 100;
  assert_int_equal(mtr_store_open(ops, &cfg, &s), MTR_INVALID_ARG);
  assert_null(s);
  /* an unreachable cluster: bounded by the timeout */
  char path[] = "/tmp/mtr-mio-conf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  dprintf(fd, "[global]\nmon host = v1:127.0.0.1:9\nauth client required = none\n");
  close(fd);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct mtr_store_config un = {.size = sizeof un, .location = path, .timeout_ms = 2000};
  mtr_status st = mtr_store_open(ops, &un, &s);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  print_message("unreachable cluster: %s after %.2f s\n", mtr_status_description(st), dt);
  assert_true(st == MTR_UNAVAILABLE || st == MTR_TIMEOUT);
  assert_true(dt < 10.0);
  unlink(path);
  assert_int_equal(mtr_transport_probe(ops, why, sizeof why), MTR_OK);
}

/* A writer process replaces a chunked value with uniform ones while this
 * process reads: every read is complete and uniform (MTR_AGAIN: the value
 * kept changing while read, which a reader may report). */
static void test_atomic_replace(void **state)
{
  struct mtr_store_config cfg = {.size = sizeof cfg, .chunk_size = SMALL_CHUNK};
  mtr_store *s = open_store(SMALL_CHUNK);
  store_check_atomic_replace(ops, &cfg, s, "hot", 5 * SMALL_CHUNK + 100, 30, MTR_AGAIN);
  assert_int_equal(count_objects("hot"), 0);
  mtr_store_close(s);
}

int main(void)
{
  conf = getenv("MSTRO_MIO_CONF");
  pool = getenv("MSTRO_MIO_POOL") ? getenv("MSTRO_MIO_POOL") : "maestro";
  if (conf == NULL || *conf == '\0') {
    printf("SKIP: MSTRO_MIO_CONF is not set (ctest starts a cluster with scripts/ceph-start.sh)\n");
    return 77;
  }
  if (mtr_transport_find("MIO", &ops) != MTR_OK) {
    printf("SKIP: the MIO transport is not built in\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_small_chunks),   cmocka_unit_test(test_cluster_limits),
      cmocka_unit_test(test_keys),           cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_atomic_replace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
