/* SPDX-License-Identifier: BSD-3-Clause */
/* Serialisation of distributions (little-endian, versioned). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lyt_dist_internal.h"

#define LYT__DIST_MAGIC   0x4454594cu /* "LYTD" */
#define LYT__DIST_VERSION 1u

typedef struct {
  unsigned char *p; /* NULL: only count */
  size_t n, cap;
} wbuf;

static void put(wbuf *w, uint64_t v, int bytes)
{
  for (int i = 0; i < bytes; i++) {
    if (w->p && w->n < w->cap)
      w->p[w->n] = (unsigned char)(v >> (8 * i));
    w->n++;
  }
}

typedef struct {
  const unsigned char *p;
  size_t n, pos;
  int bad;
} rbuf;

static uint64_t get(rbuf *r, int bytes)
{
  uint64_t v = 0;
  if (r->bad || r->n - r->pos < (size_t)bytes) {
    r->bad = 1;
    return 0;
  }
  for (int i = 0; i < bytes; i++)
    v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
  r->pos += (size_t)bytes;
  return v;
}

static void encode(const lyt_dist *d, wbuf *w)
{
  const int nd = d->ndims;
  put(w, LYT__DIST_MAGIC, 4);
  put(w, LYT__DIST_VERSION, 4);
  put(w, (uint64_t)d->kind, 4);
  put(w, (uint64_t)d->elem_size, 8);
  put(w, (uint64_t)nd, 4);
  put(w, (uint64_t)d->local_order, 4);
  for (int k = 0; k < nd; k++)
    put(w, (uint64_t)d->dims[k], 8);
  if (d->kind == LYT__DIST_CART) {
    put(w, (uint64_t)d->grid_order, 4);
    for (int k = 0; k < nd; k++) {
      put(w, (uint64_t)d->grid[k], 4);
      put(w, (uint64_t)d->block[k], 8);
      put(w, (uint64_t)d->src_coord[k], 4);
    }
  } else {
    put(w, (uint64_t)d->nranks, 4);
    put(w, (uint64_t)d->nblocks, 4);
    for (int i = 0; i < d->nblocks; i++) {
      for (int k = 0; k < nd; k++) {
        put(w, (uint64_t)d->boff[(size_t)i * (size_t)nd + (size_t)k], 8);
        put(w, (uint64_t)d->bext[(size_t)i * (size_t)nd + (size_t)k], 8);
      }
      put(w, (uint64_t)d->owner[i], 4);
    }
  }
}

lyt_status lyt_dist_serialize(const lyt_dist *d, void *buf, size_t cap, size_t *len)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(DIST, d != NULL && len != NULL, st, LYT_INVALID_ARG, "NULL argument");
  {
    wbuf w = {NULL, 0, 0};
    encode(d, &w);
    *len = w.n;
    if (buf == NULL)
      goto cleanup;
    LYT_CHECK(DIST, cap >= w.n, st, LYT_INVALID_ARG,
              "serialisation needs %zu bytes, the buffer has %zu", w.n, cap);
    w = (wbuf){buf, 0, cap};
    encode(d, &w);
  }
cleanup:
  return st;
}

