/* SPDX-License-Identifier: BSD-3-Clause */
/* Registration cache with a fake registrar that counts calls: hits, merges,
 * evictions (entries and bytes), invalidation on free through mamba and
 * explicit, held entries, threads; and the registered-slab pool. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mamba.h"

struct fake_mr {
  void *addr;
  size_t len;
  uint64_t key;
};

struct fake {
  pthread_mutex_t lock;
  int regs, deregs, live;
  bool fail_next;
  uint64_t next_key;
};

static int fake_reg(void *ctx, void *addr, size_t len, void **handle)
{
  struct fake *f = ctx;
  pthread_mutex_lock(&f->lock);
  if (f->fail_next) {
    f->fail_next = false;
    pthread_mutex_unlock(&f->lock);
    return -1;
  }
  struct fake_mr *mr = malloc(sizeof *mr);
  mr->addr = addr;
  mr->len = len;
  mr->key = ++f->next_key;
  f->regs++;
  f->live++;
  pthread_mutex_unlock(&f->lock);
  *handle = mr;
  return 0;
}
static int fake_dereg(void *ctx, void *handle)
{
  struct fake *f = ctx;
  pthread_mutex_lock(&f->lock);
  f->deregs++;
  f->live--;
  pthread_mutex_unlock(&f->lock);
  free(handle);
  return 0;
}
static void *fake_desc(void *ctx, void *handle)
{
  (void)ctx;
  return (char *)handle + 1;
}
static uint64_t fake_key(void *ctx, void *handle)
{
  (void)ctx;
  return ((struct fake_mr *)handle)->key;
}

static struct fake F;
static mmb_registrar R = {
    .ctx = &F, .reg = fake_reg, .dereg = fake_dereg, .desc = fake_desc, .key = fake_key};

static int setup(void **state)
{
  (void)state;
  memset(&F, 0, sizeof F);
  pthread_mutex_init(&F.lock, NULL);
  return mmb_init() == MMB_OK ? 0 : -1;
}
static int teardown(void **state)
{
  (void)state;
  int rc = mmb_finalize() == MMB_OK ? 0 : -1;
  if (F.live != 0) {
    fprintf(stderr, "%d registrations leaked\n", F.live);
    rc = -1;
  }
  return rc;
}

static size_t PG;

static void test_hits_and_merges(void **state)
{
  (void)state;
  mmbRegCache *c = NULL;
  mmbRegEntry *e1, *e2, *e3, *e4;
  mmb_regcache_stats s;
  char *buf = aligned_alloc(PG, 64 * PG);
  assert_int_equal(mmb_regcache_create(&R, NULL, &c), MMB_OK);
  int regs0 = F.regs;
  assert_int_equal(mmb_regcache_acquire(c, buf + 10, 100, &e1), MMB_OK); /* miss */
  assert_int_equal(F.regs, regs0 + 1);
  void *a;
  size_t l;
  mmb_regentry_range(e1, &a, &l);
  assert_ptr_equal(a, buf);
  assert_int_equal(l, PG);
  assert_int_equal(mmb_regentry_key(e1), ((struct fake_mr *)mmb_regentry_handle(e1))->key);
  assert_ptr_equal(mmb_regentry_desc(e1), (char *)mmb_regentry_handle(e1) + 1);
  assert_int_equal(mmb_regcache_acquire(c, buf + 200, 300, &e2), MMB_OK); /* same page: hit */
  assert_ptr_equal(e1, e2);
  assert_int_equal(F.regs, regs0 + 1);
  /* overlapping bigger range: registers the union, retires the held entry */
  assert_int_equal(mmb_regcache_acquire(c, buf + PG / 2, 3 * PG, &e3), MMB_OK);
  assert_int_equal(F.regs, regs0 + 2);
  mmb_regentry_range(e3, &a, &l);
  assert_ptr_equal(a, buf);
  assert_int_equal(l, 4 * PG);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.hits, 1);
  assert_int_equal(s.misses, 2);
  assert_int_equal(s.merges, 1);
  assert_int_equal(s.entries, 1);
  assert_int_equal(s.in_use, 2); /* e1 (retired, held twice) and e3 */
  int deregs0 = F.deregs;
  assert_int_equal(mmb_regcache_release(c, e1), MMB_OK);
  assert_int_equal(F.deregs, deregs0);
  assert_int_equal(mmb_regcache_release(c, e2), MMB_OK); /* last holder: deregistered now */
  assert_int_equal(F.deregs, deregs0 + 1);
  assert_int_equal(mmb_regcache_release(c, e3), MMB_OK);
  assert_int_equal(mmb_regcache_acquire(c, buf, 4 * PG, &e3), MMB_OK);
  /* inside the merged entry: hit */
  assert_int_equal(mmb_regcache_acquire(c, buf + 2 * PG, PG, &e4), MMB_OK);
  assert_ptr_equal(e4, e3);
  /* disjoint range: a second entry, no merge */
  mmbRegEntry *e5;
  assert_int_equal(mmb_regcache_acquire(c, buf + 10 * PG, PG, &e5), MMB_OK);
  assert_ptr_not_equal(e5, e3);
  /* a range bridging both: one merge of two entries */
  mmbRegEntry *e6;
  assert_int_equal(mmb_regcache_acquire(c, buf + 3 * PG, 8 * PG, &e6), MMB_OK);
  mmb_regentry_range(e6, &a, &l);
  assert_ptr_equal(a, buf);
  assert_int_equal(l, 11 * PG);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.merges, 2);
  assert_int_equal(s.entries, 1);
  mmb_regcache_release(c, e3);
  mmb_regcache_release(c, e4);
  mmb_regcache_release(c, e5);
  mmb_regcache_release(c, e6);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.in_use, 0);
  assert_int_equal(s.registrations - s.deregistrations, 1);
  assert_int_equal(mmb_regcache_print_stats(c, stdout), MMB_OK);
  /* registrar failure */
  F.fail_next = true;
  mmbRegEntry *bad = NULL;
  assert_int_equal(mmb_regcache_acquire(c, buf + 40 * PG, PG, &bad), MMB_ERROR);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.failures, 1);
  /* bad arguments */
  assert_int_equal(mmb_regcache_acquire(c, NULL, 10, &bad), MMB_INVALID_ARG);
  assert_int_equal(mmb_regcache_acquire(c, buf, 0, &bad), MMB_INVALID_ARG);
  assert_int_equal(mmb_regcache_release(c, NULL), MMB_INVALID_ARG);
  assert_int_equal(mmb_regcache_create(&(mmb_registrar){0}, NULL, &c), MMB_INVALID_ARG);
  assert_int_equal(mmb_regcache_destroy(c), MMB_OK);
  free(buf);
}

