/* SPDX-License-Identifier: BSD-3-Clause */
/* Layout descriptors: construction, validation, accessors. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyt_internal.h"

/* Largest element size accepted (1 GiB): anything bigger is certainly a bug. */
#define LYT__MAX_ELEM ((size_t)1 << 30)

static int cmp_axis_stride(const void *a, const void *b, void *ctx);

void lyt__dense_strides(size_t elem_size, int ndims, const int64_t *alloc, const int *axis_order,
                        int64_t *strides)
{
  int64_t s = (int64_t)elem_size;
  for (int k = ndims - 1; k >= 0; k--) {
    int ax = axis_order[k];
    strides[ax] = s;
    s *= alloc[ax];
  }
}

lyt_status lyt__layout_init(struct lyt_layout_ *l, size_t elem_size, int ndims, const int64_t *dims,
                            const int64_t *strides, int64_t offset)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DESC, elem_size > 0 && elem_size <= LYT__MAX_ELEM, st, LYT_INVALID_ARG,
            "element size %zu out of range (1 .. %zu)", elem_size, LYT__MAX_ELEM);
  LYT_CHECK(DESC, ndims >= 1 && ndims <= LYT_MAX_DIMS, st, LYT_INVALID_ARG,
            "ndims %d out of range (1 .. %d)", ndims, LYT_MAX_DIMS);
  LYT_CHECK(DESC, dims != NULL && strides != NULL, st, LYT_INVALID_ARG, "dims or strides NULL");
  LYT_CHECK(DESC, offset >= 0, st, LYT_INVALID_ARG, "negative offset %" PRId64, offset);
  memset(l, 0, sizeof *l);
  l->elem_size = elem_size;
  l->ndims = ndims;
  l->offset = offset;
  int64_t n = 1, hi = 0;
  for (int k = 0; k < ndims; k++) {
    LYT_CHECK(DESC, dims[k] > 0, st, LYT_INVALID_ARG, "dims[%d] = %" PRId64 " must be > 0", k,
              dims[k]);
    LYT_CHECK(DESC, strides[k] >= 0, st, LYT_INVALID_ARG, "strides[%d] = %" PRId64 " is negative",
              k, strides[k]);
    LYT_CHECK(DESC, strides[k] > 0 || dims[k] == 1, st, LYT_INVALID_ARG,
              "strides[%d] = 0 with dims[%d] = %" PRId64 " > 1 (aliasing elements)", k, k, dims[k]);
    int64_t t;
    LYT_CHECK(DESC, !lyt__mul_ovf(n, dims[k], &n), st, LYT_OVERFLOW,
              "element count overflows int64 at dims[%d] = %" PRId64, k, dims[k]);
    LYT_CHECK(DESC, !lyt__mul_ovf(dims[k] - 1, strides[k], &t) && !lyt__add_ovf(hi, t, &hi), st,
              LYT_OVERFLOW, "byte extent overflows int64 at axis %d", k);
    l->dims[k] = dims[k];
    l->strides[k] = strides[k];
  }
  int64_t bytes;
  LYT_CHECK(DESC, !lyt__mul_ovf(n, (int64_t)elem_size, &bytes), st, LYT_OVERFLOW,
            "%" PRId64 " elements of %zu bytes overflow int64", n, elem_size);
  LYT_CHECK(DESC, !lyt__add_ovf(hi, (int64_t)elem_size, &hi) && !lyt__add_ovf(hi, offset, &l->span),
            st, LYT_OVERFLOW, "byte span overflows int64");
  l->nelems = n;

  /* Conservative non-aliasing check: sorted by stride, each axis must step
   * over everything the faster axes span. */
  {
    int ax[LYT_MAX_DIMS], m = 0;
    for (int k = 0; k < ndims; k++)
      if (dims[k] > 1)
        ax[m++] = k;
    qsort_r(ax, (size_t)m, sizeof ax[0], cmp_axis_stride, l);
    int64_t span = (int64_t)elem_size;
    for (int i = 0; i < m; i++) {
      int k = ax[i];
      LYT_CHECK(DESC, strides[k] >= span, st, LYT_OVERLAP,
                "axis %d (stride %" PRId64 " B) overlaps the %" PRId64
                " B spanned by the faster axes: different indices would share bytes",
                k, strides[k], span);
      span += strides[k] * (dims[k] - 1);
    }
  }
cleanup:
  return st;
}

static int cmp_axis_stride(const void *a, const void *b, void *ctx)
{
  const struct lyt_layout_ *l = ctx;
  int64_t x = l->strides[*(const int *)a], y = l->strides[*(const int *)b];
  return (x > y) - (x < y);
}

static lyt_status layout_alloc(const struct lyt_layout_ *tmp, lyt_layout **out)
{
  lyt_status st = LYT_OK;
  lyt_layout *l = malloc(sizeof *l);
  LYT_CHECK(DESC, l != NULL, st, LYT_NOMEM, "cannot allocate a layout");
  *l = *tmp;
  *out = l;
cleanup:
  return st;
}

