/* SPDX-License-Identifier: BSD-3-Clause */
/* Registration cache (range-keyed, merging, LRU-bounded, invalidated on
 * free) and the registered-slab pool. No network library: the registrar's
 * callbacks do the registration. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmb_internal.h"

struct mmbRegEntry {
  uintptr_t start, end; /* [start, end), page aligned */
  void *handle, *desc;
  uint64_t key;
  int refs;
  bool valid; /* in the index */
  mmbRegCache *cache;
  struct mmbRegEntry *prev, *next; /* LRU of idle valid entries, or the retired list */
};

struct mmbRegCache {
  mmb_registrar r;
  mmb_regcache_config cfg;
  pthread_mutex_t lock;
  mmbRegEntry **idx; /* valid entries sorted by start, disjoint */
  size_t n, cap;
  mmbRegEntry *lru_head, *lru_tail; /* head: most recently used */
  mmbRegEntry *retired;             /* invalid entries still held */
  uint64_t bytes, in_use;
  mmb_regcache_stats st;
  mmbRegCache *gprev, *gnext;
};

static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static mmbRegCache *caches;

/* ---- lists ---- */
static void lru_remove(mmbRegCache *c, mmbRegEntry *e)
{
  if (e->prev)
    e->prev->next = e->next;
  else
    c->lru_head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->lru_tail = e->prev;
  e->prev = e->next = NULL;
}
static void lru_push(mmbRegCache *c, mmbRegEntry *e)
{
  e->prev = NULL;
  e->next = c->lru_head;
  if (c->lru_head)
    c->lru_head->prev = e;
  else
    c->lru_tail = e;
  c->lru_head = e;
}
static void retired_push(mmbRegCache *c, mmbRegEntry *e)
{
  e->prev = NULL;
  e->next = c->retired;
  if (c->retired)
    c->retired->prev = e;
  c->retired = e;
}
static void retired_remove(mmbRegCache *c, mmbRegEntry *e)
{
  if (e->prev)
    e->prev->next = e->next;
  else
    c->retired = e->next;
  if (e->next)
    e->next->prev = e->prev;
  e->prev = e->next = NULL;
}

static void dereg(mmbRegCache *c, mmbRegEntry *e)
{
  int rc = c->r.dereg(c->r.ctx, e->handle);
  c->st.deregistrations++;
  if (rc != 0)
    MMB_LOG_WARN(REG, "deregistration of [%p, %p) failed (%d)", (void *)e->start, (void *)e->end,
                 rc);
  free(e);
}

