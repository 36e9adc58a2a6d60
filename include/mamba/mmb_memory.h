/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * libmamba memory: library life cycle, memory layers and spaces, allocation
 * interfaces with strategies, introspection and copies between spaces.
 *
 * Vocabulary (upstream Mamba):
 *  - a **memory layer** is a kind of memory (DRAM, HBM, NVDIMM, GPU device
 *    memory, page-locked host memory);
 *  - a **memory space** is one concrete place of a layer on this node
 *    ("NUMA:1", "GPU:0"), found by discovery at mmb_init() or registered by
 *    the user with an optional size limit;
 *  - a **memory interface** allocates in one space with a **strategy**
 *    (the space's system allocator, a thread-safe pool, a fixed-size slot pool);
 *  - an **allocation** is a pointer handed out by an interface.
 *
 * Mem-layer strings (case-insensitive), accepted by mmb_space_find():
 *   "DRAM"         host memory with the default policy (the default space)
 *   "NUMA:<n>"     host memory bound to NUMA node n (mbind, MPOL_BIND)
 *   "HBM", "HBM:<n>"  high-bandwidth host memory (if discovered)
 *   "GPU:<n>"      CUDA device memory of device n (run-time detected)
 *   "PINNED:<n>"   page-locked host memory usable by device n
 *   "FASTEST"      the best-ranked host space (see mmb_space_fastest())
 *   any name given to mmb_space_register().
 *
 * Thread safety: every function may be called from any thread once
 * mmb_init() returned, except mmb_init()/mmb_finalize() themselves, which
 * must not race with other calls of the library.
 */
#ifndef MMB_MEMORY_H
#define MMB_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmb_export.h"
#include "mmb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/** @name Life cycle */
/**@{*/

/** Initialize libmamba (discovery of the node's memory). Reference counted:
 * every successful call must be matched by one mmb_finalize(); only the first
 * call discovers, later calls only count. Safe to call when the application
 * already initialized the library.
 * @return MMB_OK; MMB_ERROR if the topology cannot be read (the library then
 *         stays uninitialized); MMB_INVALID_ARG for a bad MMB_* variable. */
MMB_API mmb_status mmb_init(void);

/** Drop one reference; the last one releases every space, interface,
 * allocation, registration cache and array still alive (with a warning per
 * kind of leftover).
 * @return MMB_OK; MMB_UNINIT if not initialized. */
MMB_API mmb_status mmb_finalize(void);

/** Whether libmamba is initialized.
 * @return true between the first mmb_init() and the last mmb_finalize(). */
MMB_API bool mmb_is_initialized(void);
/**@}*/

/* ------------------------------------------------------------------ */
/** @name Layers and spaces */
/**@{*/

/** Memory layers. */
typedef enum {
  MMB_LAYER_DRAM = 0, /**< ordinary host memory (one NUMA node or all) */
  MMB_LAYER_HBM,      /**< high-bandwidth host memory (e.g. MCDRAM, HBM) */
  MMB_LAYER_NVDIMM,   /**< slow, large host memory (NVDIMM, CXL, "SPM") */
  MMB_LAYER_GPU,      /**< device memory of a GPU */
  MMB_LAYER_PINNED,   /**< page-locked host memory, for fast device copies */
  MMB_LAYER_USER,     /**< registered by the application (own provider) */
  MMB_LAYER_MAX
} mmb_layer;

/** Who can load and store the memory of a space directly. */
typedef enum {
  MMB_EXEC_CPU = 0, /**< host code */
  MMB_EXEC_CUDA,    /**< CUDA kernels only (device memory) */
} mmb_exec_context;

/** Opaque handles. Spaces live until the last mmb_finalize(). */
typedef struct mmbMemSpace mmbMemSpace;
/** An allocation interface: a strategy (system, pool, slots) on one space. */
typedef struct mmbMemInterface mmbMemInterface;

/** Maximum length of a space name, including the terminating NUL. */
#define MMB_NAME_MAX 48

/** Description of a space (a copy, filled by mmb_space_get_info()). */
typedef struct {
  char name[MMB_NAME_MAX]; /**< "DRAM", "NUMA:0", "GPU:0", user name, ... */
  mmb_layer layer;         /**< what the memory is */
  mmb_exec_context exec;   /**< who can access it directly */
  int numa_node;           /**< bound node, -1 for none (DRAM, GPU) */
  int device;              /**< CUDA device, -1 for none */
  uint64_t capacity;       /**< bytes of the memory behind it, 0 if unknown */
  uint64_t limit;          /**< bytes the space may hand out, 0: no limit */
  uint64_t bandwidth;      /**< MB/s from hwloc memattrs, 0 if unknown */
  uint64_t latency;        /**< ns from hwloc memattrs, 0 if unknown */
  int rank; /**< 0 = fastest host NUMA space (the order of mmb_space_fastest() without
                 locality); DRAM comes after the NUMA spaces, devices and user
                 spaces at 1000 and above */
  bool perf_from_memattrs; /**< bandwidth/latency came from firmware (HMAT) */
  bool user;               /**< registered by mmb_space_register() */
} mmb_space_info;

/** Number of spaces (discovered and registered).
 * @param[out] count receives the number
 * @return MMB_OK; MMB_UNINIT; MMB_INVALID_ARG if count is NULL. */
MMB_API mmb_status mmb_space_count(size_t *count);

/** The index-th space, 0 <= index < count.
 * @param index 0 .. count-1
 * @param[out] space receives the space
 * @return MMB_OK; MMB_UNINIT; MMB_NOT_FOUND out of range; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_space_get(size_t index, mmbMemSpace **space);

/** Look a space up by mem-layer string (see the top of this file).
 * @param mem_layer "DRAM", "NUMA:<n>", "GPU:<n>", "PINNED" or a user space's name
 * @param[out] space receives the space
 * @return MMB_OK; MMB_UNINIT; MMB_INVALID_ARG for a NULL or malformed string;
 *         MMB_NOT_FOUND when no such space exists on this node
 *         (e.g. "GPU:0" without a GPU; logged at info level). */
MMB_API mmb_status mmb_space_find(const char *mem_layer, mmbMemSpace **space);

/** The default space (DRAM).
 * @param[out] space receives the space
 * @return MMB_OK; MMB_UNINIT; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_space_default(mmbMemSpace **space);

/** The best-ranked space that code running in `exec` can use and that has at
 * least `min_free` bytes left (0: any). Ranking: bandwidth from hwloc memattrs
 * when the firmware provides it, otherwise layer (HBM > DRAM > NVDIMM) then
 * locality to the calling thread then capacity. For MMB_EXEC_CUDA the device
 * memory of the current CUDA device is preferred.
 * @param exec     who will access the memory
 * @param min_free bytes that must still be available, 0: any
 * @param[out] space receives the space
 * @return MMB_OK; MMB_UNINIT; MMB_NOT_FOUND if none qualifies; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_space_fastest(mmb_exec_context exec, size_t min_free, mmbMemSpace **space);

/** Copy the description of a space.
 * @param space the space
 * @param[out] info receives the description
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_space_get_info(const mmbMemSpace *space, mmb_space_info *info);

/** The space's name.
 * @param space the space
 * @return the name; never NULL ("(null)" for a NULL space). */
MMB_API const char *mmb_space_name(const mmbMemSpace *space);

/** Name of a layer.
 * @param layer the layer
 * @return "DRAM", "HBM", "NVDIMM", "GPU", "PINNED" or "USER". */
MMB_API const char *mmb_layer_name(mmb_layer layer);

/** Provider of raw memory for a user-registered space (optional). alloc
 * returns NULL on failure; alignment is a power of two <= 4 MiB. */
typedef struct {
  void *ctx; /**< passed to alloc and free */
  /** Allocates size bytes aligned to alignment; NULL on failure. */
  void *(*alloc)(void *ctx, size_t size, size_t alignment);
  /** Frees what alloc returned (size as allocated). */
  void (*free)(void *ctx, void *ptr, size_t size);
} mmb_provider;

/** Configuration of a user-registered space. */
typedef struct {
  const char *name;             /**< unique, <= MMB_NAME_MAX-1 chars, no ':' needed */
  mmb_layer layer;              /**< what the memory is (DRAM if a plain host space) */
  int numa_node;                /**< bind to this node (-1: no binding); host layers only */
  uint64_t limit;               /**< bytes the space may hand out, 0: no limit */
  const mmb_provider *provider; /**< NULL: the layer's system allocator */
} mmb_space_config;

/** Register a space (an explicit layer/space with a size limit, optionally
 * backed by the caller's provider).
 * @return MMB_OK; MMB_UNINIT; MMB_INVALID_ARG (NULL, empty or duplicate name,
 *         bad node, GPU layer without provider); MMB_NO_DEVICE.
 * @param config the space's configuration
 * @param[out] space receives the new space */
MMB_API mmb_status mmb_space_register(const mmb_space_config *config, mmbMemSpace **space);

/** Change the limit of a space (0: none). A limit below the bytes in use only
 * refuses further allocations.
 * @param space the space
 * @param limit bytes the space may hand out, 0: no limit
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_space_set_limit(mmbMemSpace *space, uint64_t limit);
/**@}*/

/* ------------------------------------------------------------------ */
/** @name Interfaces and allocation */
/**@{*/

/** Allocation strategies. */
typedef enum {
  MMB_STRATEGY_SYSTEM = 0, /**< every call goes to the space's allocator */
  MMB_STRATEGY_POOL,       /**< size classes, thread caches, coalesced large blocks */
  MMB_STRATEGY_SLOTS,      /**< fixed-size slots (one size class) */
} mmb_strategy;

/** Configuration of an interface; zero fields take defaults. */
typedef struct {
  mmb_strategy strategy; /**< how the interface allocates */
  const char *name;      /**< for printing; default "<space>/<strategy>" */
  size_t slot_size;      /**< SLOTS: bytes per slot (required) */
  size_t max_slots;      /**< SLOTS: bound on slots, 0 = unbounded */
  size_t high_water;     /**< POOL/SLOTS: a fully free region (4 MiB segment or
                              arena) goes back to the space when at least this
                              many free bytes stay cached without it (default
                              64 MiB; MMB_POOL_HIGH_WATER) */
  size_t arena_size;     /**< POOL: size of a large-block arena (default 64 MiB) */
  bool no_thread_cache;  /**< POOL/SLOTS: disable per-thread caches */
} mmb_interface_config;

/** Create an interface on a space.
 * @return MMB_OK; MMB_UNINIT; MMB_INVALID_ARG (NULL, bad strategy, SLOTS
 *         without slot_size); MMB_OUT_OF_MEMORY.
 * @param space  the space to allocate in
 * @param config the interface's configuration
 * @param[out] iface receives the interface (destroy with mmb_interface_destroy) */
MMB_API mmb_status mmb_interface_create(mmbMemSpace *space, const mmb_interface_config *config,
                                        mmbMemInterface **iface);

/** Destroy an interface and return its memory to the space. Allocations
 * still live are released too (reported with a warning and MMB_BUSY, the
 * interface is destroyed anyway). Default interfaces cannot be destroyed.
 * @param iface the interface
 * @return MMB_OK; MMB_BUSY (live allocations were released); MMB_INVALID_ARG. */
MMB_API mmb_status mmb_interface_destroy(mmbMemInterface *iface);

/** The space's shared interface of a strategy (created on first use, owned by
 * the library). MMB_STRATEGY_POOL is the default for mmb_alloc_in().
 * @param space    the space
 * @param strategy MMB_STRATEGY_SYSTEM or MMB_STRATEGY_POOL
 * @param[out] iface receives the interface
 * @return MMB_OK; MMB_INVALID_ARG (NULL, SLOTS has no default). */
MMB_API mmb_status mmb_space_interface(mmbMemSpace *space, mmb_strategy strategy,
                                       mmbMemInterface **iface);

/** The space an interface allocates in.
 * @param iface the interface
 * @return the space; NULL for NULL. */
MMB_API mmbMemSpace *mmb_interface_space(const mmbMemInterface *iface);
/** The interface's name.
 * @param iface the interface
 * @return the name; never NULL. */
MMB_API const char *mmb_interface_name(const mmbMemInterface *iface);

/** Default alignment of every allocation. */
#define MMB_DEFAULT_ALIGNMENT 16

/** Allocate `size` bytes (> 0) aligned to `alignment` (0: 16; otherwise a
 * power of two, at most 4 MiB for host and device spaces).
 * @param iface     the interface
 * @param size      bytes, > 0
 * @param alignment 0 (16) or a power of two
 * @param[out] ptr  receives the memory
 * @return MMB_OK; MMB_INVALID_ARG; MMB_LIMIT (space or slot bound reached);
 *         MMB_OUT_OF_MEMORY; MMB_UNINIT. *ptr is NULL on failure. */
MMB_API mmb_status mmb_alloc(mmbMemInterface *iface, size_t size, size_t alignment, void **ptr);

/** Free a pointer through the interface that allocated it. A double free, a
 * pointer mamba never handed out, or one of another interface/space is
 * detected, logged, and returned as MMB_INVALID_FREE; nothing is changed.
 * NULL is a no-op (MMB_OK).
 * @param iface the interface that allocated ptr
 * @param ptr   the memory
 * @return MMB_OK; MMB_INVALID_FREE; MMB_INVALID_ARG for a NULL interface. */
MMB_API mmb_status mmb_free_in(mmbMemInterface *iface, void *ptr);

/** Convenience: allocate in the space named by a mem-layer string (NULL or ""
 * for DRAM) through that space's pool interface (its system interface when the
 * space has a limit below 64 MiB, which pool regions of 4 MiB would exhaust).
 * @param mem_layer a mem-layer string, or NULL / "" for DRAM
 * @param size      bytes, > 0
 * @param[out] ptr  receives the memory
 * @return as mmb_alloc(), plus MMB_NOT_FOUND / MMB_INVALID_ARG of mmb_space_find(). */
MMB_API mmb_status mmb_alloc_in(const char *mem_layer, size_t size, void **ptr);

/** Free any pointer handed out by any interface of libmamba (looked up by
 * address).
 * @param ptr the memory (NULL: no-op)
 * @return MMB_OK; MMB_INVALID_FREE (double free, foreign); MMB_UNINIT. */
MMB_API mmb_status mmb_free(void *ptr);

/** Which interface (and space) handed out `ptr`, and the usable size of the
 * allocation. Any argument but ptr may be NULL.
 * @param ptr the start of an allocation
 * @param[out] iface receives the interface, or NULL
 * @param[out] space receives the space, or NULL
 * @param[out] size  receives the usable size, or NULL
 * @return MMB_OK; MMB_NOT_FOUND when ptr is not a live allocation start. */
MMB_API mmb_status mmb_ptr_info(const void *ptr, mmbMemInterface **iface, mmbMemSpace **space,
                                size_t *size);
/**@}*/

/* ------------------------------------------------------------------ */
/** @name Introspection */
/**@{*/

/** Counters of an interface or a space. For a space, bytes are those taken
 * from its allocator (by all its interfaces), `live_allocs` the number of raw
 * blocks, `hits` is 0 and `misses` counts raw allocations. */
typedef struct {
  uint64_t bytes_in_use;       /**< bytes handed out and not freed (rounded to the size class) */
  uint64_t bytes_in_use_hwm;   /**< high-water of bytes_in_use (for pools: observed when
                                    a thread cache exchanges with the pool, so it may count
                                    blocks cached by threads as in use) */
  uint64_t bytes_reserved;     /**< bytes taken from the space (pools) or = in use (system) */
  uint64_t bytes_reserved_hwm; /**< high-water of bytes_reserved */
  uint64_t live_allocs;        /**< allocations not yet freed */
  uint64_t total_allocs;       /**< successful allocations since creation */
  uint64_t largest_free;       /**< largest block the interface could hand out without
                                    asking the space (0 for system interfaces) */
  uint64_t hits;               /**< allocations served from cached free memory */
  uint64_t misses;             /**< allocations that needed new memory from the space */
  uint64_t invalid_frees;      /**< double/foreign/other-space frees refused */
  uint64_t returned_bytes;     /**< bytes given back to the space above the high-water mark */
} mmb_stats;

/** Query the counters of an interface.
 * @param iface the interface
 * @param[out] stats receives the counters
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_interface_get_stats(const mmbMemInterface *iface, mmb_stats *stats);
/** Query the counters of a space.
 * @param space the space
 * @param[out] stats receives the counters
 * @return MMB_OK; MMB_INVALID_ARG. */
MMB_API mmb_status mmb_space_get_stats(const mmbMemSpace *space, mmb_stats *stats);
/** Print an interface's counters (one line) to `out`.
 * @param iface the interface
 * @param out   the stream (NULL: stderr)
 * @return MMB_OK; MMB_INVALID_ARG for NULL. */
MMB_API mmb_status mmb_interface_print_stats(const mmbMemInterface *iface, FILE *out);
/** Print a space's description and counters (one line) to `out`.
 * @param space the space
 * @param out   the stream (NULL: stderr)
 * @return MMB_OK; MMB_INVALID_ARG for NULL. */
MMB_API mmb_status mmb_space_print(const mmbMemSpace *space, FILE *out);
/** Print every space and every interface to `out`.
 * @param out the stream (NULL: stderr)
 * @return MMB_OK; MMB_UNINIT. */
MMB_API mmb_status mmb_print_all(FILE *out);
/**@}*/

/* ------------------------------------------------------------------ */
/** @name Copies between spaces */
/**@{*/

/** Copy n bytes from src (in src_space) to dst (in dst_space), choosing the
 * method for the pair: memcpy between host spaces, CUDA copies host<->device
 * and device<->device. A NULL space is looked up from the pointer
 * (mmb_ptr_info(), or host memory when mamba did not allocate it).
 * Ranges must not overlap.
 * @param dst       destination
 * @param dst_space its space, or NULL
 * @param src       source
 * @param src_space its space, or NULL
 * @param n         bytes
 * @return MMB_OK; MMB_INVALID_ARG; MMB_NO_DEVICE (device space without CUDA);
 *         MMB_ERROR (the device copy failed; logged). */
MMB_API mmb_status mmb_copy(void *dst, mmbMemSpace *dst_space, const void *src,
                            mmbMemSpace *src_space, size_t n);

/** Set n bytes of memory in a space to `value` (host or device).
 * @param dst   the memory
 * @param space its space, or NULL (looked up from the pointer)
 * @param value the byte value
 * @param n     bytes
 * @return MMB_OK; MMB_INVALID_ARG; MMB_NO_DEVICE; MMB_ERROR. */
MMB_API mmb_status mmb_memset(void *dst, mmbMemSpace *space, int value, size_t n);
/**@}*/

/* ------------------------------------------------------------------ */
/** @name Memory events */
/**@{*/

/** Told that [addr, addr + len) left the use it was handed out for: a system
 * allocation freed, or a pool's region returned to its space. Called on the
 * thread that freed, possibly on several threads at once; it must not
 * subscribe or unsubscribe, and must not free memory through libmamba. */
typedef void (*mmb_unmapped_fn)(void *ctx, const void *addr, size_t len);

/** Call `fn(ctx, addr, len)` for every range libmamba frees or unmaps from
 * now on (the registration cache subscribes so; so may a library that keeps
 * its own registrations). The same pair may be subscribed more than once.
 * Needs no mmb_init(); a free nobody listens to costs one atomic load.
 * @param fn  the handler
 * @param ctx its first argument
 * @return MMB_OK; MMB_INVALID_ARG (fn NULL); MMB_OUT_OF_MEMORY. */
MMB_API mmb_status mmb_unmapped_subscribe(mmb_unmapped_fn fn, void *ctx);

/** Undo one mmb_unmapped_subscribe() of the pair; once it returns, `fn` runs
 * on no thread for this subscription.
 * @param fn  the handler
 * @param ctx its first argument, as subscribed
 * @return MMB_OK; MMB_NOT_FOUND (the pair is not subscribed). */
MMB_API mmb_status mmb_unmapped_unsubscribe(mmb_unmapped_fn fn, void *ctx);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif
