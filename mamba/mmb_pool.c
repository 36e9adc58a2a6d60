/* SPDX-License-Identifier: BSD-3-Clause */
/* Pool and slot strategies.
 *
 * Memory comes from the space in granule-aligned regions (4 MiB units) that
 * are entered in the global region table, so that any pointer is mapped to
 * its region with two loads and never dereferenced before it is known to be
 * ours (foreign pointers are refused without touching them). All metadata
 * lives in host memory outside the blocks, so the same code serves device
 * memory.
 *
 *  - small blocks (<= 256 KiB, 52 size classes: 16..128 step 16, then four
 *    per doubling) are cut from 4 MiB segments; each segment keeps a stack of
 *    free block indices and one state byte per block, written when a block
 *    leaves or re-enters the pool's central lists (not on every thread-cache
 *    operation, so threads do not false-share it);
 *  - a block of a host space that sits free in a thread cache carries a tag
 *    in its second word (its address xor a per-pool secret), which a double
 *    free finds; blocks of device spaces cannot be touched, so there the
 *    state byte is updated (compare-and-swap) on every operation instead;
 *  - large blocks (multiples of 64 KiB, same geometric classes) come from
 *    arenas (default 64 MiB, bigger for bigger blocks) managed with address-
 *    ordered neighbours, best fit, splitting and coalescing on free;
 *  - a fully free segment or arena is returned to the space when the pool
 *    holds more free bytes than its high-water mark;
 *  - each thread has a cache per pool (bounded per class, and in bytes for
 *    large blocks) so that the common alloc/free pair takes no lock; the
 *    thread-cache hit and push of a host pool are served inline by
 *    mmb_alloc() and mmb_free*() themselves (end of this file);
 *  - the slot strategy is the same machinery with one class.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmb_internal.h"

struct mmb__seg {
  struct mmb__region r; /* first: a region pointer is a segment pointer */
  unsigned cls;
  size_t tc_off; /* tc_off_of(cls), for the inline free */
  size_t bsize;
  uint32_t nblocks, carved, nstack;
  uint64_t recip; /* 2^40 / bsize + 1: exact division for offsets < 2^22 */
  bool use_div;
  uint32_t *stack;
  _Atomic unsigned char *state;
  struct mmb__seg *pnext, *pprev;
  bool in_partial;
};

struct mmb__arena;
struct lblock {
  size_t q0, nq;
  bool free;
  unsigned cls;
  _Atomic unsigned char state;
  struct mmb__arena *a;
  struct lblock *aprev, *anext; /* address order in the arena */
  struct lblock *fprev, *fnext; /* pool's free list */
};

/* Per 64 KiB quantum of an arena: the block that starts there, and where
 * the bin of its class lies in a thread cache (tc_off_of()) while it is out
 * of the central lists. The offset sits next to the pointer so that the
 * inline free finds its thread-cache bin with one load after the region
 * (not four: array, block, class, offset). */
struct mmb__qent {
  _Atomic(struct lblock *) b;
  _Atomic uint32_t tc_off;
};
struct mmb__arena {
  struct mmb__region r;
  size_t nq;
  struct mmb__qent q[];
};

struct sclass {
  pthread_mutex_t lock;
  struct mmb__seg *partial;
} __attribute__((aligned(64)));

/* A thread-cache bin, one cache line. Entries are the cached blocks'
 * pointers only: the slow path finds a block's segment or large-block
 * record again through the region table when it gives the block back.
 *
 * Allocations served by the bin are counted (nalloc), frees are not: taken
 * and given (blocks moved from and to the central lists, a slow-path
 * matter) give them, frees = nalloc + n + given - taken (tc_sums()), so the
 * inline free makes no counter update. All are written by the owner thread
 * only, with relaxed stores that a statistics query reads. */
struct tc_bin {
  _Atomic uint32_t n; /* cached blocks, e[0 .. n-1] */
  uint32_t cap;
  void **e;
  size_t size; /* block size of the bin */
  _Atomic uint64_t nalloc, taken, given;
  char pad[16]; /* 64 bytes: the inline paths index bins with a shift */
};
_Static_assert(sizeof(struct tc_bin) == 64, "tc_bin is one cache line");

static inline uint32_t bin_n(const struct tc_bin *b)
{
  return MMB__LD(b->n);
}
static inline void bin_set_n(struct tc_bin *b, uint32_t n)
{
  atomic_store_explicit(&b->n, n, memory_order_relaxed);
}
/* Entry i of a bin, its address formed in a register: on the Sapphire
 * Rapids machine this was measured on, an allocate+free pair took twice
 * as long (11-14 ns instead of 5-6) when the inline free stored the entry
 * and the inline allocation loaded it with an indexed address (e + i * 8),
 * which the compiler otherwise folds into both accesses; the empty asm
 * keeps the sum in a register. */
static inline void **bin_slot(const struct tc_bin *b, size_t i)
{
  void **s = b->e + i;
  __asm__("" : "+r"(s));
  return s;
}
/* nalloc of the inline allocation: the owner is the only writer, so on
 * x86-64 one add to memory (a plain store for any reader, which sees the
 * old or the new value) replaces the load, add and store that a relaxed
 * atomic load and store compile to. */
static inline void bin_count_alloc(struct tc_bin *b)
{
#if defined(__x86_64__)
  __asm__("addq $1, %0" : "+m"(*(uint64_t *)&b->nalloc));
#else
  mmb__own_add(&b->nalloc, 1);
#endif
}
/* Large bins (blocks > 256 KiB) cache at most `cap` blocks, where cap is
 * the number of slots the bin has reserved from the thread's byte budget
 * (MMB_POOL_TCACHE_BYTES): large_bytes is the sum over large bins of cap
 * times the block size, never above large_budget, so the bytes a thread
 * caches stay within the budget, while the inline paths only compare n with
 * cap, as for small bins. Reserving and releasing slots is slow-path work. */
struct mmb__tcache {
  struct mmb__pool *pool; /* NULL once the pool is gone (under reg_lock) */
  /* copies of the pool's constants: the inline paths read the thread's
   * own cache line, not the shared pool */
  mmbMemInterface *iface;
  uintptr_t cookie;
  size_t large_bytes, large_budget;
  struct mmb__tcache *lprev, *lnext;
  unsigned nbins;
  struct tc_bin bins[];
};
/* bins at offset 64: the inline paths address bin c as tc + 64 + c * 64 */
_Static_assert(offsetof(struct mmb__tcache, bins) == sizeof(struct tc_bin),
               "tcache header is one bin long");
/* Where the bin of class c lies in a thread cache (all have this layout);
 * segments and arena quanta keep it for the inline free. */
static inline size_t tc_off_of(unsigned c)
{
  return offsetof(struct mmb__tcache, bins) + (size_t)c * sizeof(struct tc_bin);
}
/* The bin at offset off of a thread cache, its address in one register
 * (GCC otherwise recomputes it for each field). */
static inline struct tc_bin *bin_at(struct mmb__tcache *tc, size_t off)
{
  struct tc_bin *b = (struct tc_bin *)((char *)tc + off);
  __asm__("" : "+r"(b));
  return b;
}

