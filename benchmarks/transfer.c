/* SPDX-License-Identifier: BSD-3-Clause */
/* transfer: CDO transfer between two processes through the Pool Manager
 * against raw libfabric between the same two processes in the same run.
 *
 *  - bandwidth: mstro_cdo_demand() of a CDO a producer process offered into
 *    the consumer's own buffer (raw-ptr; PM round trip for the ticket,
 *    one-sided RMA read straight into that buffer, metadata merge, the
 *    TRANSFER_COMPLETED message) vs raw fi_read() of the same bytes from a region
 *    the producer registered (split only where max_msg_size demands, all
 *    chunks posted at once), 4 KiB .. 1 GiB (--quick: up to 64 MiB);
 *  - latency: demand of a 64-byte CDO vs one raw 64-byte fi_read() (a round
 *    trip to the producer's memory).
 *
 * Providers: tcp;ofi_rxm and shm (or --provider NAME). Processes: a Pool
 * Manager (mstro_pm_start in a child), a producer and a consumer (children);
 * the consumer measures and prints the BENCH lines. The producer drives
 * progress of its raw endpoint from a thread that idles like the transport's
 * waits (50 us), so both paths get comparable target-side service.
 *
 *  - store transports (4 KiB .. 64 MiB): a CDO moved through the PM with
 *    MSTRO_TRANSPORT_DEFAULT=GFS (the producer's offer writes the file:
 *    temporary name, fsync, rename; the consumer's demand gets the ticket and
 *    reads it into its own buffer), timed as offer + demand, vs a plain
 *    write+read of the same bytes in the same directory (no fsync) in the
 *    consumer; and with MIO (Ceph RADOS, only when MSTRO_MIO_CONF is set,
 *    else a skip line) vs rados_write_full+rados_read of a new object. A new
 *    CDO per repetition, as each transfer writes a new file / object.
 *    Figures: size / time (GB/s).
 *
 *   transfer [--quick] [--provider NAME] [--stores-only | --no-stores]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_rma.h>

#include "bench.h"
#include "bench_ofi.h"
#include "bench_pm.h"
#include "maestro.h"
#include "maestro/pool_manager.h"
#ifdef MSTRO_HAVE_RADOS
#include <rados/librados.h>
#endif

#define SMALL 64

struct raw {
  struct bench_ofi o;
  struct fid_mr *mr;
};

struct hello {
  unsigned char addr[256];
  size_t addrlen;
  uint64_t key, base;
};

static void must(mstro_status st, const char *what)
{
  if (st != MSTRO_OK) {
    fprintf(stderr, "transfer: %s: %s\n", what, mstro_status_description(st));
    exit(5);
  }
}

/* The consumer's end of a run: the producer may withdraw its offers once
 * the consumer offered "bench-done" (which the producer demands). */
static void done_tell(void)
{
  mstro_cdo done = NULL;
  must(mstro_cdo_declare("bench-done", MSTRO_ATTR_DEFAULT, &done), "declare");
  must(mstro_cdo_seal(done), "seal");
  must(mstro_cdo_offer(done), "offer done");
  must(mstro_cdo_withdraw(done), "withdraw done");
  mstro_cdo_dispose(done);
}

static void done_await(void)
{
  mstro_cdo done = NULL;
  must(mstro_cdo_declare("bench-done", MSTRO_ATTR_DEFAULT, &done), "declare");
  must(mstro_cdo_demand(done), "demand bench-done");
  mstro_cdo_dispose(done);
}

static size_t sizes[32];
static int n_sizes;

static atomic_bool stop_progress;