lyt_status lyt_layout_create_ordered(size_t elem_size, int ndims, const int64_t *dims,
                                     const int *axis_order, const int64_t *padded_dims,
                                     lyt_layout **out)
{
  lyt_status st = LYT_OK;
  struct lyt_layout_ tmp;
  int64_t strides[LYT_MAX_DIMS], alloc[LYT_MAX_DIMS];
  int seen[LYT_MAX_DIMS] = {0};
  LYT_CHECK(DESC, out != NULL && dims != NULL && axis_order != NULL, st, LYT_INVALID_ARG,
            "NULL argument (out, dims or axis_order)");
  *out = NULL;
  LYT_CHECK(DESC, ndims >= 1 && ndims <= LYT_MAX_DIMS, st, LYT_INVALID_ARG,
            "ndims %d out of range (1 .. %d)", ndims, LYT_MAX_DIMS);
  LYT_CHECK(DESC, elem_size > 0 && elem_size <= LYT__MAX_ELEM, st, LYT_INVALID_ARG,
            "element size %zu out of range (1 .. %zu)", elem_size, LYT__MAX_ELEM);
  for (int k = 0; k < ndims; k++) {
    LYT_CHECK(DESC, axis_order[k] >= 0 && axis_order[k] < ndims && !seen[axis_order[k]], st,
              LYT_INVALID_ARG, "axis_order is not a permutation of 0..%d (entry %d = %d)",
              ndims - 1, k, axis_order[k]);
    seen[axis_order[k]] = 1;
    LYT_CHECK(DESC, dims[k] > 0, st, LYT_INVALID_ARG, "dims[%d] = %" PRId64 " must be > 0", k,
              dims[k]);
    alloc[k] = dims[k];
    if (padded_dims) {
      LYT_CHECK(DESC, padded_dims[k] >= dims[k], st, LYT_INVALID_ARG,
                "padded_dims[%d] = %" PRId64 " < dims[%d] = %" PRId64, k, padded_dims[k], k,
                dims[k]);
      alloc[k] = padded_dims[k];
    }
  }
  {
    int64_t total = (int64_t)elem_size;
    for (int k = 0; k < ndims; k++)
      LYT_CHECK(DESC, !lyt__mul_ovf(total, alloc[k], &total), st, LYT_OVERFLOW,
                "layout size overflows int64 (dims[%d] = %" PRId64 ")", k, alloc[k]);
  }
  lyt__dense_strides(elem_size, ndims, alloc, axis_order, strides);
  LYT_CHECK_CALL(DESC, st, lyt__layout_init(&tmp, elem_size, ndims, dims, strides, 0),
                 "invalid dense layout");
  /* span of a padded layout covers the whole allocation */
  {
    int64_t total = (int64_t)elem_size;
    for (int k = 0; k < ndims; k++)
      total *= alloc[k];
    tmp.span = total;
  }
  st = layout_alloc(&tmp, out);
cleanup:
  return st;
}

lyt_status lyt_layout_create_dense(size_t elem_size, int ndims, const int64_t *dims,
                                   lyt_order order, lyt_layout **out)
{
  lyt_status st = LYT_OK;
  int ax[LYT_MAX_DIMS];
  LYT_CHECK(DESC, order == LYT_ROW_MAJOR || order == LYT_COL_MAJOR, st, LYT_INVALID_ARG,
            "order %d is neither LYT_ROW_MAJOR nor LYT_COL_MAJOR", (int)order);
  LYT_CHECK(DESC, ndims >= 1 && ndims <= LYT_MAX_DIMS, st, LYT_INVALID_ARG,
            "ndims %d out of range (1 .. %d)", ndims, LYT_MAX_DIMS);
  for (int k = 0; k < ndims; k++)
    ax[k] = order == LYT_ROW_MAJOR ? k : ndims - 1 - k;
  st = lyt_layout_create_ordered(elem_size, ndims, dims, ax, NULL, out);
cleanup:
  return st;
}

lyt_status lyt_layout_create_strided(size_t elem_size, int ndims, const int64_t *dims,
                                     const int64_t *strides, int64_t offset, lyt_layout **out)
{
  lyt_status st = LYT_OK;
  struct lyt_layout_ tmp;
  LYT_CHECK(DESC, out != NULL, st, LYT_INVALID_ARG, "NULL out");
  *out = NULL;
  LYT_CHECK_CALL(DESC, st, lyt__layout_init(&tmp, elem_size, ndims, dims, strides, offset),
                 "invalid strided layout");
  st = layout_alloc(&tmp, out);
cleanup:
  return st;
}