struct mmb__pool {
  uint64_t uid;
  mmbMemInterface *iface;
  mmbMemSpace *space;
  struct mmb__pool_config cfg;
  bool slots, use_tcache, host;
  bool fast; /* host && !slots && use_tcache: the fast paths apply */
  uintptr_t cookie;
  unsigned nbins;
  size_t slot_bsize, slot_segsize;
  struct sclass cls[MMB__NSMALL];
  pthread_mutex_t large_lock;
  struct lblock *free_list;
  pthread_mutex_t region_lock;
  struct mmb__region *regions;
  pthread_mutex_t tc_lock;
  struct mmb__tcache *tcs;
  struct mmb__pool *rprev, *rnext; /* registry */
  _Atomic uint64_t reserved, reserved_hwm, central_in_use, central_hwm, returned;
  _Atomic uint64_t c_allocs, c_frees, c_bytes_out, c_bytes_in, misses, invalid, slots_out;
};

/* State bytes. Host pools: IN (in the central lists or never cut) or USER
 * (out of the central lists: with the user, or cached by a thread with the
 * free tag set). Device pools also use CACHED. */
enum { ST_IN = 0, ST_USER = 1, ST_CACHED = 2 };

static inline uintptr_t free_tag(const struct mmb__pool *p, const void *ptr)
{
  return (uintptr_t)ptr ^ p->cookie;
}
/* Where the free tag lives: the second word of the block (every block has
 * at least 16 bytes). Not the first: a program that has just stored a byte
 * or an int at the start of a block and frees it would make the tag load
 * wait for that narrower store to reach the cache (no store forwarding). */
static inline uintptr_t *tag_word(void *ptr)
{
  return (uintptr_t *)ptr + 1;
}

static inline size_t seg_index(const struct mmb__seg *s, size_t off)
{
  return s->use_div ? off / s->bsize : (size_t)((off * s->recip) >> 40);
}

/* A block leaves the central lists into a thread cache (or to the user). */
static inline void block_out(struct mmb__pool *p, _Atomic unsigned char *state, void *ptr)
{
  if (p->host) {
    atomic_store_explicit(state, ST_USER, memory_order_relaxed);
    *tag_word(ptr) = free_tag(p, ptr);
  } else {
    atomic_store_explicit(state, ST_CACHED, memory_order_relaxed);
  }
}

/* ------------------------------------------------------------------ */
/* Pool registry and thread caches */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mmb__pool *registry;
static _Atomic uint64_t next_uid = 1;

#define TLS_SLOTS 8
struct mmb__tls {
  struct {
    uint64_t uid;
    struct mmb__tcache *tc;
  } slot[TLS_SLOTS];
};
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static __thread struct mmb__tls *tls_cur __attribute__((tls_model("initial-exec")));
/* A copy of slot[0] in static TLS, what the inline paths read: one load
 * less and no NULL check. uid 0 (no cache) never equals a fast_uid (a pool
 * uid or MMB__NO_UID), so tc is read only after a match. tls_sync() keeps
 * it equal to tls_cur->slot[0]. */
static __thread struct {
  uint64_t uid;
  struct mmb__tcache *tc;
} tls_fast __attribute__((tls_model("initial-exec")));

static inline void tls_sync(const struct mmb__tls *t)
{
  tls_fast.uid = t ? t->slot[0].uid : 0;
  tls_fast.tc = t ? t->slot[0].tc : NULL;
}

static void central_give(struct mmb__pool *p, unsigned c, void **e, uint32_t n);

static unsigned bin_of_class(const struct mmb__pool *p, unsigned c)
{
  return p->slots ? 0 : c;
}
static unsigned class_of_bin(const struct mmb__pool *p, unsigned b)
{
  return p->slots ? 0 : b;
}
static size_t bin_size(const struct mmb__pool *p, unsigned b)
{
  return p->slots ? p->slot_bsize : mmb__class_size(b);
}

static void tc_sums(struct mmb__tcache *tc, uint64_t *allocs, uint64_t *frees, uint64_t *bout,
                    uint64_t *bin)
{
  *allocs = *frees = *bout = *bin = 0;
  for (unsigned b = 0; b < tc->nbins; b++) {
    const struct tc_bin *tb = &tc->bins[b];
    /* exact when the owner is idle; a query racing with a refill may count
     * up to one refill of frees too few (clamped at 0), never a wrapped
     * count */
    uint64_t a = MMB__LD(tb->nalloc);
    uint64_t pos = a + MMB__LD(tb->n) + MMB__LD(tb->given), tk = MMB__LD(tb->taken);
    uint64_t f = pos > tk ? pos - tk : 0;
    *allocs += a;
    *frees += f;
    *bout += a * tb->size;
    *bin += f * tb->size;
  }
}

/* Called with reg_lock held: give a thread cache's blocks back, unlink it. */
static void tc_detach_locked(struct mmb__tcache *tc)
{
  struct mmb__pool *p = tc->pool;
  if (p != NULL) {
    for (unsigned b = 0; b < tc->nbins; b++) {
      struct tc_bin *bin = &tc->bins[b];
      uint32_t n = bin_n(bin);
      if (n) {
        central_give(p, class_of_bin(p, b), bin->e, n);
        mmb__own_add(&bin->given, n);
      }
      bin_set_n(bin, 0);
    }
    pthread_mutex_lock(&p->tc_lock);
    if (tc->lprev)
      tc->lprev->lnext = tc->lnext;
    else
      p->tcs = tc->lnext;
    if (tc->lnext)
      tc->lnext->lprev = tc->lprev;
    uint64_t a, f, bo, bi;
    tc_sums(tc, &a, &f, &bo, &bi);
    atomic_fetch_add(&p->c_allocs, a);
    atomic_fetch_add(&p->c_frees, f);
    atomic_fetch_add(&p->c_bytes_out, bo);
    atomic_fetch_add(&p->c_bytes_in, bi);
    pthread_mutex_unlock(&p->tc_lock);
    tc->pool = NULL;
  }
  free(tc);
}

static void tls_release(struct mmb__tls *t)
{
  pthread_mutex_lock(&reg_lock);
  for (int i = 0; i < TLS_SLOTS; i++) {
    if (t->slot[i].tc)
      tc_detach_locked(t->slot[i].tc);
    t->slot[i].tc = NULL;
    t->slot[i].uid = 0;
  }
  pthread_mutex_unlock(&reg_lock);
  free(t);
}

static void tls_destructor(void *v)
{
  tls_cur = NULL;
  tls_sync(NULL);
  if (v)
    tls_release(v);
}

static void tls_key_create(void)
{
  pthread_key_create(&tls_key, tls_destructor);
}

void mmb__tls_release_current(void)
{
  struct mmb__tls *t = tls_cur;
  if (t == NULL)
    return;
  tls_cur = NULL;
  tls_sync(NULL);
  pthread_setspecific(tls_key, NULL);
  tls_release(t);
}

/* Entries a thread caches per bin: about 1 MiB of small blocks (4..64
 * entries), up to 4 large blocks (within the byte budget, see struct
 * mmb__tcache). */
