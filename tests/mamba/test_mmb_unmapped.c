/* SPDX-License-Identifier: BSD-3-Clause */
/* The unmapped notification: a system free and a pool returning a region
 * announce their ranges, unsubscribe stops the calls (also while other
 * threads free), bad arguments are refused, and a registration cache entry of
 * freed memory is gone when the free returns. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mamba.h"

#define MAX_SEEN 64

struct seen {
  pthread_mutex_t lock;
  size_t n;
  struct {
    const void *addr;
    size_t len;
  } r[MAX_SEEN];
};

static void record(void *ctx, const void *addr, size_t len)
{
  struct seen *s = ctx;
  pthread_mutex_lock(&s->lock);
  if (s->n < MAX_SEEN) {
    s->r[s->n].addr = addr;
    s->r[s->n].len = len;
  }
  s->n++;
  pthread_mutex_unlock(&s->lock);
}

/* Whether some announced range covers [p, p + len). */
static bool covered(const struct seen *s, const void *p, size_t len)
{
  for (size_t i = 0; i < s->n && i < MAX_SEEN; i++)
    if ((uintptr_t)s->r[i].addr <= (uintptr_t)p &&
        (uintptr_t)p + len <= (uintptr_t)s->r[i].addr + s->r[i].len)
      return true;
  return false;
}

static int setup(void **state)
{
  (void)state;
  return mmb_init() == MMB_OK ? 0 : -1;
}
static int teardown(void **state)
{
  (void)state;
  return mmb_finalize() == MMB_OK ? 0 : -1;
}

static void test_system_free(void **state)
{
  (void)state;
  struct seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
  mmbMemSpace *dram = NULL;
  mmbMemInterface *sys = NULL;
  void *p = NULL;
  assert_int_equal(mmb_space_default(&dram), MMB_OK);
  assert_int_equal(mmb_space_interface(dram, MMB_STRATEGY_SYSTEM, &sys), MMB_OK);
  assert_int_equal(mmb_unmapped_subscribe(record, &s), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 10000, 64, &p), MMB_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(s.n, 1);
  assert_ptr_equal(s.r[0].addr, p);
  assert_true(s.r[0].len >= 10000);
  assert_int_equal(mmb_unmapped_unsubscribe(record, &s), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 10000, 64, &p), MMB_OK);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(s.n, 1); /* no call after unsubscribe */
}

static void test_pool_region(void **state)
{
  (void)state;
  struct seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
  mmbMemSpace *dram = NULL;
  mmbMemInterface *pool = NULL;
  void *q = NULL, *f = NULL, *z = NULL;
  mmb_space_default(&dram);
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL,
                              .high_water = 1,
                              .no_thread_cache = true,
                              .arena_size = 4 << 20};
  assert_int_equal(mmb_interface_create(dram, &cfg, &pool), MMB_OK);
  assert_int_equal(mmb_unmapped_subscribe(record, &s), MMB_OK);
  assert_int_equal(mmb_alloc(pool, 1 << 20, 0, &q), MMB_OK); /* arena A */
  assert_int_equal(mmb_alloc(pool, 3 << 20, 0, &f), MMB_OK); /* fills A */
  assert_int_equal(mmb_alloc(pool, 4 << 20, 0, &z), MMB_OK); /* arena B */
  assert_int_equal(mmb_free(z), MMB_OK);                     /* B kept */
  assert_int_equal(mmb_free(q), MMB_OK);                     /* A still used */
  assert_int_equal(s.n, 0);              /* a pool's own frees keep the memory mapped */
  assert_int_equal(mmb_free(f), MMB_OK); /* A returned to the space */
  assert_int_equal(s.n, 1);
  assert_true(covered(&s, q, 1 << 20));
  assert_true(covered(&s, f, 3 << 20));
  assert_false(covered(&s, z, 4 << 20));
  assert_int_equal(mmb_interface_destroy(pool), MMB_OK); /* B returned too */
  assert_true(covered(&s, z, 4 << 20));
  assert_int_equal(mmb_unmapped_unsubscribe(record, &s), MMB_OK);
}

