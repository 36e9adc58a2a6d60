/* SPDX-License-Identifier: BSD-3-Clause */
/* Interfaces: creation, the system strategy, allocation and free by pointer,
 * introspection and printing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mmb_internal.h"

static const char *const strategy_names[] = {"system", "pool", "slots"};

mmb_status mmb__interface_new(mmbMemSpace *space, const mmb_interface_config *cfg, bool is_default,
                              mmb__region_hook hook, void *hook_ctx, mmbMemInterface **out)
{
  mmb_status st = MMB_OK;
  mmbMemInterface *i = calloc(1, sizeof *i);
  MMB_CHECK(POOL, i != NULL, st, MMB_OUT_OF_MEMORY, "no memory for an interface");
  i->strategy = cfg->strategy;
  i->space = space;
  i->is_default = is_default;
  if (cfg->name && cfg->name[0])
    snprintf(i->name, sizeof i->name, "%s", cfg->name);
  else
    snprintf(i->name, sizeof i->name, "%s/%s", space->info.name, strategy_names[cfg->strategy]);
  /* system interfaces of the unbound DRAM space use the C heap */
  i->raw_kind = (space->info.numa_node < 0 && !space->has_provider &&
                 space->info.layer != MMB_LAYER_GPU && space->info.layer != MMB_LAYER_PINNED)
                    ? MMB__RAW_HEAP
                    : MMB__RAW_MAP;
  if (cfg->strategy != MMB_STRATEGY_SYSTEM) {
    struct mmb__pool_config pc = {.slots = cfg->strategy == MMB_STRATEGY_SLOTS,
                                  .slot_size = cfg->slot_size,
                                  .max_slots = cfg->max_slots,
                                  .high_water = cfg->high_water,
                                  .arena_size = cfg->arena_size,
                                  .no_tcache = cfg->no_thread_cache,
                                  .hook = hook,
                                  .hook_ctx = hook_ctx};
    MMB_PROPAGATE(POOL, st, mmb__pool_create(i, &pc, &i->pool), "interface %s", i->name);
  }
  i->fast_uid = i->pool ? mmb__pool_fast_uid(i->pool) : MMB__NO_UID;
  pthread_mutex_lock(&mmb__g.lock);
  i->next = mmb__g.ifaces;
  if (mmb__g.ifaces)
    mmb__g.ifaces->prev = i;
  mmb__g.ifaces = i;
  pthread_mutex_unlock(&mmb__g.lock);
  MMB_LOG_DEBUG(POOL, "interface %s created", i->name);
  *out = i;
  i = NULL;
cleanup:
  free(i);
  return st;
}

mmb_status mmb_interface_create(mmbMemSpace *space, const mmb_interface_config *config,
                                mmbMemInterface **iface)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(POOL, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(POOL, space != NULL && config != NULL && iface != NULL, st, MMB_INVALID_ARG,
            "space, config or iface is NULL");
  MMB_CHECK(POOL, (int)config->strategy >= 0 && config->strategy <= MMB_STRATEGY_SLOTS, st,
            MMB_INVALID_ARG, "bad strategy %d", (int)config->strategy);
  MMB_CHECK(POOL, config->strategy != MMB_STRATEGY_SLOTS || config->slot_size > 0, st,
            MMB_INVALID_ARG, "the slot strategy needs slot_size > 0");
  st = mmb__interface_new(space, config, false, NULL, NULL, iface);
cleanup:
  return st;
}

static void sys_release(void *p, const struct mmb__sysrec *rec, void *ctx)
{
  mmbMemInterface *i = ctx;
  (void)p;
  mmb__notify_unmapped(p, rec->size);
  mmb__raw_free(i->space, rec->raw_base, rec->raw_size, rec->size, i->raw_kind);
}

/* Destroys without the checks; returns the number of live allocations freed. */
static uint64_t interface_destroy(mmbMemInterface *i)
{
  uint64_t live;
  pthread_mutex_lock(&mmb__g.lock);
  if (i->prev)
    i->prev->next = i->next;
  else
    mmb__g.ifaces = i->next;
  if (i->next)
    i->next->prev = i->prev;
  pthread_mutex_unlock(&mmb__g.lock);
  if (i->pool)
    live = mmb__pool_destroy(i->pool);
  else
    live = mmb__sysmap_drain(i, sys_release, i);
  if (live)
    MMB_LOG_WARN(POOL, "interface %s destroyed with %" PRIu64 " live allocations", i->name, live);
  free(i);
  return live;
}