static uint32_t bin_cap(const struct mmb__pool *p, unsigned b)
{
  size_t cs = bin_size(p, b);
  if (!p->slots && b >= MMB__NSMALL)
    return 4;
  size_t n = ((size_t)1 << 20) / cs;
  return n < 4 ? 4 : n > 64 ? 64 : (uint32_t)n;
}

static struct mmb__tcache *tc_create(struct mmb__pool *p)
{
  size_t nent = 0;
  for (unsigned b = 0; b < p->nbins; b++)
    nent += bin_cap(p, b);
  struct mmb__tcache *tc =
      calloc(1, sizeof *tc + p->nbins * sizeof(struct tc_bin) + nent * sizeof(void *));
  if (tc == NULL)
    return NULL;
  void **e = (void **)(tc->bins + p->nbins);
  tc->nbins = p->nbins;
  tc->iface = p->iface;
  tc->cookie = p->cookie;
  tc->large_budget = mmb__g.opt.tcache_bytes;
  for (unsigned b = 0; b < p->nbins; b++) {
    /* large bins start without reserved slots */
    tc->bins[b].cap = !p->slots && b >= MMB__NSMALL ? 0 : bin_cap(p, b);
    tc->bins[b].size = bin_size(p, b);
    tc->bins[b].e = e;
    e += bin_cap(p, b);
  }
  return tc;
}

static struct mmb__tcache *tc_attach(struct mmb__pool *p)
{
  struct mmb__tls *t = tls_cur;
  struct mmb__tcache *tc = NULL;
  int slot = -1;
  pthread_once(&tls_once, tls_key_create);
  if (t == NULL) {
    t = calloc(1, sizeof *t);
    if (t == NULL)
      return NULL;
    tls_cur = t;
    pthread_setspecific(tls_key, t);
  }
  pthread_mutex_lock(&reg_lock);
  for (int i = 0; i < TLS_SLOTS; i++) {
    if (t->slot[i].tc && t->slot[i].tc->pool == NULL) { /* its pool is gone */
      tc_detach_locked(t->slot[i].tc);
      t->slot[i].tc = NULL;
      t->slot[i].uid = 0;
    }
    if (t->slot[i].tc == NULL && slot < 0)
      slot = i;
  }
  if (slot < 0) { /* evict the last slot */
    slot = TLS_SLOTS - 1;
    tc_detach_locked(t->slot[slot].tc);
    t->slot[slot].tc = NULL;
    t->slot[slot].uid = 0;
  }
  tc = tc_create(p);
  if (tc) {
    tc->pool = p;
    pthread_mutex_lock(&p->tc_lock);
    tc->lnext = p->tcs;
    if (p->tcs)
      p->tcs->lprev = tc;
    p->tcs = tc;
    pthread_mutex_unlock(&p->tc_lock);
    /* most recent first */
    for (int i = slot; i > 0; i--)
      t->slot[i] = t->slot[i - 1];
    t->slot[0].uid = p->uid;
    t->slot[0].tc = tc;
  }
  tls_sync(t);
  pthread_mutex_unlock(&reg_lock);
  return tc;
}

/* The thread's cache of p. The one found moves to slot 0, which the inline
 * paths serve: a thread working with one pool at a time stays on them. */
static inline struct mmb__tcache *tc_get(struct mmb__pool *p)
{
  struct mmb__tls *t = tls_cur;
  struct mmb__tcache *tc = NULL;
  for (int i = 0; t != NULL && i < TLS_SLOTS && tc == NULL; i++) {
    if (t->slot[i].uid == p->uid) {
      tc = t->slot[i].tc;
      for (int k = i; k > 0; k--)
        t->slot[k] = t->slot[k - 1];
      t->slot[0].uid = p->uid;
      t->slot[0].tc = tc;
      tls_sync(t);
    }
  }
  if (tc == NULL)
    tc = tc_attach(p);
  return tc;
}

/* ------------------------------------------------------------------ */
/* Regions */

static mmb_status region_acquire(struct mmb__pool *p, struct mmb__region *r, size_t size,
                                 mmb__region_kind kind)
{
  mmb_status st = MMB_OK;
  void *ptr = NULL;
  bool hooked = false;
  r->kind = kind;
  r->pool = p;
  r->fast_uid = mmb__pool_fast_uid(p);
  r->reg_handle = NULL;
  MMB_PROPAGATE(
      POOL, st,
      mmb__raw_alloc(p->space, size, MMB__GRANULE, MMB__RAW_MAP, &ptr, &r->raw_base, &r->raw_size),
      "pool %s: no %zu-byte region from space %s", p->iface->name, size, p->space->info.name);
  r->base = ptr;
  r->size = size;
  if (p->cfg.hook) {
    MMB_PROPAGATE(POOL, st, p->cfg.hook(p->cfg.hook_ctx, r, true), "pool %s: region hook",
                  p->iface->name);
    hooked = true;
  }
  MMB_PROPAGATE(POOL, st, mmb__region_table_insert(r), "pool %s: region table", p->iface->name);
  pthread_mutex_lock(&p->region_lock);
  r->prev = NULL;
  r->next = p->regions;
  if (p->regions)
    p->regions->prev = r;
  p->regions = r;
  pthread_mutex_unlock(&p->region_lock);
  uint64_t now = atomic_fetch_add(&p->reserved, size) + size;
  mmb__hwm_update(&p->reserved_hwm, now);
  atomic_fetch_add(&p->misses, 1);
  MMB_LOG_DEBUG(POOL, "pool %s: new %s region %p+%zu", p->iface->name,
                kind == MMB__REGION_SEG ? "segment" : "arena", ptr, size);
cleanup:
  if (st != MMB_OK && ptr != NULL) {
    if (hooked)
      p->cfg.hook(p->cfg.hook_ctx, r, false);
    mmb__raw_free(p->space, r->raw_base, r->raw_size, size, MMB__RAW_MAP);
  }
  return st;
}

/* unlink == false during destruction (the list is dropped as a whole). */
static void region_release(struct mmb__pool *p, struct mmb__region *r, bool unlink)
{
  mmb__region_table_remove(r);
  if (unlink) {
    pthread_mutex_lock(&p->region_lock);
    if (r->prev)
      r->prev->next = r->next;
    else
      p->regions = r->next;
    if (r->next)
      r->next->prev = r->prev;
    pthread_mutex_unlock(&p->region_lock);
  }
  mmb__notify_unmapped(r->base, r->size);
  if (p->cfg.hook)
    p->cfg.hook(p->cfg.hook_ctx, r, false);
  mmb__raw_free(p->space, r->raw_base, r->raw_size, r->size, MMB__RAW_MAP);
  atomic_fetch_sub(&p->reserved, r->size);
  if (unlink)
    atomic_fetch_add(&p->returned, r->size);
  MMB_LOG_DEBUG(POOL, "pool %s: returned region %p+%zu to %s", p->iface->name, (void *)r->base,
                r->size, p->space->info.name);
}

/* A fully free region of `size` bytes goes back to the space when at least
 * high_water free bytes would remain cached without it: memory above the
 * high-water mark is returned, and a pool working near its mark does not map
 * and unmap the same region over and over. */
