/* SPDX-License-Identifier: BSD-3-Clause */
/* Every strategy under random alloc/free sequences checked against a shadow
 * model (no overlap, alignment, contents intact, counters), invalid frees,
 * introspection, coalescing and the return of memory above the high-water. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mamba.h"

#define NLIVE 300

struct live {
  unsigned char *p;
  size_t size, align;
  unsigned char pat;
};

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static size_t rand_size(size_t max)
{
  size_t s;
  switch (rnd() % 10) {
  case 0:
  case 1:
  case 2:
  case 3:
    s = 1 + rnd() % 128;
    break;
  case 4:
  case 5:
  case 6:
    s = 1 + rnd() % 8192;
    break;
  case 7:
  case 8:
    s = 1 + rnd() % (300 << 10);
    break;
  default:
    s = 1 + rnd() % (6 << 20);
  }
  return s > max ? 1 + s % max : s;
}

static void fill(struct live *l)
{
  /* whole block for small ones, head/middle/tail stripes for big ones */
  if (l->size <= 65536) {
    memset(l->p, l->pat, l->size);
  } else {
    memset(l->p, l->pat, 4096);
    memset(l->p + l->size / 2, l->pat, 1);
    memset(l->p + l->size - 4096, l->pat, 4096);
  }
}
static void verify(const struct live *l)
{
  if (l->size <= 65536) {
    for (size_t i = 0; i < l->size; i++)
      if (l->p[i] != l->pat)
        fail_msg("block %p (%zu bytes) corrupted at %zu", (void *)l->p, l->size, i);
  } else {
    for (size_t i = 0; i < 4096; i++)
      if (l->p[i] != l->pat || l->p[l->size - 4096 + i] != l->pat)
        fail_msg("block %p (%zu bytes) corrupted", (void *)l->p, l->size);
    assert_int_equal(l->p[l->size / 2], l->pat);
  }
}

/* Random sequence against the shadow model. */
static void run_model(mmbMemInterface *iface, size_t max_size, bool random_align, int ops)
{
  struct live live[NLIVE];
  size_t n = 0;
  mmb_stats st;
  mmb_stats before;
  assert_int_equal(mmb_interface_get_stats(iface, &before), MMB_OK);
  for (int op = 0; op < ops; op++) {
    bool do_alloc = n == 0 || (n < NLIVE && rnd() % 100 < 55);
    if (do_alloc) {
      struct live l;
      l.size = rand_size(max_size);
      l.align = random_align ? ((size_t)1 << (4 + rnd() % 9)) : 0; /* 16 .. 4096 */
      if (random_align && rnd() % 50 == 0)
        l.align = (size_t)1 << 16;
      l.pat = (unsigned char)(1 + rnd() % 250);
      void *p = NULL;
      mmb_status s = mmb_alloc(iface, l.size, l.align, &p);
      if (s != MMB_OK)
        fail_msg("alloc of %zu (align %zu) failed: %s", l.size, l.align, mmb_status_description(s));
      l.p = p;
      assert_int_equal((uintptr_t)p % (l.align ? l.align : 16), 0);
      for (size_t i = 0; i < n; i++)
        if (l.p < live[i].p + live[i].size && live[i].p < l.p + l.size)
          fail_msg("overlap: %p+%zu and %p+%zu", p, l.size, (void *)live[i].p, live[i].size);
      mmbMemInterface *owner = NULL;
      size_t usable = 0;
      assert_int_equal(mmb_ptr_info(p, &owner, NULL, &usable), MMB_OK);
      assert_ptr_equal(owner, iface);
      assert_true(usable >= l.size);
      fill(&l);
      live[n++] = l;
    } else {
      size_t k = rnd() % n;
      verify(&live[k]);
      assert_int_equal(mmb_free_in(iface, live[k].p), MMB_OK);
      live[k] = live[--n];
    }
    if (op % 97 == 0) {
      assert_int_equal(mmb_interface_get_stats(iface, &st), MMB_OK);
      assert_int_equal(st.live_allocs - before.live_allocs, n);
    }
  }
  while (n > 0) {
    verify(&live[n - 1]);
    assert_int_equal(mmb_free_in(iface, live[--n].p), MMB_OK);
  }
  assert_int_equal(mmb_interface_get_stats(iface, &st), MMB_OK);
  assert_int_equal(st.live_allocs, before.live_allocs);
  assert_int_equal(st.bytes_in_use, before.bytes_in_use);
  assert_true(st.total_allocs >= before.total_allocs);
  assert_true(st.bytes_in_use_hwm > 0);
  assert_int_equal(st.hits + st.misses, st.total_allocs);
  mmb_interface_print_stats(iface, stdout);
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

static mmbMemSpace *space_of(const char *name)
{
  mmbMemSpace *s = NULL;
  assert_int_equal(mmb_space_find(name, &s), MMB_OK);
  return s;
}

static void test_model_system(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  assert_int_equal(mmb_space_interface(space_of("DRAM"), MMB_STRATEGY_SYSTEM, &i), MMB_OK);
  run_model(i, 8 << 20, true, 3000);
  /* system allocator of a NUMA space (mmap + mbind) */
  assert_int_equal(mmb_space_interface(space_of("NUMA:0"), MMB_STRATEGY_SYSTEM, &i), MMB_OK);
  run_model(i, 1 << 20, true, 800);
}

static void test_model_pool(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  assert_int_equal(mmb_space_interface(space_of("DRAM"), MMB_STRATEGY_POOL, &i), MMB_OK);
  run_model(i, 8 << 20, true, 6000);
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL,
                              .no_thread_cache = true,
                              .high_water = 1 << 20,
                              .arena_size = 8 << 20};
  assert_int_equal(mmb_interface_create(space_of("NUMA:0"), &cfg, &i), MMB_OK);
  run_model(i, 8 << 20, true, 6000);
  mmb_stats st;
  mmb_interface_get_stats(i, &st);
  assert_true(st.returned_bytes > 0); /* small high-water: memory went back */
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);
}