lyt_status lyt_dist_deserialize(const void *buf, size_t len, lyt_dist **out)
{
  lyt_status st = LYT_OK;
  int64_t *offs = NULL, *exts = NULL;
  int *owners = NULL;
  LYT_CHECK(DIST, buf != NULL && out != NULL, st, LYT_INVALID_ARG, "NULL argument");
  *out = NULL;
  rbuf r = {buf, len, 0, 0};
  uint32_t magic = (uint32_t)get(&r, 4), version = (uint32_t)get(&r, 4);
  uint32_t kind = (uint32_t)get(&r, 4);
  uint64_t esize = get(&r, 8);
  uint32_t nd = (uint32_t)get(&r, 4), lorder = (uint32_t)get(&r, 4);
  LYT_CHECK(DIST, !r.bad, st, LYT_INVALID_ARG, "serialised distribution truncated (%zu bytes)",
            len);
  LYT_CHECK(DIST, magic == LYT__DIST_MAGIC, st, LYT_INVALID_ARG,
            "not a serialised distribution (magic 0x%08" PRIx32 ")", magic);
  LYT_CHECK(DIST, version == LYT__DIST_VERSION, st, LYT_INVALID_ARG,
            "serialised distribution version %" PRIu32 " unsupported (this library: %u)", version,
            LYT__DIST_VERSION);
  LYT_CHECK(DIST, kind <= LYT__DIST_IRREG, st, LYT_INVALID_ARG,
            "unknown distribution kind %" PRIu32, kind);
  LYT_CHECK(DIST, nd >= 1 && nd <= LYT_MAX_DIMS, st, LYT_INVALID_ARG,
            "ndims %" PRIu32 " out of range", nd);
  LYT_CHECK(DIST, esize >= 1 && esize <= ((uint64_t)1 << 30), st, LYT_INVALID_ARG,
            "element size %" PRIu64 " out of range", esize);
  LYT_CHECK(DIST, lorder <= 1, st, LYT_INVALID_ARG, "bad local order %" PRIu32, lorder);
  int64_t dims[LYT_MAX_DIMS];
  for (uint32_t k = 0; k < nd; k++)
    dims[k] = (int64_t)get(&r, 8);
  if (kind == LYT__DIST_CART) {
    int grid[LYT_MAX_DIMS], src[LYT_MAX_DIMS];
    int64_t block[LYT_MAX_DIMS];
    uint32_t gorder = (uint32_t)get(&r, 4);
    for (uint32_t k = 0; k < nd; k++) {
      uint32_t g = (uint32_t)get(&r, 4);
      block[k] = (int64_t)get(&r, 8);
      uint32_t sc = (uint32_t)get(&r, 4);
      LYT_CHECK(DIST, g <= (1u << 24) && sc <= (1u << 24), st, LYT_INVALID_ARG,
                "grid[%" PRIu32 "] or src_coord out of range", k);
      grid[k] = (int)g;
      src[k] = (int)sc;
    }
    LYT_CHECK(DIST, !r.bad, st, LYT_INVALID_ARG, "serialised distribution truncated (%zu bytes)",
              len);
    LYT_CHECK(DIST, gorder <= 1, st, LYT_INVALID_ARG, "bad grid order %" PRIu32, gorder);
    st = lyt_dist_create_block_cyclic((size_t)esize, (int)nd, dims, grid, block, src,
                                      (lyt_order)gorder, (lyt_order)lorder, out);
  } else {
    uint32_t nranks = (uint32_t)get(&r, 4), nblocks = (uint32_t)get(&r, 4);
    LYT_CHECK(DIST, !r.bad, st, LYT_INVALID_ARG, "serialised distribution truncated (%zu bytes)",
              len);
    size_t per = (size_t)nd * 16 + 4;
    LYT_CHECK(DIST, nblocks >= 1 && nblocks <= (len - r.pos) / per, st, LYT_INVALID_ARG,
              "%" PRIu32 " blocks do not fit in the %zu bytes left", nblocks, len - r.pos);
    LYT_CHECK(DIST, nranks >= 1 && nranks <= (1u << 24), st, LYT_INVALID_ARG,
              "nranks %" PRIu32 " out of range", nranks);
    offs = malloc((size_t)nblocks * nd * sizeof(int64_t));
    exts = malloc((size_t)nblocks * nd * sizeof(int64_t));
    owners = malloc((size_t)nblocks * sizeof(int));
    LYT_CHECK(DIST, offs && exts && owners, st, LYT_NOMEM, "out of memory");
    for (uint32_t i = 0; i < nblocks; i++) {
      for (uint32_t k = 0; k < nd; k++) {
        offs[(size_t)i * nd + k] = (int64_t)get(&r, 8);
        exts[(size_t)i * nd + k] = (int64_t)get(&r, 8);
      }
      uint32_t o = (uint32_t)get(&r, 4);
      owners[i] = o > (1u << 24) ? -1 : (int)o;
    }
    LYT_CHECK(DIST, !r.bad, st, LYT_INVALID_ARG, "serialised distribution truncated (%zu bytes)",
              len);
    st = lyt_dist_create_irregular((size_t)esize, (int)nd, dims, (int)nranks, (int)nblocks, offs,
                                   exts, owners, (lyt_order)lorder, out);
  }
  if (st == LYT_OK && r.pos != len) {
    LYT_LOG_ERR(DIST, "%zu trailing bytes after the serialised distribution", len - r.pos);
    lyt_dist_destroy(*out);
    *out = NULL;
    st = LYT_INVALID_ARG;
  }
cleanup:
  free(offs);
  free(exts);
  free(owners);
  return st;
}