static void test_eviction(void **state)
{
  (void)state;
  mmbRegCache *c = NULL;
  mmb_regcache_stats s;
  char *buf = aligned_alloc(PG, 200 * PG);
  mmb_regcache_config cfg = {.max_entries = 4, .max_bytes = 6 * PG};
  assert_int_equal(mmb_regcache_create(&R, &cfg, &c), MMB_OK);
  mmbRegEntry *e[8];
  /* entries at pages 0, 2, 4, 6, 8: the fifth evicts the least recently used */
  for (int k = 0; k < 4; k++) {
    assert_int_equal(mmb_regcache_acquire(c, buf + 2 * k * PG, PG, &e[k]), MMB_OK);
    mmb_regcache_release(c, e[k]);
  }
  /* touch page 0 again so that page 2 is the oldest */
  assert_int_equal(mmb_regcache_acquire(c, buf, PG, &e[0]), MMB_OK);
  mmb_regcache_release(c, e[0]);
  assert_int_equal(mmb_regcache_acquire(c, buf + 8 * PG, PG, &e[4]), MMB_OK);
  mmb_regcache_release(c, e[4]);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.evictions, 1);
  assert_int_equal(s.entries, 4);
  int regs = F.regs;
  assert_int_equal(mmb_regcache_acquire(c, buf, PG, &e[0]), MMB_OK); /* still cached */
  assert_int_equal(F.regs, regs);
  mmb_regcache_release(c, e[0]);
  assert_int_equal(mmb_regcache_acquire(c, buf + 2 * PG, PG, &e[1]), MMB_OK); /* evicted: miss */
  assert_int_equal(F.regs, regs + 1);
  mmb_regcache_release(c, e[1]);
  /* the byte bound: a 5-page registration pushes out others */
  assert_int_equal(mmb_regcache_acquire(c, buf + 100 * PG, 5 * PG, &e[5]), MMB_OK);
  mmb_regcache_get_stats(c, &s);
  assert_true(s.bytes <= 6 * PG);
  assert_true(s.evictions >= 3);
  /* held entries are never evicted, even above the bounds */
  mmbRegEntry *h[6];
  for (int k = 0; k < 6; k++)
    assert_int_equal(mmb_regcache_acquire(c, buf + (120 + 2 * k) * PG, PG, &h[k]), MMB_OK);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.in_use, 7);
  assert_true(s.entries >= 7);
  for (int k = 0; k < 6; k++)
    mmb_regcache_release(c, h[k]);
  mmb_regcache_release(c, e[5]);
  mmb_regcache_get_stats(c, &s);
  assert_true(s.entries <= 4);
  assert_true(s.bytes <= 6 * PG);
  assert_int_equal(mmb_regcache_flush(c), MMB_OK);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.entries, 0);
  assert_int_equal(mmb_regcache_destroy(c), MMB_OK);
  free(buf);
}