static void *progress_main(void *arg)
{
  struct raw *r = arg;
  struct fi_cq_entry e[8];
  struct timespec ts = {0, 50000};
  while (!atomic_load(&stop_progress)) {
    fi_cq_read(r->o.cq, e, 8);
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static int producer(const char *prov, int wfd)
{
  size_t max = sizes[n_sizes - 1];
  unsigned char *buf = malloc(max);
  struct raw r = {0};
  struct hello h = {0};
  mstro_cdo *cdos = calloc((size_t)n_sizes + 1, sizeof *cdos);
  pthread_t th;
  if (buf == NULL || cdos == NULL)
    return 1;
  for (size_t i = 0; i < max; i++)
    buf[i] = (unsigned char)(i * 131u + 7u);
  bench_ofi_open(&r.o, prov, 1024);
  BENCH_OFI_CHECK(fi_mr_reg(r.o.domain, buf, max, FI_REMOTE_READ, 0, 1, 0, &r.mr, NULL));
  h.addrlen = sizeof h.addr;
  BENCH_OFI_CHECK(fi_getname(&r.o.ep->fid, h.addr, &h.addrlen));
  h.key = fi_mr_key(r.mr);
  h.base = (r.o.info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) ? (uint64_t)(uintptr_t)buf : 0;
  pthread_create(&th, NULL, progress_main, &r);
  bench_xwrite(wfd, &h, sizeof h);

  must(mstro_init(NULL, "bench-producer", 0), "producer mstro_init");
  for (int k = 0; k <= n_sizes; k++) {
    char name[64];
    int64_t len = k < n_sizes ? (int64_t)sizes[k] : SMALL;
    snprintf(name, sizeof name, "bench-%lld", (long long)len);
    void *p = buf;
    must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[k]), "declare");
    mstro_cdo_attribute_set(cdos[k], MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false);
    mstro_cdo_attribute_set(cdos[k], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false);
    must(mstro_cdo_seal(cdos[k]), "seal");
    must(mstro_cdo_offer(cdos[k]), "offer");
  }
  done_await();
  for (int k = 0; k <= n_sizes; k++) {
    must(mstro_cdo_withdraw(cdos[k]), "withdraw");
    mstro_cdo_dispose(cdos[k]);
  }
  must(mstro_finalize(), "producer finalize");
  atomic_store(&stop_progress, true);
  pthread_join(th, NULL);
  fi_close(&r.mr->fid);
  bench_ofi_close(&r.o);
  free(cdos);
  free(buf);
  return 0;
}

static double raw_read(struct raw *r, struct hello *h, void *dst, void *desc, size_t len)
{
  size_t chunk = r->o.info->ep_attr->max_msg_size;
  size_t n = 0;
  double t0 = bench_now();
  for (size_t off = 0; off < len; off += chunk) {
    size_t l = len - off < chunk ? len - off : chunk;
    ssize_t rc;
    while ((rc = fi_read(r->o.ep, (char *)dst + off, l, desc, r->o.peer, h->base + off, h->key,
                         NULL)) == -FI_EAGAIN) {
      struct fi_cq_entry e[16];
      ssize_t got = fi_cq_read(r->o.cq, e, 16);
      if (got > 0)
        n -= (size_t)got;
    }
    if (rc != 0) {
      fprintf(stderr, "fi_read: %s\n", fi_strerror((int)-rc));
      exit(3);
    }
    n++;
  }
  bench_ofi_wait_n(&r->o, n);
  return bench_now() - t0;
}

/* The consumer's own buffer (as the raw read has its own registered one). */
static unsigned char *ubuf;

static double cdo_demand(int64_t len)
{
  char name[64];
  mstro_cdo c = NULL;
  void *data = ubuf;
  int64_t got = 0;
  snprintf(name, sizeof name, "bench-%lld", (long long)len);
  double t0 = bench_now();
  must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c), "declare");
  mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, &data, true, false);
  mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false);
  must(mstro_cdo_demand(c), "demand");
  double t = bench_now() - t0;
  must(mstro_cdo_access_ptr(c, &data, &got), "access_ptr");
  if (got != len || ((unsigned char *)data)[len - 1] != (unsigned char)((len - 1) * 131u + 7u)) {
    fprintf(stderr, "transfer: wrong data for %lld bytes\n", (long long)len);
    exit(6);
  }
  mstro_cdo_dispose(c);
  return t;
}

