/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * RDMA registration without a network library: a registration cache keyed by
 * address range with a pluggable registrar, and a registered-slab pool.
 *
 * The owner of the fabric (the transport layer) supplies an mmb_registrar
 * whose callbacks call e.g. fi_mr_reg()/fi_close(); libmamba never links a
 * network library.
 *
 * Cache semantics:
 *  - ranges are widened to whole pages; an acquire whose range lies inside a
 *    valid entry is a hit (no registrar call);
 *  - a miss whose range overlaps or touches existing entries registers the
 *    union once (a merge) and retires the covered entries (deregistered as
 *    soon as nobody holds them);
 *  - entries are reference counted: acquire/release; only idle entries are
 *    evicted, least recently used first, when the cache holds more than
 *    max_entries entries or max_bytes bytes;
 *  - memory freed through libmamba (a system free, a pool returning memory to
 *    the space) invalidates every overlapping entry of every cache: each
 *    cache subscribes to the unmapped notification (mmb_unmapped_subscribe());
 *    memory freed otherwise must be invalidated with mmb_regcache_invalidate();
 *  - every function is thread safe.
 */
#ifndef MMB_REGCACHE_H
#define MMB_REGCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmb_export.h"
#include "mmb_memory.h"
#include "mmb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Callbacks of whoever owns the fabric. `reg` and `dereg` are required,
 * `desc` and `key` optional. `reg` returns 0 and a handle on success,
 * anything else on failure. They are called with the cache's lock held
 * (registrations of one cache are serialized), so they must not call back
 * into the same cache. */
typedef struct {
  void *ctx; /**< passed to every callback */
  /** Registers [addr, addr+len); 0 and *handle on success. */
  int (*reg)(void *ctx, void *addr, size_t len, void **handle);
  /** Deregisters what reg returned; 0 on success. */
  int (*dereg)(void *ctx, void *handle);
  /** Local descriptor for data transfer calls (e.g. fi_mr_desc()). */
  void *(*desc)(void *ctx, void *handle);
  /** Remote protection key (e.g. fi_mr_key()). */
  uint64_t (*key)(void *ctx, void *handle);
} mmb_registrar;

/** A registration cache (one per registrar, e.g. per libfabric domain). */
typedef struct mmbRegCache mmbRegCache;
/** A cached registration covering a range of addresses. */
typedef struct mmbRegEntry mmbRegEntry;

/** Bounds of a cache; zero fields take defaults. */
typedef struct {
  size_t max_entries; /**< idle entries are evicted above this (default 1024) */
  size_t max_bytes;   /**< ... or above this many registered bytes (default 1 GiB) */
  size_t page_size;   /**< registration granularity (default the system page size) */
} mmb_regcache_config;

/** Counters of a cache. */
typedef struct {
  uint64_t hits, misses;    /**< acquires served from an entry / needing a registration */
  uint64_t merges;          /**< misses that registered the union with existing entries */
  uint64_t evictions;       /**< idle entries dropped for the bounds */
  uint64_t invalidations;   /**< entries dropped because their memory was freed */
  uint64_t registrations;   /**< calls of reg (successful) */
  uint64_t deregistrations; /**< calls of dereg */
  uint64_t failures;        /**< failed reg calls */
  uint64_t entries, bytes;  /**< current valid entries and their registered bytes */
  uint64_t in_use;          /**< entries currently held by someone */
} mmb_regcache_stats;
/** @var mmb_regcache_stats::hits
 * Acquires served from an existing entry. */
/** @var mmb_regcache_stats::entries
 * Current valid entries (their registered bytes: `bytes`). */

/** Create a cache.
 * @param registrar the fabric owner's callbacks (copied)
 * @param config    bounds, or NULL for defaults
 * @param[out] cache receives the cache (destroy with mmb_regcache_destroy)
 * @return MMB_OK; MMB_INVALID_ARG (NULL, missing reg/dereg);
 * MMB_OUT_OF_MEMORY; MMB_UNINIT. */
MMB_API mmb_status mmb_regcache_create(const mmb_registrar *registrar,
                                       const mmb_regcache_config *config, mmbRegCache **cache);

/** Deregister everything and free the cache. Entries still held are
 * deregistered anyway (a warning; their handles become invalid).
 * @param cache the cache
 * @return MMB_OK; MMB_BUSY when entries were still held; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_regcache_destroy(mmbRegCache *cache);

/** Get a registration covering [addr, addr+len) (len > 0), registering if
 * needed. The entry stays valid until mmb_regcache_release().
 * @param cache the cache
 * @param addr  start of the range
 * @param len   its length in bytes, > 0
 * @param[out] entry receives the entry
 * @return MMB_OK; MMB_INVALID_ARG; MMB_ERROR (the registrar failed; logged). */
MMB_API mmb_status mmb_regcache_acquire(mmbRegCache *cache, const void *addr, size_t len,
                                        mmbRegEntry **entry);

/** Drop a reference taken by acquire.
 * @param cache the cache
 * @param entry the entry
 * @return MMB_OK; MMB_INVALID_ARG (NULL, not held). */
MMB_API mmb_status mmb_regcache_release(mmbRegCache *cache, mmbRegEntry *entry);

