/* SPDX-License-Identifier: BSD-3-Clause */
/* mmbArray: dense N-d arrays in a space, tiles (strided views), a tile
 * iterator, copies between arrays of any order/space, migration. */
#include <stdlib.h>
#include <string.h>

#include "mmb_internal.h"

struct mmbArray {
  void *data;
  size_t elem, ndims;
  size_t dims[MMB_MAX_DIMS], strides[MMB_MAX_DIMS];
  mmb_layout_order order;
  mmbMemSpace *space;
  mmbMemInterface *iface; /* owner of data when owned */
  bool owned, is_tile;
  /* tile view */
  mmbArray *parent;
  size_t origin[MMB_MAX_DIMS], tidx[MMB_MAX_DIMS];
  /* tiling of a top-level array */
  bool tiled;
  size_t tile_dims[MMB_MAX_DIMS], tcount[MMB_MAX_DIMS], ntiles;
  mmbArray **tiles;      /* built on demand */
  mmbArray *prev, *next; /* live arrays */
};

struct mmbTileIterator {
  mmbArray *a;
  size_t pos;
};

static pthread_mutex_t arrays_lock = PTHREAD_MUTEX_INITIALIZER;
static mmbArray *arrays;

static void link_array(mmbArray *a)
{
  pthread_mutex_lock(&arrays_lock);
  a->next = arrays;
  if (arrays)
    arrays->prev = a;
  arrays = a;
  pthread_mutex_unlock(&arrays_lock);
}
static void unlink_array(mmbArray *a)
{
  pthread_mutex_lock(&arrays_lock);
  if (a->prev)
    a->prev->next = a->next;
  else
    arrays = a->next;
  if (a->next)
    a->next->prev = a->prev;
  pthread_mutex_unlock(&arrays_lock);
}

static void set_strides(size_t elem, size_t nd, const size_t *dims, mmb_layout_order order,
                        size_t *strides)
{
  if (order == MMB_LAYOUT_ROW_MAJOR) {
    size_t s = elem;
    for (size_t i = nd; i-- > 0;) {
      strides[i] = s;
      s *= dims[i];
    }
  } else {
    size_t s = elem;
    for (size_t i = 0; i < nd; i++) {
      strides[i] = s;
      s *= dims[i];
    }
  }
}

static mmb_status check_shape(size_t elem, size_t nd, const size_t *dims, mmb_layout_order order,
                              size_t *bytes)
{
  mmb_status st = MMB_OK;
  size_t total = elem;
  MMB_CHECK(ARRAY, elem > 0, st, MMB_INVALID_ARG, "element size 0");
  MMB_CHECK(ARRAY, nd >= 1 && nd <= MMB_MAX_DIMS, st, MMB_INVALID_ARG,
            "%zu dimensions (1..%d allowed)", nd, MMB_MAX_DIMS);
  MMB_CHECK(ARRAY, dims != NULL, st, MMB_INVALID_ARG, "dims is NULL");
  MMB_CHECK(ARRAY, order == MMB_LAYOUT_ROW_MAJOR || order == MMB_LAYOUT_COL_MAJOR, st,
            MMB_INVALID_ARG, "bad order %d", (int)order);
  for (size_t i = 0; i < nd; i++) {
    MMB_CHECK(ARRAY, dims[i] > 0, st, MMB_INVALID_ARG, "dimension %zu is 0", i);
    MMB_CHECK(ARRAY, !__builtin_mul_overflow(total, dims[i], &total), st, MMB_INVALID_ARG,
              "array size overflows");
  }
  *bytes = total;
cleanup:
  return st;
}