static bool should_release(struct mmb__pool *p, size_t size)
{
  uint64_t res = atomic_load(&p->reserved), used = atomic_load(&p->central_in_use);
  uint64_t cached = res > used ? res - used : 0;
  return cached >= size && cached - size >= p->cfg.high_water;
}

static void central_used_add(struct mmb__pool *p, uint64_t n)
{
  uint64_t now = atomic_fetch_add(&p->central_in_use, n) + n;
  mmb__hwm_update(&p->central_hwm, now);
}

/* ------------------------------------------------------------------ */
/* Small classes */

static void partial_push(struct sclass *k, struct mmb__seg *s)
{
  s->pprev = NULL;
  s->pnext = k->partial;
  if (k->partial)
    k->partial->pprev = s;
  k->partial = s;
  s->in_partial = true;
}
static void partial_remove(struct sclass *k, struct mmb__seg *s)
{
  if (s->pprev)
    s->pprev->pnext = s->pnext;
  else
    k->partial = s->pnext;
  if (s->pnext)
    s->pnext->pprev = s->pprev;
  s->in_partial = false;
}
static inline uint32_t seg_nfree(const struct mmb__seg *s)
{
  return s->nstack + (s->nblocks - s->carved);
}

static void seg_free_meta(struct mmb__seg *s)
{
  free(s->stack);
  free((void *)s->state);
  free(s);
}

static mmb_status seg_new(struct mmb__pool *p, unsigned c, struct mmb__seg **out)
{
  mmb_status st = MMB_OK;
  size_t bs = p->slots ? p->slot_bsize : mmb__class_size(c);
  size_t segsize = p->slots ? p->slot_segsize : MMB__GRANULE;
  struct mmb__seg *s = calloc(1, sizeof *s);
  MMB_CHECK(POOL, s != NULL, st, MMB_OUT_OF_MEMORY, "no memory for segment metadata");
  s->cls = c;
  s->tc_off = tc_off_of(c);
  s->bsize = bs;
  s->nblocks = (uint32_t)(segsize / bs);
  s->use_div = segsize > MMB__GRANULE || bs > ((size_t)1 << 18);
  s->recip = ((uint64_t)1 << 40) / bs + 1;
  s->stack = malloc((size_t)s->nblocks * sizeof *s->stack);
  /* one state byte more than blocks, always IN: the inline free needs no
   * bound check for the offset just past the last block */
  s->state = calloc((size_t)s->nblocks + 1, 1);
  MMB_CHECK(POOL, s->stack && s->state, st, MMB_OUT_OF_MEMORY, "no memory for segment metadata");
  MMB_PROPAGATE(POOL, st, region_acquire(p, &s->r, segsize, MMB__REGION_SEG),
                "pool %s: new segment", p->iface->name);
  *out = s;
cleanup:
  if (st != MMB_OK && s)
    seg_free_meta(s);
  return st;
}

/* Take up to `want` blocks of class c; class lock held by caller. */
static mmb_status small_take(struct mmb__pool *p, unsigned c, void **out, uint32_t want,
                             uint32_t *got)
{
  mmb_status st = MMB_OK;
  struct sclass *k = &p->cls[p->slots ? 0 : c];
  uint32_t n = 0;
  if (p->slots && p->cfg.max_slots) {
    uint64_t used = atomic_load(&p->slots_out);
    if (used + want > p->cfg.max_slots)
      want = used < p->cfg.max_slots ? (uint32_t)(p->cfg.max_slots - used) : 0;
    if (want == 0) {
      st = MMB_LIMIT;
      MMB_LOG_INFO(POOL, "slot pool %s: all %zu slots in use", p->iface->name, p->cfg.max_slots);
      goto cleanup;
    }
  }
  while (n < want) {
    struct mmb__seg *s = k->partial;
    if (s == NULL) {
      st = seg_new(p, c, &s);
      if (st != MMB_OK) {
        if (n > 0)
          st = MMB_OK;
        break;
      }
      partial_push(k, s);
    }
    while (n < want && seg_nfree(s) > 0) {
      uint32_t idx = s->nstack ? s->stack[--s->nstack] : s->carved++;
      out[n] = s->r.base + (size_t)idx * s->bsize;
      block_out(p, &s->state[idx], out[n]);
      n++;
    }
    if (seg_nfree(s) == 0)
      partial_remove(k, s);
  }
  if (n) {
    central_used_add(p, (uint64_t)n * (p->slots ? p->slot_bsize : mmb__class_size(c)));
    if (p->slots)
      atomic_fetch_add(&p->slots_out, n);
  }
cleanup:
  *got = n;
  return st;
}

static void small_give(struct mmb__pool *p, unsigned c, void **e, uint32_t n)
{
  struct sclass *k = &p->cls[p->slots ? 0 : c];
  size_t bs = p->slots ? p->slot_bsize : mmb__class_size(c);
  pthread_mutex_lock(&k->lock);
  atomic_fetch_sub(&p->central_in_use, (uint64_t)n * bs);
  if (p->slots)
    atomic_fetch_sub(&p->slots_out, n);
  for (uint32_t i = 0; i < n; i++) {
    /* a block out of the central lists keeps its segment mapped */
    struct mmb__seg *s = (struct mmb__seg *)mmb__region_lookup(e[i]);
    uint32_t idx = (uint32_t)seg_index(s, (size_t)((char *)e[i] - s->r.base));
    atomic_store_explicit(&s->state[idx], ST_IN, memory_order_relaxed);
    s->stack[s->nstack++] = idx;
    if (!s->in_partial)
      partial_push(k, s);
    if (seg_nfree(s) == s->nblocks && should_release(p, s->r.size)) {
      partial_remove(k, s);
      region_release(p, &s->r, true);
      seg_free_meta(s);
    }
  }
  pthread_mutex_unlock(&k->lock);
}

/* ------------------------------------------------------------------ */
/* Large blocks */

static void free_list_push(struct mmb__pool *p, struct lblock *b)
{
  b->fprev = NULL;
  b->fnext = p->free_list;
  if (p->free_list)
    p->free_list->fprev = b;
  p->free_list = b;
}
static void free_list_remove(struct mmb__pool *p, struct lblock *b)
{
  if (b->fprev)
    b->fprev->fnext = b->fnext;
  else
    p->free_list = b->fnext;
  if (b->fnext)
    b->fnext->fprev = b->fprev;
  b->fprev = b->fnext = NULL;
}

static mmb_status arena_new(struct mmb__pool *p, size_t need_bytes, struct lblock **out)
{
  mmb_status st = MMB_OK;
  size_t size = p->cfg.arena_size;
  struct mmb__arena *a = NULL;
  struct lblock *b = NULL;
  if (need_bytes > size)
    size = mmb__align_up(need_bytes, MMB__GRANULE);
  a = calloc(1, sizeof *a + (size >> MMB__QSHIFT) * sizeof a->q[0]);
  b = calloc(1, sizeof *b);
  MMB_CHECK(POOL, a && b, st, MMB_OUT_OF_MEMORY, "no memory for arena metadata");
  a->nq = size >> MMB__QSHIFT;
  st = region_acquire(p, &a->r, size, MMB__REGION_ARENA);
  if (st == MMB_LIMIT && size > mmb__align_up(need_bytes, MMB__GRANULE)) {
    /* a limited space may still hold an arena just big enough */
    size = mmb__align_up(need_bytes, MMB__GRANULE);
    a->nq = size >> MMB__QSHIFT;
    st = region_acquire(p, &a->r, size, MMB__REGION_ARENA);
  }
  MMB_PROPAGATE(POOL, st, st, "pool %s: new arena", p->iface->name);
  b->q0 = 0;
  b->nq = a->nq;
  b->free = true;
  b->a = a;
  atomic_store(&a->q[0].b, b);
  free_list_push(p, b);
  *out = b;
cleanup:
  if (st != MMB_OK) {
    free(a);
    free(b);
  }
  return st;
}

