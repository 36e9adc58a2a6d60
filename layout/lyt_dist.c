/* SPDX-License-Identifier: BSD-3-Clause */
/* Distributions: block, block-cyclic (ScaLAPACK style) and irregular. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lyt_dist_internal.h"

/* Most blocks along one dimension of a block-cyclic distribution (16 Mi
 * segments of 32 bytes each). */
#define LYT__MAX_SEGS (1 << 24)

int lyt__dist_rank_of(const struct lyt_dist_ *d, const int *coord)
{
  int r = 0;
  if (d->grid_order == LYT_ROW_MAJOR)
    for (int k = 0; k < d->ndims; k++)
      r = r * d->grid[k] + coord[k];
  else
    for (int k = d->ndims - 1; k >= 0; k--)
      r = r * d->grid[k] + coord[k];
  return r;
}

void lyt__dist_coord_of(const struct lyt_dist_ *d, int rank, int *coord)
{
  if (d->grid_order == LYT_ROW_MAJOR)
    for (int k = d->ndims - 1; k >= 0; k--) {
      coord[k] = rank % d->grid[k];
      rank /= d->grid[k];
    }
  else
    for (int k = 0; k < d->ndims; k++) {
      coord[k] = rank % d->grid[k];
      rank /= d->grid[k];
    }
}

void lyt__local_strides(size_t e, int ndims, const int64_t *ext, lyt_order order, int64_t *str)
{
  int64_t s = (int64_t)e;
  if (order == LYT_ROW_MAJOR)
    for (int k = ndims - 1; k >= 0; k--) {
      str[k] = s;
      s *= ext[k] > 0 ? ext[k] : 1;
    }
  else
    for (int k = 0; k < ndims; k++) {
      str[k] = s;
      s *= ext[k] > 0 ? ext[k] : 1;
    }
}

static lyt_status check_common(size_t elem_size, int ndims, const int64_t *dims, lyt_order order,
                               lyt_dist **out)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DIST, out != NULL && dims != NULL, st, LYT_INVALID_ARG, "NULL argument");
  *out = NULL;
  LYT_CHECK(DIST, elem_size > 0 && elem_size <= ((size_t)1 << 30), st, LYT_INVALID_ARG,
            "element size %zu out of range", elem_size);
  LYT_CHECK(DIST, ndims >= 1 && ndims <= LYT_MAX_DIMS, st, LYT_INVALID_ARG,
            "ndims %d out of range (1 .. %d)", ndims, LYT_MAX_DIMS);
  LYT_CHECK(DIST, order == LYT_ROW_MAJOR || order == LYT_COL_MAJOR, st, LYT_INVALID_ARG,
            "bad local order %d", (int)order);
  {
    int64_t total = (int64_t)elem_size;
    for (int k = 0; k < ndims; k++) {
      LYT_CHECK(DIST, dims[k] > 0, st, LYT_INVALID_ARG, "dims[%d] = %" PRId64 " must be > 0", k,
                dims[k]);
      LYT_CHECK(DIST, !lyt__mul_ovf(total, dims[k], &total), st, LYT_OVERFLOW,
                "global size overflows int64 at dims[%d] = %" PRId64, k, dims[k]);
    }
  }
cleanup:
  return st;
}

void lyt_dist_destroy(lyt_dist *d)
{
  if (!d)
    return;
  for (int k = 0; k < LYT_MAX_DIMS; k++)
    free(d->segs[k]);
  for (int k = 0; k < LYT_MAX_DIMS; k++)
    free(d->ext_of_coord[k]);
  free(d->boff);
  free(d->bext);
  free(d->owner);
  free(d->bbyte);
  free(d->local_bytes);
  free(d);
}

