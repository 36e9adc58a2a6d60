/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal structures of liblyt. */
#ifndef LYT_INTERNAL_H
#define LYT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lyt/lyt_dist.h"
#include "lyt/lyt_layout.h"
#include "lyt_log.h"

struct lyt_layout_ {
  size_t elem_size;
  int ndims;
  int64_t dims[LYT_MAX_DIMS];
  int64_t strides[LYT_MAX_DIMS]; /* bytes */
  int64_t offset;                /* bytes */
  int64_t nelems;
  int64_t span; /* offset + highest byte + 1 */
};

/* Overflow-checked arithmetic on int64 (true: overflow). */
static inline bool lyt__mul_ovf(int64_t a, int64_t b, int64_t *r)
{
  return __builtin_mul_overflow(a, b, r);
}
static inline bool lyt__add_ovf(int64_t a, int64_t b, int64_t *r)
{
  return __builtin_add_overflow(a, b, r);
}

/* Validates and fills a layout from explicit strides (shared by all
 * constructors). */
lyt_status lyt__layout_init(struct lyt_layout_ *l, size_t elem_size, int ndims, const int64_t *dims,
                            const int64_t *strides, int64_t offset);

/* Dense strides for an axis order (slowest .. fastest) and allocated extents. */
void lyt__dense_strides(size_t elem_size, int ndims, const int64_t *alloc, const int *axis_order,
                        int64_t *strides);

/* One strided copy problem after normalisation: n axes, extents and byte
 * strides on both sides. Axis n-1 is the destination's fastest. */
typedef struct {
  size_t e;
  int n;
  int64_t ext[LYT_MAX_DIMS];
  int64_t ss[LYT_MAX_DIMS];
  int64_t ds[LYT_MAX_DIMS];
} lyt__copy_problem;

/* Strided copy engine (lyt_transform.c): copies prob from src to dst with
 * nthreads threads; stream: 1 use non-temporal stores for large pieces, 0
 * not, LYT__STREAM_SEQ also for short whole-line runs (a destination written
 * front to back, such as a transfer buffer). */
#define LYT__STREAM_SEQ 2
lyt_status lyt__copy_run(const lyt__copy_problem *prob, const char *src, char *dst, int nthreads,
                         int stream);

/* Builds the normalised problem for a copy of the box ext[] (ndims axes) with
 * the given strides on both sides. */
void lyt__problem_build(lyt__copy_problem *p, size_t e, int ndims, const int64_t *ext,
                        const int64_t *ss, const int64_t *ds);

/* 2D transpose kernels (lyt_kernels.c): dst[c*ldd + r*e] = src[r*lds + c*e]
 * for r < R, c < C (byte strides). */
void lyt__transpose2d(size_t e, const char *src, int64_t lds, char *dst, int64_t ldd, int64_t R,
                      int64_t C, int stream);
/* Generic strided 1D copy: n elements. */
void lyt__copy1d(size_t e, const char *src, int64_t ss, char *dst, int64_t ds, int64_t n);
/* Contiguous copy of n bytes, streaming when asked. */
void lyt__copy_contig(char *dst, const char *src, size_t n, int stream);
/* In-place square transpose of an n x n matrix with element (i,j) at
 * i*s0 + j*s1. */
void lyt__transpose_inplace(size_t e, char *base, int64_t n, int64_t s0, int64_t s1);
/* Fence after streaming stores. */
void lyt__stream_fence(void);

/* Distributions ------------------------------------------------------------ */

/* One segment of a dimension of a Cartesian (block / block-cyclic)
 * distribution: global [start, start+len) owned by grid coordinate coord at
 * local index lstart. */
typedef struct {
  int64_t start, len, lstart;
  int coord;
} lyt__seg;

typedef enum { LYT__DIST_CART = 0, LYT__DIST_IRREG = 1 } lyt__dist_kind;

struct lyt_dist_ {
  lyt__dist_kind kind;
  size_t elem_size;
  int ndims;
  int nranks;
  int64_t dims[LYT_MAX_DIMS];
  lyt_order local_order;
  /* Cartesian */
  int grid[LYT_MAX_DIMS];
  lyt_order grid_order;
  int64_t block[LYT_MAX_DIMS];
  int src_coord[LYT_MAX_DIMS];
  lyt__seg *segs[LYT_MAX_DIMS];
  int64_t nsegs[LYT_MAX_DIMS];
  int64_t *ext_of_coord[LYT_MAX_DIMS]; /* local extent (NUMROC) per grid coordinate */
  /* irregular */
  int nblocks;
  int64_t *boff;  /* nblocks * ndims */
  int64_t *bext;  /* nblocks * ndims */
  int *owner;     /* nblocks */
  int64_t *bbyte; /* byte offset of each block in its owner's buffer */
  /* both */
  int64_t *local_bytes; /* nranks (irregular only) */
};

/* Local extents of a rank of a Cartesian distribution. */
void lyt__dist_local_ext(const struct lyt_dist_ *d, int rank, int64_t *ext);
/* Bytes of a rank's local buffer (both kinds). */
int64_t lyt__dist_rank_bytes(const struct lyt_dist_ *d, int rank);

/* Rank of grid coordinates and back. */
int lyt__dist_rank_of(const struct lyt_dist_ *d, const int *coord);
void lyt__dist_coord_of(const struct lyt_dist_ *d, int rank, int *coord);

/* A distribution as a list of boxes ("pieces"): enumerated lazily by the
 * planner. For Cartesian distributions the pieces of rank r are the
 * Cartesian products of r's segments. */

#endif