static void test_model_slots(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_SLOTS, .slot_size = 1000};
  assert_int_equal(mmb_interface_create(space_of("DRAM"), &cfg, &i), MMB_OK);
  run_model(i, 1000, false, 5000);
  void *p = NULL;
  assert_int_equal(mmb_alloc(i, 1001, 0, &p), MMB_INVALID_ARG);
  assert_int_equal(mmb_alloc(i, 8, 4096, &p), MMB_INVALID_ARG); /* 1008 is not 4096-aligned */
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);

  /* bounded slots */
  mmb_interface_config b = {.strategy = MMB_STRATEGY_SLOTS, .slot_size = 4096, .max_slots = 10};
  assert_int_equal(mmb_interface_create(space_of("DRAM"), &b, &i), MMB_OK);
  void *ptrs[10];
  for (int k = 0; k < 10; k++) {
    assert_int_equal(mmb_alloc(i, 4096, 4096, &ptrs[k]), MMB_OK);
    assert_int_equal((uintptr_t)ptrs[k] % 4096, 0);
  }
  assert_int_equal(mmb_alloc(i, 1, 0, &p), MMB_LIMIT);
  assert_int_equal(mmb_free(ptrs[3]), MMB_OK);
  assert_int_equal(mmb_alloc(i, 1, 0, &p), MMB_OK);
  assert_ptr_equal(p, ptrs[3]);
  /* destroying with live slots is reported */
  assert_int_equal(mmb_interface_destroy(i), MMB_BUSY);
  assert_int_equal(mmb_interface_create(space_of("DRAM"),
                                        &(mmb_interface_config){.strategy = MMB_STRATEGY_SLOTS},
                                        &i),
                   MMB_INVALID_ARG);
}