lyt_status lyt_dist_create_block_cyclic(size_t elem_size, int ndims, const int64_t *dims,
                                        const int *grid, const int64_t *block, const int *src_coord,
                                        lyt_order grid_order, lyt_order local_order, lyt_dist **out)
{
  lyt_status st = LYT_OK;
  lyt_dist *d = NULL;
  LYT_CHECK_CALL(DIST, st, check_common(elem_size, ndims, dims, local_order, out),
                 "invalid block-cyclic distribution");
  LYT_CHECK(DIST, grid != NULL && block != NULL, st, LYT_INVALID_ARG, "NULL grid or block");
  LYT_CHECK(DIST, grid_order == LYT_ROW_MAJOR || grid_order == LYT_COL_MAJOR, st, LYT_INVALID_ARG,
            "bad grid order %d", (int)grid_order);
  d = calloc(1, sizeof *d);
  LYT_CHECK(DIST, d != NULL, st, LYT_NOMEM, "cannot allocate a distribution");
  d->kind = LYT__DIST_CART;
  d->elem_size = elem_size;
  d->ndims = ndims;
  d->local_order = local_order;
  d->grid_order = grid_order;
  {
    int64_t nr = 1;
    for (int k = 0; k < ndims; k++) {
      LYT_CHECK(DIST, grid[k] >= 1, st, LYT_INVALID_ARG, "grid[%d] = %d must be >= 1", k, grid[k]);
      LYT_CHECK(DIST, block[k] >= 1, st, LYT_INVALID_ARG, "block[%d] = %" PRId64 " must be >= 1", k,
                block[k]);
      LYT_CHECK(DIST, !src_coord || (src_coord[k] >= 0 && src_coord[k] < grid[k]), st,
                LYT_INVALID_ARG, "src_coord[%d] = %d outside 0 .. grid[%d]-1 = %d", k,
                src_coord ? src_coord[k] : 0, k, grid[k] - 1);
      nr *= grid[k];
      LYT_CHECK(DIST, nr <= (1 << 24), st, LYT_INVALID_ARG,
                "process grid has more than 2^24 ranks");
      d->dims[k] = dims[k];
      d->grid[k] = grid[k];
      d->block[k] = block[k];
      d->src_coord[k] = src_coord ? src_coord[k] : 0;
    }
    d->nranks = (int)nr;
  }
  int64_t total = 0;
  for (int k = 0; k < ndims; k++) {
    int64_t n = dims[k], nb = block[k], P = grid[k];
    int64_t nblk = n / nb + (n % nb != 0);
    LYT_CHECK(DIST, nblk <= LYT__MAX_SEGS, st, LYT_INVALID_ARG,
              "dimension %d: %" PRId64 " blocks of %" PRId64 " exceed the limit of %d blocks", k,
              nblk, nb, LYT__MAX_SEGS);
    /* Blocks merge into one segment when contiguous on both sides, which
     * with P = 1 is all of them: the table has the merged count, not one
     * entry per block (a 100-byte serialised distribution asked for 2^24
     * blocks, 512 MiB, of which one segment remained). */
    int64_t ns = P == 1 && nblk > 0 ? 1 : nblk;
    total += ns;
    LYT_CHECK(DIST, total <= LYT__MAX_SEGS, st, LYT_INVALID_ARG,
              "%" PRId64 " segments over the dimensions exceed the limit of %d", total,
              LYT__MAX_SEGS);
    d->segs[k] = malloc((size_t)(ns ? ns : 1) * sizeof(lyt__seg));
    LYT_CHECK(DIST, d->segs[k] != NULL, st, LYT_NOMEM, "out of memory (%" PRId64 " segments)", ns);
    if (P == 1 && nblk > 0)
      d->segs[k][0] = (lyt__seg){.start = 0, .len = n, .lstart = 0, .coord = 0};
    else
      for (int64_t b = 0; b < nblk; b++)
        d->segs[k][b] = (lyt__seg){.start = b * nb,
                                   .len = n - b * nb < nb ? n - b * nb : nb,
                                   .lstart = (b / P) * nb,
                                   .coord = (int)((d->src_coord[k] + b) % P)};
    d->nsegs[k] = ns;
  }
  /* local extents (NUMROC) per dimension and grid coordinate */
  for (int k = 0; k < ndims; k++) {
    d->ext_of_coord[k] = calloc((size_t)(unsigned)grid[k], sizeof(int64_t));
    LYT_CHECK(DIST, d->ext_of_coord[k] != NULL, st, LYT_NOMEM, "out of memory");
    for (int64_t i = 0; i < d->nsegs[k]; i++)
      d->ext_of_coord[k][d->segs[k][i].coord] += d->segs[k][i].len;
  }
  *out = d;
  d = NULL;
cleanup:
  lyt_dist_destroy(d);
  return st;
}