/** Drop every entry overlapping [addr, addr+len) (memory about to be freed
 * outside libmamba). Held entries are deregistered at their last release.
 * @param cache the cache
 * @param addr  start of the range
 * @param len   its length in bytes
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_regcache_invalidate(mmbRegCache *cache, const void *addr, size_t len);

/** Deregister every idle entry.
 * @param cache the cache
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_regcache_flush(mmbRegCache *cache);

/** Query the counters.
 * @param cache the cache
 * @param[out] stats receives the counters
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_regcache_get_stats(const mmbRegCache *cache, mmb_regcache_stats *stats);
/** Print the counters (one line).
 * @param cache the cache
 * @param out   the stream (NULL: stderr)
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_regcache_print_stats(const mmbRegCache *cache, FILE *out);

/** The registrar's handle of an entry (e.g. the struct fid_mr *).
 * @param entry the entry
 * @return the handle; NULL for NULL. */
MMB_API void *mmb_regentry_handle(const mmbRegEntry *entry);
/** The registrar's descriptor of an entry.
 * @param entry the entry
 * @return registrar->desc's result; NULL without that callback. */
MMB_API void *mmb_regentry_desc(const mmbRegEntry *entry);
/** The registrar's remote key of an entry.
 * @param entry the entry
 * @return registrar->key's result; 0 without that callback. */
MMB_API uint64_t mmb_regentry_key(const mmbRegEntry *entry);
/** The registered range of an entry (page-aligned, may be larger than asked).
 * @param entry the entry
 * @param[out] addr receives the start of the range
 * @param[out] len  receives its length in bytes
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_regentry_range(const mmbRegEntry *entry, void **addr, size_t *len);

/* ------------------------------------------------------------------ */
/** Registered-slab pool: large regions of a space registered once through a
 * registrar, sub-allocated with a pool strategy (transport buffers). */
typedef struct mmbSlabPool mmbSlabPool;

/** Configuration of a slab pool; zero fields take defaults. */
typedef struct {
  size_t slab_size; /**< bytes per registered region (default 16 MiB, rounded to 4 MiB) */
  size_t max_bytes; /**< bound on registered bytes, 0: none */
} mmb_slab_config;

/** Create a slab pool in `space` (NULL: DRAM). The registrar is called with
 * the pool's locks held: it must not allocate from the same slab pool.
 * @param space     the space of the slabs, or NULL for DRAM
 * @param registrar the fabric owner's callbacks
 * @param config    sizes and bounds, or NULL for defaults
 * @param[out] pool receives the pool (destroy with mmb_slab_pool_destroy)
 * @return MMB_OK; MMB_INVALID_ARG; MMB_OUT_OF_MEMORY; MMB_UNINIT. */
MMB_API mmb_status mmb_slab_pool_create(mmbMemSpace *space, const mmb_registrar *registrar,
                                        const mmb_slab_config *config, mmbSlabPool **pool);
/** Deregister and free every slab.
 * @param pool the pool
 * @return MMB_OK; MMB_BUSY (live buffers released). */
MMB_API mmb_status mmb_slab_pool_destroy(mmbSlabPool *pool);

/** A buffer inside a registered slab: its registration handle, descriptor,
 * key and the buffer's offset from the start of the registered region (for
 * offset-based RMA addressing). */
typedef struct {
  void *ptr;     /**< the buffer */
  size_t size;   /**< its usable bytes */
  void *handle;  /**< the slab's registration handle */
  void *desc;    /**< the registrar's descriptor of the slab */
  uint64_t key;  /**< the registrar's remote key of the slab */
  void *region;  /**< start of the registered region */
  size_t offset; /**< ptr - region */
} mmb_slab_buffer;

/** A buffer of `size` bytes (<= slab_size) inside a registered slab.
 * @param pool the pool
 * @param size bytes, <= slab_size
 * @param[out] buf receives the buffer and its registration
 * @return MMB_OK; MMB_INVALID_ARG; MMB_LIMIT (max_bytes); MMB_ERROR (registrar);
 *         MMB_OUT_OF_MEMORY. */
MMB_API mmb_status mmb_slab_alloc(mmbSlabPool *pool, size_t size, mmb_slab_buffer *buf);
/** Free a buffer by pointer.
 * @param pool the pool
 * @param ptr  the buffer's ptr
 * @return MMB_OK; MMB_INVALID_FREE; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_slab_free(mmbSlabPool *pool, void *ptr);
/** Find the registration of a pointer anywhere inside a slab of this pool
 * (buf->ptr is ptr, buf->size the bytes from ptr to the end of the slab).
 * @param pool the pool
 * @param ptr  an address inside a slab
 * @param[out] buf receives the registration
 * @return MMB_OK; MMB_NOT_FOUND; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_slab_lookup(mmbSlabPool *pool, const void *ptr, mmb_slab_buffer *buf);
/** The interface the pool sub-allocates with (for mmb_interface_get_stats()).
 * @param pool the pool
 * @return the interface; NULL for NULL. */
MMB_API mmbMemInterface *mmb_slab_pool_interface(const mmbSlabPool *pool);

#ifdef __cplusplus
}
#endif
#endif
