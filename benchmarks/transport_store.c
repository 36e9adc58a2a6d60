/* SPDX-License-Identifier: BSD-3-Clause */
/* transport_store: the store transports against their plain equivalents, same
 * bytes, same run.
 *
 *  - GFS put+get (temporary file, fsync, rename; then open+read) vs a plain
 *    write+read of a file in the same directory (no fsync): once with the
 *    default MSTRO_GFS_FSYNC=1 and once with 0;
 *  - MIO put+get vs rados_write_full+rados_read of the same bytes in the same
 *    pool, a new object each time as for each transfer (only with
 *    MSTRO_MIO_CONF set; otherwise a skip line).
 *
 * Figures are bandwidths of put+get: 2 * size / time (GB/s).
 *
 *   transport_store [--quick]     (GFS directory: MSTRO_GFS_DIR or a new one in /tmp)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MSTRO_HAVE_RADOS
#include <rados/librados.h>
#endif

#include "bench.h"
#include "mtr.h"

static void plain_write_read(const char *path, const char *a, char *b, size_t n)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, a, n) != (ssize_t)n || close(fd) != 0)
    exit(3);
  fd = open(path, O_RDONLY);
  if (fd < 0 || read(fd, b, n) != (ssize_t)n || close(fd) != 0)
    exit(3);
}

static void case_name(char *out, size_t cap, const char *what, size_t n)
{
  if (n >= (1u << 20))
    snprintf(out, cap, "%s_%zuMiB", what, n >> 20);
  else
    snprintf(out, cap, "%s_%zuKiB", what, n >> 10);
}

static int reps_for(size_t n)
{
  return n <= (1u << 20) ? 20 : n <= (16u << 20) ? 5 : 3;
}

static void bench_gfs(bool quick, const size_t *sizes, int nsizes, char *a, char *b)
{
  char tmpl[] = "/tmp/mtr-bench-gfs-XXXXXX";
  const char *dir = getenv("MSTRO_GFS_DIR");
  bool own = dir == NULL || *dir == '\0';
  if (own) {
    dir = mkdtemp(tmpl);
    if (dir == NULL)
      exit(2);
  }
  const struct mtr_ops *ops;
  if (mtr_transport_find("GFS", &ops) != MTR_OK)
    exit(2);
  char plain[4096];
  snprintf(plain, sizeof plain, "%s/plain-baseline", dir);
  printf("# GFS in %s\n", dir);
  for (int fsync_on = 1; fsync_on >= 0; fsync_on--) {
    setenv("MSTRO_GFS_FSYNC", fsync_on ? "1" : "0", 1);
    mtr_store *s;
    struct mtr_store_config cfg = {.size = sizeof cfg, .location = dir};
    if (mtr_store_open(ops, &cfg, &s) != MTR_OK)
      exit(2);
    for (int i = 0; i < nsizes; i++) {
      size_t n = sizes[i], got;
      int reps = reps_for(n);
      double tv[32], tb[32];
      for (int k = -1; k < reps; k++) {
        double t0 = bench_now();
        if (mtr_store_put(s, "bench", a, n) != MTR_OK ||
            mtr_store_get(s, "bench", b, n, &got) != MTR_OK)
          exit(4);
        double t1 = bench_now();
        plain_write_read(plain, a, b, n);
        double t2 = bench_now();
        if (k >= 0) {
          tv[k] = t1 - t0;
          tb[k] = t2 - t1;
        }
      }
      if (memcmp(a, b, n) != 0)
        exit(5);
      char cname[64];
      case_name(cname, sizeof cname, fsync_on ? "gfs" : "gfs_nofsync", n);
      bench_report("transport_store", cname, 2.0 * (double)n / bench_median(tv, reps) / 1e9, "GB/s",
                   2.0 * (double)n / bench_median(tb, reps) / 1e9, BENCH_HIGHER_IS_BETTER);
    }
    mtr_store_remove(s, "bench");
    mtr_store_close(s);
  }
  unlink(plain);
  if (own)
    rmdir(dir);
  unsetenv("MSTRO_GFS_FSYNC");
  (void)quick;
}

static void bench_mio(const size_t *sizes, int nsizes, char *a, char *b)
{
#ifdef MSTRO_HAVE_RADOS
  const char *conf = getenv("MSTRO_MIO_CONF");
  const char *pool = getenv("MSTRO_MIO_POOL") ? getenv("MSTRO_MIO_POOL") : "maestro";
  if (conf == NULL || *conf == '\0') {
    printf(
        "# MIO skipped: MSTRO_MIO_CONF is not set (start a cluster with scripts/ceph-start.sh DIR "
        "and export MSTRO_MIO_CONF=DIR/ceph.conf)\n");
    return;
  }
  const struct mtr_ops *ops;
  mtr_store *s;
  rados_t cl;
  rados_ioctx_t io;
  if (mtr_transport_find("MIO", &ops) != MTR_OK || mtr_store_open(ops, NULL, &s) != MTR_OK) {
    printf("# MIO skipped: the store cannot be opened with MSTRO_MIO_CONF=%s\n", conf);
    return;
  }
  if (rados_create(&cl, NULL) < 0 || rados_conf_read_file(cl, conf) < 0 || rados_connect(cl) < 0 ||
      rados_ioctx_create(cl, pool, &io) < 0) {
    printf("# MIO skipped: librados cannot connect\n");
    return;
  }
  printf("# MIO: pool %s of %s\n", pool, conf);
  for (int i = 0; i < nsizes; i++) {
    size_t n = sizes[i], got;
    int reps = reps_for(n);
    double tv[32], tb[32];
    for (int k = -1; k < reps; k++) { /* a new object each time, as for each transfer */
      char key[64], raw[64];
      snprintf(key, sizeof key, "bench-%zu-%d", n, k);
      snprintf(raw, sizeof raw, "bench-raw-%zu-%d", n, k);
      double t0 = bench_now();
      if (mtr_store_put(s, key, a, n) != MTR_OK || mtr_store_get(s, key, b, n, &got) != MTR_OK)
        exit(4);
      double t1 = bench_now();
      if (rados_write_full(io, raw, a, n) < 0 || rados_read(io, raw, b, n, 0) != (int)n)
        exit(6);
      double t2 = bench_now();
      if (k >= 0) {
        tv[k] = t1 - t0;
        tb[k] = t2 - t1;
      }
      mtr_store_remove(s, key);
      rados_remove(io, raw);
    }
    char cname[64];
    case_name(cname, sizeof cname, "mio", n);
    bench_report("transport_store", cname, 2.0 * (double)n / bench_median(tv, reps) / 1e9, "GB/s",
                 2.0 * (double)n / bench_median(tb, reps) / 1e9, BENCH_HIGHER_IS_BETTER);
  }
  rados_ioctx_destroy(io);
  rados_shutdown(cl);
  mtr_store_close(s);
#else
  (void)sizes;
  (void)nsizes;
  (void)a;
  (void)b;
  printf("# MIO skipped: built without librados\n");
#endif
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv);
  static const size_t full[] = {4096, 1u << 20, 16u << 20, 64u << 20};
  static const size_t fast[] = {4096, 1u << 20, 16u << 20};
  const size_t *sizes = quick ? fast : full;
  int nsizes = quick ? 3 : 4;
  size_t maxn = sizes[nsizes - 1];
  char *a = malloc(maxn), *b = malloc(maxn);
  for (size_t i = 0; i < maxn; i++)
    a[i] = (char)(i * 13 + 1);
  memset(b, 0, maxn);
  printf("# transport_store: put+get through the transport vs plain I/O of the same bytes%s\n",
         quick ? " (quick)" : "");
  bench_gfs(quick, sizes, nsizes, a, b);
  bench_mio(sizes, nsizes, a, b);
  free(a);
  free(b);
  return 0;
}
