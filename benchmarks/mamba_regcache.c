/* SPDX-License-Identifier: BSD-3-Clause */
/* mamba_regcache: a registration-cache hit (mmb_regcache_acquire+release of
 * an already registered range) against registering the same range for real
 * with libfabric (fi_mr_reg + fi_close, provider tcp unless FI_PROVIDER says
 * otherwise). Value: ns per hit, baseline: ns per fi_mr_reg+fi_close, ratio:
 * baseline/value (higher is better; the target is >= 100).
 * Also: a 2-thread hit case, the miss path (acquire of a fresh range,
 * which calls the registrar), and, for reference, the cost of pinning the
 * range (mlock+munlock), which hardware providers (verbs, EFA, CXI) pay on
 * every registration while tcp does not. */
#include <mamba.h>
#include <pthread.h>
#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

static struct fid_fabric *fabric;
static struct fid_domain *domain;
static uint64_t next_key = 1;
static struct fi_info *info;

static int ofi_reg(void *ctx, void *addr, size_t len, void **handle)
{
  (void)ctx;
  struct fid_mr *mr = NULL;
  int rc = fi_mr_reg(domain, addr, len, FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE, 0,
                     __atomic_fetch_add(&next_key, 1, __ATOMIC_RELAXED), 0, &mr, NULL);
  *handle = mr;
  return rc;
}
static int ofi_dereg(void *ctx, void *handle)
{
  (void)ctx;
  return fi_close(&((struct fid_mr *)handle)->fid);
}
static void *ofi_desc(void *ctx, void *handle)
{
  (void)ctx;
  return fi_mr_desc(handle);
}
static uint64_t ofi_key(void *ctx, void *handle)
{
  (void)ctx;
  return fi_mr_key(handle);
}

static int open_fabric(void)
{
  struct fi_info *hints = fi_allocinfo();
  const char *prov = getenv("FI_PROVIDER");
  int rc;
  hints->ep_attr->type = FI_EP_RDM;
  hints->caps = FI_MSG | FI_RMA;
  hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
  hints->fabric_attr->prov_name = strdup(prov ? prov : "tcp");
  rc = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info);
  fi_freeinfo(hints);
  if (rc) {
    fprintf(stderr, "mamba_regcache: fi_getinfo: %s\n", fi_strerror(-rc));
    return rc;
  }
  rc = fi_fabric(info->fabric_attr, &fabric, NULL);
  if (rc == 0)
    rc = fi_domain(fabric, info, &domain, NULL);
  if (rc)
    fprintf(stderr, "mamba_regcache: opening %s: %s\n", info->fabric_attr->prov_name,
            fi_strerror(-rc));
  return rc;
}

static double time_raw(char *buf, size_t len, long iters)
{
  double t0 = bench_now();
  for (long i = 0; i < iters; i++) {
    void *h;
    if (ofi_reg(NULL, buf, len, &h) != 0) {
      fprintf(stderr, "fi_mr_reg failed\n");
      exit(1);
    }
    ofi_dereg(NULL, h);
  }
  return (bench_now() - t0) / (double)iters * 1e9;
}

static double time_hit(mmbRegCache *c, char *buf, size_t len, long iters)
{
  mmbRegEntry *e;
  double t0 = bench_now();
  for (long i = 0; i < iters; i++) {
    mmb_regcache_acquire(c, buf, len, &e);
    bench_consume(mmb_regentry_desc(e));
    mmb_regcache_release(c, e);
  }
  return (bench_now() - t0) / (double)iters * 1e9;
}