static void test_invalid_frees(void **state)
{
  (void)state;
  mmbMemInterface *pool = NULL, *sys = NULL, *other = NULL;
  int on_stack = 0;
  void *p = NULL, *q = NULL, *r = NULL;
  assert_int_equal(mmb_space_interface(space_of("DRAM"), MMB_STRATEGY_POOL, &pool), MMB_OK);
  assert_int_equal(mmb_space_interface(space_of("DRAM"), MMB_STRATEGY_SYSTEM, &sys), MMB_OK);
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL};
  assert_int_equal(mmb_interface_create(space_of("NUMA:0"), &cfg, &other), MMB_OK);
  mmb_stats before;
  mmb_interface_get_stats(pool, &before);

  assert_int_equal(mmb_alloc(pool, 100, 0, &p), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 100, 0, &q), MMB_OK);
  assert_int_equal(mmb_alloc(other, 1 << 20, 0, &r), MMB_OK);
  /* foreign pointers: stack, malloc, never allocated */
  assert_int_equal(mmb_free(&on_stack), MMB_INVALID_FREE);
  void *m = malloc(64);
  assert_int_equal(mmb_free(m), MMB_INVALID_FREE);
  assert_int_equal(mmb_free_in(pool, m), MMB_INVALID_FREE);
  free(m);
  assert_int_equal(mmb_free((void *)(uintptr_t)0x10), MMB_INVALID_FREE);
  /* interior pointers */
  assert_int_equal(mmb_free((char *)p + 16), MMB_INVALID_FREE);
  assert_int_equal(mmb_free((char *)r + 65536), MMB_INVALID_FREE);
  assert_int_equal(mmb_free((char *)q + 1), MMB_INVALID_FREE);
  /* pointer of another interface / space */
  assert_int_equal(mmb_free_in(pool, r), MMB_INVALID_FREE);
  assert_int_equal(mmb_free_in(pool, q), MMB_INVALID_FREE);
  assert_int_equal(mmb_free_in(sys, p), MMB_INVALID_FREE);
  assert_int_equal(mmb_free_in(other, p), MMB_INVALID_FREE);
  /* nothing was freed by the refused calls */
  memset(p, 1, 100);
  memset(q, 2, 100);
  memset(r, 3, 1 << 20);
  /* proper frees, then double frees */
  assert_int_equal(mmb_free_in(pool, p), MMB_OK);
  assert_int_equal(mmb_free_in(pool, p), MMB_INVALID_FREE);
  assert_int_equal(mmb_free(p), MMB_INVALID_FREE);
  assert_int_equal(mmb_free(q), MMB_OK);
  assert_int_equal(mmb_free(q), MMB_INVALID_FREE);
  assert_int_equal(mmb_free_in(other, r), MMB_OK);
  assert_int_equal(mmb_free_in(other, r), MMB_INVALID_FREE);
  assert_int_equal(mmb_free(NULL), MMB_OK);
  mmb_stats st;
  mmb_interface_get_stats(pool, &st);
  assert_true(st.invalid_frees >= before.invalid_frees + 4);
  assert_int_equal(st.live_allocs, before.live_allocs);
  assert_int_equal(mmb_interface_destroy(other), MMB_OK);
  assert_int_equal(mmb_interface_destroy(pool), MMB_INVALID_ARG); /* a default interface */
  assert_int_equal(mmb_alloc(pool, 0, 0, &p), MMB_INVALID_ARG);
  assert_int_equal(mmb_alloc(pool, 10, 3, &p), MMB_INVALID_ARG);
  assert_int_equal(mmb_alloc(pool, 10, (size_t)1 << 30, &p), MMB_INVALID_ARG);
  assert_int_equal(mmb_alloc(pool, (size_t)1 << 62, 0, &p), MMB_INVALID_ARG);
  assert_int_equal(mmb_alloc(NULL, 10, 0, &p), MMB_INVALID_ARG);
  assert_int_equal(mmb_ptr_info(&on_stack, NULL, NULL, NULL), MMB_NOT_FOUND);
}

/* The inline paths of mmb_alloc()/mmb_free*() (a thread-cache hit or push
 * of a host pool): whatever they do not fully vouch for must reach the slow
 * path and be refused there, with nothing changed. */
