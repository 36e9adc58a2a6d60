/* SPDX-License-Identifier: BSD-3-Clause */
/* Global pointer lookup:
 *  - the region table maps every 4 MiB granule of a pool region to its
 *    region (a two-level radix table over 48-bit addresses, read without
 *    locks: the free path of a pool costs two loads);
 *  - the system map records allocations of system interfaces (sharded hash
 *    tables under mutexes). */
#include <stdlib.h>
#include <string.h>

#include "mmb_internal.h"

#define ROOT_BITS MMB__RT_ROOT_BITS
#define LEAF_BITS MMB__RT_LEAF_BITS
#define ADDR_BITS MMB__RT_ADDR_BITS /* 48 */

typedef mmb__region_slot region_slot;
_Atomic(region_slot *) mmb__region_root[1u << ROOT_BITS];
#define root mmb__region_root
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static region_slot *slot_of(uintptr_t g, bool create)
{
  size_t ri = (size_t)(g >> LEAF_BITS) & ((1u << ROOT_BITS) - 1);
  region_slot *leaf = (region_slot *)atomic_load_explicit(&root[ri], memory_order_acquire);
  if (leaf == NULL) {
    if (!create)
      return NULL;
    leaf = calloc((size_t)1 << LEAF_BITS, sizeof *leaf);
    if (leaf == NULL)
      return NULL;
    atomic_store_explicit(&root[ri], (void *)leaf, memory_order_release);
  }
  return &leaf[g & ((1u << LEAF_BITS) - 1)];
}

mmb_status mmb__region_table_insert(struct mmb__region *r)
{
  mmb_status st = MMB_OK;
  uintptr_t a = (uintptr_t)r->base;
  size_t n = r->size >> MMB__GRANULE_SHIFT;
  pthread_mutex_lock(&table_lock);
  MMB_CHECK(POOL, (a >> ADDR_BITS) == 0 && ((a + r->size - 1) >> ADDR_BITS) == 0, st,
            MMB_UNSUPPORTED, "region %p above the 48-bit address space", r->base);
  MMB_CHECK(POOL, (a & (MMB__GRANULE - 1)) == 0 && (r->size & (MMB__GRANULE - 1)) == 0, st,
            MMB_INVALID_ARG, "region %p+%zu not granule aligned", r->base, r->size);
  for (size_t i = 0; i < n; i++) {
    region_slot *s = slot_of((a >> MMB__GRANULE_SHIFT) + i, true);
    MMB_CHECK(POOL, s != NULL, st, MMB_OUT_OF_MEMORY, "no memory for the region table");
  }
  for (size_t i = 0; i < n; i++)
    atomic_store_explicit(slot_of((a >> MMB__GRANULE_SHIFT) + i, false), r, memory_order_release);
cleanup:
  pthread_mutex_unlock(&table_lock);
  return st;
}

void mmb__region_table_remove(struct mmb__region *r)
{
  uintptr_t a = (uintptr_t)r->base;
  size_t n = r->size >> MMB__GRANULE_SHIFT;
  pthread_mutex_lock(&table_lock);
  for (size_t i = 0; i < n; i++) {
    region_slot *s = slot_of((a >> MMB__GRANULE_SHIFT) + i, false);
    if (s && atomic_load_explicit(s, memory_order_relaxed) == r)
      atomic_store_explicit(s, NULL, memory_order_release);
  }
  pthread_mutex_unlock(&table_lock);
}

static void region_table_fini(void)
{
  for (size_t i = 0; i < (1u << ROOT_BITS); i++) {
    region_slot *leaf = (region_slot *)atomic_load(&root[i]);
    if (leaf) {
      atomic_store(&root[i], NULL);
      free(leaf);
    }
  }
}

/* ------------------------------------------------------------------ */
/* System map: 64 shards of open-addressing tables keyed by pointer. */

#define NSHARDS 64
struct sys_ent {
  uintptr_t key; /* 0: empty */
  struct mmb__sysrec rec;
};
struct shard {
  pthread_mutex_t lock;
  struct sys_ent *t;
  size_t cap, n;
} __attribute__((aligned(64)));
static struct shard shards[NSHARDS];

static inline size_t hash_ptr(uintptr_t k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return (size_t)k;
}
static inline struct shard *shard_of(uintptr_t k)
{
  return &shards[(k >> 4) % NSHARDS];
}

void mmb__sysmap_init(void)
{
  for (int i = 0; i < NSHARDS; i++) {
    pthread_mutex_init(&shards[i].lock, NULL);
    shards[i].t = NULL;
    shards[i].cap = shards[i].n = 0;
  }
}

