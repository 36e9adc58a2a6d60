/* SPDX-License-Identifier: BSD-3-Clause */
/* pool_local: the in-process pool, offer -> demand pairs and large demands.
 *
 * Cases and their baselines (measured in the same run):
 *  - meta_{1,2}threads: pairs per second of a metadata-only CDO (producer
 *    declare+offer, consumer declare+demand+dispose, producer
 *    withdraw+dispose). Baseline: a one-slot mutex+condvar mailbox handing
 *    the same pointer from the producer to the consumer (in one thread: put
 *    then take), i.e. the cheapest synchronized hand-off of a handle.
 *  - 1MiB_copy_{1,2}threads: the same with 1 MiB of data demanded into the
 *    consumer's buffer (one copy). Baseline: memcpy of 1 MiB per pair.
 *  - 1MiB_zerocopy_{1,2}threads: 1 MiB demanded by a consumer without a
 *    buffer (it shares the producer's). Baseline: the mailbox hand-off.
 *  - demand_64MiB_copy: one demand of 64 MiB into the consumer's buffer, in
 *    GB/s. Baseline: memcpy of 64 MiB between the same kind of buffers
 *    (target ratio >= 0.9).
 *  - demand_64MiB_zerocopy: the same demand without a consumer buffer,
 *    GB/s-equivalent (bytes made available / time); the data are not
 *    copied at all, so the ratio against memcpy is far above 1.
 * Figures are medians of several repetitions; --quick runs a few seconds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "maestro.h"

#define MIB (1024L * 1024L)

static int reps = 7;
static int pairs = 20000;

/* ---------------------------------------------------------------- mailbox */

struct mailbox {
  pthread_mutex_t m;
  pthread_cond_t cv;
  void *slot;
  int full;
};

static void mb_put(struct mailbox *b, void *p)
{
  pthread_mutex_lock(&b->m);
  while (b->full)
    pthread_cond_wait(&b->cv, &b->m);
  b->slot = p;
  b->full = 1;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->m);
}

static void *mb_take(struct mailbox *b)
{
  void *p;
  pthread_mutex_lock(&b->m);
  while (!b->full)
    pthread_cond_wait(&b->cv, &b->m);
  p = b->slot;
  b->full = 0;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->m);
  return p;
}

static struct mailbox box = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0};

static void *mb_consumer(void *arg)
{
  long n = (long)(intptr_t)arg;
  for (long i = 0; i < n; i++)
    bench_consume(mb_take(&box));
  return NULL;
}

/* pairs per second of the hand-off */
static double handoff_rate(int threads, long n)
{
  double t0 = bench_now();
  if (threads == 1) {
    for (long i = 0; i < n; i++) {
      mb_put(&box, &box);
      bench_consume(mb_take(&box));
    }
  } else {
    pthread_t th;
    pthread_create(&th, NULL, mb_consumer, (void *)(intptr_t)n);
    for (long i = 0; i < n; i++)
      mb_put(&box, &box);
    pthread_join(th, NULL);
  }
  return (double)n / (bench_now() - t0);
}

static double memcpy_rate(size_t bytes, long n, void *dst, const void *src)
{
  double t0 = bench_now();
  for (long i = 0; i < n; i++) {
    memcpy(dst, src, bytes);
    bench_consume(dst);
  }
  return (double)n / (bench_now() - t0);
}

/* ---------------------------------------------------------------- pairs */

struct pair_cfg {
  size_t bytes;     /* 0: metadata only */
  int consumer_buf; /* demand into the consumer's own buffer */
  long n;
  unsigned char *src;
  unsigned char *dst;
  atomic_long done; /* demands completed (2-thread case) */
  int failed;
};

static void name_of(char *buf, size_t len, long i)
{
  snprintf(buf, len, "bench.pool_local.%ld", i);
}

static int produce(struct pair_cfg *c, long i, mstro_cdo *out)
{
  char name[64];
  mstro_cdo p = NULL;
  name_of(name, sizeof name, i);
  if (mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &p) != MSTRO_OK)
    return -1;
  if (c->bytes > 0) {
    int64_t size = (int64_t)c->bytes;
    if (mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, c->src, false, true) != MSTRO_OK ||
        mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false) !=
            MSTRO_OK)
      return -1;
  }
  if (mstro_cdo_offer(p) != MSTRO_OK)
    return -1;
  *out = p;
  return 0;
}

static int consume(struct pair_cfg *c, long i)
{
  char name[64];
  mstro_cdo k = NULL;
  void *d;
  int64_t len;
  name_of(name, sizeof name, i);
  if (mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &k) != MSTRO_OK)
    return -1;
  if (c->consumer_buf) {
    int64_t size = (int64_t)c->bytes;
    if (mstro_cdo_attribute_set(k, MSTRO_ATTR_CORE_CDO_RAW_PTR, c->dst, false, true) != MSTRO_OK ||
        mstro_cdo_attribute_set(k, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false) !=
            MSTRO_OK)
      return -1;
  }
  if (mstro_cdo_demand(k) != MSTRO_OK)
    return -1;
  if (c->bytes > 0 && (mstro_cdo_access_ptr(k, &d, &len) != MSTRO_OK || len != (int64_t)c->bytes))
    return -1;
  return mstro_cdo_dispose(k) == MSTRO_OK ? 0 : -1;
}

static void *pair_consumer(void *arg)
{
  struct pair_cfg *c = arg;
  for (long i = 0; i < c->n; i++) {
    if (consume(c, i) != 0)
      c->failed = 1;
    atomic_store_explicit(&c->done, i + 1, memory_order_release);
  }
  return NULL;
}