static mmb_status make(void *data, mmbMemSpace *space, mmbMemInterface *iface, bool owned,
                       size_t elem, size_t nd, const size_t *dims, mmb_layout_order order,
                       mmbArray **out)
{
  mmb_status st = MMB_OK;
  mmbArray *a = calloc(1, sizeof *a);
  MMB_CHECK(ARRAY, a != NULL, st, MMB_OUT_OF_MEMORY, "no memory for an array");
  a->data = data;
  a->elem = elem;
  a->ndims = nd;
  memcpy(a->dims, dims, nd * sizeof *dims);
  a->order = order;
  set_strides(elem, nd, dims, order, a->strides);
  a->space = space;
  a->iface = iface;
  a->owned = owned;
  link_array(a);
  *out = a;
cleanup:
  return st;
}

mmb_status mmb_array_create_iface(mmbMemInterface *iface, size_t elem_size, size_t ndims,
                                  const size_t *dims, mmb_layout_order order, mmbArray **array)
{
  mmb_status st = MMB_OK;
  size_t bytes = 0;
  void *data = NULL;
  MMB_CHECK(ARRAY, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(ARRAY, iface != NULL && array != NULL, st, MMB_INVALID_ARG, "iface or array is NULL");
  MMB_PROPAGATE(ARRAY, st, check_shape(elem_size, ndims, dims, order, &bytes), "array shape");
  MMB_PROPAGATE(ARRAY, st, mmb_alloc(iface, bytes, 64, &data), "array of %zu bytes in %s", bytes,
                iface->space->info.name);
  st = make(data, iface->space, iface, true, elem_size, ndims, dims, order, array);
cleanup:
  if (st != MMB_OK && data)
    mmb_free_in(iface, data);
  return st;
}

mmb_status mmb_array_create(mmbMemSpace *space, size_t elem_size, size_t ndims, const size_t *dims,
                            mmb_layout_order order, mmbArray **array)
{
  mmb_status st = MMB_OK;
  mmbMemInterface *i = NULL;
  MMB_CHECK(ARRAY, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  if (space == NULL)
    space = mmb__g.dram;
  MMB_PROPAGATE(ARRAY, st, mmb__space_default_iface(space, &i), "array");
  st = mmb_array_create_iface(i, elem_size, ndims, dims, order, array);
cleanup:
  return st;
}

mmb_status mmb_array_wrap(void *data, mmbMemSpace *space, size_t elem_size, size_t ndims,
                          const size_t *dims, mmb_layout_order order, mmbArray **array)
{
  mmb_status st = MMB_OK;
  size_t bytes = 0;
  MMB_CHECK(ARRAY, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(ARRAY, data != NULL && array != NULL, st, MMB_INVALID_ARG, "data or array is NULL");
  MMB_PROPAGATE(ARRAY, st, check_shape(elem_size, ndims, dims, order, &bytes), "array shape");
  if (space == NULL && mmb_ptr_info(data, NULL, &space, NULL) != MMB_OK)
    space = mmb__g.dram;
  st = make(data, space, NULL, false, elem_size, ndims, dims, order, array);
cleanup:
  return st;
}

static void drop_tiles(mmbArray *a)
{
  if (a->tiles) {
    for (size_t t = 0; t < a->ntiles; t++)
      free(a->tiles[t]);
    free(a->tiles);
  }
  a->tiles = NULL;
}

mmb_status mmb_array_destroy(mmbArray *a)
{
  if (a == NULL || a->is_tile)
    return MMB_OK;
  unlink_array(a);
  drop_tiles(a);
  if (a->owned && a->data)
    mmb_free_in(a->iface, a->data);
  free(a);
  return MMB_OK;
}

void mmb__array_destroy_all(void)
{
  for (;;) {
    pthread_mutex_lock(&arrays_lock);
    mmbArray *a = arrays;
    pthread_mutex_unlock(&arrays_lock);
    if (a == NULL)
      break;
    MMB_LOG_WARN(ARRAY, "array %p not destroyed before mmb_finalize", (void *)a);
    mmb_array_destroy(a);
  }
}

void *mmb_array_data(const mmbArray *a)
{
  return a ? a->data : NULL;
}
size_t mmb_array_elem_size(const mmbArray *a)
{
  return a ? a->elem : 0;
}
size_t mmb_array_ndims(const mmbArray *a)
{
  return a ? a->ndims : 0;
}
const size_t *mmb_array_dims(const mmbArray *a)
{
  return a ? a->dims : NULL;
}
const size_t *mmb_array_strides(const mmbArray *a)
{
  return a ? a->strides : NULL;
}
mmb_layout_order mmb_array_order(const mmbArray *a)
{
  return a ? a->order : MMB_LAYOUT_ROW_MAJOR;
}
size_t mmb_array_count(const mmbArray *a)
{
  size_t n = 0;
  if (a) {
    n = 1;
    for (size_t i = 0; i < a->ndims; i++)
      n *= a->dims[i];
  }
  return n;
}
size_t mmb_array_bytes(const mmbArray *a)
{
  return a ? mmb_array_count(a) * a->elem : 0;
}
mmbMemSpace *mmb_array_space(const mmbArray *a)
{
  return a ? a->space : NULL;
}
bool mmb_array_owns_data(const mmbArray *a)
{
  return a && a->owned && !a->is_tile;
}
bool mmb_array_is_contiguous(const mmbArray *a)
{
  size_t dense[MMB_MAX_DIMS];
  if (a == NULL)
    return false;
  set_strides(a->elem, a->ndims, a->dims, a->order, dense);
  for (size_t i = 0; i < a->ndims; i++)
    if (a->dims[i] > 1 && dense[i] != a->strides[i])
      return false;
  return true;
}
void *mmb_array_element(const mmbArray *a, const size_t *idx)
{
  if (a == NULL || idx == NULL)
    return NULL;
  size_t off = 0;
  for (size_t i = 0; i < a->ndims; i++) {
    if (idx[i] >= a->dims[i])
      return NULL;
    off += idx[i] * a->strides[i];
  }
  return (char *)a->data + off;
}

/* ------------------------------------------------------------------ */
/* Copies */

static bool is_device(const mmbArray *a)
{
  return a->space && a->space->info.exec == MMB_EXEC_CUDA;
}

/* Odometer over all dims but `skip`, in index order; false at the end. */
static bool odometer_next(size_t *idx, const size_t *dims, size_t nd, size_t skip)
{
  for (size_t i = nd; i-- > 0;) {
    if (i == skip)
      continue;
    if (++idx[i] < dims[i])
      return true;
    idx[i] = 0;
  }
  return false;
}

static void copy_elems(char *d, size_t ds, const char *s, size_t ss, size_t n, size_t elem)
{
  switch (elem) {
  case 1:
    for (size_t i = 0; i < n; i++)
      d[i * ds] = s[i * ss];
    break;
  case 4:
    for (size_t i = 0; i < n; i++)
      memcpy(d + i * ds, s + i * ss, 4);
    break;
  case 8:
    for (size_t i = 0; i < n; i++)
      memcpy(d + i * ds, s + i * ss, 8);
    break;
  default:
    for (size_t i = 0; i < n; i++)
      memcpy(d + i * ds, s + i * ss, elem);
  }
}

/* Host copy between equal shapes; or, with rows_only, one mmb_copy per
 * contiguous run (same order on both sides, any spaces). */
static mmb_status strided_copy(mmbArray *dst, const mmbArray *src, bool rows_only)
{
  mmb_status st = MMB_OK;
  size_t nd = dst->ndims, elem = dst->elem;
  size_t k = dst->order == MMB_LAYOUT_ROW_MAJOR ? nd - 1 : 0; /* dst's fastest dim */
  size_t idx[MMB_MAX_DIMS] = {0};
  bool runs = src->strides[k] == elem && dst->strides[k] == elem;
  do {
    size_t doff = 0, soff = 0;
    for (size_t i = 0; i < nd; i++) {
      doff += idx[i] * dst->strides[i];
      soff += idx[i] * src->strides[i];
    }
    char *d = (char *)dst->data + doff;
    const char *s = (const char *)src->data + soff;
    if (rows_only) {
      MMB_PROPAGATE(ARRAY, st, mmb_copy(d, dst->space, s, src->space, dst->dims[k] * elem),
                    "row copy");
    } else if (runs) {
      memcpy(d, s, dst->dims[k] * elem);
    } else {
      copy_elems(d, dst->strides[k], s, src->strides[k], dst->dims[k], elem);
    }
  } while (odometer_next(idx, dst->dims, nd, k));
cleanup:
  return st;
}

static mmb_status host_temp(const mmbArray *like, mmb_layout_order order, mmbArray **out)
{
  return mmb_array_create(mmb__g.dram, like->elem, like->ndims, like->dims, order, out);
}

mmb_status mmb_array_copy(mmbArray *dst, const mmbArray *src)
{
  mmb_status st = MMB_OK;
  mmbArray *ts = NULL, *td = NULL;
  MMB_CHECK(ARRAY, dst != NULL && src != NULL, st, MMB_INVALID_ARG, "dst or src is NULL");
  MMB_CHECK(ARRAY, dst->elem == src->elem && dst->ndims == src->ndims, st, MMB_INVALID_ARG,
            "element size or rank differ (%zu/%zu bytes, %zu/%zu dims)", dst->elem, src->elem,
            dst->ndims, src->ndims);
  for (size_t i = 0; i < dst->ndims; i++)
    MMB_CHECK(ARRAY, dst->dims[i] == src->dims[i], st, MMB_INVALID_ARG,
              "dimension %zu differs (%zu vs %zu)", i, dst->dims[i], src->dims[i]);
  if (dst->data == src->data && memcmp(dst->strides, src->strides, sizeof dst->strides) == 0)
    goto cleanup;
  if (!is_device(dst) && !is_device(src)) {
    st = strided_copy(dst, src, false);
    goto cleanup;
  }
  if (dst->order == src->order && mmb_array_is_contiguous(dst) && mmb_array_is_contiguous(src)) {
    st = mmb_copy(dst->data, dst->space, src->data, src->space, mmb_array_bytes(src));
    goto cleanup;
  }
  /* device involved and strided or reordered: stage through host memory */
  const mmbArray *s = src;
  if (is_device(src)) {
    MMB_PROPAGATE(ARRAY, st, host_temp(src, src->order, &ts), "staging");
    MMB_PROPAGATE(ARRAY, st, strided_copy(ts, src, true), "staging from device");
    s = ts;
  }
  if (is_device(dst)) {
    MMB_PROPAGATE(ARRAY, st, host_temp(dst, dst->order, &td), "staging");
    MMB_PROPAGATE(ARRAY, st, strided_copy(td, s, false), "host reorder");
    MMB_PROPAGATE(ARRAY, st, strided_copy(dst, td, true), "staging to device");
  } else {
    MMB_PROPAGATE(ARRAY, st, strided_copy(dst, s, false), "host reorder");
  }
cleanup:
  mmb_array_destroy(ts);
  mmb_array_destroy(td);
  return st;
}

mmb_status mmb_array_clone(const mmbArray *src, mmbMemSpace *space, mmbArray **dst)
{
  mmb_status st = MMB_OK;
  mmbArray *a = NULL;
  MMB_CHECK(ARRAY, src != NULL && dst != NULL, st, MMB_INVALID_ARG, "src or dst is NULL");
  MMB_PROPAGATE(ARRAY, st,
                mmb_array_create(space, src->elem, src->ndims, src->dims, src->order, &a), "clone");
  MMB_PROPAGATE(ARRAY, st, mmb_array_copy(a, src), "clone copy");
  *dst = a;
  a = NULL;
cleanup:
  mmb_array_destroy(a);
  return st;
}

mmb_status mmb_array_migrate(mmbArray *a, mmbMemSpace *space)
{
  mmb_status st = MMB_OK;
  mmbArray *n = NULL;
  MMB_CHECK(ARRAY, a != NULL && space != NULL, st, MMB_INVALID_ARG, "array or space is NULL");
  MMB_CHECK(ARRAY, !a->is_tile, st, MMB_INVALID_ARG, "a tile cannot be migrated");
  if (a->space == space)
    goto cleanup;
  MMB_PROPAGATE(ARRAY, st, mmb_array_clone(a, space, &n), "migration to %s", space->info.name);
  if (a->owned)
    mmb_free_in(a->iface, a->data);
  a->data = n->data;
  a->iface = n->iface;
  a->space = n->space;
  a->owned = true;
  n->owned = false;
  drop_tiles(a);
  if (a->tiled) {
    a->tiles = calloc(a->ntiles, sizeof *a->tiles);
    MMB_CHECK(ARRAY, a->tiles != NULL, st, MMB_OUT_OF_MEMORY, "no memory for tiles");
  }
cleanup:
  mmb_array_destroy(n);
  return st;
}

/* ------------------------------------------------------------------ */
/* Tiles */

mmb_status mmb_array_tile(mmbArray *a, const size_t *tile_dims)
{
  mmb_status st = MMB_OK;
  size_t total = 1;
  MMB_CHECK(ARRAY, a != NULL && tile_dims != NULL, st, MMB_INVALID_ARG,
            "array or tile_dims is NULL");
  MMB_CHECK(ARRAY, !a->is_tile, st, MMB_INVALID_ARG, "tiles cannot be tiled again");
  for (size_t i = 0; i < a->ndims; i++)
    MMB_CHECK(ARRAY, tile_dims[i] >= 1 && tile_dims[i] <= a->dims[i], st, MMB_INVALID_ARG,
              "tile dimension %zu is %zu (1..%zu allowed)", i, tile_dims[i], a->dims[i]);
  drop_tiles(a);
  a->tiled = false;
  for (size_t i = 0; i < a->ndims; i++) {
    a->tile_dims[i] = tile_dims[i];
    a->tcount[i] = (a->dims[i] + tile_dims[i] - 1) / tile_dims[i];
    total *= a->tcount[i];
  }
  a->tiles = calloc(total, sizeof *a->tiles);
  MMB_CHECK(ARRAY, a->tiles != NULL, st, MMB_OUT_OF_MEMORY, "no memory for %zu tiles", total);
  a->ntiles = total;
  a->tiled = true;
cleanup:
  return st;
}

mmb_status mmb_array_untile(mmbArray *a)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(ARRAY, a != NULL && !a->is_tile, st, MMB_INVALID_ARG, "not an array");
  drop_tiles(a);
  a->tiled = false;
  a->ntiles = 0;
cleanup:
  return st;
}

mmb_status mmb_array_tile_count(const mmbArray *a, size_t *counts, size_t *total)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(ARRAY, a != NULL && a->tiled, st, MMB_INVALID_ARG, "array is not tiled");
  if (counts)
    memcpy(counts, a->tcount, a->ndims * sizeof *counts);
  if (total)
    *total = a->ntiles;
cleanup:
  return st;
}

/* linear tile number in the array's order */
static size_t tile_linear(const mmbArray *a, const size_t *t)
{
  size_t lin = 0;
  if (a->order == MMB_LAYOUT_ROW_MAJOR)
    for (size_t i = 0; i < a->ndims; i++)
      lin = lin * a->tcount[i] + t[i];
  else
    for (size_t i = a->ndims; i-- > 0;)
      lin = lin * a->tcount[i] + t[i];
  return lin;
}
static void tile_coords(const mmbArray *a, size_t lin, size_t *t)
{
  if (a->order == MMB_LAYOUT_ROW_MAJOR)
    for (size_t i = a->ndims; i-- > 0;) {
      t[i] = lin % a->tcount[i];
      lin /= a->tcount[i];
    }
  else
    for (size_t i = 0; i < a->ndims; i++) {
      t[i] = lin % a->tcount[i];
      lin /= a->tcount[i];
    }
}

static mmb_status tile_at(mmbArray *a, size_t lin, const size_t *t, mmbArray **out)
{
  mmb_status st = MMB_OK;
  mmbArray *tl = a->tiles[lin];
  if (tl == NULL) {
    tl = calloc(1, sizeof *tl);
    MMB_CHECK(ARRAY, tl != NULL, st, MMB_OUT_OF_MEMORY, "no memory for a tile");
    size_t off = 0;
    tl->elem = a->elem;
    tl->ndims = a->ndims;
    tl->order = a->order;
    tl->space = a->space;
    tl->is_tile = true;
    tl->parent = a;
    for (size_t i = 0; i < a->ndims; i++) {
      tl->tidx[i] = t[i];
      tl->origin[i] = t[i] * a->tile_dims[i];
      tl->dims[i] = a->dims[i] - tl->origin[i] < a->tile_dims[i] ? a->dims[i] - tl->origin[i]
                                                                 : a->tile_dims[i];
      tl->strides[i] = a->strides[i];
      off += tl->origin[i] * a->strides[i];
    }
    tl->data = (char *)a->data + off;
    a->tiles[lin] = tl;
  }
  *out = tl;
cleanup:
  return st;
}

mmb_status mmb_array_tile_get(mmbArray *a, const size_t *tidx, mmbArray **tile)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(ARRAY, a != NULL && tidx != NULL && tile != NULL, st, MMB_INVALID_ARG, "NULL argument");
  MMB_CHECK(ARRAY, a->tiled, st, MMB_INVALID_ARG, "array is not tiled");
  for (size_t i = 0; i < a->ndims; i++)
    MMB_CHECK(ARRAY, tidx[i] < a->tcount[i], st, MMB_INVALID_ARG,
              "tile index %zu is %zu (< %zu allowed)", i, tidx[i], a->tcount[i]);
  st = tile_at(a, tile_linear(a, tidx), tidx, tile);
cleanup:
  return st;
}