/* first index whose entry ends after a (entries are disjoint and sorted) */
static size_t first_ending_after(mmbRegCache *c, uintptr_t a)
{
  size_t lo = 0, hi = c->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c->idx[mid]->end <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Take entries [i, j) out of the index; idle ones are deregistered, held
 * ones retired. */
static void drop_range(mmbRegCache *c, size_t i, size_t j, uint64_t *counter)
{
  for (size_t k = i; k < j; k++) {
    mmbRegEntry *e = c->idx[k];
    e->valid = false;
    c->bytes -= e->end - e->start;
    if (counter)
      (*counter)++;
    if (e->refs == 0) {
      lru_remove(c, e);
      dereg(c, e);
    } else {
      retired_push(c, e);
    }
  }
  memmove(c->idx + i, c->idx + j, (c->n - j) * sizeof *c->idx);
  c->n -= j - i;
}

static void evict(mmbRegCache *c)
{
  while ((c->n > c->cfg.max_entries || c->bytes > c->cfg.max_bytes) && c->lru_tail) {
    mmbRegEntry *e = c->lru_tail;
    size_t i = first_ending_after(c, e->start);
    MMB__ASSERT(i < c->n && c->idx[i] == e);
    MMB_LOG_DEBUG(REG, "evicting [%p, %p)", (void *)e->start, (void *)e->end);
    drop_range(c, i, i + 1, &c->st.evictions);
  }
}

static void cache_unmapped(void *ctx, const void *addr, size_t len);

mmb_status mmb_regcache_create(const mmb_registrar *registrar, const mmb_regcache_config *config,
                               mmbRegCache **cache)
{
  mmb_status st = MMB_OK;
  mmbRegCache *c = NULL;
  MMB_CHECK(REG, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(REG, registrar != NULL && cache != NULL, st, MMB_INVALID_ARG,
            "registrar or cache is NULL");
  MMB_CHECK(REG, registrar->reg != NULL && registrar->dereg != NULL, st, MMB_INVALID_ARG,
            "the registrar needs reg and dereg");
  c = calloc(1, sizeof *c);
  MMB_CHECK(REG, c != NULL, st, MMB_OUT_OF_MEMORY, "no memory for a registration cache");
  c->r = *registrar;
  if (config)
    c->cfg = *config;
  if (c->cfg.max_entries == 0)
    c->cfg.max_entries = 1024;
  if (c->cfg.max_bytes == 0)
    c->cfg.max_bytes = (size_t)1 << 30;
  if (c->cfg.page_size == 0)
    c->cfg.page_size = (size_t)sysconf(_SC_PAGESIZE);
  MMB_CHECK(REG, mmb__is_pow2(c->cfg.page_size), st, MMB_INVALID_ARG,
            "page_size %zu is not a power of two", c->cfg.page_size);
  pthread_mutex_init(&c->lock, NULL);
  st = mmb_unmapped_subscribe(cache_unmapped, c);
  if (st != MMB_OK) {
    pthread_mutex_destroy(&c->lock);
    MMB_LOG_ERR(REG, "cannot subscribe a registration cache to unmapped memory");
    goto cleanup;
  }
  pthread_mutex_lock(&caches_lock);
  c->gnext = caches;
  if (caches)
    caches->gprev = c;
  caches = c;
  pthread_mutex_unlock(&caches_lock);
  *cache = c;
  c = NULL;
cleanup:
  free(c);
  return st;
}

mmb_status mmb_regcache_destroy(mmbRegCache *c)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(REG, c != NULL, st, MMB_INVALID_ARG, "cache is NULL");
  pthread_mutex_lock(&caches_lock);
  if (c->gprev)
    c->gprev->gnext = c->gnext;
  else
    caches = c->gnext;
  if (c->gnext)
    c->gnext->gprev = c->gprev;
  pthread_mutex_unlock(&caches_lock);
  mmb_unmapped_unsubscribe(cache_unmapped, c);
  pthread_mutex_lock(&c->lock);
  if (c->in_use) {
    st = MMB_BUSY;
    MMB_LOG_WARN(REG, "registration cache destroyed with %" PRIu64 " entries held", c->in_use);
  }
  for (size_t k = 0; k < c->n; k++)
    dereg(c, c->idx[k]);
  while (c->retired) {
    mmbRegEntry *e = c->retired;
    retired_remove(c, e);
    dereg(c, e);
  }
  pthread_mutex_unlock(&c->lock);
  pthread_mutex_destroy(&c->lock);
  free(c->idx);
  free(c);
cleanup:
  return st;
}

mmb_status mmb_regcache_acquire(mmbRegCache *c, const void *addr, size_t len, mmbRegEntry **entry)
{
  mmb_status st = MMB_OK;
  mmbRegEntry *e = NULL;
  bool locked = false;
  MMB_CHECK(REG, c != NULL && addr != NULL && entry != NULL && len > 0, st, MMB_INVALID_ARG,
            "bad acquire arguments (cache %p, addr %p, len %zu)", (void *)c, addr, len);
  MMB_CHECK(REG, (uintptr_t)addr + len > (uintptr_t)addr, st, MMB_INVALID_ARG,
            "range %p+%zu wraps around", addr, len);
  uintptr_t pg = c->cfg.page_size;
  uintptr_t a = (uintptr_t)addr & ~(pg - 1);
  uintptr_t b = ((uintptr_t)addr + len + pg - 1) & ~(pg - 1);
  pthread_mutex_lock(&c->lock);
  locked = true;
  size_t i = first_ending_after(c, a);
  if (i < c->n && c->idx[i]->start <= a && c->idx[i]->end >= b) {
    e = c->idx[i];
    if (e->refs++ == 0) {
      lru_remove(c, e);
      c->in_use++;
    }
    c->st.hits++;
    *entry = e;
    goto cleanup;
  }
  /* miss: union with every overlapping entry */
  size_t j = i;
  uintptr_t ua = a, ub = b;
  while (j < c->n && c->idx[j]->start < b) {
    if (c->idx[j]->start < ua)
      ua = c->idx[j]->start;
    if (c->idx[j]->end > ub)
      ub = c->idx[j]->end;
    j++;
  }
  c->st.misses++;
  if (c->n + 1 > c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 64;
    mmbRegEntry **n = realloc(c->idx, ncap * sizeof *n);
    MMB_CHECK(REG, n != NULL, st, MMB_OUT_OF_MEMORY, "no memory for the cache index");
    c->idx = n;
    c->cap = ncap;
  }
  e = calloc(1, sizeof *e);
  MMB_CHECK(REG, e != NULL, st, MMB_OUT_OF_MEMORY, "no memory for a cache entry");
  int rc = c->r.reg(c->r.ctx, (void *)ua, ub - ua, &e->handle);
  if (rc != 0) {
    c->st.failures++;
    free(e);
    e = NULL;
    st = MMB_ERROR;
    MMB_LOG_ERR(REG, "registration of [%p, %p) failed (%d)", (void *)ua, (void *)ub, rc);
    goto cleanup;
  }
  c->st.registrations++;
  e->start = ua;
  e->end = ub;
  e->cache = c;
  e->desc = c->r.desc ? c->r.desc(c->r.ctx, e->handle) : NULL;
  e->key = c->r.key ? c->r.key(c->r.ctx, e->handle) : 0;
  e->refs = 1;
  e->valid = true;
  c->in_use++;
  if (j > i) {
    c->st.merges++;
    drop_range(c, i, j, NULL);
  }
  memmove(c->idx + i + 1, c->idx + i, (c->n - i) * sizeof *c->idx);
  c->idx[i] = e;
  c->n++;
  c->bytes += ub - ua;
  evict(c);
  *entry = e;
cleanup:
  if (locked)
    pthread_mutex_unlock(&c->lock);
  return st;
}

mmb_status mmb_regcache_release(mmbRegCache *c, mmbRegEntry *e)
{
  mmb_status st = MMB_OK;
  bool locked = false;
  MMB_CHECK(REG, c != NULL && e != NULL, st, MMB_INVALID_ARG, "cache or entry is NULL");
  pthread_mutex_lock(&c->lock);
  locked = true;
  MMB_CHECK(REG, e->cache == c && e->refs > 0, st, MMB_INVALID_ARG,
            "entry %p is not held in this cache", (void *)e);
  if (--e->refs == 0) {
    c->in_use--;
    if (e->valid) {
      lru_push(c, e);
      evict(c);
    } else {
      retired_remove(c, e);
      dereg(c, e);
    }
  }
cleanup:
  if (locked)
    pthread_mutex_unlock(&c->lock);
  return st;
}

static void invalidate_locked(mmbRegCache *c, uintptr_t a, uintptr_t b)
{
  size_t i = first_ending_after(c, a), j = i;
  while (j < c->n && c->idx[j]->start < b)
    j++;
  if (j > i)
    drop_range(c, i, j, &c->st.invalidations);
}

mmb_status mmb_regcache_invalidate(mmbRegCache *c, const void *addr, size_t len)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(REG, c != NULL && addr != NULL, st, MMB_INVALID_ARG, "cache or addr is NULL");
  if (len == 0)
    goto cleanup;
  pthread_mutex_lock(&c->lock);
  invalidate_locked(c, (uintptr_t)addr, (uintptr_t)addr + len);
  pthread_mutex_unlock(&c->lock);
cleanup:
  return st;
}