static struct lblock *lblock_split(struct lblock *b, size_t at)
{
  /* b keeps [q0, q0+at), the new block gets the rest; both free. */
  struct lblock *n = calloc(1, sizeof *n);
  if (n == NULL)
    return NULL;
  n->q0 = b->q0 + at;
  n->nq = b->nq - at;
  n->free = true;
  n->a = b->a;
  n->aprev = b;
  n->anext = b->anext;
  if (b->anext)
    b->anext->aprev = n;
  b->anext = n;
  b->nq = at;
  atomic_store(&b->a->q[n->q0].b, n);
  return n;
}

/* large_lock held */
static mmb_status large_take(struct mmb__pool *p, unsigned c, size_t align, void **out)
{
  mmb_status st = MMB_OK;
  size_t cs = mmb__class_size(c);
  size_t nq = cs >> MMB__QSHIFT;
  size_t aq = align > MMB__QUANTUM ? align >> MMB__QSHIFT : 1;
  struct lblock *best = NULL;
  size_t bestpad = 0;
  for (struct lblock *b = p->free_list; b; b = b->fnext) {
    size_t pad = mmb__align_up(b->q0, aq) - b->q0;
    if (b->nq >= pad + nq && (best == NULL || b->nq < best->nq)) {
      best = b;
      bestpad = pad;
    }
  }
  if (best == NULL) {
    MMB_PROPAGATE(POOL, st, arena_new(p, cs, &best), "pool %s: %zu-byte block", p->iface->name, cs);
    bestpad = 0;
  }
  if (bestpad) {
    struct lblock *n = lblock_split(best, bestpad);
    MMB_CHECK(POOL, n != NULL, st, MMB_OUT_OF_MEMORY, "no memory for block metadata");
    free_list_push(p, n);
    best = n;
  }
  if (best->nq > nq) {
    struct lblock *n = lblock_split(best, nq);
    MMB_CHECK(POOL, n != NULL, st, MMB_OUT_OF_MEMORY, "no memory for block metadata");
    free_list_push(p, n);
  }
  free_list_remove(p, best);
  best->free = false;
  best->cls = c;
  atomic_store_explicit(&best->a->q[best->q0].tc_off, (uint32_t)tc_off_of(c), memory_order_relaxed);
  *out = best->a->r.base + (best->q0 << MMB__QSHIFT);
  block_out(p, &best->state, *out);
  central_used_add(p, cs);
cleanup:
  return st;
}

static void large_give(struct mmb__pool *p, struct lblock *b)
{
  struct mmb__arena *a = b->a;
  atomic_fetch_sub(&p->central_in_use, b->nq << MMB__QSHIFT);
  atomic_store_explicit(&b->state, ST_IN, memory_order_relaxed);
  b->free = true;
  struct lblock *n = b->anext;
  if (n && n->free) {
    free_list_remove(p, n);
    atomic_store(&a->q[n->q0].b, NULL);
    b->nq += n->nq;
    b->anext = n->anext;
    if (n->anext)
      n->anext->aprev = b;
    free(n);
  }
  struct lblock *pv = b->aprev;
  if (pv && pv->free) {
    atomic_store(&a->q[b->q0].b, NULL);
    pv->nq += b->nq;
    pv->anext = b->anext;
    if (b->anext)
      b->anext->aprev = pv;
    free(b);
    b = pv; /* already on the free list */
  } else {
    free_list_push(p, b);
  }
  if (b->q0 == 0 && b->nq == a->nq && should_release(p, a->r.size)) {
    free_list_remove(p, b);
    region_release(p, &a->r, true);
    free(a);
    free(b);
  }
}

/* The record of the large block that starts at ptr. The block is out of
 * the central lists, so its arena stays mapped and its entry unchanged. */
static struct lblock *lblock_of(const void *ptr)
{
  struct mmb__arena *a = (struct mmb__arena *)mmb__region_lookup(ptr);
  size_t q = (size_t)((const char *)ptr - a->r.base) >> MMB__QSHIFT;
  return atomic_load_explicit(&a->q[q].b, memory_order_acquire);
}

static void central_give(struct mmb__pool *p, unsigned c, void **e, uint32_t n)
{
  if (p->slots || c < MMB__NSMALL) {
    small_give(p, c, e, n);
    return;
  }
  pthread_mutex_lock(&p->large_lock);
  for (uint32_t i = 0; i < n; i++)
    large_give(p, lblock_of(e[i]));
  pthread_mutex_unlock(&p->large_lock);
}

static mmb_status central_take(struct mmb__pool *p, unsigned c, size_t align, void **out,
                               uint32_t want, uint32_t *got)
{
  mmb_status st;
  if (p->slots || c < MMB__NSMALL) {
    struct sclass *k = &p->cls[p->slots ? 0 : c];
    pthread_mutex_lock(&k->lock);
    st = small_take(p, c, out, want, got);
    pthread_mutex_unlock(&k->lock);
  } else {
    pthread_mutex_lock(&p->large_lock);
    st = large_take(p, c, align, out);
    pthread_mutex_unlock(&p->large_lock);
    *got = st == MMB_OK;
  }
  return st;
}

/* ------------------------------------------------------------------ */
/* Create / destroy */