struct targ {
  mmbRegCache *c;
  char *buf;
  size_t len;
  long iters;
  double ns;
  pthread_barrier_t *bar;
};
static void *hit_thread(void *v)
{
  struct targ *a = v;
  pthread_barrier_wait(a->bar);
  a->ns = time_hit(a->c, a->buf, a->len, a->iters);
  return NULL;
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv);
  int reps = quick ? 3 : 7;
  long raw_iters = quick ? 2000 : 20000, hit_iters = quick ? 200000 : 2000000;
  static const size_t sizes[] = {4096, 65536, 1 << 20, 16 << 20};
  static const char *const names[] = {"4KiB", "64KiB", "1MiB", "16MiB"};
  mmbRegCache *c = NULL;
  if (open_fabric() != 0)
    return 1;
  mmb_registrar r = {.reg = ofi_reg, .dereg = ofi_dereg, .desc = ofi_desc, .key = ofi_key};
  if (mmb_init() != MMB_OK || mmb_regcache_create(&r, NULL, &c) != MMB_OK)
    return 1;
  printf("# mamba_regcache: provider %s; ns per operation (median of %d runs)\n",
         info->fabric_attr->prov_name, reps);
  printf("# %-6s %16s %12s %10s\n", "size", "fi_mr_reg+close", "cache hit", "ratio");
  char *buf = NULL;
  void *p = NULL;
  if (mmb_alloc_in("DRAM", (size_t)16 << 20, &p) != MMB_OK)
    return 1;
  buf = p;
  memset(buf, 1, (size_t)16 << 20);
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    double vr[16], vh[16];
    mmbRegEntry *e;
    mmb_regcache_acquire(c, buf, sizes[k], &e); /* the miss that fills the cache */
    mmb_regcache_release(c, e);
    for (int i = 0; i < reps; i++) {
      vr[i] = time_raw(buf, sizes[k], raw_iters);
      vh[i] = time_hit(c, buf, sizes[k], hit_iters);
    }
    double raw = bench_median(vr, reps), hit = bench_median(vh, reps);
    printf("# %-6s %16.1f %12.1f %9.0fx\n", names[k], raw, hit, raw / hit);
    char casename[64];
    snprintf(casename, sizeof casename, "hit_%s", names[k]);
    bench_report("mamba_regcache", casename, hit, "ns", raw, BENCH_LOWER_IS_BETTER);
  }
  /* For reference: pinning the pages, what a NIC's registration does beyond
   * the tcp provider's bookkeeping (mlock+munlock of the range). */
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    double vp[16];
    long n = quick ? 20 : 200;
    bool ok = true;
    for (int i = 0; i < reps && ok; i++) {
      double t0 = bench_now();
      for (long j = 0; j < n && ok; j++) {
        ok = mlock(buf, sizes[k]) == 0;
        munlock(buf, sizes[k]);
      }
      vp[i] = (bench_now() - t0) / (double)n * 1e9;
    }
    if (!ok) {
      printf("# mlock of %s refused (RLIMIT_MEMLOCK): no pinning reference\n", names[k]);
      continue;
    }
    double pin = bench_median(vp, reps);
    double vh[16];
    for (int i = 0; i < reps; i++)
      vh[i] = time_hit(c, buf, sizes[k], hit_iters / 10);
    double hit = bench_median(vh, reps);
    printf("# %-6s mlock+munlock %12.1f ns, cache hit %8.1f ns: %9.0fx\n", names[k], pin, hit,
           pin / hit);
    char casename[64];
    snprintf(casename, sizeof casename, "hit_vs_pinning_%s", names[k]);
    bench_report("mamba_regcache", casename, hit, "ns", pin, BENCH_LOWER_IS_BETTER);
  }
  /* two threads hitting the same cache */
  {
    double v[16];
    for (int i = 0; i < reps; i++) {
      pthread_t t[2];
      struct targ a[2];
      pthread_barrier_t bar;
      pthread_barrier_init(&bar, NULL, 2);
      for (int k = 0; k < 2; k++) {
        a[k] = (struct targ){
            .c = c, .buf = buf + k * 65536, .len = 65536, .iters = hit_iters, .bar = &bar};
        pthread_create(&t[k], NULL, hit_thread, &a[k]);
      }
      pthread_join(t[0], NULL);
      pthread_join(t[1], NULL);
      pthread_barrier_destroy(&bar);
      v[i] = a[0].ns > a[1].ns ? a[0].ns : a[1].ns;
    }
    double hit2 = bench_median(v, reps);
    double raw = time_raw(buf, 65536, raw_iters);
    printf("# 64KiB, 2 threads: hit %.1f ns per thread\n", hit2);
    bench_report("mamba_regcache", "hit_64KiB_2threads", hit2, "ns", raw, BENCH_LOWER_IS_BETTER);
  }
  /* the miss path: a fresh range each time (registration + later eviction) */
  {
    mmb_regcache_flush(c);
    long n = quick ? 1000 : 4000;
    double t0 = bench_now();
    mmbRegEntry *e;
    for (long i = 0; i < n; i++) {
      mmb_regcache_acquire(c, buf + (size_t)(i % 4096) * 4096, 4096, &e);
      mmb_regcache_release(c, e);
      if (i % 4096 == 4095)
        mmb_regcache_flush(c);
    }
    double miss = (bench_now() - t0) / (double)n * 1e9;
    double raw = time_raw(buf, 4096, raw_iters);
    printf("# miss (register through the cache), 4KiB: %.1f ns\n", miss);
    bench_report("mamba_regcache", "miss_4KiB", miss, "ns", raw, BENCH_LOWER_IS_BETTER);
  }
  mmb_regcache_print_stats(c, stdout);
  mmb_regcache_destroy(c);
  mmb_free(buf);
  mmb_finalize();
  fi_close(&domain->fid);
  fi_close(&fabric->fid);
  fi_freeinfo(info);
  return 0;
}
