/* SPDX-License-Identifier: BSD-3-Clause */
/* Life cycle of libmamba: reference-counted init/finalize, options. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mmb_internal.h"
#include "options.h"

struct mmb__global mmb__g = {.lock = PTHREAD_MUTEX_INITIALIZER};
_Atomic int mmb__initialized;

struct mmb__opts {
  uint64_t high_water, arena_size, tcache_bytes;
  bool disable_cuda, disable_memattrs, disable_numa;
};

static const struct mmb__opt_def opt_defs[] = {
    {"MMB_POOL_HIGH_WATER", MMB__OPT_SIZE, "64M", 0, (long long)1 << 50, NULL, NULL,
     offsetof(struct mmb__opts, high_water),
     "free bytes a pool keeps before returning memory to its space"},
    {"MMB_POOL_ARENA_SIZE", MMB__OPT_SIZE, "64M", 4 << 20, (long long)1 << 50, NULL, NULL,
     offsetof(struct mmb__opts, arena_size), "size of a pool's large-block arena"},
    {"MMB_POOL_TCACHE_BYTES", MMB__OPT_SIZE, "32M", 0, (long long)1 << 40, NULL, NULL,
     offsetof(struct mmb__opts, tcache_bytes),
     "bytes of large blocks (> 256 KiB) a thread may cache per pool"},
    {"MMB_DISABLE_CUDA", MMB__OPT_BOOL, "0", 0, 0, NULL, NULL,
     offsetof(struct mmb__opts, disable_cuda), "do not look for a CUDA driver and devices"},
    {"MMB_DISABLE_MEMATTRS", MMB__OPT_BOOL, "0", 0, 0, NULL, NULL,
     offsetof(struct mmb__opts, disable_memattrs),
     "ignore hwloc memory attributes (rank by layer, locality, capacity)"},
    {"MMB_DISABLE_NUMA_BINDING", MMB__OPT_BOOL, "0", 0, 0, NULL, NULL,
     offsetof(struct mmb__opts, disable_numa), "do not mbind NUMA spaces"},
};

mmb_status mmb_init(void)
{
  mmb_status st = MMB_OK;
  char err[256];
  struct mmb__opts o;

  pthread_mutex_lock(&mmb__g.lock);
  if (mmb__g.refcount > 0) {
    mmb__g.refcount++;
    MMB_LOG_DEBUG(GENERAL, "mmb_init: reference count now %d", mmb__g.refcount);
    goto cleanup;
  }
  if (mmb__log_configure(&mmb__log_domain, err, sizeof err) != 0)
    MMB_LOG_WARN(GENERAL, "logging configuration: %s", err);
  memset(&o, 0, sizeof o);
  MMB_CHECK(GENERAL,
            mmb__opt_load(opt_defs, sizeof opt_defs / sizeof opt_defs[0], &o, err, sizeof err) == 0,
            st, MMB_INVALID_ARG, "bad environment: %s", err);
  mmb__g.opt.high_water = o.high_water;
  mmb__g.opt.arena_size = mmb__align_up(o.arena_size, MMB__GRANULE);
  mmb__g.opt.tcache_bytes = o.tcache_bytes;
  mmb__g.opt.disable_cuda = o.disable_cuda;
  mmb__g.opt.disable_memattrs = o.disable_memattrs;
  mmb__g.opt.disable_numa = o.disable_numa;
  mmb__sysmap_init();
  st = mmb__topology_discover();
  if (st != MMB_OK) {
    MMB_LOG_ERR(GENERAL, "memory discovery failed: %s", mmb_status_description(st));
    mmb__topology_release();
    goto cleanup;
  }
  mmb__g.refcount = 1;
  atomic_store_explicit(&mmb__initialized, 1, memory_order_release);
  MMB_LOG_INFO(GENERAL, "libmamba %s initialized: %zu memory spaces", mmb_version(),
               mmb__g.nspaces);
cleanup:
  pthread_mutex_unlock(&mmb__g.lock);
  return st;
}

mmb_status mmb_finalize(void)
{
  mmb_status st = MMB_OK;
  pthread_mutex_lock(&mmb__g.lock);
  MMB_CHECK(GENERAL, mmb__g.refcount > 0, st, MMB_UNINIT, "mmb_finalize without mmb_init");
  if (--mmb__g.refcount > 0)
    goto cleanup;
  atomic_store_explicit(&mmb__initialized, 0, memory_order_release);
  pthread_mutex_unlock(&mmb__g.lock);
  /* Teardown outside the lock: arrays, then caches, then interfaces. */
  mmb__array_destroy_all();
  mmb__regcache_destroy_all();
  mmb__interface_free_all();
  mmb__tls_release_current();
  pthread_mutex_lock(&mmb__g.lock);
  mmb__sysmap_fini();
  mmb__topology_release();
  MMB_LOG_INFO(GENERAL, "libmamba finalized");
cleanup:
  pthread_mutex_unlock(&mmb__g.lock);
  return st;
}

bool mmb_is_initialized(void)
{
  return mmb__ready();
}