/* The cache's subscription to libmamba's unmapped notification: memory freed
 * through libmamba is never found registered afterwards. */
static void cache_unmapped(void *ctx, const void *addr, size_t len)
{
  mmbRegCache *c = ctx;
  pthread_mutex_lock(&c->lock);
  invalidate_locked(c, (uintptr_t)addr, (uintptr_t)addr + len);
  pthread_mutex_unlock(&c->lock);
}

mmb_status mmb_regcache_flush(mmbRegCache *c)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(REG, c != NULL, st, MMB_INVALID_ARG, "cache is NULL");
  pthread_mutex_lock(&c->lock);
  while (c->lru_tail) {
    mmbRegEntry *e = c->lru_tail;
    size_t i = first_ending_after(c, e->start);
    drop_range(c, i, i + 1, NULL);
  }
  pthread_mutex_unlock(&c->lock);
cleanup:
  return st;
}

mmb_status mmb_regcache_get_stats(const mmbRegCache *cache, mmb_regcache_stats *stats)
{
  mmb_status st = MMB_OK;
  mmbRegCache *c = (mmbRegCache *)cache;
  MMB_CHECK(REG, c != NULL && stats != NULL, st, MMB_INVALID_ARG, "cache or stats is NULL");
  pthread_mutex_lock(&c->lock);
  *stats = c->st;
  stats->entries = c->n;
  stats->bytes = c->bytes;
  stats->in_use = c->in_use;
  pthread_mutex_unlock(&c->lock);
cleanup:
  return st;
}

