/* SPDX-License-Identifier: BSD-3-Clause */
/* Concurrent alloc/free from several threads, including frees of blocks
 * allocated by other threads (run under TSan in the thread-sanitizer build). */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mamba.h"

#define NTHREADS 4
#define OPS      20000
#define RING     256

struct shared {
  mmbMemInterface *iface;
  size_t max_size;
  pthread_mutex_t lock;
  void *ring[RING];
  size_t ring_size[RING];
  size_t head, tail;
  _Atomic int errors;
};

struct targ {
  struct shared *sh;
  unsigned seed;
};

static size_t pick(unsigned *seed, size_t max)
{
  unsigned r = rand_r(seed);
  size_t s = (r % 8 == 0) ? 1 + (size_t)rand_r(seed) % (2u << 20) : 1 + (size_t)r % 2048;
  return s > max ? 1 + s % max : s;
}

static void check_and_free(struct shared *sh, void *p, size_t size)
{
  unsigned char pat = (unsigned char)((uintptr_t)p >> 4);
  unsigned char *c = p;
  if (c[0] != pat || c[size - 1] != pat)
    atomic_fetch_add(&sh->errors, 1);
  if (mmb_free_in(sh->iface, p) != MMB_OK)
    atomic_fetch_add(&sh->errors, 1);
}

static void *worker(void *v)
{
  struct targ *a = v;
  struct shared *sh = a->sh;
  void *mine[64];
  size_t mine_size[64];
  int n = 0;
  for (int op = 0; op < OPS; op++) {
    unsigned r = rand_r(&a->seed) % 10;
    if (r < 5 && n < 64) {
      size_t s = pick(&a->seed, sh->max_size);
      void *p = NULL;
      if (mmb_alloc(sh->iface, s, 0, &p) != MMB_OK) {
        atomic_fetch_add(&sh->errors, 1);
        continue;
      }
      unsigned char pat = (unsigned char)((uintptr_t)p >> 4);
      ((unsigned char *)p)[0] = pat;
      ((unsigned char *)p)[s - 1] = pat;
      if (rand_r(&a->seed) % 3 == 0) { /* hand it to another thread */
        pthread_mutex_lock(&sh->lock);
        if (sh->head - sh->tail < RING) {
          sh->ring[sh->head % RING] = p;
          sh->ring_size[sh->head % RING] = s;
          sh->head++;
          p = NULL;
        }
        pthread_mutex_unlock(&sh->lock);
      }
      if (p) {
        mine[n] = p;
        mine_size[n++] = s;
      }
    } else if (r < 8 && n > 0) {
      int k = (int)(rand_r(&a->seed) % (unsigned)n);
      check_and_free(sh, mine[k], mine_size[k]);
      mine[k] = mine[--n];
      mine_size[k] = mine_size[n];
    } else {
      void *p = NULL;
      size_t s = 0;
      pthread_mutex_lock(&sh->lock);
      if (sh->head != sh->tail) {
        p = sh->ring[sh->tail % RING];
        s = sh->ring_size[sh->tail % RING];
        sh->tail++;
      }
      pthread_mutex_unlock(&sh->lock);
      if (p)
        check_and_free(sh, p, s);
    }
  }
  while (n > 0) {
    n--;
    check_and_free(sh, mine[n], mine_size[n]);
  }
  return NULL;
}

static void run(mmbMemInterface *iface, size_t max_size)
{
  struct shared sh = {.iface = iface, .max_size = max_size};
  pthread_t t[NTHREADS];
  struct targ args[NTHREADS];
  pthread_mutex_init(&sh.lock, NULL);
  for (int i = 0; i < NTHREADS; i++) {
    args[i].sh = &sh;
    args[i].seed = 1234u + (unsigned)i * 77u;
    assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
  }
  for (int i = 0; i < NTHREADS; i++)
    pthread_join(t[i], NULL);
  while (sh.head != sh.tail) {
    check_and_free(&sh, sh.ring[sh.tail % RING], sh.ring_size[sh.tail % RING]);
    sh.tail++;
  }
  assert_int_equal(atomic_load(&sh.errors), 0);
  mmb_stats st;
  assert_int_equal(mmb_interface_get_stats(iface, &st), MMB_OK);
  assert_int_equal(st.live_allocs, 0);
  assert_int_equal(st.bytes_in_use, 0);
  assert_int_equal(st.invalid_frees, 0);
  mmb_interface_print_stats(iface, stdout);
  pthread_mutex_destroy(&sh.lock);
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

static mmbMemSpace *dram(void)
{
  mmbMemSpace *s = NULL;
  assert_int_equal(mmb_space_default(&s), MMB_OK);
  return s;
}

static void test_pool_threads(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  assert_int_equal(mmb_space_interface(dram(), MMB_STRATEGY_POOL, &i), MMB_OK);
  run(i, 4 << 20);
}

static void test_pool_small_high_water(void **state)
{
  (void)state;
  /* memory returned to the space while other threads allocate */
  mmbMemInterface *i = NULL;
  mmb_interface_config cfg = {
      .strategy = MMB_STRATEGY_POOL, .high_water = 1, .arena_size = 4 << 20};
  assert_int_equal(mmb_interface_create(dram(), &cfg, &i), MMB_OK);
  run(i, 4 << 20);
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);
}