static int consumer(const char *prov, const char *tag, int rfd, bool quick)
{
  size_t max = sizes[n_sizes - 1];
  struct raw r = {0};
  struct hello h;
  unsigned char *dst = malloc(max);
  double traw[16], tcdo[16];
  ubuf = malloc(max);
  if (dst == NULL || ubuf == NULL)
    return 1;
  memset(dst, 0, max);
  memset(ubuf, 0, max);
  bench_xread(rfd, &h, sizeof h);
  bench_ofi_open(&r.o, prov, 1024);
  BENCH_OFI_CHECK(fi_mr_reg(r.o.domain, dst, max, FI_READ, 0, 2, 0, &r.mr, NULL));
  if (fi_av_insert(r.o.av, h.addr, 1, &r.o.peer, 0, NULL) != 1) {
    fprintf(stderr, "fi_av_insert failed\n");
    return 3;
  }
  void *desc = fi_mr_desc(r.mr);
  must(mstro_init(NULL, "bench-consumer", 0), "consumer mstro_init");

  for (int k = 0; k < n_sizes; k++) {
    size_t len = sizes[k];
    int reps = len >= (256u << 20) ? 3 : len >= (16u << 20) ? 5 : quick ? 7 : 11;
    raw_read(&r, &h, dst, desc, len); /* warm-up: connection, registration */
    cdo_demand((int64_t)len);
    for (int i = 0; i < reps; i++) {
      traw[i] = raw_read(&r, &h, dst, desc, len);
      tcdo[i] = cdo_demand((int64_t)len);
    }
    double mraw = bench_median(traw, reps), mcdo = bench_median(tcdo, reps);
    char cname[64];
    if (len >= (1u << 20))
      snprintf(cname, sizeof cname, "%s_%zuMiB", tag, len >> 20);
    else
      snprintf(cname, sizeof cname, "%s_%zuKiB", tag, len >> 10);
    bench_report("transfer", cname, (double)len / mcdo / 1e9, "GB/s", (double)len / mraw / 1e9,
                 BENCH_HIGHER_IS_BETTER);
  }
  /* small-CDO demand latency vs one raw round trip (a 64-byte read) */
  double lraw[64], lcdo[64];
  int reps = quick ? 31 : 63;
  raw_read(&r, &h, dst, desc, SMALL);
  cdo_demand(SMALL);
  for (int i = 0; i < reps; i++) {
    lraw[i] = raw_read(&r, &h, dst, desc, SMALL);
    lcdo[i] = cdo_demand(SMALL);
  }
  double mr = bench_median(lraw, reps), mc = bench_median(lcdo, reps);
  char cname[64];
  snprintf(cname, sizeof cname, "%s_demand_latency_64B", tag);
  bench_report("transfer", cname, mc * 1e6, "us", mr * 1e6, BENCH_LOWER_IS_BETTER);
  printf("# %s: small demand = %.1f raw round trips (target: <= 4)\n", tag, mc / mr);

  done_tell();
  must(mstro_finalize(), "consumer finalize");
  fi_close(&r.mr->fid);
  bench_ofi_close(&r.o);
  free(dst);
  free(ubuf);
  return 0;
}

/* ---- store transports (GFS, MIO) ------------------------------------------ */

#define STORE_TOP  (64u << 20)
#define STORE_REPS 16

static int store_reps(size_t len, bool quick)
{
  return len >= (16u << 20) ? 5 : quick ? 7 : 11;
}

static void store_name(char *out, size_t cap, size_t len, int rep)
{
  snprintf(out, cap, "store-%zu-%d", len, rep);
}

/* Offers a new CDO per size and repetition (the store write happens in the
 * offer), timing each offer; the times go to the consumer at the end. */
static int store_producer(int wfd, bool quick)
{
  size_t max = sizes[n_sizes - 1];
  unsigned char *buf = malloc(max);
  size_t n_cdos = (size_t)n_sizes * (STORE_REPS + 1);
  mstro_cdo *cdos = calloc(n_cdos, sizeof *cdos);
  double *t = calloc(n_cdos, sizeof *t);
  size_t nc = 0;
  if (buf == NULL || cdos == NULL || t == NULL)
    return 1;
  for (size_t i = 0; i < max; i++)
    buf[i] = (unsigned char)(i * 131u + 7u);
  must(mstro_init(NULL, "bench-producer", 0), "producer mstro_init");
  for (int k = 0; k < n_sizes; k++)
    for (int r = -1; r < store_reps(sizes[k], quick); r++) {
      char name[64];
      int64_t len = (int64_t)sizes[k];
      void *p = buf;
      store_name(name, sizeof name, sizes[k], r);
      must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[nc]), "declare");
      mstro_cdo_attribute_set(cdos[nc], MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false);
      mstro_cdo_attribute_set(cdos[nc], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false);
      must(mstro_cdo_seal(cdos[nc]), "seal");
      double t0 = bench_now();
      must(mstro_cdo_offer(cdos[nc]), "offer");
      t[nc++] = bench_now() - t0;
    }
  bench_xwrite(wfd, &nc, sizeof nc);
  bench_xwrite(wfd, t, nc * sizeof *t);
  done_await();
  for (size_t i = 0; i < nc; i++) {
    must(mstro_cdo_withdraw(cdos[i]), "withdraw");
    mstro_cdo_dispose(cdos[i]);
  }
  must(mstro_finalize(), "producer finalize");
  free(t);
  free(cdos);
  free(buf);
  return 0;
}

/* The baseline of the same bytes: plain write+read of a file (GFS) or
 * rados_write_full+rados_read of a new object (MIO). */
struct baseline {
  const char *path;
#ifdef MSTRO_HAVE_RADOS
  rados_t cl;
  rados_ioctx_t io;
#endif
};