static void test_inline_paths(void **state)
{
  (void)state;
  mmbMemInterface *pool = NULL, *other = NULL;
  void *p = NULL, *q = NULL, *x = NULL;
  mmb_stats before, st;
  assert_int_equal(mmb_space_interface(space_of("DRAM"), MMB_STRATEGY_POOL, &pool), MMB_OK);
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL};
  assert_int_equal(mmb_interface_create(space_of("DRAM"), &cfg, &other), MMB_OK);
  mmb_interface_get_stats(pool, &before);

  /* a bad alignment is refused even when the bin holds a block */
  assert_int_equal(mmb_alloc(pool, 10, 0, &p), MMB_OK);
  assert_int_equal(mmb_free_in(pool, p), MMB_OK);
  assert_int_equal(mmb_alloc(pool, 10, 3, &q), MMB_INVALID_ARG);
  assert_null(q);
  assert_int_equal(mmb_alloc(pool, 10, 24, &q), MMB_INVALID_ARG);
  assert_int_equal(mmb_alloc(pool, 10, 16, &q), MMB_OK);
  assert_ptr_equal(q, p); /* LIFO: the cached block */
  assert_int_equal(mmb_free_in(pool, q), MMB_OK);
  assert_int_equal(mmb_free_in(NULL, q), MMB_INVALID_ARG);

  /* a block start never handed out, and the offset just past the last
   * block of its segment (112-byte class: 37449 blocks in 4 MiB) */
  assert_int_equal(mmb_alloc(pool, 100, 0, &p), MMB_OK);
  char *seg = (char *)((uintptr_t)p & ~(uintptr_t)((4 << 20) - 1));
  assert_int_equal(mmb_free(seg + (size_t)37449 * 112), MMB_INVALID_FREE);
  assert_int_equal(mmb_free_in(pool, seg + (size_t)37440 * 112), MMB_INVALID_FREE);
  memset(p, 0xab, 100); /* still ours */
  /* double free straight after the free, while the block is cached */
  assert_int_equal(mmb_free_in(pool, p), MMB_OK);
  assert_int_equal(mmb_free_in(pool, p), MMB_INVALID_FREE);
  assert_int_equal(mmb_free(p), MMB_INVALID_FREE);

  /* large blocks (arena path): interior quantum, double free, other pool */
  assert_int_equal(mmb_alloc(pool, 1 << 20, 0, &x), MMB_OK);
  assert_int_equal(mmb_free((char *)x + (64 << 10)), MMB_INVALID_FREE);
  assert_int_equal(mmb_free((char *)x + 8), MMB_INVALID_FREE);
  assert_int_equal(mmb_free_in(other, x), MMB_INVALID_FREE);
  memset(x, 0xcd, 1 << 20);
  assert_int_equal(mmb_free_in(pool, x), MMB_OK);
  assert_int_equal(mmb_free_in(pool, x), MMB_INVALID_FREE);

  /* a thread alternating between two pools: each free goes to its own */
  void *a[8], *b[8];
  for (int round = 0; round < 3; round++) {
    for (int k = 0; k < 8; k++) {
      assert_int_equal(mmb_alloc(pool, 64 << (k % 3 * 7), 0, &a[k]), MMB_OK);
      assert_int_equal(mmb_alloc(other, 64 << (k % 3 * 7), 0, &b[k]), MMB_OK);
    }
    for (int k = 0; k < 8; k++) {
      mmbMemInterface *owner = NULL;
      assert_int_equal(mmb_ptr_info(a[k], &owner, NULL, NULL), MMB_OK);
      assert_ptr_equal(owner, pool);
      assert_int_equal(mmb_ptr_info(b[k], &owner, NULL, NULL), MMB_OK);
      assert_ptr_equal(owner, other);
      assert_int_equal(mmb_free_in(other, a[k]), MMB_INVALID_FREE);
      assert_int_equal(mmb_free_in(pool, b[k]), MMB_INVALID_FREE);
      assert_int_equal(mmb_free_in(pool, a[k]), MMB_OK);
      assert_int_equal(mmb_free(b[k]), MMB_OK);
    }
  }
  mmb_interface_get_stats(other, &st);
  assert_int_equal(st.live_allocs, 0);
  assert_int_equal(st.bytes_in_use, 0);
  assert_int_equal(st.total_allocs, 24);

  /* large blocks of many classes: the thread's byte budget for cached
   * large blocks (32 MiB by default) is used up and slots move between
   * bins; every block stays usable and accounted for */
  for (int round = 0; round < 2; round++) {
    void *v[24];
    for (int k = 0; k < 24; k++) {
      assert_int_equal(mmb_alloc(other, (size_t)(300 + 700 * k) << 10, 0, &v[k]), MMB_OK);
      memset(v[k], k, 4096);
    }
    for (int k = 0; k < 24; k++) {
      assert_int_equal(((unsigned char *)v[k])[4095], (unsigned char)k);
      assert_int_equal(mmb_free_in(other, v[k]), MMB_OK);
      assert_int_equal(mmb_free_in(other, v[k]), MMB_INVALID_FREE);
    }
  }
  mmb_interface_get_stats(other, &st);
  assert_int_equal(st.live_allocs, 0);
  assert_int_equal(st.bytes_in_use, 0);
  assert_true(st.invalid_frees >= 48);
  assert_int_equal(mmb_interface_destroy(other), MMB_OK);

  /* the inline allocation computes the size class itself: at every class
   * boundary up to 64 MiB (16..128 step 16, then four per doubling) a
   * block of the boundary size and one byte more, cached by a free, come
   * back for the same sizes, at least as large as asked and at most one
   * class step larger */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t cs = 16; cs <= ((size_t)64 << 20);) {
      void *b1 = NULL, *b2 = NULL;
      size_t u1 = 0, u2 = 0;
      assert_int_equal(mmb_alloc(pool, cs, 0, &b1), MMB_OK);
      assert_int_equal(mmb_alloc(pool, cs + 1, 0, &b2), MMB_OK);
      assert_int_equal(mmb_ptr_info(b1, NULL, NULL, &u1), MMB_OK);
      assert_int_equal(mmb_ptr_info(b2, NULL, NULL, &u2), MMB_OK);
      if (cs <= ((size_t)256 << 10)) /* small classes: the class size itself */
        assert_int_equal(u1, cs);
      assert_true(u1 >= cs && u2 >= cs + 1 && u2 > u1);
      assert_true(u2 - cs <= cs / 4 + 16 || u2 - cs <= (64 << 10));
      assert_int_equal(mmb_free_in(pool, b1), MMB_OK);
      assert_int_equal(mmb_free_in(pool, b2), MMB_OK);
      if (cs < 128) {
        cs += 16;
      } else {
        size_t q = (size_t)1 << (63 - __builtin_clzll((unsigned long long)cs) - 2);
        cs += q; /* 5/4, 6/5, 7/6, 8/7 steps: next class size */
      }
    }
  }

  mmb_interface_get_stats(pool, &st);
  assert_int_equal(st.live_allocs, before.live_allocs);
  assert_int_equal(st.bytes_in_use, before.bytes_in_use);
  assert_true(st.invalid_frees >= before.invalid_frees + 7);
}

