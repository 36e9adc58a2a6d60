/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Distributed layouts and N-to-M redistribution plans.
 *
 * A distribution splits a global dense index space (ndims extents, element
 * size) over nranks ranks. Each rank stores its part in one local buffer:
 *
 * - block / block-cyclic (ScaLAPACK style, generalised to N dims): the ranks
 *   form a process grid grid[0] x .. x grid[n-1]; along dimension k, block b
 *   (indices [b*nb_k, (b+1)*nb_k)) belongs to grid coordinate
 *   (src_k + b) mod grid[k]. A rank's local buffer is the dense array of its
 *   local extents (ScaLAPACK's NUMROC per dimension) in local_order, local
 *   index = (b / grid[k]) * nb_k + i mod nb_k. Ranks are numbered from grid
 *   coordinates in grid_order (LYT_ROW_MAJOR: the last coordinate fastest, as
 *   BLACS' default 'R' ordering). Block is block-cyclic with
 *   nb_k = ceil(dims[k] / grid[k]) and source 0.
 * - irregular: a user-given list of boxes (offset, extent) and their owners;
 *   a rank's local buffer is the concatenation of its boxes in list order,
 *   each stored densely in local_order.
 *
 * A plan says, for every (source rank, destination rank) pair, which regions
 * move and how many bytes; pack() writes a pair's regions contiguously
 * (already in the destination's element order) and unpack() stores such a
 * buffer into the destination's local buffer, so a transport only moves
 * contiguous bytes. Plans are plain data, independent of any transport;
 * lyt_plan_execute_local() runs one in memory with one thread per rank.
 *
 * Source rank s and destination rank d are taken to be the same process when
 * s == map[d] (map: identity, or the relabeling chosen by the plan), and such
 * bytes count as local, not as communication volume.
 */
#ifndef LYT_DIST_H
#define LYT_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "lyt_export.h"
#include "lyt_layout.h"
#include "lyt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque, immutable distribution. */
typedef struct lyt_dist_ lyt_dist;

/** Block distribution over a process grid.
 * @param elem_size   bytes per element, > 0
 * @param ndims       number of dimensions, 1 .. LYT_MAX_DIMS
 * @param dims        ndims global extents, each > 0
 * @param grid        ndims process counts, each >= 1; nranks = their product
 * @param grid_order  how grid coordinates number the ranks
 * @param local_order element order of each rank's local buffer
 * @param[out] out    the new distribution (free with lyt_dist_destroy)
 * @return LYT_OK; LYT_INVALID_ARG (NULL, sizes <= 0, bad order);
 *         LYT_OVERFLOW; LYT_NOMEM. */
LYT_API lyt_status lyt_dist_create_block(size_t elem_size, int ndims, const int64_t *dims,
                                         const int *grid, lyt_order grid_order,
                                         lyt_order local_order, lyt_dist **out);

/** Block-cyclic distribution (ScaLAPACK descriptor generalised to N dims).
 * @param elem_size  bytes per element, > 0
 * @param ndims      number of dimensions, 1 .. LYT_MAX_DIMS
 * @param dims       ndims global extents, each > 0
 * @param grid       ndims process counts, each >= 1; nranks = their product
 * @param block      ndims block extents (MB, NB, ...), each >= 1
 * @param src_coord  NULL (all 0) or ndims source coordinates (RSRC, CSRC, ...),
 *                   0 <= src_coord[k] < grid[k]
 * @param grid_order how grid coordinates number the ranks
 * @param local_order element order of each rank's local buffer
 * @param[out] out   the new distribution (free with lyt_dist_destroy)
 * @return as lyt_dist_create_block. */
LYT_API lyt_status lyt_dist_create_block_cyclic(size_t elem_size, int ndims, const int64_t *dims,
                                                const int *grid, const int64_t *block,
                                                const int *src_coord, lyt_order grid_order,
                                                lyt_order local_order, lyt_dist **out);

/** Irregular distribution: nblocks boxes, box i at offsets[i*ndims ..],
 * extents[i*ndims ..], owned by rank owners[i] (0 <= owner < nranks).
 * The boxes must tile the index space exactly.
 * @param elem_size   bytes per element, > 0
 * @param ndims       number of dimensions, 1 .. LYT_MAX_DIMS
 * @param dims        ndims global extents, each > 0
 * @param nranks      number of ranks, >= 1
 * @param nblocks     number of boxes
 * @param offsets     nblocks * ndims start indices
 * @param extents     nblocks * ndims extents
 * @param owners      nblocks owning ranks
 * @param local_order element order of each rank's local buffer
 * @param[out] out    the new distribution (free with lyt_dist_destroy)
 * @return LYT_OK; LYT_INVALID_ARG (NULL, box outside dims, empty box, bad
 *         owner); LYT_OVERLAP (two boxes share an element: both named in
 *         the log); LYT_HOLE (an element belongs to no box); LYT_OVERFLOW;
 *         LYT_NOMEM. A rank may own no box (its local buffer is empty). */
LYT_API lyt_status lyt_dist_create_irregular(size_t elem_size, int ndims, const int64_t *dims,
                                             int nranks, int nblocks, const int64_t *offsets,
                                             const int64_t *extents, const int *owners,
                                             lyt_order local_order, lyt_dist **out);

/** Frees a distribution.
 * @param d the distribution; NULL is allowed */
LYT_API void lyt_dist_destroy(lyt_dist *d);

/* Accessors (0 for NULL). */
/** Number of ranks.
 * @param d the distribution
 * @return nranks; 0 for NULL. */
LYT_API int lyt_dist_nranks(const lyt_dist *d);
/** Number of dimensions.
 * @param d the distribution
 * @return ndims; 0 for NULL. */
LYT_API int lyt_dist_ndims(const lyt_dist *d);
/** Element size.
 * @param d the distribution
 * @return bytes per element; 0 for NULL. */
LYT_API size_t lyt_dist_elem_size(const lyt_dist *d);
/** Copies the global dims into a caller array of ndims entries.
 * @param d the distribution
 * @param[out] dims receives ndims extents
 * @return LYT_OK or LYT_INVALID_ARG (NULL). */
LYT_API lyt_status lyt_dist_get_dims(const lyt_dist *d, int64_t *dims);

/** Bytes of rank's local buffer.
 * @param d    the distribution
 * @param rank a rank, 0 .. nranks-1
 * @param[out] bytes receives the size of that rank's local buffer
 * @return LYT_OK or LYT_INVALID_ARG. */
LYT_API lyt_status lyt_dist_local_bytes(const lyt_dist *d, int rank, size_t *bytes);

/** Rank that owns global index idx[] and the byte offset of that element in
 * its local buffer.
 * @param d   the distribution
 * @param idx ndims global indices
 * @param[out] rank receives the owning rank
 * @param[out] local_offset receives the element's byte offset in that rank's buffer
 * @return LYT_OK or LYT_INVALID_ARG (index out of range). */
LYT_API lyt_status lyt_dist_locate(const lyt_dist *d, const int64_t *idx, int *rank,
                                   int64_t *local_offset);

/** Scatter a global array (described by global, whose dims must equal the
 * distribution's) into the ranks' local buffers, and the reverse. Serial;
 * for tests, I/O and single-producer delivery.
 * @param d          the distribution
 * @param global     layout of the global array
 * @param global_ptr the global array
 * @param local_bufs nranks local buffers (lyt_dist_local_bytes each)
 * @return LYT_OK; LYT_INVALID_ARG; LYT_MISMATCH. */
LYT_API lyt_status lyt_dist_scatter(const lyt_dist *d, const lyt_layout *global,
                                    const void *global_ptr, void *const *local_bufs);
/** Gather the ranks' local buffers into a global array (the reverse of
 * lyt_dist_scatter).
 * @param d          the distribution
 * @param local_bufs nranks local buffers
 * @param global     layout of the global array
 * @param global_ptr the global array
 * @return LYT_OK; LYT_INVALID_ARG; LYT_MISMATCH. */
LYT_API lyt_status lyt_dist_gather(const lyt_dist *d, const void *const *local_bufs,
                                   const lyt_layout *global, void *global_ptr);

/** Serialised form of a distribution, to pass it between processes (e.g. as
 * a blob attribute of a CDO). Little-endian, versioned, self-contained.
 * With buf NULL (or cap too small) only *len is set (LYT_OK, or
 * LYT_INVALID_ARG when buf is given but too small).
 * @param d   the distribution
 * @param buf destination, or NULL to ask for the size
 * @param cap bytes available at buf
 * @param[out] len receives the serialised size
 * @return LYT_OK; LYT_INVALID_ARG (NULL d or len, buffer too small). */
LYT_API lyt_status lyt_dist_serialize(const lyt_dist *d, void *buf, size_t cap, size_t *len);

/** Rebuilds a distribution from lyt_dist_serialize() output. The input is
 * treated as hostile: lengths are bounded by len, and the result goes
 * through the same checks as the constructors (overlaps, holes, ...).
 * @param buf the serialised form
 * @param len its length in bytes
 * @param[out] out the new distribution (free with lyt_dist_destroy)
 * @return LYT_OK; LYT_INVALID_ARG (NULL, truncated, bad magic or version,
 *         out-of-range fields); the constructors' codes for inconsistent
 *         contents; LYT_NOMEM. */
LYT_API lyt_status lyt_dist_deserialize(const void *buf, size_t len, lyt_dist **out);

/** Opaque redistribution plan. */
typedef struct lyt_plan_ lyt_plan;

/** Plan options; NULL or all-zero means defaults. */
typedef struct lyt_plan_opts {
  int relabel; /**< nonzero: permute destination ranks over the processes
                    0..max(N,M)-1 to minimise the communication volume */
} lyt_plan_opts;

/** Plan moving data distributed by src (N ranks) to dst (M ranks).
 * @param src  source distribution
 * @param dst  destination distribution
 * @param opts NULL for defaults
 * @param[out] out the new plan (free with lyt_plan_destroy)
 * @return LYT_OK; LYT_INVALID_ARG (NULL); LYT_MISMATCH (element size, ndims
 *         or dims differ); LYT_NOMEM. */
LYT_API lyt_status lyt_plan_create(const lyt_dist *src, const lyt_dist *dst,
                                   const lyt_plan_opts *opts, lyt_plan **out);
/** Frees a plan.
 * @param p the plan; NULL is allowed */
LYT_API void lyt_plan_destroy(lyt_plan *p);

/** Number of source ranks.
 * @param p the plan
 * @return N; 0 for NULL. */
LYT_API int lyt_plan_nsrc(const lyt_plan *p);
/** Number of destination ranks.
 * @param p the plan
 * @return M; 0 for NULL. */
LYT_API int lyt_plan_ndst(const lyt_plan *p);

/** map[d] = process (numbered like source ranks) that holds destination
 * rank d; identity without relabeling. map has ndst entries.
 * @param p the plan
 * @param[out] map receives ndst process numbers
 * @return LYT_OK or LYT_INVALID_ARG. */
LYT_API lyt_status lyt_plan_dst_map(const lyt_plan *p, int *map);

/** Communication volume: bytes between different processes (remote) and bytes
 * that stay in one process (local); either pointer may be NULL.
 * @param p the plan
 * @param[out] remote_bytes receives the bytes moved between processes, or NULL
 * @param[out] local_bytes  receives the bytes copied within a process, or NULL
 * @return LYT_OK or LYT_INVALID_ARG. */
LYT_API lyt_status lyt_plan_volume(const lyt_plan *p, uint64_t *remote_bytes,
                                   uint64_t *local_bytes);

/** Number of (src, dst) pairs with something to move.
 * @param p the plan
 * @return the number of pairs; 0 for NULL. */
LYT_API size_t lyt_plan_npairs(const lyt_plan *p);
/** The i-th (src, dst) pair with something to move (ordered by src, then
 * dst; output pointers may be NULL).
 * @param p the plan
 * @param i 0 .. lyt_plan_npairs-1
 * @param[out] src   receives the source rank, or NULL
 * @param[out] dst   receives the destination rank, or NULL
 * @param[out] bytes receives the bytes of the pair, or NULL
 * @return LYT_OK or LYT_INVALID_ARG (NULL plan, i out of range). */
LYT_API lyt_status lyt_plan_pair(const lyt_plan *p, size_t i, int *src, int *dst, size_t *bytes);

/** Bytes that src rank sends to dst rank (0 when nothing).
 * @param p   the plan
 * @param src source rank
 * @param dst destination rank
 * @param[out] bytes receives the byte count
 * @return LYT_OK; LYT_INVALID_ARG (NULL plan, ranks out of range). */
LYT_API lyt_status lyt_plan_pair_bytes(const lyt_plan *p, int src, int dst, size_t *bytes);

/** Number of regions of a pair (0 for a pair with nothing to move).
 * Regions appear in the pair's pack order.
 * @param p   the plan
 * @param src source rank
 * @param dst destination rank
 * @param[out] n receives the number of regions
 * @return LYT_OK; LYT_INVALID_ARG (NULL plan, ranks out of range). */
LYT_API lyt_status lyt_plan_pair_nregions(const lyt_plan *p, int src, int dst, size_t *n);
/** The i-th region of a pair as a global box (ndims offsets and extents;
 * either pointer may be NULL).
 * @param p   the plan
 * @param src source rank
 * @param dst destination rank
 * @param i   0 .. n-1 (n from lyt_plan_pair_nregions)
 * @param[out] offset receives ndims start indices, or NULL
 * @param[out] extent receives ndims extents, or NULL
 * @return LYT_OK; LYT_INVALID_ARG (NULL plan, ranks or i out of range). */
LYT_API lyt_status lyt_plan_pair_region(const lyt_plan *p, int src, int dst, size_t i,
                                        int64_t *offset, int64_t *extent);

/** Pack what src sends to dst from src's local buffer into buf (buf_size >=
 * lyt_plan_pair_bytes), each region already in dst's element order.
 * @param p         the plan
 * @param src       source rank
 * @param dst       destination rank
 * @param src_local the source rank's local buffer
 * @param buf       the pack buffer
 * @param buf_size  bytes available at buf
 * @return LYT_OK; LYT_INVALID_ARG (NULL, ranks out of range, buf too small). */
LYT_API lyt_status lyt_plan_pack(const lyt_plan *p, int src, int dst, const void *src_local,
                                 void *buf, size_t buf_size);
/** Store a buffer made by lyt_plan_pack into dst's local buffer.
 * @param p         the plan
 * @param src       source rank
 * @param dst       destination rank
 * @param buf       the packed buffer
 * @param buf_size  bytes at buf
 * @param dst_local the destination rank's local buffer
 * @return LYT_OK (also for a pair with nothing to move); LYT_INVALID_ARG
 *         (NULL, ranks out of range, buf_size < lyt_plan_pair_bytes). */
LYT_API lyt_status lyt_plan_unpack(const lyt_plan *p, int src, int dst, const void *buf,
                                   size_t buf_size, void *dst_local);

/** How lyt_plan_execute_local moves data. */
typedef enum {
  LYT_EXEC_DIRECT = 0, /**< each destination copies straight from the source
                            buffers (one pass; shared memory) */
  LYT_EXEC_PACKED = 1  /**< pack into per-pair buffers, then unpack (what a
                            transport would do; two passes; the buffers are
                            kept with the plan for the next run) */
} lyt_exec_mode;

/** Options of lyt_plan_execute_local; NULL or all-zero means defaults. */
typedef struct lyt_exec_opts {
  lyt_exec_mode mode; /**< direct (default) or packed */
  int nthreads;       /**< 0: one thread per process (max(N, M), at most 256); 1: serial */
} lyt_exec_opts;

/** Run a plan in memory: src_bufs[s] is source rank s's local buffer,
 * dst_bufs[d] destination rank d's (indexed by destination rank, whatever the
 * relabeling). A rank thread that cannot be started is logged and its share
 * done by the calling thread.
 * @param p        the plan
 * @param src_bufs N source local buffers
 * @param dst_bufs M destination local buffers
 * @param opts     NULL for defaults
 * @return LYT_OK; LYT_INVALID_ARG (NULL plan or arrays, a NULL buffer of a
 *         rank with data, bad mode or nthreads); LYT_NOMEM (transfer buffers). */
LYT_API lyt_status lyt_plan_execute_local(const lyt_plan *p, const void *const *src_bufs,
                                          void *const *dst_bufs, const lyt_exec_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