mmb_status mmb_regcache_print_stats(const mmbRegCache *cache, FILE *out)
{
  mmb_status st = MMB_OK;
  mmb_regcache_stats s;
  MMB_PROPAGATE(REG, st, mmb_regcache_get_stats(cache, &s), "printing");
  fprintf(out ? out : stderr,
          "regcache: %" PRIu64 " entries, %" PRIu64 " bytes, %" PRIu64 " held; hits %" PRIu64
          ", misses %" PRIu64 ", merges %" PRIu64 ", evictions %" PRIu64 ", invalidations %" PRIu64
          ", registrations %" PRIu64 ", deregistrations %" PRIu64 ", failures %" PRIu64 "\n",
          s.entries, s.bytes, s.in_use, s.hits, s.misses, s.merges, s.evictions, s.invalidations,
          s.registrations, s.deregistrations, s.failures);
cleanup:
  return st;
}

void *mmb_regentry_handle(const mmbRegEntry *e)
{
  return e ? e->handle : NULL;
}
void *mmb_regentry_desc(const mmbRegEntry *e)
{
  return e ? e->desc : NULL;
}
uint64_t mmb_regentry_key(const mmbRegEntry *e)
{
  return e ? e->key : 0;
}
mmb_status mmb_regentry_range(const mmbRegEntry *e, void **addr, size_t *len)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(REG, e != NULL, st, MMB_INVALID_ARG, "entry is NULL");
  if (addr)
    *addr = (void *)e->start;
  if (len)
    *len = e->end - e->start;
cleanup:
  return st;
}

/* ------------------------------------------------------------------ */
/* Registered-slab pool */

struct mmbSlabPool {
  mmbMemInterface *iface;
  mmb_registrar r;
  mmb_slab_config cfg;
  _Atomic uint64_t registered;
  mmbSlabPool *prev, *next;
};
static mmbSlabPool *slabs;

static mmb_status slab_hook(void *ctx, struct mmb__region *reg, bool acquire)
{
  mmb_status st = MMB_OK;
  mmbSlabPool *p = ctx;
  if (!acquire) {
    int rc = p->r.dereg(p->r.ctx, reg->reg_handle);
    if (rc != 0)
      MMB_LOG_WARN(REG, "slab pool: deregistration of %p failed (%d)", (void *)reg->base, rc);
    atomic_fetch_sub(&p->registered, reg->size);
    goto cleanup;
  }
  uint64_t now = atomic_fetch_add(&p->registered, reg->size) + reg->size;
  if (p->cfg.max_bytes && now > p->cfg.max_bytes) {
    atomic_fetch_sub(&p->registered, reg->size);
    st = MMB_LIMIT;
    MMB_LOG_INFO(REG, "slab pool: %zu more bytes would pass max_bytes %zu", reg->size,
                 p->cfg.max_bytes);
    goto cleanup;
  }
  int rc = p->r.reg(p->r.ctx, reg->base, reg->size, &reg->reg_handle);
  if (rc != 0) {
    atomic_fetch_sub(&p->registered, reg->size);
    st = MMB_ERROR;
    MMB_LOG_ERR(REG, "slab pool: registration of %p+%zu failed (%d)", (void *)reg->base, reg->size,
                rc);
  }
cleanup:
  return st;
}

mmb_status mmb_slab_pool_create(mmbMemSpace *space, const mmb_registrar *registrar,
                                const mmb_slab_config *config, mmbSlabPool **pool)
{
  mmb_status st = MMB_OK;
  mmbSlabPool *p = NULL;
  char name[MMB_NAME_MAX + 8];
  MMB_CHECK(REG, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(REG, registrar != NULL && pool != NULL && registrar->reg && registrar->dereg, st,
            MMB_INVALID_ARG, "registrar (with reg and dereg) and pool are required");
  if (space == NULL)
    space = mmb__g.dram;
  p = calloc(1, sizeof *p);
  MMB_CHECK(REG, p != NULL, st, MMB_OUT_OF_MEMORY, "no memory for a slab pool");
  p->r = *registrar;
  if (config)
    p->cfg = *config;
  if (p->cfg.slab_size == 0)
    p->cfg.slab_size = (size_t)16 << 20;
  p->cfg.slab_size = mmb__align_up(p->cfg.slab_size, MMB__GRANULE);
  snprintf(name, sizeof name, "%s/slabs", space->info.name);
  mmb_interface_config ic = {.strategy = MMB_STRATEGY_POOL,
                             .name = name,
                             .arena_size = p->cfg.slab_size,
                             .high_water = p->cfg.slab_size * 2};
  MMB_PROPAGATE(REG, st, mmb__interface_new(space, &ic, true, slab_hook, p, &p->iface),
                "slab pool interface");
  pthread_mutex_lock(&caches_lock);
  p->next = slabs;
  if (slabs)
    slabs->prev = p;
  slabs = p;
  pthread_mutex_unlock(&caches_lock);
  *pool = p;
  p = NULL;
cleanup:
  free(p);
  return st;
}

mmb_status mmb_slab_pool_destroy(mmbSlabPool *p)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(REG, p != NULL, st, MMB_INVALID_ARG, "pool is NULL");
  pthread_mutex_lock(&caches_lock);
  if (p->prev)
    p->prev->next = p->next;
  else
    slabs = p->next;
  if (p->next)
    p->next->prev = p->prev;
  pthread_mutex_unlock(&caches_lock);
  p->iface->is_default = false;
  st = mmb_interface_destroy(p->iface);
  free(p);
cleanup:
  return st;
}