mmb_status mmb__pool_create(mmbMemInterface *iface, const struct mmb__pool_config *cfg,
                            struct mmb__pool **out)
{
  mmb_status st = MMB_OK;
  struct mmb__pool *p = NULL;
  MMB_CHECK(POOL, !cfg->slots || cfg->slot_size > 0, st, MMB_INVALID_ARG,
            "a slot pool needs slot_size > 0");
  MMB_CHECK(POOL, !cfg->slots || cfg->slot_size <= ((size_t)1 << 34), st, MMB_INVALID_ARG,
            "slot_size %zu too large", cfg->slot_size);
  p = aligned_alloc(64, mmb__align_up(sizeof *p, 64));
  MMB_CHECK(POOL, p != NULL, st, MMB_OUT_OF_MEMORY, "no memory for a pool");
  memset(p, 0, sizeof *p);
  p->uid = atomic_fetch_add(&next_uid, 1);
  p->iface = iface;
  p->space = iface->space;
  p->cfg = *cfg;
  if (p->cfg.high_water == 0)
    p->cfg.high_water = mmb__g.opt.high_water;
  if (p->cfg.arena_size == 0)
    p->cfg.arena_size = mmb__g.opt.arena_size;
  p->cfg.arena_size = mmb__align_up(p->cfg.arena_size, MMB__GRANULE);
  p->slots = cfg->slots;
  p->host = mmb__space_is_host(p->space);
  {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = (uint64_t)(uintptr_t)p ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
    x *= 0x9E3779B97F4A7C15ULL;
    p->cookie = (uintptr_t)(x ^ (x >> 29)) | 1u; /* odd: a tag is never 0 */
  }
  p->use_tcache = !cfg->no_tcache && !(cfg->slots && cfg->max_slots);
  p->nbins = p->slots ? 1 : MMB__NCLASSES;
  p->fast = p->host && !p->slots && p->use_tcache;
  if (p->slots) {
    p->slot_bsize = mmb__align_up(cfg->slot_size, 16);
    p->slot_segsize = mmb__align_up(p->slot_bsize * 16, MMB__GRANULE);
  }
  for (int i = 0; i < MMB__NSMALL; i++)
    pthread_mutex_init(&p->cls[i].lock, NULL);
  pthread_mutex_init(&p->large_lock, NULL);
  pthread_mutex_init(&p->region_lock, NULL);
  pthread_mutex_init(&p->tc_lock, NULL);
  pthread_mutex_lock(&reg_lock);
  p->rnext = registry;
  if (registry)
    registry->rprev = p;
  registry = p;
  pthread_mutex_unlock(&reg_lock);
  *out = p;
cleanup:
  return st;
}

static void sum_counters(struct mmb__pool *p, uint64_t *allocs, uint64_t *frees, uint64_t *bout,
                         uint64_t *bin)
{
  *allocs = atomic_load(&p->c_allocs);
  *frees = atomic_load(&p->c_frees);
  *bout = atomic_load(&p->c_bytes_out);
  *bin = atomic_load(&p->c_bytes_in);
  pthread_mutex_lock(&p->tc_lock);
  for (struct mmb__tcache *tc = p->tcs; tc; tc = tc->lnext) {
    uint64_t a, f, bo, bi;
    tc_sums(tc, &a, &f, &bo, &bi);
    *allocs += a;
    *frees += f;
    *bout += bo;
    *bin += bi;
  }
  pthread_mutex_unlock(&p->tc_lock);
}

uint64_t mmb__pool_destroy(struct mmb__pool *p)
{
  uint64_t allocs, frees, bout, bin;
  pthread_mutex_lock(&reg_lock);
  sum_counters(p, &allocs, &frees, &bout, &bin);
  if (p->rprev)
    p->rprev->rnext = p->rnext;
  else
    registry = p->rnext;
  if (p->rnext)
    p->rnext->rprev = p->rprev;
  pthread_mutex_lock(&p->tc_lock);
  for (struct mmb__tcache *tc = p->tcs; tc; tc = tc->lnext)
    tc->pool = NULL; /* its thread frees it */
  p->tcs = NULL;
  pthread_mutex_unlock(&p->tc_lock);
  pthread_mutex_unlock(&reg_lock);

  struct mmb__region *r = p->regions;
  while (r) {
    struct mmb__region *next = r->next;
    region_release(p, r, false);
    if (r->kind == MMB__REGION_SEG) {
      seg_free_meta((struct mmb__seg *)r);
    } else {
      struct mmb__arena *a = (struct mmb__arena *)r;
      struct lblock *b = atomic_load(&a->q[0].b);
      while (b) {
        struct lblock *bn = b->anext;
        free(b);
        b = bn;
      }
      free(a);
    }
    r = next;
  }
  for (int i = 0; i < MMB__NSMALL; i++)
    pthread_mutex_destroy(&p->cls[i].lock);
  pthread_mutex_destroy(&p->large_lock);
  pthread_mutex_destroy(&p->region_lock);
  pthread_mutex_destroy(&p->tc_lock);
  free(p);
  return allocs > frees ? allocs - frees : 0;
}

/* ------------------------------------------------------------------ */
/* Allocate / free */

/* Pick the class of a request. */
static mmb_status pick_class(struct mmb__pool *p, size_t size, size_t align, unsigned *cls)
{
  mmb_status st = MMB_OK;
  if (p->slots) {
    MMB_CHECK(POOL, size <= p->cfg.slot_size, st, MMB_INVALID_ARG,
              "slot pool %s: %zu bytes asked, slots hold %zu", p->iface->name, size,
              p->cfg.slot_size);
    MMB_CHECK(POOL, p->slot_bsize % align == 0 && align <= 4096, st, MMB_INVALID_ARG,
              "slot pool %s: slot size %zu cannot honour alignment %zu", p->iface->name,
              p->slot_bsize, align);
    *cls = 0;
    goto cleanup;
  }
  MMB_CHECK(POOL, size <= MMB__MAX_SIZE, st, MMB_INVALID_ARG, "%zu bytes is too large", size);
  size_t s = size < align ? align : size;
  if (align <= MMB__SMALL_ALIGN_MAX && s <= MMB__SMALL_MAX) {
    unsigned c = mmb__size_class(s);
    while (c < MMB__NSMALL && mmb__class_size(c) % align != 0)
      c++;
    if (c < MMB__NSMALL) {
      *cls = c;
      goto cleanup;
    }
  }
  *cls = mmb__size_class(s > MMB__SMALL_MAX ? s : MMB__SMALL_MAX + 1);
cleanup:
  return st;
}

/* state byte of a block out of the central lists */
static inline _Atomic unsigned char *state_of(const struct mmb__pool *p, unsigned c, void *ptr)
{
  if (p->slots || c < MMB__NSMALL) {
    struct mmb__seg *s = (struct mmb__seg *)mmb__region_lookup(ptr);
    return &s->state[seg_index(s, (size_t)((char *)ptr - s->r.base))];
  }
  return &lblock_of(ptr)->state;
}

/* A cached block goes to the user. */
static inline void hand_out(struct mmb__pool *p, unsigned c, void *ptr)
{
  if (p->host)
    *tag_word(ptr) = 0; /* clear the free tag */
  else
    atomic_store_explicit(state_of(p, c, ptr), ST_USER, memory_order_relaxed);
}