static double baseline_once(struct baseline *b, bool mio, const unsigned char *a,
                            unsigned char *out, size_t n, int rep)
{
  double t0 = bench_now();
  if (!mio) {
    int fd = open(b->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, a, n) != (ssize_t)n || close(fd) != 0)
      exit(7);
    fd = open(b->path, O_RDONLY);
    if (fd < 0 || read(fd, out, n) != (ssize_t)n || close(fd) != 0)
      exit(7);
  } else {
#ifdef MSTRO_HAVE_RADOS
    char obj[64];
    snprintf(obj, sizeof obj, "bench-transfer-raw-%zu-%d", n, rep);
    if (rados_write_full(b->io, obj, (const char *)a, n) < 0 ||
        rados_read(b->io, obj, (char *)out, n, 0) != (int)n)
      exit(7);
    double t = bench_now() - t0;
    rados_remove(b->io, obj);
    return t;
#endif
  }
  (void)rep;
  return bench_now() - t0;
}

static int store_consumer(const char *tag, bool mio, int rfd, bool quick)
{
  size_t max = sizes[n_sizes - 1];
  unsigned char *a = malloc(max), *out = malloc(max);
  double tcdo[STORE_REPS], tbase[STORE_REPS];
  double *toffer = NULL;
  size_t nc = 0, ci = 0;
  struct baseline b = {0};
  char path[4096];
  ubuf = malloc(max);
  if (a == NULL || out == NULL || ubuf == NULL)
    return 1;
  for (size_t i = 0; i < max; i++)
    a[i] = (unsigned char)(i * 131u + 7u);
  if (!mio) {
    snprintf(path, sizeof path, "%s/plain-baseline", getenv("MSTRO_GFS_DIR"));
    b.path = path;
  } else {
#ifdef MSTRO_HAVE_RADOS
    const char *pool = getenv("MSTRO_MIO_POOL") ? getenv("MSTRO_MIO_POOL") : "maestro";
    if (rados_create(&b.cl, NULL) < 0 || rados_conf_read_file(b.cl, getenv("MSTRO_MIO_CONF")) < 0 ||
        rados_connect(b.cl) < 0 || rados_ioctx_create(b.cl, pool, &b.io) < 0) {
      fprintf(stderr, "transfer: librados cannot connect\n");
      return 3;
    }
#endif
  }
  must(mstro_init(NULL, "bench-consumer", 0), "consumer mstro_init");
  double *td = calloc((size_t)n_sizes * (STORE_REPS + 1), sizeof *td);
  double *tb = calloc((size_t)n_sizes * (STORE_REPS + 1), sizeof *tb);
  if (td == NULL || tb == NULL)
    return 1;
  for (int k = 0; k < n_sizes; k++)
    for (int r = -1; r < store_reps(sizes[k], quick); r++) {
      char name[64];
      store_name(name, sizeof name, sizes[k], r);
      mstro_cdo c = NULL;
      void *data = ubuf;
      int64_t len = (int64_t)sizes[k], got = 0;
      double t0 = bench_now();
      must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c), "declare");
      mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, &data, true, false);
      mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false);
      must(mstro_cdo_demand(c), "demand");
      td[ci] = bench_now() - t0;
      must(mstro_cdo_access_ptr(c, &data, &got), "access_ptr");
      if (got != len || memcmp(data, a, (size_t)len) != 0) {
        fprintf(stderr, "transfer: wrong data for %lld bytes (store)\n", (long long)len);
        exit(6);
      }
      mstro_cdo_dispose(c);
      tb[ci++] = baseline_once(&b, mio, a, out, sizes[k], r);
    }
  bench_xread(rfd, &nc, sizeof nc);
  if (nc != ci || (toffer = calloc(nc, sizeof *toffer)) == NULL)
    return 1;
  bench_xread(rfd, toffer, nc * sizeof *toffer);
  ci = 0;
  for (int k = 0; k < n_sizes; k++) {
    int reps = store_reps(sizes[k], quick);
    ci++; /* the warm-up */
    for (int r = 0; r < reps; r++, ci++) {
      tcdo[r] = toffer[ci] + td[ci];
      tbase[r] = tb[ci];
    }
    size_t len = sizes[k];
    char cname[64];
    if (len >= (1u << 20))
      snprintf(cname, sizeof cname, "%s_%zuMiB", tag, len >> 20);
    else
      snprintf(cname, sizeof cname, "%s_%zuKiB", tag, len >> 10);
    bench_report("transfer", cname, (double)len / bench_median(tcdo, reps) / 1e9, "GB/s",
                 (double)len / bench_median(tbase, reps) / 1e9, BENCH_HIGHER_IS_BETTER);
  }
  done_tell();
  must(mstro_finalize(), "consumer finalize");
  if (!mio) {
    unlink(path);
  } else {
#ifdef MSTRO_HAVE_RADOS
    rados_ioctx_destroy(b.io);
    rados_shutdown(b.cl);
#endif
  }
  free(toffer);
  free(td);
  free(tb);
  free(a);
  free(out);
  free(ubuf);
  return 0;
}

