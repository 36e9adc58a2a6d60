/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal structures of libmamba (not installed). */
#ifndef MMB_INTERNAL_H
#define MMB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamba.h"
#include "mmb_log.h"

/* Propagate a failed call like MMB_CHECK_CALL, but a size limit or an
 * exhausted space (expected when callers fall back) only at debug level. */
#define MMB_PROPAGATE(mod, st, expr, ...)                                                          \
  do {                                                                                             \
    (st) = (expr);                                                                                 \
    if (__builtin_expect((st) != MMB_OK, 0)) {                                                     \
      if ((st) == MMB_LIMIT || (st) == MMB_OUT_OF_MEMORY)                                          \
        MMB_LOG_DEBUG(mod, __VA_ARGS__);                                                           \
      else                                                                                         \
        MMB_LOG_ERR(mod, __VA_ARGS__);                                                             \
      goto cleanup;                                                                                \
    }                                                                                              \
  } while (0)

/* ---- sizes ---- */
#define MMB__GRANULE_SHIFT   22 /* 4 MiB: unit of the region table, alignment of pool regions */
#define MMB__GRANULE         ((size_t)1 << MMB__GRANULE_SHIFT)
#define MMB__MAX_ALIGN       MMB__GRANULE
#define MMB__QSHIFT          16 /* 64 KiB: quantum of large blocks */
#define MMB__QUANTUM         ((size_t)1 << MMB__QSHIFT)
#define MMB__SMALL_MAX       ((size_t)256 << 10)
#define MMB__NSMALL          52  /* classes 16..256 KiB */
#define MMB__NCLASSES        140 /* up to 2^40 bytes */
#define MMB__MAX_SIZE        ((size_t)1 << 40)
#define MMB__SMALL_ALIGN_MAX 4096