mmb_status mmb__pool_alloc(struct mmb__pool *p, size_t size, size_t align, void **ptr)
{
  mmb_status st = MMB_OK;
  unsigned c;
  if (__builtin_expect(!p->slots && align <= MMB_DEFAULT_ALIGNMENT && size <= MMB__MAX_SIZE, 1))
    c = mmb__size_class(size);
  else
    MMB_CHECK_CALL(POOL, st, pick_class(p, size, align, &c), "pool %s: allocation of %zu bytes",
                   p->iface->name, size);
  bool large = !p->slots && c >= MMB__NSMALL;
  if (__builtin_expect(p->use_tcache && (!large || align <= MMB__QUANTUM), 1)) {
    struct mmb__tcache *tc = tc_get(p);
    if (__builtin_expect(tc != NULL, 1)) {
      struct tc_bin *bin = &tc->bins[bin_of_class(p, c)];
      uint32_t n = bin_n(bin);
      if (__builtin_expect(n == 0, 0)) {
        /* a large block only passes through entry 0 (there is room for
         * it even in a bin without reserved slots) */
        uint32_t want = large ? 1 : (bin->cap + 1) / 2, got = 0;
        st = central_take(p, c, align, bin->e, want, &got);
        if (st != MMB_OK)
          goto cleanup;
        mmb__own_add(&bin->taken, got); /* before n: see tc_sums() */
        bin_set_n(bin, got);
        n = got;
      }
      void *q = bin->e[n - 1];
      hand_out(p, c, q);
      bin_set_n(bin, n - 1);
      mmb__own_add(&bin->nalloc, 1);
      *ptr = q;
      goto cleanup;
    }
  }
  {
    void *q = NULL;
    uint32_t got = 0;
    size_t cs = p->slots ? p->slot_bsize : mmb__class_size(c);
    MMB_PROPAGATE(POOL, st, central_take(p, c, align, &q, 1, &got), "pool %s: %zu bytes",
                  p->iface->name, size);
    hand_out(p, c, q);
    atomic_fetch_add(&p->c_allocs, 1);
    atomic_fetch_add(&p->c_bytes_out, cs);
    *ptr = q;
  }
cleanup:
  return st;
}

/* Locate a pointer of region r: class, block size and state byte. False for
 * an interior pointer or a block start never cut. */
static inline bool resolve(const void *ptr, struct mmb__region *r, unsigned *c, size_t *cs,
                           _Atomic unsigned char **state)
{
  size_t off = (size_t)((const char *)ptr - r->base);
  if (off >= r->size)
    return false;
  if (r->kind == MMB__REGION_SEG) {
    struct mmb__seg *s = (struct mmb__seg *)r;
    size_t idx = seg_index(s, off);
    if (idx * s->bsize != off || idx >= s->nblocks)
      return false;
    *c = s->cls;
    *cs = s->bsize;
    *state = &s->state[idx];
    return true;
  }
  struct mmb__arena *a = (struct mmb__arena *)r;
  if (off & (MMB__QUANTUM - 1))
    return false;
  struct lblock *b = atomic_load_explicit(&a->q[off >> MMB__QSHIFT].b, memory_order_acquire);
  if (b == NULL)
    return false;
  *c = b->cls;
  *cs = b->nq << MMB__QSHIFT;
  *state = &b->state;
  return true;
}

/* Is ptr (resolved) with the user? Marks it cached when `take` is set. */
static inline bool user_block(struct mmb__pool *p, void *ptr, _Atomic unsigned char *state,
                              bool take)
{
  if (p->host) {
    if (atomic_load_explicit(state, memory_order_relaxed) != ST_USER)
      return false;
    uintptr_t *w = tag_word(ptr), tag = free_tag(p, ptr);
    if (*w == tag)
      return false; /* free and cached by a thread */
    if (take)
      *w = tag;
    return true;
  }
  if (!take)
    return atomic_load_explicit(state, memory_order_relaxed) == ST_USER;
  unsigned char expect = ST_USER;
  return atomic_compare_exchange_strong_explicit(state, &expect, ST_CACHED, memory_order_acq_rel,
                                                 memory_order_relaxed);
}

/* One more slot for large bin c of tc, within the thread's byte budget;
 * when the budget is spent, the slots other large bins reserved and do not
 * use are released first. Leaves the bin as it is when nothing fits. */
static void tc_reserve(const struct mmb__pool *p, struct mmb__tcache *tc, unsigned c)
{
  size_t cs = mmb__class_size(c);
  if (cs > tc->large_budget)
    return; /* never cached: no scan on every free of such a block */
  if (tc->large_bytes + cs > tc->large_budget) {
    for (unsigned b = MMB__NSMALL; b < tc->nbins; b++) {
      struct tc_bin *o = &tc->bins[b];
      tc->large_bytes -= (size_t)(o->cap - bin_n(o)) * bin_size(p, b);
      o->cap = bin_n(o);
    }
  }
  if (tc->large_bytes + cs <= tc->large_budget) {
    tc->bins[c].cap++;
    tc->large_bytes += cs;
  }
}

mmb_status mmb__pool_free(struct mmb__pool *p, void *ptr, struct mmb__region *r,
                          mmbMemInterface *expect)
{
  mmb_status st = MMB_OK;
  unsigned c = 0;
  size_t cs = 0;
  _Atomic unsigned char *state = NULL;
  if (__builtin_expect(expect != NULL && expect != p->iface, 0)) {
    atomic_fetch_add(&expect->invalid, 1);
    st = MMB_INVALID_FREE;
    MMB_LOG_ERR(POOL, "free of %p through %s refused: it belongs to interface %s of space %s", ptr,
                expect->name, p->iface->name, p->space->info.name);
    goto cleanup;
  }
  if (__builtin_expect(!resolve(ptr, r, &c, &cs, &state) || !user_block(p, ptr, state, true), 0)) {
    atomic_fetch_add(&p->invalid, 1);
    st = MMB_INVALID_FREE;
    MMB_LOG_ERR(POOL, "pool %s: free of %p refused: double free or not the start of an allocation",
                p->iface->name, ptr);
    goto cleanup;
  }
  bool large = !p->slots && c >= MMB__NSMALL;
  if (__builtin_expect(p->use_tcache, 1)) {
    struct mmb__tcache *tc = tc_get(p);
    struct tc_bin *bin = tc ? &tc->bins[bin_of_class(p, c)] : NULL;
    if (bin != NULL && large && bin_n(bin) == bin->cap && bin->cap < bin_cap(p, c))
      tc_reserve(p, tc, c);
    if (bin != NULL && bin->cap > 0) {
      uint32_t n = bin_n(bin);
      if (__builtin_expect(n == bin->cap, 0)) {
        uint32_t half = bin->cap / 2 ? bin->cap / 2 : 1;
        central_give(p, c, bin->e, half);
        mmb__own_add(&bin->given, half);
        memmove(bin->e, bin->e + half, (n - half) * sizeof *bin->e);
        n -= half;
        bin_set_n(bin, n);
      }
      bin->e[n] = ptr;
      bin_set_n(bin, n + 1);
      goto cleanup;
    }
  }
  {
    central_give(p, c, &ptr, 1);
    atomic_fetch_add(&p->c_frees, 1);
    atomic_fetch_add(&p->c_bytes_in, cs);
  }
cleanup:
  return st;
}

size_t mmb__pool_usable_size(struct mmb__pool *p, const void *ptr, struct mmb__region *r)
{
  unsigned c;
  size_t cs = 0;
  _Atomic unsigned char *state;
  if (!resolve(ptr, r, &c, &cs, &state) || !user_block(p, (void *)ptr, state, false))
    return 0;
  return cs;
}