mmb_status mmb_interface_destroy(mmbMemInterface *iface)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(POOL, iface != NULL, st, MMB_INVALID_ARG, "iface is NULL");
  MMB_CHECK(POOL, !iface->is_default, st, MMB_INVALID_ARG,
            "interface %s is a default interface, owned by libmamba", iface->name);
  if (interface_destroy(iface) > 0)
    st = MMB_BUSY;
cleanup:
  return st;
}

void mmb__interface_free_all(void)
{
  for (;;) {
    pthread_mutex_lock(&mmb__g.lock);
    mmbMemInterface *i = mmb__g.ifaces;
    if (i && i->space) {
      i->space->defaults[0] = i->space->defaults[1] = NULL;
    }
    pthread_mutex_unlock(&mmb__g.lock);
    if (i == NULL)
      break;
    if (!i->is_default)
      MMB_LOG_WARN(POOL, "interface %s not destroyed before mmb_finalize", i->name);
    interface_destroy(i);
  }
  pthread_mutex_lock(&mmb__g.lock);
  for (size_t k = 0; k < mmb__g.nspaces; k++)
    mmb__g.spaces[k]->defaults[0] = mmb__g.spaces[k]->defaults[1] = NULL;
  pthread_mutex_unlock(&mmb__g.lock);
}

mmb_status mmb_space_interface(mmbMemSpace *space, mmb_strategy strategy, mmbMemInterface **iface)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(POOL, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(POOL, space != NULL && iface != NULL, st, MMB_INVALID_ARG, "space or iface is NULL");
  MMB_CHECK(POOL, strategy == MMB_STRATEGY_SYSTEM || strategy == MMB_STRATEGY_POOL, st,
            MMB_INVALID_ARG, "no default interface for strategy %d", (int)strategy);
  pthread_mutex_lock(&space->lock);
  if (space->defaults[strategy] == NULL) {
    mmb_interface_config cfg = {.strategy = strategy};
    st = mmb__interface_new(space, &cfg, true, NULL, NULL, &space->defaults[strategy]);
  }
  *iface = space->defaults[strategy];
  pthread_mutex_unlock(&space->lock);
cleanup:
  return st;
}

mmb_status mmb__space_default_iface(mmbMemSpace *s, mmbMemInterface **iface)
{
  uint64_t lim = atomic_load(&s->limit);
  /* pool regions are 4 MiB units: a space limited below 64 MiB would be
   * exhausted by a few of them, so it uses its system allocator */
  return mmb_space_interface(
      s, lim && lim < ((uint64_t)64 << 20) ? MMB_STRATEGY_SYSTEM : MMB_STRATEGY_POOL, iface);
}

mmbMemSpace *mmb_interface_space(const mmbMemInterface *iface)
{
  return iface ? iface->space : NULL;
}

const char *mmb_interface_name(const mmbMemInterface *iface)
{
  return iface ? iface->name : "(null)";
}

/* ------------------------------------------------------------------ */
/* Allocation */

static mmb_status sys_alloc(mmbMemInterface *i, size_t size, size_t align, void **ptr)
{
  mmb_status st = MMB_OK;
  struct mmb__sysrec rec = {.iface = i, .size = size};
  void *p = NULL;
  MMB_PROPAGATE(
      POOL, st,
      mmb__raw_alloc(i->space, size, align, i->raw_kind, &p, &rec.raw_base, &rec.raw_size),
      "interface %s: %zu bytes", i->name, size);
  st = mmb__sysmap_insert(p, &rec);
  if (st != MMB_OK) {
    mmb__raw_free(i->space, rec.raw_base, rec.raw_size, size, i->raw_kind);
    goto cleanup;
  }
  uint64_t now = atomic_fetch_add(&i->in_use, size) + size;
  mmb__hwm_update(&i->in_use_hwm, now);
  atomic_fetch_add(&i->live, 1);
  atomic_fetch_add(&i->total, 1);
  *ptr = p;
cleanup:
  return st;
}