/* pairs per second through the pool */
static double pair_rate(int threads, struct pair_cfg *c)
{
  double t0 = bench_now();
  atomic_store(&c->done, 0);
  if (threads == 1) {
    for (long i = 0; i < c->n; i++) {
      mstro_cdo p = NULL;
      if (produce(c, i, &p) != 0 || consume(c, i) != 0 || mstro_cdo_withdraw(p) != MSTRO_OK ||
          mstro_cdo_dispose(p) != MSTRO_OK)
        c->failed = 1;
    }
  } else {
    /* producer here, consumer in a thread; each CDO is withdrawn once the
     * consumer has it (the withdraw waits for a consumer still reading) */
    pthread_t th;
    mstro_cdo *ps = calloc((size_t)c->n, sizeof *ps);
    long withdrawn = 0;
    pthread_create(&th, NULL, pair_consumer, c);
    for (long i = 0; i < c->n; i++) {
      if (produce(c, i, &ps[i]) != 0)
        c->failed = 1;
      while (withdrawn < atomic_load_explicit(&c->done, memory_order_acquire)) {
        mstro_cdo_withdraw(ps[withdrawn]);
        mstro_cdo_dispose(ps[withdrawn]);
        withdrawn++;
      }
    }
    pthread_join(th, NULL);
    for (; withdrawn < c->n; withdrawn++) {
      mstro_cdo_withdraw(ps[withdrawn]);
      mstro_cdo_dispose(ps[withdrawn]);
    }
    free(ps);
  }
  return (double)c->n / (bench_now() - t0);
}

static void run_pairs(const char *casename, int threads, size_t bytes, int consumer_buf,
                      unsigned char *src, unsigned char *dst)
{
  double v[32], b[32];
  struct pair_cfg c = {.bytes = bytes, .consumer_buf = consumer_buf, .src = src, .dst = dst};
  long n = bytes >= (size_t)MIB && consumer_buf ? pairs / 4 : pairs;
  c.n = n;
  for (int r = 0; r < reps; r++) {
    v[r] = pair_rate(threads, &c);
    if (consumer_buf)
      b[r] = memcpy_rate(bytes, n, dst, src);
    else
      b[r] = handoff_rate(threads, n);
  }
  if (c.failed)
    fprintf(stderr, "pool_local: %s: an operation failed\n", casename);
  bench_report("pool_local", casename, bench_median(v, reps), "pairs/s", bench_median(b, reps),
               BENCH_HIGHER_IS_BETTER);
}

/* ---------------------------------------------------------------- 64 MiB */

static void run_big(int consumer_buf, unsigned char *src, unsigned char *dst, size_t bytes)
{
  double v[32], b[32];
  int64_t size = (int64_t)bytes;
  mstro_cdo p = NULL;
  if (mstro_cdo_declare("bench.pool_local.big", MSTRO_ATTR_DEFAULT, &p) != MSTRO_OK ||
      mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, src, false, true) != MSTRO_OK ||
      mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false) !=
          MSTRO_OK ||
      mstro_cdo_offer(p) != MSTRO_OK) {
    fprintf(stderr, "pool_local: cannot offer the 64 MiB CDO\n");
    return;
  }
  for (int r = 0; r < reps; r++) {
    mstro_cdo k = NULL;
    double t0, t1;
    mstro_cdo_declare("bench.pool_local.big", MSTRO_ATTR_DEFAULT, &k);
    if (consumer_buf) {
      mstro_cdo_attribute_set(k, MSTRO_ATTR_CORE_CDO_RAW_PTR, dst, false, true);
      mstro_cdo_attribute_set(k, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false);
    }
    t0 = bench_now();
    if (mstro_cdo_demand(k) != MSTRO_OK)
      fprintf(stderr, "pool_local: 64 MiB demand failed\n");
    t1 = bench_now();
    mstro_cdo_dispose(k);
    v[r] = (double)bytes / (t1 - t0) * 1e-9;
    t0 = bench_now();
    memcpy(dst, src, bytes);
    bench_consume(dst);
    b[r] = (double)bytes / (bench_now() - t0) * 1e-9;
  }
  mstro_cdo_withdraw(p);
  mstro_cdo_dispose(p);
  bench_report("pool_local", consumer_buf ? "demand_64MiB_copy" : "demand_64MiB_zerocopy",
               bench_median(v, reps), "GB/s", bench_median(b, reps), BENCH_HIGHER_IS_BETTER);
}

int main(int argc, char **argv)
{
  size_t big = 64 * MIB;
  unsigned char *src, *dst;
  mstro_status st;
  if (bench_quick(argc, argv)) {
    reps = 3;
    pairs = 300;
  }
  st = mstro_init("bench", "pool_local", 0);
  if (st != MSTRO_OK) {
    fprintf(stderr, "pool_local: mstro_init: %s\n", mstro_status_description(st));
    return 1;
  }
  src = malloc(big);
  dst = malloc(big);
  if (!src || !dst)
    return 1;
  memset(src, 0x5a, big); /* fault every page in before timing */
  memset(dst, 0xa5, big);
  printf("pool_local: %d repetitions, %d pairs each (1 MiB copy cases: %d); medians\n", reps, pairs,
         pairs / 4);
  run_pairs("meta_1thread", 1, 0, 0, src, dst);
  run_pairs("meta_2threads", 2, 0, 0, src, dst);
  run_pairs("1MiB_copy_1thread", 1, MIB, 1, src, dst);
  run_pairs("1MiB_copy_2threads", 2, MIB, 1, src, dst);
  run_pairs("1MiB_zerocopy_1thread", 1, MIB, 0, src, dst);
  run_pairs("1MiB_zerocopy_2threads", 2, MIB, 0, src, dst);
  run_big(1, src, dst, big);
  run_big(0, src, dst, big);
  free(src);
  free(dst);
  mstro_finalize();
  return 0;
}