static void test_pool_no_tcache(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL, .no_thread_cache = true};
  assert_int_equal(mmb_interface_create(dram(), &cfg, &i), MMB_OK);
  run(i, 1 << 20);
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);
}

static void test_slots_threads(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_SLOTS, .slot_size = 256};
  assert_int_equal(mmb_interface_create(dram(), &cfg, &i), MMB_OK);
  run(i, 256);
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);
  mmb_interface_config b = {.strategy = MMB_STRATEGY_SLOTS, .slot_size = 64, .max_slots = 100000};
  assert_int_equal(mmb_interface_create(dram(), &b, &i), MMB_OK);
  run(i, 64);
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);
}

static void test_system_threads(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  assert_int_equal(mmb_space_interface(dram(), MMB_STRATEGY_SYSTEM, &i), MMB_OK);
  run(i, 1 << 20);
}

/* Threads that exit while holding cached blocks, and a pool destroyed while
 * other threads' caches still reference it. */
static void *touch(void *v)
{
  mmbMemInterface *i = v;
  void *p = NULL;
  for (int k = 0; k < 100; k++) {
    if (mmb_alloc(i, 100, 0, &p) == MMB_OK)
      mmb_free(p);
  }
  return NULL;
}

static void test_thread_exit_and_destroy(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL};
  for (int round = 0; round < 20; round++) {
    assert_int_equal(mmb_interface_create(dram(), &cfg, &i), MMB_OK);
    pthread_t t[3];
    for (int k = 0; k < 3; k++)
      pthread_create(&t[k], NULL, touch, i);
    for (int k = 0; k < 3; k++)
      pthread_join(t[k], NULL);
    touch(i); /* this thread's cache too */
    mmb_stats st;
    mmb_interface_get_stats(i, &st);
    assert_int_equal(st.live_allocs, 0);
    assert_int_equal(st.total_allocs, 400);
    assert_int_equal(mmb_interface_destroy(i), MMB_OK);
  }
  /* more pools than a thread has cache slots */
  mmbMemInterface *many[12];
  for (int k = 0; k < 12; k++) {
    assert_int_equal(mmb_interface_create(dram(), &cfg, &many[k]), MMB_OK);
    touch(many[k]);
  }
  for (int k = 0; k < 12; k++) {
    touch(many[k]);
    mmb_stats st;
    mmb_interface_get_stats(many[k], &st);
    assert_int_equal(st.live_allocs, 0);
    assert_int_equal(st.total_allocs, 200);
    assert_int_equal(mmb_interface_destroy(many[k]), MMB_OK);
  }
}

/* Statistics are kept per thread and summed on query (the inline free
 * counts nothing: frees are derived from the blocks a thread cache took
 * from and gave to the central lists). Exact figures while the threads
 * are parked, after one of them exited, with bins that overflow (blocks
 * given back) and refill (blocks taken) and with frees of blocks that
 * another thread allocated. */
struct statjob {
  mmbMemInterface *iface;
  pthread_barrier_t *bar; /* parked here while the main thread queries */
  void *handed[12];       /* allocated here, freed by the main thread */
  size_t nhanded;
  uint64_t live_bytes; /* usable bytes still live, owned by this thread */
  uint64_t nlive, nallocs;
  void *live[200];
};

static void stat_alloc(struct statjob *j, size_t size, void **p)
{
  size_t usable = 0;
  assert_int_equal(mmb_alloc(j->iface, size, 0, p), MMB_OK);
  assert_int_equal(mmb_ptr_info(*p, NULL, NULL, &usable), MMB_OK);
  assert_true(usable >= size);
  memset(*p, 0x5a, 16);
  j->nallocs++;
}