__attribute__((noinline)) mmb_status mmb__alloc_slow(mmbMemInterface *iface, size_t size,
                                                     size_t alignment, void **ptr)
{
  mmb_status st = MMB_OK;
  if (ptr)
    *ptr = NULL;
  MMB_CHECK(POOL, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(POOL, iface != NULL && ptr != NULL, st, MMB_INVALID_ARG, "iface or ptr is NULL");
  MMB_CHECK(POOL, size > 0, st, MMB_INVALID_ARG, "allocation of 0 bytes");
  if (alignment == 0)
    alignment = MMB_DEFAULT_ALIGNMENT;
  MMB_CHECK(POOL, mmb__is_pow2(alignment) && alignment <= MMB__MAX_ALIGN, st, MMB_INVALID_ARG,
            "alignment %zu is not a power of two <= %zu", alignment, MMB__MAX_ALIGN);
  if (iface->pool)
    st = mmb__pool_alloc(iface->pool, size, alignment, ptr);
  else
    st = sys_alloc(iface, size, alignment, ptr);
cleanup:
  return st;
}

/* mmb_alloc(), mmb_free_in() and mmb_free() are in mmb_pool.c, next to the
 * thread caches their inline paths serve. */

mmb_status mmb_alloc_in(const char *mem_layer, size_t size, void **ptr)
{
  mmb_status st = MMB_OK;
  mmbMemSpace *s = NULL;
  mmbMemInterface *i = NULL;
  if (ptr)
    *ptr = NULL;
  MMB_CHECK(POOL, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  if (mem_layer == NULL || mem_layer[0] == '\0')
    s = mmb__g.dram;
  else
    MMB_PROPAGATE(POOL, st, mmb_space_find(mem_layer, &s), "mem-layer \"%s\"", mem_layer);
  MMB_PROPAGATE(POOL, st, mmb__space_default_iface(s, &i), "interface of %s", s->info.name);
  st = mmb_alloc(i, size, 0, ptr);
cleanup:
  return st;
}

__attribute__((noinline)) mmb_status mmb__free_slow(mmbMemInterface *iface, void *ptr)
{
  mmb_status st = MMB_OK;
  struct mmb__region *r;
  struct mmb__sysrec rec;
  if (ptr == NULL)
    goto cleanup;
  MMB_CHECK(POOL, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  r = mmb__region_lookup(ptr);
  if (r != NULL) {
    st = mmb__pool_free(r->pool, ptr, r, iface);
    goto cleanup;
  }
  if (mmb__sysmap_remove_if(ptr, iface, &rec)) {
    mmbMemInterface *i = rec.iface;
    mmb__notify_unmapped(ptr, rec.size);
    mmb__raw_free(i->space, rec.raw_base, rec.raw_size, rec.size, i->raw_kind);
    atomic_fetch_sub(&i->in_use, rec.size);
    atomic_fetch_sub(&i->live, 1);
    goto cleanup;
  }
  st = MMB_INVALID_FREE;
  if (iface)
    atomic_fetch_add(&iface->invalid, 1);
  if (rec.iface != NULL)
    MMB_LOG_ERR(POOL, "free of %p through %s refused: it belongs to interface %s of space %s", ptr,
                iface ? iface->name : "?", rec.iface->name, rec.iface->space->info.name);
  else
    MMB_LOG_ERR(
        POOL, "free of %p refused: not allocated by libmamba or already freed (double free)", ptr);
cleanup:
  return st;
}

__attribute__((noinline)) mmb_status mmb__free_in_slow(mmbMemInterface *iface, void *ptr)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(POOL, iface != NULL, st, MMB_INVALID_ARG, "iface is NULL");
  st = mmb__free_slow(iface, ptr);
cleanup:
  return st;
}

mmb_status mmb_ptr_info(const void *ptr, mmbMemInterface **iface, mmbMemSpace **space, size_t *size)
{
  mmb_status st = MMB_NOT_FOUND;
  mmbMemInterface *owner = NULL;
  size_t sz = 0;
  if (!mmb__ready() || ptr == NULL)
    return st;
  struct mmb__region *r = mmb__region_lookup(ptr);
  if (r != NULL) {
    sz = mmb__pool_usable_size(r->pool, ptr, r);
    if (sz)
      owner = mmb__pool_iface(r->pool);
  } else {
    struct mmb__sysrec rec;
    if (mmb__sysmap_find(ptr, &rec)) {
      owner = rec.iface;
      sz = rec.size;
    }
  }
  if (owner) {
    st = MMB_OK;
    if (iface)
      *iface = owner;
    if (space)
      *space = owner->space;
    if (size)
      *size = sz;
  }
  return st;
}

/* ------------------------------------------------------------------ */
/* Introspection */

mmb_status mmb_interface_get_stats(const mmbMemInterface *iface, mmb_stats *stats)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(POOL, iface != NULL && stats != NULL, st, MMB_INVALID_ARG, "iface or stats is NULL");
  mmbMemInterface *i = (mmbMemInterface *)iface;
  if (i->pool) {
    mmb__pool_get_stats(i->pool, stats);
    stats->invalid_frees += atomic_load(&i->invalid);
  } else {
    memset(stats, 0, sizeof *stats);
    stats->bytes_in_use = stats->bytes_reserved = atomic_load(&i->in_use);
    stats->bytes_in_use_hwm = stats->bytes_reserved_hwm = atomic_load(&i->in_use_hwm);
    stats->live_allocs = atomic_load(&i->live);
    stats->total_allocs = atomic_load(&i->total);
    stats->misses = stats->total_allocs;
    stats->invalid_frees = atomic_load(&i->invalid);
  }
cleanup:
  return st;
}

mmb_status mmb_space_get_stats(const mmbMemSpace *space, mmb_stats *stats)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(POOL, space != NULL && stats != NULL, st, MMB_INVALID_ARG, "space or stats is NULL");
  mmbMemSpace *s = (mmbMemSpace *)space;
  memset(stats, 0, sizeof *stats);
  stats->bytes_in_use = stats->bytes_reserved = atomic_load(&s->raw_bytes);
  stats->bytes_in_use_hwm = stats->bytes_reserved_hwm = atomic_load(&s->raw_hwm);
  stats->live_allocs = atomic_load(&s->raw_count);
  stats->total_allocs = atomic_load(&s->raw_total);
  stats->misses = stats->total_allocs;
  uint64_t fr = mmb__space_free_bytes(s);
  stats->largest_free = fr == UINT64_MAX ? 0 : fr;
cleanup:
  return st;
}