void mmb__pool_get_stats(struct mmb__pool *p, mmb_stats *st)
{
  uint64_t allocs, frees, bout, bin, largest = 0;
  sum_counters(p, &allocs, &frees, &bout, &bin);
  memset(st, 0, sizeof *st);
  st->bytes_in_use = bout > bin ? bout - bin : 0;
  st->bytes_in_use_hwm = atomic_load(&p->central_hwm);
  if (st->bytes_in_use_hwm < st->bytes_in_use)
    st->bytes_in_use_hwm = st->bytes_in_use;
  st->bytes_reserved = atomic_load(&p->reserved);
  st->bytes_reserved_hwm = atomic_load(&p->reserved_hwm);
  st->live_allocs = allocs > frees ? allocs - frees : 0;
  st->total_allocs = allocs;
  st->misses = atomic_load(&p->misses);
  st->hits = allocs > st->misses ? allocs - st->misses : 0;
  st->invalid_frees = atomic_load(&p->invalid);
  st->returned_bytes = atomic_load(&p->returned);
  for (int i = 0; i < (p->slots ? 1 : MMB__NSMALL); i++) {
    pthread_mutex_lock(&p->cls[i].lock);
    if (p->cls[i].partial) {
      size_t cs = p->slots ? p->slot_bsize : mmb__class_size((unsigned)i);
      if (cs > largest)
        largest = cs;
    }
    pthread_mutex_unlock(&p->cls[i].lock);
  }
  pthread_mutex_lock(&p->large_lock);
  for (struct lblock *b = p->free_list; b; b = b->fnext)
    if ((b->nq << MMB__QSHIFT) > largest)
      largest = b->nq << MMB__QSHIFT;
  pthread_mutex_unlock(&p->large_lock);
  st->largest_free = largest;
}

mmbMemInterface *mmb__pool_iface(const struct mmb__pool *p)
{
  return p ? p->iface : NULL;
}

uint64_t mmb__pool_fast_uid(const struct mmb__pool *p)
{
  return p->fast ? p->uid : MMB__NO_UID;
}

/* ------------------------------------------------------------------ */
/* The public entry points. Their inline paths serve a host pool's thread-
 * cache hit (alloc) and push (free) with no lock, no atomic read-modify-
 * write, no call and no store to memory another thread writes; everything
 * else, every error included, goes to mmb__alloc_slow() / mmb__free_slow(),
 * which check again from scratch and report. (Two returns each: one is the
 * tail call into the slow path.) */

/* mmb__size_class(s) for 1 <= s <= MMB__MAX_SIZE, computed on s - 1; a
 * size of 0 or above MMB__MAX_SIZE gives a class >= MMB__NCLASSES, so one
 * compare refuses both. */
static inline size_t fast_class(size_t s)
{
  size_t m = s - 1;
  if (m < 128)
    return m >> 4; /* (s + 15) / 16 - 1 */
  unsigned b = 63u ^ (unsigned)__builtin_clzll((unsigned long long)m);
  return 8u + (b - 7u) * 4u + ((m >> (b - 2)) & 3u);
}

mmb_status mmb_alloc(mmbMemInterface *iface, size_t size, size_t alignment, void **ptr)
{
  /* fast_uid equals the thread's current cache only for a live host pool
   * with thread caches (uids are never reused) */
  /* the inline path takes alignment 0 and 16 (the default) only: one test;
   * a smaller power of two is served by the slow path */
  if (__builtin_expect(iface != NULL && ptr != NULL &&
                           (alignment | MMB_DEFAULT_ALIGNMENT) == MMB_DEFAULT_ALIGNMENT &&
                           iface->fast_uid == tls_fast.uid,
                       1)) {
    /* class + 1: the header is one bin long, so this times the bin size is
     * tc_off_of(class), and GCC folds the + 1 into the class arithmetic */
    size_t c1 = fast_class(size) + 1;
    struct tc_bin *bin = bin_at(tls_fast.tc, c1 * sizeof(struct tc_bin));
    uint32_t n = c1 <= MMB__NCLASSES ? MMB__LD(bin->n) : 0;
    if (__builtin_expect(n != 0, 1)) {
      void *q = *bin_slot(bin, n - 1);
      *tag_word(q) = 0; /* clear the free tag: the block is the user's */
      atomic_store_explicit(&bin->n, n - 1, memory_order_relaxed);
      bin_count_alloc(bin);
      *ptr = q;
      return MMB_OK;
    }
  }
  return mmb__alloc_slow(iface, size, alignment, ptr);
}

/* The inline free. The region table says whether ptr is pool memory (two
 * loads; ptr itself is not touched before); the region's fast_uid whether
 * it is memory of the pool of the thread's current cache; the block index
 * whether it is a block start; the state byte whether the block is out of
 * the central lists; and the free tag whether it is not already cached
 * (double free). Any doubt goes to the slow path. */
static inline __attribute__((always_inline)) mmb_status free_inline(mmbMemInterface *expect,
                                                                    void *ptr, bool by_iface)
{
  struct mmb__region *r = mmb__region_lookup(ptr);
  struct mmb__tcache *tc;
  size_t off, toff;
  _Atomic unsigned char *state;
  if (__builtin_expect(r == NULL || r->fast_uid != tls_fast.uid, 0))
    goto slow;
  tc = tls_fast.tc;
  /* a NULL iface of mmb_free_in() never matches: mmb__free_in_slow() reports it */
  if (__builtin_expect(by_iface && expect != tc->iface, 0))
    goto slow;
  off = (size_t)((char *)ptr - r->base);
  if (__builtin_expect(r->kind == MMB__REGION_SEG, 1)) {
    /* a fast pool's segments are one granule of blocks <= 256 KiB: the
     * reciprocal division of seg_index() is exact */
    struct mmb__seg *s = (struct mmb__seg *)r;
    size_t idx = (size_t)((off * s->recip) >> 40);
    if (__builtin_expect(idx * s->bsize != off, 0))
      goto slow;
    state = &s->state[idx];
    toff = s->tc_off;
  } else {
    struct mmb__arena *a = (struct mmb__arena *)r;
    struct lblock *b;
    if (__builtin_expect(off & (MMB__QUANTUM - 1), 0))
      goto slow;
    struct mmb__qent *qe = &a->q[off >> MMB__QSHIFT];
    b = atomic_load_explicit(&qe->b, memory_order_acquire);
    /* stale for a block that is not out (the state check below then
     * refuses it), but always 0 or a bin's offset, so the reads of the
     * bin stay inside the thread cache */
    toff = atomic_load_explicit(&qe->tc_off, memory_order_relaxed);
    if (__builtin_expect(b == NULL, 0))
      goto slow;
    state = &b->state;
  }
  {
    uintptr_t *w = tag_word(ptr), tag = (uintptr_t)ptr ^ tc->cookie;
    struct tc_bin *bin = bin_at(tc, toff);
    uint32_t n = MMB__LD(bin->n);
    if (__builtin_expect(atomic_load_explicit(state, memory_order_relaxed) != ST_USER ||
                             *w == tag || n == bin->cap,
                         0))
      goto slow;
    *w = tag;
    *bin_slot(bin, n) = ptr;
    atomic_store_explicit(&bin->n, n + 1, memory_order_relaxed);
  }
  return MMB_OK;
slow:
  return by_iface ? mmb__free_in_slow(expect, ptr) : mmb__free_slow(NULL, ptr);
}

mmb_status mmb_free_in(mmbMemInterface *iface, void *ptr)
{
  return free_inline(iface, ptr, true);
}

mmb_status mmb_free(void *ptr)
{
  return free_inline(NULL, ptr, false);
}