static void test_bad_arguments(void **state)
{
  (void)state;
  struct seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
  assert_int_equal(mmb_unmapped_subscribe(NULL, &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_unmapped_unsubscribe(record, &s), MMB_NOT_FOUND);
  /* a pair subscribed twice is told twice and unsubscribed once per call */
  assert_int_equal(mmb_unmapped_subscribe(record, &s), MMB_OK);
  assert_int_equal(mmb_unmapped_subscribe(record, &s), MMB_OK);
  mmbMemSpace *dram = NULL;
  mmbMemInterface *sys = NULL;
  void *p = NULL;
  mmb_space_default(&dram);
  mmb_space_interface(dram, MMB_STRATEGY_SYSTEM, &sys);
  assert_int_equal(mmb_alloc(sys, 4096, 0, &p), MMB_OK);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(s.n, 2);
  assert_int_equal(mmb_unmapped_unsubscribe(record, &s), MMB_OK);
  assert_int_equal(mmb_unmapped_unsubscribe(record, &s), MMB_OK);
  assert_int_equal(mmb_unmapped_unsubscribe(record, &s), MMB_NOT_FOUND);
}

/* A handler that must never run once its unsubscribe returned. */
struct guarded {
  atomic_bool subscribed;
  atomic_int late, calls;
};
static void guarded_fn(void *ctx, const void *addr, size_t len)
{
  struct guarded *g = ctx;
  (void)addr;
  (void)len;
  if (!atomic_load(&g->subscribed))
    atomic_fetch_add(&g->late, 1);
  atomic_fetch_add(&g->calls, 1);
}

static atomic_bool stop_freeing;
static void *freeing(void *v)
{
  mmbMemInterface *sys = v;
  while (!atomic_load(&stop_freeing)) {
    void *p = NULL;
    if (mmb_alloc(sys, 256, 0, &p) != MMB_OK || mmb_free(p) != MMB_OK)
      return (void *)1;
  }
  return NULL;
}

static void test_unsubscribe_while_freeing(void **state)
{
  (void)state;
  mmbMemSpace *dram = NULL;
  mmbMemInterface *sys = NULL;
  mmb_space_default(&dram);
  mmb_space_interface(dram, MMB_STRATEGY_SYSTEM, &sys);
  struct guarded g = {0};
  pthread_t t[2];
  atomic_store(&stop_freeing, false);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, freeing, sys), 0);
  int total = 0;
  for (int round = 0; round < 200; round++) {
    atomic_store(&g.subscribed, true);
    assert_int_equal(mmb_unmapped_subscribe(guarded_fn, &g), MMB_OK);
    for (int spin = 0; spin < 1000 && atomic_load(&g.calls) == total; spin++)
      sched_yield();
    assert_int_equal(mmb_unmapped_unsubscribe(guarded_fn, &g), MMB_OK);
    atomic_store(&g.subscribed, false);
    total = atomic_load(&g.calls);
  }
  atomic_store(&stop_freeing, true);
  for (int i = 0; i < 2; i++) {
    void *rc = NULL;
    pthread_join(t[i], &rc);
    assert_null(rc);
  }
  assert_int_equal(atomic_load(&g.late), 0);
  assert_true(atomic_load(&g.calls) > 0);
}

/* The registration cache listens: an entry of freed memory is deregistered
 * by the free itself, before any other call of the cache. */
static atomic_int deregs;
static int reg_fn(void *ctx, void *addr, size_t len, void **handle)
{
  (void)ctx;
  (void)addr;
  (void)len;
  *handle = malloc(1);
  return *handle ? 0 : -1;
}
static int dereg_fn(void *ctx, void *handle)
{
  (void)ctx;
  free(handle);
  atomic_fetch_add(&deregs, 1);
  return 0;
}

static void test_cache_invalidated_at_free(void **state)
{
  (void)state;
  mmb_registrar r = {.reg = reg_fn, .dereg = dereg_fn};
  mmbRegCache *c = NULL;
  mmbRegEntry *e = NULL;
  mmbMemSpace *dram = NULL;
  mmbMemInterface *sys = NULL;
  void *p = NULL;
  mmb_space_default(&dram);
  mmb_space_interface(dram, MMB_STRATEGY_SYSTEM, &sys);
  assert_int_equal(mmb_regcache_create(&r, NULL, &c), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 1 << 16, 4096, &p), MMB_OK);
  assert_int_equal(mmb_regcache_acquire(c, p, 1 << 16, &e), MMB_OK);
  assert_int_equal(mmb_regcache_release(c, e), MMB_OK);
  int before = atomic_load(&deregs);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(atomic_load(&deregs), before + 1);
  mmb_regcache_stats s;
  assert_int_equal(mmb_regcache_get_stats(c, &s), MMB_OK);
  assert_int_equal(s.invalidations, 1);
  assert_int_equal(s.entries, 0);
  /* a destroyed cache no longer listens */
  assert_int_equal(mmb_regcache_destroy(c), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 1 << 16, 4096, &p), MMB_OK);
  assert_int_equal(mmb_free(p), MMB_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_system_free, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool_region, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unsubscribe_while_freeing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_invalidated_at_free, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