static void test_coalesce_and_return(void **state)
{
  (void)state;
  mmbMemInterface *i = NULL;
  mmb_stats st, st2;
  mmb_interface_config cfg = {.strategy = MMB_STRATEGY_POOL,
                              .no_thread_cache = true,
                              .arena_size = 16 << 20,
                              .high_water = 4 << 20};
  assert_int_equal(mmb_interface_create(space_of("DRAM"), &cfg, &i), MMB_OK);
  /* three 4 MiB blocks fill most of one arena */
  void *a, *b, *c, *big;
  assert_int_equal(mmb_alloc(i, 4 << 20, 0, &a), MMB_OK);
  assert_int_equal(mmb_alloc(i, 4 << 20, 0, &b), MMB_OK);
  assert_int_equal(mmb_alloc(i, 4 << 20, 0, &c), MMB_OK);
  mmb_interface_get_stats(i, &st);
  assert_int_equal(st.misses, 1); /* one arena */
  assert_int_equal(st.bytes_reserved, 16 << 20);
  assert_int_equal(st.largest_free, 4 << 20);
  /* free the middle and one neighbour: they coalesce into 8 MiB */
  assert_int_equal(mmb_free(b), MMB_OK);
  assert_int_equal(mmb_free(a), MMB_OK);
  mmb_interface_get_stats(i, &st);
  assert_int_equal(st.largest_free, 8 << 20);
  assert_int_equal(mmb_alloc(i, 7 << 20, 0, &big), MMB_OK); /* 8 MiB class, same arena */
  mmb_interface_get_stats(i, &st2);
  assert_int_equal(st2.misses, 1);
  assert_int_equal(mmb_free(big), MMB_OK);
  assert_int_equal(mmb_free(c), MMB_OK);
  /* all free, but nothing else is cached: the arena stays (returning it
   * would leave less than the 4 MiB high-water cached) */
  mmb_interface_get_stats(i, &st);
  assert_int_equal(st.bytes_reserved, 16 << 20);
  assert_int_equal(st.largest_free, 16 << 20);
  assert_int_equal(st.returned_bytes, 0);
  /* an oversized block gets its own arena, returned when freed: 16 MiB of
   * free memory remain cached, above the high-water */
  assert_int_equal(mmb_alloc(i, 40 << 20, 1 << 20, &a), MMB_OK);
  assert_int_equal((uintptr_t)a % (1 << 20), 0);
  mmb_interface_get_stats(i, &st);
  assert_int_equal(st.bytes_in_use, 40 << 20);
  assert_int_equal(st.bytes_reserved, 56 << 20);
  assert_int_equal(mmb_free(a), MMB_OK);
  mmb_interface_get_stats(i, &st);
  assert_int_equal(st.bytes_reserved, 16 << 20);
  assert_int_equal(st.returned_bytes, 40 << 20);
  assert_int_equal(st.bytes_reserved_hwm, 56 << 20);
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);

  /* below the high-water memory stays cached: a second round costs no miss */
  cfg.high_water = 64 << 20;
  assert_int_equal(mmb_interface_create(space_of("DRAM"), &cfg, &i), MMB_OK);
  for (int round = 0; round < 2; round++) {
    void *v[64];
    for (int k = 0; k < 64; k++)
      assert_int_equal(mmb_alloc(i, 1000, 0, &v[k]), MMB_OK);
    for (int k = 0; k < 64; k++)
      assert_int_equal(mmb_free(v[k]), MMB_OK);
  }
  mmb_interface_get_stats(i, &st);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.hits, 127);
  assert_int_equal(st.bytes_reserved, 4 << 20);
  assert_true(st.largest_free >= 1024);
  assert_int_equal(st.live_allocs, 0);
  assert_int_equal(mmb_interface_destroy(i), MMB_OK);
}