static void *stat_worker(void *v)
{
  struct statjob *j = v;
  static const size_t sizes[] = {64, 4096, 65536, 1 << 20, 16 << 20, 300 << 10};
  void *tmp[200];
  /* 200 small blocks freed at once: the 64-byte bin (64 entries)
   * overflows and gives blocks back; then 150 taken again, kept live */
  for (int k = 0; k < 200; k++)
    stat_alloc(j, 64, &tmp[k]);
  for (int k = 0; k < 200; k++)
    assert_int_equal(mmb_free_in(j->iface, tmp[k]), MMB_OK);
  for (int k = 0; k < 150; k++) {
    size_t usable = 0;
    stat_alloc(j, 64, &j->live[j->nlive]);
    mmb_ptr_info(j->live[j->nlive], NULL, NULL, &usable);
    j->live_bytes += usable;
    j->nlive++;
  }
  /* pairs of every kind of size, and blocks for the main thread */
  for (int r = 0; r < 50; r++) {
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      void *p;
      stat_alloc(j, sizes[k], &p);
      assert_int_equal(mmb_free_in(j->iface, p), MMB_OK);
    }
  }
  for (size_t k = 0; k < 12; k++)
    stat_alloc(j, sizes[k % (sizeof sizes / sizeof sizes[0])], &j->handed[j->nhanded++]);
  pthread_barrier_wait(j->bar); /* main queries */
  pthread_barrier_wait(j->bar); /* main done */
  while (j->nlive > 0)
    assert_int_equal(mmb_free_in(j->iface, j->live[--j->nlive]), MMB_OK);
  return NULL;
}

static uint64_t usable_sum(void *const *p, size_t n)
{
  uint64_t sum = 0;
  for (size_t k = 0; k < n; k++) {
    size_t u = 0;
    assert_int_equal(mmb_ptr_info(p[k], NULL, NULL, &u), MMB_OK);
    sum += u;
  }
  return sum;
}

static void test_stats_per_thread(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL};
  pthread_barrier_t bar, bar_exit;
  struct statjob a = {0}, b = {0};
  pthread_t ta, tb;
  mmb_stats st;
  assert_int_equal(mmb_interface_create(dram(), &cfg, &i), MMB_OK);
  a.iface = b.iface = i;
  a.bar = &bar_exit;
  b.bar = &bar;
  pthread_barrier_init(&bar, NULL, 2);
  pthread_barrier_init(&bar_exit, NULL, 2);
  /* a: runs to its end and exits, leaving its live blocks behind */
  assert_int_equal(pthread_create(&ta, NULL, stat_worker, &a), 0);
  pthread_barrier_wait(&bar_exit);
  pthread_barrier_wait(&bar_exit);
  pthread_join(ta, NULL);
  /* b: parked at its barrier while the main thread queries */
  assert_int_equal(pthread_create(&tb, NULL, stat_worker, &b), 0);
  pthread_barrier_wait(&bar);
  assert_int_equal(mmb_interface_get_stats(i, &st), MMB_OK);
  assert_int_equal(st.total_allocs, a.nallocs + b.nallocs);
  assert_int_equal(st.live_allocs, a.nhanded + b.nlive + b.nhanded);
  assert_int_equal(st.bytes_in_use, usable_sum(a.handed, a.nhanded) + b.live_bytes +
                                        usable_sum(b.handed, b.nhanded));
  assert_int_equal(st.hits + st.misses, st.total_allocs);
  /* the main thread frees what a and b allocated (into its own cache) */
  for (size_t k = 0; k < a.nhanded; k++)
    assert_int_equal(mmb_free_in(i, a.handed[k]), MMB_OK);
  for (size_t k = 0; k < b.nhanded; k++)
    assert_int_equal(mmb_free(b.handed[k]), MMB_OK);
  assert_int_equal(mmb_interface_get_stats(i, &st), MMB_OK);
  assert_int_equal(st.live_allocs, b.nlive);
  assert_int_equal(st.bytes_in_use, b.live_bytes);
  assert_int_equal(st.total_allocs, a.nallocs + b.nallocs);
  pthread_barrier_wait(&bar);
  pthread_join(tb, NULL);
  assert_int_equal(mmb_interface_get_stats(i, &st), MMB_OK);
  assert_int_equal(st.live_allocs, 0);
  assert_int_equal(st.bytes_in_use, 0);
  assert_int_equal(st.total_allocs, a.nallocs + b.nallocs);
  assert_int_equal(st.invalid_frees, 0);
  pthread_barrier_destroy(&bar);
  pthread_barrier_destroy(&bar_exit);
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pool_threads),     cmocka_unit_test(test_pool_small_high_water),
      cmocka_unit_test(test_pool_no_tcache),   cmocka_unit_test(test_slots_threads),
      cmocka_unit_test(test_system_threads),   cmocka_unit_test(test_thread_exit_and_destroy),
      cmocka_unit_test(test_stats_per_thread),
  };
  return cmocka_run_group_tests_name("mamba threads", tests, setup, teardown);
}