mmb_status mmb_tile_position(const mmbArray *tile, size_t *origin, size_t *tidx)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(ARRAY, tile != NULL && tile->is_tile, st, MMB_INVALID_ARG, "not a tile");
  if (origin)
    memcpy(origin, tile->origin, tile->ndims * sizeof *origin);
  if (tidx)
    memcpy(tidx, tile->tidx, tile->ndims * sizeof *tidx);
cleanup:
  return st;
}

mmb_status mmb_tile_iterator_create(mmbArray *a, mmbTileIterator **it)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(ARRAY, a != NULL && it != NULL, st, MMB_INVALID_ARG, "array or it is NULL");
  MMB_CHECK(ARRAY, a->tiled, st, MMB_INVALID_ARG, "array is not tiled");
  *it = calloc(1, sizeof **it);
  MMB_CHECK(ARRAY, *it != NULL, st, MMB_OUT_OF_MEMORY, "no memory for an iterator");
  (*it)->a = a;
cleanup:
  return st;
}

bool mmb_tile_iterator_next(mmbTileIterator *it, mmbArray **tile)
{
  size_t t[MMB_MAX_DIMS];
  if (tile)
    *tile = NULL;
  if (it == NULL || tile == NULL || !it->a->tiled || it->pos >= it->a->ntiles)
    return false;
  tile_coords(it->a, it->pos, t);
  if (tile_at(it->a, it->pos, t, tile) != MMB_OK)
    return false;
  it->pos++;
  return true;
}

void mmb_tile_iterator_reset(mmbTileIterator *it)
{
  if (it)
    it->pos = 0;
}

void mmb_tile_iterator_destroy(mmbTileIterator *it)
{
  free(it);
}