static void test_space_stats_and_copy(void **state)
{
  (void)state;
  mmbMemSpace *numa = space_of("NUMA:0"), *dram = space_of("DRAM");
  mmb_stats s0, s1;
  mmb_space_get_stats(numa, &s0);
  void *a = NULL, *b = NULL;
  assert_int_equal(mmb_alloc_in("NUMA:0", 3 << 20, &a), MMB_OK);
  assert_int_equal(mmb_alloc_in("DRAM", 3 << 20, &b), MMB_OK);
  mmb_space_get_stats(numa, &s1);
  assert_true(s1.bytes_in_use > s0.bytes_in_use);
  assert_true(s1.bytes_in_use_hwm >= s1.bytes_in_use);
  mmbMemSpace *sp = NULL;
  assert_int_equal(mmb_ptr_info(a, NULL, &sp, NULL), MMB_OK);
  assert_ptr_equal(sp, numa);
  for (size_t k = 0; k < (3u << 20); k++)
    ((unsigned char *)a)[k] = (unsigned char)(k * 7);
  assert_int_equal(mmb_copy(b, dram, a, numa, 3 << 20), MMB_OK);
  assert_memory_equal(a, b, 3 << 20);
  memset(b, 0, 3 << 20);
  assert_int_equal(mmb_copy(b, NULL, a, NULL, 3 << 20), MMB_OK); /* spaces looked up */
  assert_memory_equal(a, b, 3 << 20);
  assert_int_equal(mmb_copy(a, NULL, (char *)a + 10, NULL, 100), MMB_INVALID_ARG);
  assert_int_equal(mmb_copy(NULL, NULL, a, NULL, 100), MMB_INVALID_ARG);
  assert_int_equal(mmb_memset(b, NULL, 0x5a, 1000), MMB_OK);
  assert_int_equal(((unsigned char *)b)[999], 0x5a);
  assert_int_equal(mmb_free(a), MMB_OK);
  assert_int_equal(mmb_free(b), MMB_OK);
  assert_int_equal(mmb_alloc_in("GPU:999", 10, &a), MMB_NOT_FOUND);
  assert_int_equal(mmb_alloc_in("NUMA:zz", 10, &a), MMB_INVALID_ARG);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_model_system),        cmocka_unit_test(test_model_pool),
      cmocka_unit_test(test_model_slots),         cmocka_unit_test(test_invalid_frees),
      cmocka_unit_test(test_coalesce_and_return), cmocka_unit_test(test_space_stats_and_copy),
      cmocka_unit_test(test_inline_paths),
  };
  return cmocka_run_group_tests_name("mamba allocation", tests, setup, teardown);
}