/* One run with one provider: PM, producer and consumer as children; `store`
 * NULL: OFI against raw libfabric, else "GFS" or "MIO" against their plain
 * equivalents. */
static int run(const char *prov, const char *tag, bool quick, const char *store)
{
  int hello_pipe[2];
  if (pipe(hello_pipe))
    return 1;
  setenv("FI_PROVIDER", prov, 1);
  setenv("MSTRO_WORKFLOW_NAME", "bench-transfer", 1);
  fflush(stdout);
  struct bench_pm pm;
  if (bench_pm_start(&pm) != 0)
    return 1;
  pid_t prod = fork();
  if (prod == 0) {
    close(hello_pipe[0]);
    _exit(store ? store_producer(hello_pipe[1], quick) : producer(prov, hello_pipe[1]));
  }
  close(hello_pipe[1]);
  pid_t cons = fork();
  if (cons == 0)
    _exit(store ? store_consumer(tag, strcmp(store, "MIO") == 0, hello_pipe[0], quick)
                : consumer(prov, tag, hello_pipe[0], quick));
  int rc = bench_wait_child(cons);
  if (rc != 0)
    kill(prod, SIGKILL);
  int rp = bench_wait_child(prod);
  int rpm = bench_pm_stop(&pm);
  if (rc != 0 || rp != 0 || rpm != 0)
    fprintf(stderr, "transfer (%s): consumer %d, producer %d, PM %d\n", prov, rc, rp, rpm);
  return rc != 0 ? rc : rp != 0 ? rp : rpm;
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv), stores = true, ofi = true;
  const char *only = NULL;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc)
      only = argv[++i];
    else if (strcmp(argv[i], "--stores-only") == 0)
      ofi = false;
    else if (strcmp(argv[i], "--no-stores") == 0)
      stores = false;
  size_t top = quick ? (64u << 20) : (1u << 30);
  for (size_t s = 4096; s <= top; s *= 4)
    sizes[n_sizes++] = s;
  if (sizes[n_sizes - 1] != top)
    sizes[n_sizes++] = top;
  setenv("MSTRO_LOG_LEVEL", "err", 0);
  int rc = 0;
  if (ofi && only != NULL) {
    rc = run(only, only, quick, NULL);
  } else if (ofi) {
    rc |= run("tcp;ofi_rxm", "tcp_rxm", quick, NULL);
    rc |= run("shm", "shm", quick, NULL);
  }
  if (!stores)
    return rc;
  /* the stores: up to 64 MiB (a new file / object per repetition) */
  while (n_sizes > 1 && sizes[n_sizes - 1] > STORE_TOP)
    n_sizes--;
  const char *prov = only ? only : "tcp;ofi_rxm"; /* the control channel */
  char tmpl[] = "/tmp/mstro-bench-transfer-gfs-XXXXXX";
  const char *gdir = getenv("MSTRO_GFS_DIR");
  bool own = gdir == NULL || *gdir == '\0';
  if (own && (gdir = mkdtemp(tmpl)) == NULL) {
    fprintf(stderr, "transfer: cannot create a GFS directory\n");
    return 1;
  }
  printf("# GFS in %s (control channel %s)\n", gdir, prov);
  setenv("MSTRO_GFS_DIR", gdir, 1);
  setenv("MSTRO_TRANSPORT_DEFAULT", "GFS", 1);
  rc |= run(prov, "gfs", quick, "GFS");
  if (own)
    rmdir(gdir);
#ifdef MSTRO_HAVE_RADOS
  const char *conf = getenv("MSTRO_MIO_CONF");
  if (conf == NULL || *conf == '\0') {
    printf("# MIO skipped: MSTRO_MIO_CONF is not set (start a cluster with scripts/ceph-start.sh "
           "DIR and export MSTRO_MIO_CONF=DIR/ceph.conf)\n");
  } else {
    printf("# MIO: %s\n", conf);
    setenv("MSTRO_TRANSPORT_DEFAULT", "MIO", 1);
    rc |= run(prov, "mio", quick, "MIO");
  }
#else
  printf("# MIO skipped: built without librados\n");
#endif
  unsetenv("MSTRO_TRANSPORT_DEFAULT");
  return rc;
}