void lyt__dist_local_ext(const struct lyt_dist_ *d, int rank, int64_t *ext)
{
  int c[LYT_MAX_DIMS] = {0};
  lyt__dist_coord_of(d, rank, c);
  for (int k = 0; k < d->ndims; k++)
    ext[k] = d->ext_of_coord[k][c[k]];
}

int64_t lyt__dist_rank_bytes(const struct lyt_dist_ *d, int rank)
{
  if (d->kind == LYT__DIST_IRREG)
    return d->local_bytes[rank];
  int64_t ext[LYT_MAX_DIMS], b = (int64_t)d->elem_size;
  lyt__dist_local_ext(d, rank, ext);
  for (int k = 0; k < d->ndims; k++)
    b *= ext[k];
  return b;
}

lyt_status lyt_dist_create_block(size_t elem_size, int ndims, const int64_t *dims, const int *grid,
                                 lyt_order grid_order, lyt_order local_order, lyt_dist **out)
{
  lyt_status st = LYT_OK;
  int64_t block[LYT_MAX_DIMS];
  LYT_CHECK_CALL(DIST, st, check_common(elem_size, ndims, dims, local_order, out),
                 "invalid block distribution");
  LYT_CHECK(DIST, grid != NULL, st, LYT_INVALID_ARG, "NULL grid");
  for (int k = 0; k < ndims; k++) {
    LYT_CHECK(DIST, grid[k] >= 1, st, LYT_INVALID_ARG, "grid[%d] = %d must be >= 1", k, grid[k]);
    block[k] = (dims[k] + grid[k] - 1) / grid[k];
  }
  st = lyt_dist_create_block_cyclic(elem_size, ndims, dims, grid, block, NULL, grid_order,
                                    local_order, out);
cleanup:
  return st;
}

typedef struct {
  const int64_t *off, *ext;
  int ndims;
} box_ctx;

static int cmp_box_first(const void *a, const void *b, void *ctx)
{
  const box_ctx *c = ctx;
  int64_t x = c->off[(size_t) * (const int *)a * (size_t)c->ndims];
  int64_t y = c->off[(size_t) * (const int *)b * (size_t)c->ndims];
  return (x > y) - (x < y);
}