static mmb_status fill(mmbSlabPool *p, void *ptr, mmb_slab_buffer *buf)
{
  mmb_status st = MMB_OK;
  struct mmb__region *r = mmb__region_lookup(ptr);
  MMB_CHECK(REG, r != NULL && mmb__pool_iface(r->pool) == p->iface, st, MMB_NOT_FOUND,
            "%p is not in a slab of this pool", ptr);
  buf->ptr = ptr;
  buf->handle = r->reg_handle;
  buf->desc = p->r.desc ? p->r.desc(p->r.ctx, r->reg_handle) : NULL;
  buf->key = p->r.key ? p->r.key(p->r.ctx, r->reg_handle) : 0;
  buf->region = r->base;
  buf->offset = (size_t)((char *)ptr - r->base);
cleanup:
  return st;
}

mmb_status mmb_slab_alloc(mmbSlabPool *p, size_t size, mmb_slab_buffer *buf)
{
  mmb_status st = MMB_OK;
  void *ptr = NULL;
  MMB_CHECK(REG, p != NULL && buf != NULL && size > 0, st, MMB_INVALID_ARG,
            "bad slab allocation arguments");
  MMB_CHECK(REG, size <= p->cfg.slab_size, st, MMB_INVALID_ARG,
            "%zu bytes do not fit a %zu-byte slab", size, p->cfg.slab_size);
  MMB_PROPAGATE(REG, st, mmb_alloc(p->iface, size, 0, &ptr), "slab buffer of %zu bytes", size);
  MMB_PROPAGATE(REG, st, fill(p, ptr, buf), "slab buffer");
  buf->size = size;
cleanup:
  if (st != MMB_OK && ptr)
    mmb_free_in(p->iface, ptr);
  return st;
}

mmb_status mmb_slab_free(mmbSlabPool *p, void *ptr)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(REG, p != NULL, st, MMB_INVALID_ARG, "pool is NULL");
  st = mmb_free_in(p->iface, ptr);
cleanup:
  return st;
}

mmb_status mmb_slab_lookup(mmbSlabPool *p, const void *ptr, mmb_slab_buffer *buf)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(REG, p != NULL && buf != NULL && ptr != NULL, st, MMB_INVALID_ARG,
            "bad lookup arguments");
  st = fill(p, (void *)ptr, buf);
  if (st == MMB_OK) {
    struct mmb__region *r = mmb__region_lookup(ptr);
    buf->size = r->size - buf->offset;
  }
cleanup:
  return st;
}

mmbMemInterface *mmb_slab_pool_interface(const mmbSlabPool *p)
{
  return p ? p->iface : NULL;
}

void mmb__regcache_destroy_all(void)
{
  for (;;) {
    pthread_mutex_lock(&caches_lock);
    mmbSlabPool *p = slabs;
    pthread_mutex_unlock(&caches_lock);
    if (!p)
      break;
    MMB_LOG_WARN(REG, "slab pool %s not destroyed before mmb_finalize", p->iface->name);
    mmb_slab_pool_destroy(p);
  }
  for (;;) {
    pthread_mutex_lock(&caches_lock);
    mmbRegCache *c = caches;
    pthread_mutex_unlock(&caches_lock);
    if (!c)
      break;
    MMB_LOG_WARN(REG, "registration cache not destroyed before mmb_finalize");
    mmb_regcache_destroy(c);
  }
}