static void test_invalidation(void **state)
{
  (void)state;
  mmbRegCache *c = NULL;
  mmb_regcache_stats s;
  mmbMemSpace *dram = NULL;
  mmbMemInterface *sys = NULL, *pool = NULL;
  mmb_space_default(&dram);
  mmb_space_interface(dram, MMB_STRATEGY_SYSTEM, &sys);
  assert_int_equal(mmb_regcache_create(&R, NULL, &c), MMB_OK);
  /* system allocation: freeing it through mamba drops its registration */
  void *p = NULL;
  mmbRegEntry *e;
  assert_int_equal(mmb_alloc(sys, 1 << 20, 4096, &p), MMB_OK);
  assert_int_equal(mmb_regcache_acquire(c, p, 1 << 20, &e), MMB_OK);
  mmb_regcache_release(c, e);
  int deregs = F.deregs;
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(F.deregs, deregs + 1);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.invalidations, 1);
  assert_int_equal(s.entries, 0);
  /* a pool keeps its memory (the registration stays valid) until it returns
   * the region to the space */
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL,
                              .high_water = 1,
                              .no_thread_cache = true,
                              .arena_size = 4 << 20};
  assert_int_equal(mmb_interface_create(dram, &cfg, &pool), MMB_OK);
  void *q = NULL, *f = NULL, *z = NULL;
  assert_int_equal(mmb_alloc(pool, 1 << 20, 0, &q), MMB_OK); /* arena A */
  assert_int_equal(mmb_alloc(pool, 3 << 20, 0, &f), MMB_OK); /* fills A */
  assert_int_equal(mmb_alloc(pool, 4 << 20, 0, &z), MMB_OK); /* arena B */
  assert_int_equal(mmb_regcache_acquire(c, q, 1 << 20, &e), MMB_OK);
  mmb_regcache_release(c, e);
  deregs = F.deregs;
  assert_int_equal(mmb_free(z), MMB_OK); /* B free, kept: nothing else cached */
  assert_int_equal(mmb_free(q), MMB_OK); /* region A still used by f */
  assert_int_equal(F.deregs, deregs);
  assert_int_equal(mmb_free(f), MMB_OK); /* A free and B cached: A returned, invalidated */
  assert_int_equal(F.deregs, deregs + 1);
  mmb_stats pst;
  mmb_interface_get_stats(pool, &pst);
  assert_int_equal(pst.returned_bytes, 4 << 20);
  /* a held entry is invalidated but deregistered at its release */
  assert_int_equal(mmb_alloc(sys, 8192, 4096, &p), MMB_OK);
  assert_int_equal(mmb_regcache_acquire(c, p, 8192, &e), MMB_OK);
  deregs = F.deregs;
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(F.deregs, deregs);
  mmb_regcache_release(c, e);
  assert_int_equal(F.deregs, deregs + 1);
  /* explicit invalidation (memory freed outside mamba) */
  char *m = aligned_alloc(PG, 4 * PG);
  assert_int_equal(mmb_regcache_acquire(c, m, 4 * PG, &e), MMB_OK);
  mmb_regcache_release(c, e);
  assert_int_equal(mmb_regcache_invalidate(c, m + PG, 1), MMB_OK);
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.entries, 0);
  free(m);
  assert_int_equal(mmb_interface_destroy(pool), MMB_OK);
  assert_int_equal(mmb_regcache_destroy(c), MMB_OK);
}

struct targ {
  mmbRegCache *c;
  char *buf;
  int errors;
};
static void *hammer(void *v)
{
  struct targ *a = v;
  unsigned seed = (unsigned)(uintptr_t)v;
  for (int k = 0; k < 20000; k++) {
    size_t off = (size_t)(rand_r(&seed) % 64) * PG + (size_t)(rand_r(&seed) % 100);
    size_t len = 1 + (size_t)(rand_r(&seed) % (3 * PG));
    mmbRegEntry *e;
    if (mmb_regcache_acquire(a->c, a->buf + off, len, &e) != MMB_OK) {
      a->errors++;
      continue;
    }
    void *ra;
    size_t rl;
    mmb_regentry_range(e, &ra, &rl);
    if ((char *)ra > a->buf + off || (char *)ra + rl < a->buf + off + len)
      a->errors++;
    if (k % 1000 == 0)
      mmb_regcache_invalidate(a->c, a->buf + off, 1);
    if (mmb_regcache_release(a->c, e) != MMB_OK)
      a->errors++;
  }
  return NULL;
}