lyt_status lyt_layout_create_subblock(const lyt_layout *parent, const int64_t *offset,
                                      const int64_t *extent, lyt_layout **out)
{
  lyt_status st = LYT_OK;
  struct lyt_layout_ tmp;
  int64_t off;
  LYT_CHECK(DESC, out != NULL && parent != NULL && offset != NULL && extent != NULL, st,
            LYT_INVALID_ARG, "NULL argument");
  *out = NULL;
  off = parent->offset;
  for (int k = 0; k < parent->ndims; k++) {
    LYT_CHECK(DESC, offset[k] >= 0 && extent[k] > 0 && offset[k] <= parent->dims[k] - extent[k], st,
              LYT_INVALID_ARG,
              "sub-block axis %d: offset %" PRId64 " extent %" PRId64
              " outside the parent's extent %" PRId64,
              k, offset[k], extent[k], parent->dims[k]);
    off += offset[k] * parent->strides[k];
  }
  LYT_CHECK_CALL(
      DESC, st,
      lyt__layout_init(&tmp, parent->elem_size, parent->ndims, extent, parent->strides, off),
      "invalid sub-block");
  st = layout_alloc(&tmp, out);
cleanup:
  return st;
}

lyt_status lyt_layout_copy(const lyt_layout *l, lyt_layout **out)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DESC, l != NULL && out != NULL, st, LYT_INVALID_ARG, "NULL argument");
  st = layout_alloc(l, out);
cleanup:
  return st;
}

void lyt_layout_destroy(lyt_layout *l)
{
  free(l);
}

size_t lyt_layout_elem_size(const lyt_layout *l)
{
  return l ? l->elem_size : 0;
}
int lyt_layout_ndims(const lyt_layout *l)
{
  return l ? l->ndims : 0;
}
int64_t lyt_layout_nelems(const lyt_layout *l)
{
  return l ? l->nelems : 0;
}
int64_t lyt_layout_span_bytes(const lyt_layout *l)
{
  return l ? l->span : 0;
}
int64_t lyt_layout_offset(const lyt_layout *l)
{
  return l ? l->offset : 0;
}

lyt_status lyt_layout_get_dims(const lyt_layout *l, int64_t *dims)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DESC, l != NULL && dims != NULL, st, LYT_INVALID_ARG, "NULL argument");
  memcpy(dims, l->dims, sizeof(int64_t) * (size_t)l->ndims);
cleanup:
  return st;
}

lyt_status lyt_layout_get_strides(const lyt_layout *l, int64_t *strides)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DESC, l != NULL && strides != NULL, st, LYT_INVALID_ARG, "NULL argument");
  memcpy(strides, l->strides, sizeof(int64_t) * (size_t)l->ndims);
cleanup:
  return st;
}

int lyt_layout_is_contiguous(const lyt_layout *l)
{
  if (!l)
    return 0;
  /* non-aliasing is guaranteed, so contiguity = span of elements == bytes */
  int64_t hi = 0;
  for (int k = 0; k < l->ndims; k++)
    hi += l->strides[k] * (l->dims[k] - 1);
  return hi + (int64_t)l->elem_size == l->nelems * (int64_t)l->elem_size;
}

lyt_status lyt_layout_check_compatible(const lyt_layout *a, const lyt_layout *b)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DESC, a != NULL && b != NULL, st, LYT_INVALID_ARG, "NULL layout");
  LYT_CHECK(DESC, a->elem_size == b->elem_size, st, LYT_MISMATCH,
            "element sizes differ: %zu vs %zu bytes", a->elem_size, b->elem_size);
  LYT_CHECK(DESC, a->ndims == b->ndims, st, LYT_MISMATCH, "ndims differ: %d vs %d", a->ndims,
            b->ndims);
  for (int k = 0; k < a->ndims; k++)
    LYT_CHECK(DESC, a->dims[k] == b->dims[k], st, LYT_MISMATCH,
              "dims[%d] differ: %" PRId64 " vs %" PRId64 " (total %" PRId64 " vs %" PRId64
              " elements)",
              k, a->dims[k], b->dims[k], a->nelems, b->nelems);
cleanup:
  return st;
}

char *lyt_layout_describe(const lyt_layout *l, char *buf, size_t len)
{
  if (!buf || len == 0)
    return buf;
  if (!l) {
    snprintf(buf, len, "(null layout)");
    return buf;
  }
  size_t pos = 0;
#define APP(...)                                                                                   \
  do {                                                                                             \
    if (pos < len) {                                                                               \
      int w_ = snprintf(buf + pos, len - pos, __VA_ARGS__);                                        \
      if (w_ > 0)                                                                                  \
        pos += (size_t)w_;                                                                         \
    }                                                                                              \
  } while (0)
  APP("%zuB [", l->elem_size);
  for (int k = 0; k < l->ndims; k++)
    APP("%s%" PRId64, k ? "x" : "", l->dims[k]);
  APP("] strides [");
  for (int k = 0; k < l->ndims; k++)
    APP("%s%" PRId64, k ? "," : "", l->strides[k]);
  APP("] +%" PRId64, l->offset);
#undef APP
  return buf;
}