lyt_status lyt_dist_create_irregular(size_t elem_size, int ndims, const int64_t *dims, int nranks,
                                     int nblocks, const int64_t *offsets, const int64_t *extents,
                                     const int *owners, lyt_order local_order, lyt_dist **out)
{
  lyt_status st = LYT_OK;
  lyt_dist *d = NULL;
  int *ord = NULL;
  LYT_CHECK_CALL(DIST, st, check_common(elem_size, ndims, dims, local_order, out),
                 "invalid irregular distribution");
  LYT_CHECK(DIST, nranks >= 1, st, LYT_INVALID_ARG, "nranks = %d must be >= 1", nranks);
  LYT_CHECK(DIST, nblocks >= 1, st, LYT_INVALID_ARG, "nblocks = %d must be >= 1", nblocks);
  LYT_CHECK(DIST, offsets && extents && owners, st, LYT_INVALID_ARG,
            "NULL offsets, extents or owners");
  d = calloc(1, sizeof *d);
  LYT_CHECK(DIST, d != NULL, st, LYT_NOMEM, "cannot allocate a distribution");
  d->kind = LYT__DIST_IRREG;
  d->elem_size = elem_size;
  d->ndims = ndims;
  d->nranks = nranks;
  d->local_order = local_order;
  d->nblocks = nblocks;
  memcpy(d->dims, dims, sizeof(int64_t) * (size_t)ndims);
  size_t nb = (size_t)nblocks, nd = (size_t)ndims;
  d->boff = malloc(nb * nd * sizeof(int64_t));
  d->bext = malloc(nb * nd * sizeof(int64_t));
  d->owner = malloc(nb * sizeof(int));
  d->bbyte = malloc(nb * sizeof(int64_t));
  d->local_bytes = calloc((size_t)nranks, sizeof(int64_t));
  ord = malloc(nb * sizeof(int));
  LYT_CHECK(DIST, d->boff && d->bext && d->owner && d->bbyte && d->local_bytes && ord, st,
            LYT_NOMEM, "out of memory (%d blocks)", nblocks);
  memcpy(d->boff, offsets, nb * nd * sizeof(int64_t));
  memcpy(d->bext, extents, nb * nd * sizeof(int64_t));
  memcpy(d->owner, owners, nb * sizeof(int));
  int64_t covered = 0, total = 1;
  for (int k = 0; k < ndims; k++)
    total *= dims[k];
  for (int i = 0; i < nblocks; i++) {
    const int64_t *o = offsets + (size_t)i * nd, *x = extents + (size_t)i * nd;
    LYT_CHECK(DIST, owners[i] >= 0 && owners[i] < nranks, st, LYT_INVALID_ARG,
              "block %d: owner %d outside 0 .. %d", i, owners[i], nranks - 1);
    int64_t vol = 1;
    for (int k = 0; k < ndims; k++) {
      LYT_CHECK(DIST, x[k] > 0, st, LYT_INVALID_ARG,
                "block %d: extent[%d] = %" PRId64 " must be > 0", i, k, x[k]);
      LYT_CHECK(DIST, o[k] >= 0 && o[k] <= dims[k] - x[k], st, LYT_INVALID_ARG,
                "block %d: axis %d [%" PRId64 ", +%" PRId64 ") outside the extent %" PRId64, i, k,
                o[k], x[k], dims[k]);
      vol *= x[k];
    }
    int64_t bytes = vol * (int64_t)elem_size;
    d->bbyte[i] = d->local_bytes[owners[i]];
    LYT_CHECK(DIST, !lyt__add_ovf(d->local_bytes[owners[i]], bytes, &d->local_bytes[owners[i]]), st,
              LYT_OVERFLOW, "local size of rank %d overflows", owners[i]);
    if (lyt__add_ovf(covered, vol, &covered))
      covered = INT64_MAX; /* certainly overlapping; reported below */
    ord[i] = i;
  }
  /* overlap: sweep over boxes sorted by their first offset */
  {
    box_ctx c = {offsets, extents, ndims};
    qsort_r(ord, nb, sizeof(int), cmp_box_first, &c);
    for (int a = 0; a < nblocks; a++) {
      int i = ord[a];
      const int64_t *oi = offsets + (size_t)i * nd, *xi = extents + (size_t)i * nd;
      for (int b = a + 1; b < nblocks; b++) {
        int j = ord[b];
        const int64_t *oj = offsets + (size_t)j * nd, *xj = extents + (size_t)j * nd;
        if (oj[0] >= oi[0] + xi[0])
          break;
        int inter = 1;
        for (int k = 0; k < ndims && inter; k++)
          inter = oi[k] < oj[k] + xj[k] && oj[k] < oi[k] + xi[k];
        if (inter) {
          int lo = i < j ? i : j, hi = i < j ? j : i;
          LYT_LOG_ERR(DIST, "blocks %d and %d overlap (first shared index on axis 0: %" PRId64 ")",
                      lo, hi, oi[0] > oj[0] ? oi[0] : oj[0]);
          st = LYT_OVERLAP;
          goto cleanup;
        }
      }
    }
  }
  LYT_CHECK(DIST, covered == total, st, LYT_HOLE,
            "blocks cover %" PRId64 " of %" PRId64 " elements: %" PRId64 " elements have no owner",
            covered, total, total - covered);
  *out = d;
  d = NULL;
cleanup:
  free(ord);
  lyt_dist_destroy(d);
  return st;
}

int lyt_dist_nranks(const lyt_dist *d)
{
  return d ? d->nranks : 0;
}
int lyt_dist_ndims(const lyt_dist *d)
{
  return d ? d->ndims : 0;
}
size_t lyt_dist_elem_size(const lyt_dist *d)
{
  return d ? d->elem_size : 0;
}
lyt_status lyt_dist_get_dims(const lyt_dist *d, int64_t *dims)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DIST, d && dims, st, LYT_INVALID_ARG, "NULL argument");
  memcpy(dims, d->dims, sizeof(int64_t) * (size_t)d->ndims);
cleanup:
  return st;
}

lyt_status lyt_dist_local_bytes(const lyt_dist *d, int rank, size_t *bytes)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DIST, d && bytes, st, LYT_INVALID_ARG, "NULL argument");
  LYT_CHECK(DIST, rank >= 0 && rank < d->nranks, st, LYT_INVALID_ARG, "rank %d outside 0 .. %d",
            rank, d->nranks - 1);
  *bytes = (size_t)lyt__dist_rank_bytes(d, rank);
cleanup:
  return st;
}