static void fmt_bytes(char *buf, size_t len, uint64_t v)
{
  static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int k = 0;
  double d = (double)v;
  while (d >= 1024 && k < 4) {
    d /= 1024;
    k++;
  }
  snprintf(buf, len, k ? "%.1f%s" : "%.0f%s", d, u[k]);
}

mmb_status mmb_interface_print_stats(const mmbMemInterface *iface, FILE *out)
{
  mmb_status st = MMB_OK;
  mmb_stats s;
  char a[32], b[32], c[32], d[32], e[32];
  MMB_PROPAGATE(POOL, st, mmb_interface_get_stats(iface, &s), "printing");
  fmt_bytes(a, sizeof a, s.bytes_in_use);
  fmt_bytes(b, sizeof b, s.bytes_in_use_hwm);
  fmt_bytes(c, sizeof c, s.bytes_reserved);
  fmt_bytes(d, sizeof d, s.bytes_reserved_hwm);
  fmt_bytes(e, sizeof e, s.largest_free);
  fprintf(out ? out : stderr,
          "interface %s [%s]: in use %s (hwm %s), reserved %s (hwm %s), live %" PRIu64
          ", allocs %" PRIu64 ", hits %" PRIu64 ", misses %" PRIu64 ", largest free %s"
          ", invalid frees %" PRIu64 ", returned %" PRIu64 " B\n",
          iface->name, strategy_names[iface->strategy], a, b, c, d, s.live_allocs, s.total_allocs,
          s.hits, s.misses, e, s.invalid_frees, s.returned_bytes);
cleanup:
  return st;
}

mmb_status mmb_space_print(const mmbMemSpace *space, FILE *out)
{
  mmb_status st = MMB_OK;
  mmb_stats s;
  mmb_space_info info;
  char cap[32], use[32], hwm[32], lim[32];
  MMB_PROPAGATE(SPACE, st, mmb_space_get_info(space, &info), "printing");
  mmb_space_get_stats(space, &s);
  fmt_bytes(cap, sizeof cap, info.capacity);
  fmt_bytes(use, sizeof use, s.bytes_in_use);
  fmt_bytes(hwm, sizeof hwm, s.bytes_in_use_hwm);
  if (info.limit)
    fmt_bytes(lim, sizeof lim, info.limit);
  else
    snprintf(lim, sizeof lim, "none");
  fprintf(
      out ? out : stderr,
      "space %s: layer %s, node %d, device %d, rank %d, capacity %s, limit %s, bandwidth %" PRIu64
      " MB/s, latency %" PRIu64 " ns%s; in use %s (hwm %s), %" PRIu64 " blocks\n",
      info.name, mmb_layer_name(info.layer), info.numa_node, info.device, info.rank, cap, lim,
      info.bandwidth, info.latency, info.perf_from_memattrs ? " (memattrs)" : "", use, hwm,
      s.live_allocs);
cleanup:
  return st;
}

mmb_status mmb_print_all(FILE *out)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(SPACE, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  pthread_mutex_lock(&mmb__g.lock);
  for (size_t k = 0; k < mmb__g.nspaces; k++)
    mmb_space_print(mmb__g.spaces[k], out);
  for (mmbMemInterface *i = mmb__g.ifaces; i; i = i->next)
    mmb_interface_print_stats(i, out);
  pthread_mutex_unlock(&mmb__g.lock);
cleanup:
  return st;
}