static void test_threads(void **state)
{
  (void)state;
  mmbRegCache *c = NULL;
  char *buf = aligned_alloc(PG, 70 * PG);
  mmb_regcache_config cfg = {.max_entries = 16};
  assert_int_equal(mmb_regcache_create(&R, &cfg, &c), MMB_OK);
  pthread_t t[4];
  struct targ a[4];
  for (int k = 0; k < 4; k++) {
    a[k] = (struct targ){.c = c, .buf = buf};
    pthread_create(&t[k], NULL, hammer, &a[k]);
  }
  for (int k = 0; k < 4; k++) {
    pthread_join(t[k], NULL);
    assert_int_equal(a[k].errors, 0);
  }
  mmb_regcache_stats s;
  mmb_regcache_get_stats(c, &s);
  assert_int_equal(s.hits + s.misses, 80000);
  assert_int_equal(s.in_use, 0);
  mmb_regcache_print_stats(c, stdout);
  assert_int_equal(mmb_regcache_destroy(c), MMB_OK);
  free(buf);
}

static void test_slab_pool(void **state)
{
  (void)state;
  mmbSlabPool *sp = NULL;
  mmb_slab_buffer b1, b2, b3, lk;
  int regs = F.regs;
  mmb_slab_config cfg = {.slab_size = 8 << 20, .max_bytes = 24 << 20};
  assert_int_equal(mmb_slab_pool_create(NULL, &R, &cfg, &sp), MMB_OK);
  assert_int_equal(mmb_slab_alloc(sp, 1 << 20, &b1), MMB_OK);
  assert_int_equal(F.regs, regs + 1);
  assert_int_equal(mmb_slab_alloc(sp, 2 << 20, &b2), MMB_OK); /* same slab */
  assert_int_equal(F.regs, regs + 1);
  assert_ptr_equal(b1.handle, b2.handle);
  assert_ptr_equal(b1.region, b2.region);
  assert_ptr_equal((char *)b2.region + b2.offset, b2.ptr);
  assert_int_equal(b1.key, ((struct fake_mr *)b1.handle)->key);
  struct fake_mr *mr = b1.handle;
  assert_true((char *)b1.ptr >= (char *)mr->addr &&
              (char *)b1.ptr + b1.size <= (char *)mr->addr + mr->len);
  memset(b1.ptr, 1, b1.size);
  assert_int_equal(mmb_slab_lookup(sp, (char *)b2.ptr + 100, &lk), MMB_OK);
  assert_ptr_equal(lk.handle, b2.handle);
  assert_int_equal(lk.offset, b2.offset + 100);
  int on_stack;
  assert_int_equal(mmb_slab_lookup(sp, &on_stack, &lk), MMB_NOT_FOUND);
  /* small buffers come from their own registered segment */
  assert_int_equal(mmb_slab_alloc(sp, 4096, &b3), MMB_OK);
  assert_int_equal(F.regs, regs + 2);
  assert_int_equal(mmb_slab_alloc(sp, 9 << 20, &lk), MMB_INVALID_ARG);
  /* max_bytes: 8 (slab) + 4 (segment) registered; 8 more fit, 16 do not */
  mmb_slab_buffer big[3];
  assert_int_equal(mmb_slab_alloc(sp, 6 << 20, &big[0]), MMB_OK);
  assert_int_equal(mmb_slab_alloc(sp, 6 << 20, &big[1]), MMB_LIMIT);
  assert_int_equal(mmb_slab_free(sp, big[0].ptr), MMB_OK);
  assert_int_equal(mmb_slab_free(sp, b1.ptr), MMB_OK);
  assert_int_equal(mmb_slab_free(sp, b1.ptr), MMB_INVALID_FREE);
  assert_int_equal(mmb_slab_free(sp, b2.ptr), MMB_OK);
  assert_int_equal(mmb_slab_free(sp, b3.ptr), MMB_OK);
  mmb_stats st;
  assert_int_equal(mmb_interface_get_stats(mmb_slab_pool_interface(sp), &st), MMB_OK);
  assert_int_equal(st.live_allocs, 0);
  assert_int_equal(mmb_slab_pool_destroy(sp), MMB_OK);
  assert_int_equal(F.live, 0);
}

int main(void)
{
  PG = (size_t)sysconf(_SC_PAGESIZE);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hits_and_merges), cmocka_unit_test(test_eviction),
      cmocka_unit_test(test_invalidation),    cmocka_unit_test(test_threads),
      cmocka_unit_test(test_slab_pool),
  };
  return cmocka_run_group_tests_name("mamba registration cache", tests, setup, teardown);
}