lyt_status lyt_dist_locate(const lyt_dist *d, const int64_t *idx, int *rank, int64_t *local_offset)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DIST, d && idx && rank && local_offset, st, LYT_INVALID_ARG, "NULL argument");
  for (int k = 0; k < d->ndims; k++)
    LYT_CHECK(DIST, idx[k] >= 0 && idx[k] < d->dims[k], st, LYT_INVALID_ARG,
              "index[%d] = %" PRId64 " outside 0 .. %" PRId64, k, idx[k], d->dims[k] - 1);
  if (d->kind == LYT__DIST_CART) {
    int c[LYT_MAX_DIMS] = {0};
    int64_t li[LYT_MAX_DIMS], str[LYT_MAX_DIMS];
    for (int k = 0; k < d->ndims; k++) {
      int64_t b = idx[k] / d->block[k];
      c[k] = (int)((d->src_coord[k] + b) % d->grid[k]);
      li[k] = (b / d->grid[k]) * d->block[k] + idx[k] % d->block[k];
    }
    int r = lyt__dist_rank_of(d, c);
    int64_t lext[LYT_MAX_DIMS];
    lyt__dist_local_ext(d, r, lext);
    lyt__local_strides(d->elem_size, d->ndims, lext, d->local_order, str);
    int64_t off = 0;
    for (int k = 0; k < d->ndims; k++)
      off += li[k] * str[k];
    *rank = r;
    *local_offset = off;
  } else {
    size_t nd = (size_t)d->ndims;
    for (int i = 0; i < d->nblocks; i++) {
      const int64_t *o = d->boff + i * nd, *x = d->bext + i * nd;
      int in = 1;
      for (int k = 0; k < d->ndims && in; k++)
        in = idx[k] >= o[k] && idx[k] < o[k] + x[k];
      if (in) {
        int64_t str[LYT_MAX_DIMS], off = d->bbyte[i];
        lyt__local_strides(d->elem_size, d->ndims, x, d->local_order, str);
        for (int k = 0; k < d->ndims; k++)
          off += (idx[k] - o[k]) * str[k];
        *rank = d->owner[i];
        *local_offset = off;
        goto cleanup;
      }
    }
    LYT_CHECK(DIST, 0, st, LYT_ERROR, "internal: index not covered by any block");
  }
cleanup:
  return st;
}

/* ------------------------------------------------------------ pieces */

lyt_status lyt__dist_pieces(const lyt_dist *d, int rank, lyt__piece **out, size_t *n)
{
  lyt_status st = LYT_OK;
  lyt__piece *v = NULL;
  size_t cnt = 0;
  const int nd = d->ndims;
  if (d->kind == LYT__DIST_IRREG) {
    for (int i = 0; i < d->nblocks; i++)
      cnt += d->owner[i] == rank;
    v = cnt ? malloc(cnt * sizeof *v) : NULL;
    LYT_CHECK(DIST, cnt == 0 || v, st, LYT_NOMEM, "out of memory");
    size_t j = 0;
    for (int i = 0; i < d->nblocks; i++) {
      if (d->owner[i] != rank)
        continue;
      lyt__piece *p = &v[j++];
      memcpy(p->off, d->boff + (size_t)i * (size_t)nd, sizeof(int64_t) * (size_t)nd);
      memcpy(p->ext, d->bext + (size_t)i * (size_t)nd, sizeof(int64_t) * (size_t)nd);
      p->loff = d->bbyte[i];
      lyt__local_strides(d->elem_size, nd, p->ext, d->local_order, p->lstr);
    }
  } else {
    int c[LYT_MAX_DIMS] = {0};
    int64_t str[LYT_MAX_DIMS];
    int64_t *lst[LYT_MAX_DIMS] = {0};
    int64_t cntk[LYT_MAX_DIMS];
    lyt__dist_coord_of(d, rank, c);
    int64_t lext[LYT_MAX_DIMS];
    lyt__dist_local_ext(d, rank, lext);
    lyt__local_strides(d->elem_size, nd, lext, d->local_order, str);
    cnt = 1;
    for (int k = 0; k < nd; k++) {
      cntk[k] = 0;
      for (int64_t i = 0; i < d->nsegs[k]; i++)
        cntk[k] += d->segs[k][i].coord == c[k];
      cnt *= (size_t)cntk[k];
    }
    if (cnt) {
      for (int k = 0; k < nd; k++) {
        lst[k] = malloc((size_t)cntk[k] * sizeof(int64_t));
        if (!lst[k]) {
          for (int j = 0; j < k; j++)
            free(lst[j]);
          LYT_CHECK(DIST, 0, st, LYT_NOMEM, "out of memory");
        }
        int64_t j = 0;
        for (int64_t i = 0; i < d->nsegs[k]; i++)
          if (d->segs[k][i].coord == c[k])
            lst[k][j++] = i;
      }
      v = malloc(cnt * sizeof *v);
      if (!v) {
        for (int k = 0; k < nd; k++)
          free(lst[k]);
        LYT_CHECK(DIST, 0, st, LYT_NOMEM, "out of memory (%zu pieces)", cnt);
      }
      int64_t idx[LYT_MAX_DIMS] = {0};
      for (size_t j = 0; j < cnt; j++) {
        lyt__piece *p = &v[j];
        p->loff = 0;
        for (int k = 0; k < nd; k++) {
          const lyt__seg *s = &d->segs[k][lst[k][idx[k]]];
          p->off[k] = s->start;
          p->ext[k] = s->len;
          p->loff += s->lstart * str[k];
          p->lstr[k] = str[k];
        }
        for (int k = nd - 1; k >= 0; k--) {
          if (++idx[k] < cntk[k])
            break;
          idx[k] = 0;
        }
      }
      for (int k = 0; k < nd; k++)
        free(lst[k]);
    }
  }
  *out = v;
  *n = cnt;
  v = NULL;
cleanup:
  free(v);
  return st;
}