void mmb__sysmap_fini(void)
{
  for (int i = 0; i < NSHARDS; i++) {
    free(shards[i].t);
    shards[i].t = NULL;
    shards[i].cap = shards[i].n = 0;
    pthread_mutex_destroy(&shards[i].lock);
  }
  region_table_fini();
}

static bool grow(struct shard *s)
{
  size_t ncap = s->cap ? s->cap * 2 : 64;
  struct sys_ent *nt = calloc(ncap, sizeof *nt);
  if (nt == NULL)
    return false;
  for (size_t i = 0; i < s->cap; i++) {
    if (s->t[i].key == 0)
      continue;
    size_t j = hash_ptr(s->t[i].key) & (ncap - 1);
    while (nt[j].key != 0)
      j = (j + 1) & (ncap - 1);
    nt[j] = s->t[i];
  }
  free(s->t);
  s->t = nt;
  s->cap = ncap;
  return true;
}

mmb_status mmb__sysmap_insert(void *p, const struct mmb__sysrec *rec)
{
  mmb_status st = MMB_OK;
  uintptr_t k = (uintptr_t)p;
  struct shard *s = shard_of(k);
  pthread_mutex_lock(&s->lock);
  if ((s->n + 1) * 2 > s->cap)
    MMB_CHECK(POOL, grow(s), st, MMB_OUT_OF_MEMORY, "no memory for the allocation map");
  size_t j = hash_ptr(k) & (s->cap - 1);
  while (s->t[j].key != 0 && s->t[j].key != k)
    j = (j + 1) & (s->cap - 1);
  if (s->t[j].key == 0)
    s->n++;
  s->t[j].key = k;
  s->t[j].rec = *rec;
cleanup:
  pthread_mutex_unlock(&s->lock);
  return st;
}

static size_t find_slot(struct shard *s, uintptr_t k)
{
  if (s->cap == 0)
    return SIZE_MAX;
  size_t j = hash_ptr(k) & (s->cap - 1);
  while (s->t[j].key != 0) {
    if (s->t[j].key == k)
      return j;
    j = (j + 1) & (s->cap - 1);
  }
  return SIZE_MAX;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void erase_at(struct shard *s, size_t j)
{
  size_t mask = s->cap - 1;
  size_t i = j;
  s->t[i].key = 0;
  for (size_t k = (i + 1) & mask; s->t[k].key != 0; k = (k + 1) & mask) {
    size_t h = hash_ptr(s->t[k].key) & mask;
    /* move k back to i if h is not cyclically in (i, k] */
    bool in_range = (i <= k) ? (h > i && h <= k) : (h > i || h <= k);
    if (!in_range) {
      s->t[i] = s->t[k];
      s->t[k].key = 0;
      i = k;
    }
  }
  s->n--;
}

bool mmb__sysmap_find(const void *p, struct mmb__sysrec *rec)
{
  uintptr_t k = (uintptr_t)p;
  struct shard *s = shard_of(k);
  bool found = false;
  pthread_mutex_lock(&s->lock);
  size_t j = find_slot(s, k);
  if (j != SIZE_MAX) {
    found = true;
    if (rec)
      *rec = s->t[j].rec;
  }
  pthread_mutex_unlock(&s->lock);
  return found;
}

bool mmb__sysmap_remove_if(void *p, mmbMemInterface *iface, struct mmb__sysrec *rec)
{
  uintptr_t k = (uintptr_t)p;
  struct shard *s = shard_of(k);
  bool removed = false;
  pthread_mutex_lock(&s->lock);
  size_t j = find_slot(s, k);
  if (j != SIZE_MAX) {
    *rec = s->t[j].rec;
    if (iface == NULL || s->t[j].rec.iface == iface) {
      erase_at(s, j);
      removed = true;
    }
  } else {
    rec->iface = NULL;
  }
  pthread_mutex_unlock(&s->lock);
  return removed;
}

size_t mmb__sysmap_drain(mmbMemInterface *iface,
                         void (*fn)(void *p, const struct mmb__sysrec *rec, void *ctx), void *ctx)
{
  size_t n = 0;
  for (int i = 0; i < NSHARDS; i++) {
    struct shard *s = &shards[i];
    pthread_mutex_lock(&s->lock);
    for (size_t j = 0; j < s->cap;) {
      if (s->t[j].key != 0 && s->t[j].rec.iface == iface) {
        struct mmb__sysrec rec = s->t[j].rec;
        void *p = (void *)s->t[j].key;
        erase_at(s, j);
        fn(p, &rec, ctx);
        n++;
        continue; /* slot j now holds a shifted entry (or is empty) */
      }
      j++;
    }
    pthread_mutex_unlock(&s->lock);
  }
  return n;
}