static inline size_t mmb__align_up(size_t v, size_t a)
{
  return (v + a - 1) & ~(a - 1);
}
static inline bool mmb__is_pow2(size_t v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

/* Size classes: 16..128 step 16, then 4 per doubling. */
static inline unsigned mmb__size_class(size_t s)
{
  if (s <= 128)
    return s == 0 ? 0 : (unsigned)((s + 15) / 16 - 1);
  /* 63 ^ clz is the index of the top bit, which GCC turns into one bsr
   * (63 - clz made it emit bsr, xor and sub) */
  unsigned b = 63u ^ (unsigned)__builtin_clzll((unsigned long long)(s - 1));
  unsigned sub = (unsigned)((s - 1) >> (b - 2)) & 3u;
  return 8u + (b - 7u) * 4u + sub;
}
static inline size_t mmb__class_size(unsigned c)
{
  if (c < 8)
    return (size_t)(c + 1) * 16;
  unsigned b = 7u + (c - 8u) / 4u, sub = (c - 8u) % 4u;
  return (size_t)(5 + sub) << (b - 2);
}

/* ---- statistics helpers ---- */
static inline void mmb__hwm_update(_Atomic uint64_t *hwm, uint64_t v)
{
  uint64_t cur = atomic_load_explicit(hwm, memory_order_relaxed);
  while (v > cur && !atomic_compare_exchange_weak_explicit(hwm, &cur, v, memory_order_relaxed,
                                                           memory_order_relaxed))
    ;
}
/* Owner-only counter (single writer, any reader): no locked instruction. */
static inline void mmb__own_add(_Atomic uint64_t *c, uint64_t v)
{
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}
#define MMB__LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* ---- spaces ---- */
typedef enum { MMB__RAW_HEAP, MMB__RAW_MAP } mmb__raw_kind;

struct mmbMemSpace {
  mmb_space_info info;
  mmb_provider provider;
  bool has_provider;
  size_t index;
  _Atomic uint64_t limit;
  _Atomic uint64_t raw_bytes, raw_hwm, raw_count, raw_total, raw_fail, raw_returned;
  pthread_mutex_t lock;         /* default interfaces */
  mmbMemInterface *defaults[2]; /* SYSTEM, POOL */
};

/* Raw memory of a space: returns an aligned pointer; raw_base and raw_size
 * are what raw_free needs. MMB_LIMIT, MMB_OUT_OF_MEMORY, MMB_NO_DEVICE. */
mmb_status mmb__raw_alloc(mmbMemSpace *s, size_t size, size_t align, mmb__raw_kind kind, void **ptr,
                          void **raw_base, size_t *raw_size);
void mmb__raw_free(mmbMemSpace *s, void *raw_base, size_t raw_size, size_t size,
                   mmb__raw_kind kind);
bool mmb__space_is_host(const mmbMemSpace *s);
/* The interface mmb_alloc_in() and mmb_array_create() use for a space. */
mmb_status mmb__space_default_iface(mmbMemSpace *s, mmbMemInterface **iface);

/* ---- discovery ---- */
mmb_status mmb__topology_discover(void);
void mmb__topology_release(void);
mmb_status mmb__space_add(const mmb_space_info *info, const mmb_provider *prov, mmbMemSpace **out);
int mmb__current_numa_node(void);
uint64_t mmb__space_free_bytes(const mmbMemSpace *s);

/* ---- CUDA (dlopen'ed driver API) ---- */
bool mmb__cuda_available(void);
int mmb__cuda_device_count(void);
mmb_status mmb__cuda_init(void);
void mmb__cuda_fini(void);
mmb_status mmb__cuda_device_info(int dev, char *name, size_t namelen, uint64_t *total);
mmb_status mmb__cuda_malloc(int dev, size_t size, void **ptr);
void mmb__cuda_free(int dev, void *ptr);
mmb_status mmb__cuda_malloc_host(int dev, size_t size, void **ptr);
void mmb__cuda_free_host(int dev, void *ptr);
mmb_status mmb__cuda_memcpy(void *dst, const void *src, size_t n);
mmb_status mmb__cuda_memset(int dev, void *dst, int value, size_t n);
mmb_status mmb__cuda_mem_info(int dev, uint64_t *free_b, uint64_t *total_b);
/* 1: device memory, 0: host or unknown to CUDA */
int mmb__cuda_is_device_ptr(const void *p, int *dev);

/* ---- regions (pool memory) and the global pointer lookup ---- */
typedef enum { MMB__REGION_SEG = 1, MMB__REGION_ARENA = 2 } mmb__region_kind;
struct mmb__pool;
/* Never the uid of a pool, nor 0 (the uid of an empty thread slot). */
#define MMB__NO_UID UINT64_MAX
struct mmb__region {
  mmb__region_kind kind;
  struct mmb__pool *pool;
  /* the pool's uid when the inline paths of mmb_alloc()/mmb_free*() apply
   * to it (host pool with thread caches), else MMB__NO_UID: one compare with
   * the thread's current cache instead of reading the shared pool */
  uint64_t fast_uid;
  char *base;
  size_t size;
  void *raw_base;
  size_t raw_size;
  void *reg_handle;                /* slab pools: the registrar's handle */
  struct mmb__region *prev, *next; /* pool's list */
};
mmb_status mmb__region_table_insert(struct mmb__region *r);
void mmb__region_table_remove(struct mmb__region *r);
/* Two-level radix table over 48-bit addresses, one slot per granule. */
#define MMB__RT_ROOT_BITS 13
#define MMB__RT_LEAF_BITS 13
#define MMB__RT_ADDR_BITS (MMB__GRANULE_SHIFT + MMB__RT_ROOT_BITS + MMB__RT_LEAF_BITS)
typedef _Atomic(struct mmb__region *) mmb__region_slot;
extern _Atomic(mmb__region_slot *) mmb__region_root[1u << MMB__RT_ROOT_BITS];

/* The region of a pointer, without locks (NULL: not pool memory). */
static inline struct mmb__region *mmb__region_lookup(const void *p)
{
  uintptr_t a = (uintptr_t)p, g = a >> MMB__GRANULE_SHIFT;
  /* one compare both bounds the root index and refuses addresses above
   * MMB__RT_ADDR_BITS */
  uintptr_t hi = g >> MMB__RT_LEAF_BITS;
  if (__builtin_expect(hi >= ((uintptr_t)1 << MMB__RT_ROOT_BITS), 0))
    return NULL;
  mmb__region_slot *leaf = atomic_load_explicit(&mmb__region_root[hi], memory_order_acquire);
  if (leaf == NULL)
    return NULL;
  return atomic_load_explicit(&leaf[g & ((1u << MMB__RT_LEAF_BITS) - 1)], memory_order_acquire);
}

/* System allocations: pointer -> record. */
struct mmb__sysrec {
  mmbMemInterface *iface;
  size_t size;
  void *raw_base;
  size_t raw_size;
};
mmb_status mmb__sysmap_insert(void *p, const struct mmb__sysrec *rec);
bool mmb__sysmap_find(const void *p, struct mmb__sysrec *rec);
bool mmb__sysmap_remove_if(void *p, mmbMemInterface *iface, struct mmb__sysrec *rec);
void mmb__sysmap_init(void);
/* Calls fn for every record of iface and removes it (interface destruction). */
size_t mmb__sysmap_drain(mmbMemInterface *iface,
                         void (*fn)(void *p, const struct mmb__sysrec *rec, void *ctx), void *ctx);
void mmb__sysmap_fini(void);

/* ---- interfaces ---- */
typedef mmb_status (*mmb__region_hook)(void *ctx, struct mmb__region *r, bool acquire);

struct mmbMemInterface {
  char name[MMB_NAME_MAX + 16];
  mmb_strategy strategy;
  mmbMemSpace *space;
  bool is_default;
  mmb__raw_kind raw_kind; /* system strategy */
  struct mmb__pool *pool; /* POOL and SLOTS */
  uint64_t fast_uid;      /* as mmb__region.fast_uid, for mmb_alloc() */
  /* system strategy counters */
  _Atomic uint64_t in_use, in_use_hwm, live, total, invalid;
  mmbMemInterface *prev, *next; /* global list */
};

mmb_status mmb__interface_new(mmbMemSpace *space, const mmb_interface_config *cfg, bool is_default,
                              mmb__region_hook hook, void *hook_ctx, mmbMemInterface **out);
void mmb__interface_free_all(void);

/* pool strategy */
struct mmb__pool_config {
  bool slots;
  size_t slot_size, max_slots, high_water, arena_size;
  bool no_tcache;
  mmb__region_hook hook;
  void *hook_ctx;
};
mmb_status mmb__pool_create(mmbMemInterface *iface, const struct mmb__pool_config *cfg,
                            struct mmb__pool **out);
/* Returns the number of allocations still live at destruction. */
uint64_t mmb__pool_destroy(struct mmb__pool *p);
mmb_status mmb__pool_alloc(struct mmb__pool *p, size_t size, size_t align, void **ptr);
/* mmb_alloc() and mmb_free*() (mmb_pool.c) serve the thread-cache hit of a
 * default-aligned allocation and the thread-cache push of a valid free of a
 * host pool inline; anything else (and every error) goes to these, which
 * check everything again and report. */
mmb_status mmb__alloc_slow(mmbMemInterface *iface, size_t size, size_t align, void **ptr);
/* iface: the interface the caller named (NULL: any, as mmb_free()) */
mmb_status mmb__free_slow(mmbMemInterface *iface, void *ptr);
/* mmb_free_in()'s: a NULL iface is an error */
mmb_status mmb__free_in_slow(mmbMemInterface *iface, void *ptr);
/* MMB__NO_UID unless the inline paths apply to the pool */
uint64_t mmb__pool_fast_uid(const struct mmb__pool *p);
/* expect: the interface the caller named (NULL: any) */
mmb_status mmb__pool_free(struct mmb__pool *p, void *ptr, struct mmb__region *r,
                          mmbMemInterface *expect);
/* size of a live allocation (0: not live) */
size_t mmb__pool_usable_size(struct mmb__pool *p, const void *ptr, struct mmb__region *r);
void mmb__pool_get_stats(struct mmb__pool *p, mmb_stats *st);
mmbMemInterface *mmb__pool_iface(const struct mmb__pool *p);
void mmb__tls_release_current(void);

/* ---- global state ---- */
struct mmb__global {
  pthread_mutex_t lock; /* spaces, interfaces lists */
  int refcount;
  mmbMemSpace **spaces;
  size_t nspaces, cap;
  mmbMemInterface *ifaces;
  mmbMemSpace *dram;
  struct {
    uint64_t high_water, arena_size, tcache_bytes;
    bool disable_cuda, disable_memattrs, disable_numa;
  } opt;
};
extern struct mmb__global mmb__g;
extern _Atomic int mmb__initialized;

static inline bool mmb__ready(void)
{
  return atomic_load_explicit(&mmb__initialized, memory_order_acquire) != 0;
}

/* ---- memory events (mmb_unmapped.c): the allocator announces what it frees ---- */
void mmb__notify_unmapped(const void *addr, size_t len);

/* ---- registration caches ---- */
void mmb__regcache_destroy_all(void);
void mmb__array_destroy_all(void);

#endif