static lyt_status scatter_gather(const lyt_dist *d, const lyt_layout *g, const void *gptr,
                                 void *const *local, int to_local)
{
  lyt_status st = LYT_OK;
  lyt__piece *pc = NULL;
  LYT_CHECK(DIST, d && g && gptr && local, st, LYT_INVALID_ARG, "NULL argument");
  LYT_CHECK(DIST, g->elem_size == d->elem_size && g->ndims == d->ndims, st, LYT_MISMATCH,
            "global layout (%zu B, %d dims) does not match the distribution (%zu B, %d dims)",
            g->elem_size, g->ndims, d->elem_size, d->ndims);
  for (int k = 0; k < d->ndims; k++)
    LYT_CHECK(DIST, g->dims[k] == d->dims[k], st, LYT_MISMATCH,
              "dims[%d] differ: layout %" PRId64 ", distribution %" PRId64, k, g->dims[k],
              d->dims[k]);
  for (int r = 0; r < d->nranks; r++) {
    size_t n = 0;
    LYT_CHECK(DIST, lyt__dist_rank_bytes(d, r) == 0 || local[r] != NULL, st, LYT_INVALID_ARG,
              "local buffer of rank %d is NULL", r);
    LYT_CHECK_CALL(DIST, st, lyt__dist_pieces(d, r, &pc, &n), "cannot list pieces of rank %d", r);
    for (size_t i = 0; i < n; i++) {
      lyt__copy_problem p;
      int64_t goff = g->offset;
      for (int k = 0; k < d->ndims; k++)
        goff += pc[i].off[k] * g->strides[k];
      char *lp = (char *)local[r] + pc[i].loff;
      char *gp = (char *)gptr + goff;
      if (to_local) {
        lyt__problem_build(&p, d->elem_size, d->ndims, pc[i].ext, g->strides, pc[i].lstr);
        lyt__copy_run(&p, gp, lp, 1, 0);
      } else {
        lyt__problem_build(&p, d->elem_size, d->ndims, pc[i].ext, pc[i].lstr, g->strides);
        lyt__copy_run(&p, lp, gp, 1, 0);
      }
    }
    free(pc);
    pc = NULL;
  }
cleanup:
  free(pc);
  return st;
}

lyt_status lyt_dist_scatter(const lyt_dist *d, const lyt_layout *global, const void *global_ptr,
                            void *const *local_bufs)
{
  return scatter_gather(d, global, global_ptr, local_bufs, 1);
}

lyt_status lyt_dist_gather(const lyt_dist *d, const void *const *local_bufs,
                           const lyt_layout *global, void *global_ptr)
{
  return scatter_gather(d, global, global_ptr, (void *const *)local_bufs, 0);
}
