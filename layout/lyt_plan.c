/* SPDX-License-Identifier: BSD-3-Clause */
/* Redistribution plans: regions per (source, destination) pair, pack and
 * unpack, relabeling of destination ranks, and an in-memory executor. */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lyt_dist_internal.h"

/* A region record is REC(nd) int64 values:
 *   off[nd] ext[nd] sstr[nd] dstr[nd] soff doff poff */
#define REC(nd) (4 * (size_t)(nd) + 3)

typedef struct {
  int src, dst;
  size_t bytes;
  size_t nreg;
  int64_t *rec;
} pair_t;

struct lyt_plan_ {
  size_t e;
  int ndims;
  int nsrc, ndst, nproc;
  int *map; /* ndst */
  size_t npairs;
  pair_t *pairs;      /* sorted by (src, dst) */
  size_t *by_dst;     /* pair indices grouped by destination (CSR) */
  size_t *by_dst_ptr; /* ndst + 1 offsets into by_dst */
  int64_t *dst_local_bytes;
  uint64_t total_bytes, remote_bytes;
  /* transfer buffers of the in-memory executor, kept for the next run (the
   * pages are then already mapped, as a transport's registered buffers
   * would be); guarded by cache_lock */
  pthread_mutex_t cache_lock;
  char **cache;
};

typedef struct {
  int64_t *v;
  size_t n, cap; /* in records */
  size_t bytes;
} vec_t;

static int vec_push(vec_t *v, size_t rec, const int64_t *r)
{
  if (v->n == v->cap) {
    size_t nc = v->cap ? 2 * v->cap : 16;
    int64_t *nv = realloc(v->v, nc * rec * sizeof(int64_t));
    if (!nv)
      return -1;
    v->v = nv;
    v->cap = nc;
  }
  memcpy(v->v + v->n * rec, r, rec * sizeof(int64_t));
  v->n++;
  return 0;
}

/* Intersections of one source piece with the destination distribution,
 * appended to per-destination vectors. */
static lyt_status intersect_piece(const lyt_dist *dd, const lyt__piece *sp, vec_t *out,
                                  int64_t *const *dstr_rank)
{
  lyt_status st = LYT_OK;
  const int nd = dd->ndims;
  const size_t rec = REC(nd);
  int64_t r[4 * LYT_MAX_DIMS + 3];
  const int64_t e = (int64_t)dd->elem_size;
  if (dd->kind == LYT__DIST_CART) {
    int64_t lo[LYT_MAX_DIMS], hi[LYT_MAX_DIMS], idx[LYT_MAX_DIMS];
    for (int k = 0; k < nd; k++) {
      /* first segment with start + len > off */
      const lyt__seg *s = dd->segs[k];
      int64_t a = 0, b = dd->nsegs[k] - 1;
      while (a < b) {
        int64_t m = (a + b) / 2;
        if (s[m].start + s[m].len <= sp->off[k])
          a = m + 1;
        else
          b = m;
      }
      lo[k] = a;
      hi[k] = a;
      while (hi[k] + 1 < dd->nsegs[k] && s[hi[k] + 1].start < sp->off[k] + sp->ext[k])
        hi[k]++;
      idx[k] = lo[k];
    }
    for (;;) {
      int c[LYT_MAX_DIMS] = {0};
      int64_t soff = sp->loff, loffs[LYT_MAX_DIMS];
      for (int k = 0; k < nd; k++) {
        const lyt__seg *s = &dd->segs[k][idx[k]];
        int64_t b0 = s->start > sp->off[k] ? s->start : sp->off[k];
        int64_t b1 = s->start + s->len < sp->off[k] + sp->ext[k] ? s->start + s->len
                                                                 : sp->off[k] + sp->ext[k];
        r[k] = b0;
        r[nd + k] = b1 - b0;
        r[2 * nd + k] = sp->lstr[k];
        soff += (b0 - sp->off[k]) * sp->lstr[k];
        c[k] = s->coord;
        loffs[k] = s->lstart + (b0 - s->start);
      }
      int dr = lyt__dist_rank_of(dd, c);
      int64_t doff = 0, vol = e;
      for (int k = 0; k < nd; k++) {
        r[3 * nd + k] = dstr_rank[dr][k];
        doff += loffs[k] * dstr_rank[dr][k];
        vol *= r[nd + k];
      }
      r[4 * nd] = soff;
      r[4 * nd + 1] = doff;
      r[4 * nd + 2] = (int64_t)out[dr].bytes;
      LYT_CHECK(PLAN, vec_push(&out[dr], rec, r) == 0, st, LYT_NOMEM, "out of memory");
      out[dr].bytes += (size_t)vol;
      int k = nd - 1;
      for (; k >= 0; k--) {
        if (++idx[k] <= hi[k])
          break;
        idx[k] = lo[k];
      }
      if (k < 0)
        break;
    }
  } else {
    const size_t n = (size_t)nd;
    for (int i = 0; i < dd->nblocks; i++) {
      const int64_t *o = dd->boff + i * n, *x = dd->bext + i * n;
      int in = 1;
      for (int k = 0; k < nd && in; k++)
        in = o[k] < sp->off[k] + sp->ext[k] && sp->off[k] < o[k] + x[k];
      if (!in)
        continue;
      int64_t dstr[LYT_MAX_DIMS], soff = sp->loff, doff = dd->bbyte[i], vol = e;
      lyt__local_strides(dd->elem_size, nd, x, dd->local_order, dstr);
      for (int k = 0; k < nd; k++) {
        int64_t b0 = o[k] > sp->off[k] ? o[k] : sp->off[k];
        int64_t b1 = o[k] + x[k] < sp->off[k] + sp->ext[k] ? o[k] + x[k] : sp->off[k] + sp->ext[k];
        r[k] = b0;
        r[nd + k] = b1 - b0;
        r[2 * nd + k] = sp->lstr[k];
        r[3 * nd + k] = dstr[k];
        soff += (b0 - sp->off[k]) * sp->lstr[k];
        doff += (b0 - o[k]) * dstr[k];
        vol *= b1 - b0;
      }
      r[4 * nd] = soff;
      r[4 * nd + 1] = doff;
      int dr = dd->owner[i];
      r[4 * nd + 2] = (int64_t)out[dr].bytes;
      LYT_CHECK(PLAN, vec_push(&out[dr], rec, r) == 0, st, LYT_NOMEM, "out of memory");
      out[dr].bytes += (size_t)vol;
    }
  }
cleanup:
  return st;
}

/* Minimum-cost assignment (Hungarian method, O(K^3)) on a K x K matrix;
 * assign[col] = row. */
static int hungarian(int K, const int64_t *cost, int *assign)
{
  int64_t *u = calloc((size_t)K + 1, sizeof *u), *v = calloc((size_t)K + 1, sizeof *v);
  int64_t *minv = malloc(((size_t)K + 1) * sizeof *minv);
  int *p = calloc((size_t)K + 1, sizeof *p), *way = calloc((size_t)K + 1, sizeof *way);
  char *used = malloc((size_t)K + 1);
  int rc = -1;
  if (!u || !v || !minv || !p || !way || !used)
    goto out;
  for (int i = 1; i <= K; i++) {
    p[0] = i;
    int j0 = 0;
    for (int j = 0; j <= K; j++) {
      minv[j] = INT64_MAX;
      used[j] = 0;
    }
    do {
      used[j0] = 1;
      int i0 = p[j0], j1 = 0;
      int64_t delta = INT64_MAX;
      for (int j = 1; j <= K; j++)
        if (!used[j]) {
          int64_t cur = cost[(size_t)(i0 - 1) * (size_t)K + (size_t)(j - 1)] - u[i0] - v[j];
          if (cur < minv[j]) {
            minv[j] = cur;
            way[j] = j0;
          }
          if (minv[j] < delta) {
            delta = minv[j];
            j1 = j;
          }
        }
      for (int j = 0; j <= K; j++)
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else
          minv[j] -= delta;
      j0 = j1;
    } while (p[j0] != 0);
    do {
      int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  for (int j = 1; j <= K; j++)
    assign[j - 1] = p[j] - 1;
  rc = 0;
out:
  free(u);
  free(v);
  free(minv);
  free(p);
  free(way);
  free(used);
  return rc;
}

/* Above this many processes the O(K^3) assignment is replaced by a greedy
 * one (largest pairs first). */
#define LYT__HUNGARIAN_MAX 1024

static int cmp_pair_bytes_desc(const void *a, const void *b, void *ctx)
{
  const pair_t *pp = ctx;
  size_t x = pp[*(const size_t *)a].bytes, y = pp[*(const size_t *)b].bytes;
  return (x < y) - (x > y);
}

/* assign[d] = process for destination rank d (d < ndst used). */
static int greedy_assign(const struct lyt_plan_ *p, int K, int *assign)
{
  size_t *ord = malloc((p->npairs ? p->npairs : 1) * sizeof *ord);
  char *used = calloc((size_t)K, 1);
  if (!ord || !used) {
    free(ord);
    free(used);
    return -1;
  }
  for (int j = 0; j < K; j++)
    assign[j] = -1;
  for (size_t i = 0; i < p->npairs; i++)
    ord[i] = i;
  qsort_r(ord, p->npairs, sizeof *ord, cmp_pair_bytes_desc, p->pairs);
  for (size_t k = 0; k < p->npairs; k++) {
    const pair_t *q = &p->pairs[ord[k]];
    if (assign[q->dst] < 0 && !used[q->src]) {
      assign[q->dst] = q->src;
      used[q->src] = 1;
    }
  }
  int next = 0;
  for (int j = 0; j < K; j++)
    if (assign[j] < 0) {
      while (used[next])
        next++;
      assign[j] = next;
      used[next] = 1;
    }
  free(ord);
  free(used);
  return 0;
}

static void compute_volume(lyt_plan *p)
{
  p->remote_bytes = 0;
  p->total_bytes = 0;
  for (size_t i = 0; i < p->npairs; i++) {
    p->total_bytes += p->pairs[i].bytes;
    if (p->pairs[i].src != p->map[p->pairs[i].dst])
      p->remote_bytes += p->pairs[i].bytes;
  }
}

void lyt_plan_destroy(lyt_plan *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < p->npairs; i++)
    free(p->pairs[i].rec);
  free(p->pairs);
  free(p->by_dst);
  free(p->by_dst_ptr);
  free(p->map);
  free(p->dst_local_bytes);
  if (p->cache)
    for (size_t i = 0; i < p->npairs; i++)
      free(p->cache[i]);
  free(p->cache);
  pthread_mutex_destroy(&p->cache_lock);
  free(p);
}

lyt_status lyt_plan_create(const lyt_dist *src, const lyt_dist *dst, const lyt_plan_opts *opts,
                           lyt_plan **out)
{
  lyt_status st = LYT_OK;
  lyt_plan *p = NULL;
  vec_t *vec = NULL;
  lyt__piece *pc = NULL;
  int64_t **dstr = NULL;
  int64_t *bytes = NULL, *cost = NULL;
  int *assign = NULL, *touched = NULL;
  size_t pairs_cap = 0;
  LYT_CHECK(PLAN, src && dst && out, st, LYT_INVALID_ARG, "NULL argument");
  *out = NULL;
  LYT_CHECK(PLAN, src->elem_size == dst->elem_size, st, LYT_MISMATCH,
            "element sizes differ: %zu vs %zu", src->elem_size, dst->elem_size);
  LYT_CHECK(PLAN, src->ndims == dst->ndims, st, LYT_MISMATCH, "ndims differ: %d vs %d", src->ndims,
            dst->ndims);
  for (int k = 0; k < src->ndims; k++)
    LYT_CHECK(PLAN, src->dims[k] == dst->dims[k], st, LYT_MISMATCH,
              "dims[%d] differ: %" PRId64 " vs %" PRId64, k, src->dims[k], dst->dims[k]);
  const int N = src->nranks, M = dst->nranks, nd = src->ndims;
  const size_t rec = REC(nd);
  p = calloc(1, sizeof *p);
  LYT_CHECK(PLAN, p != NULL, st, LYT_NOMEM, "out of memory");
  pthread_mutex_init(&p->cache_lock, NULL);
  p->e = src->elem_size;
  p->ndims = nd;
  p->nsrc = N;
  p->ndst = M;
  p->nproc = N > M ? N : M;
  p->map = malloc((size_t)M * sizeof(int));
  p->by_dst_ptr = calloc((size_t)M + 1, sizeof(size_t));
  touched = malloc((size_t)M * sizeof(int));
  p->dst_local_bytes = malloc((size_t)M * sizeof(int64_t));
  vec = calloc((size_t)M, sizeof *vec);
  dstr = calloc((size_t)M, sizeof *dstr);
  LYT_CHECK(PLAN, p->map && p->by_dst_ptr && touched && p->dst_local_bytes && vec && dstr, st,
            LYT_NOMEM, "out of memory (%d x %d ranks)", N, M);
  for (int j = 0; j < M; j++) {
    p->map[j] = j;
    p->dst_local_bytes[j] = lyt__dist_rank_bytes(dst, j);
    dstr[j] = malloc(LYT_MAX_DIMS * sizeof(int64_t));
    LYT_CHECK(PLAN, dstr[j] != NULL, st, LYT_NOMEM, "out of memory");
    if (dst->kind == LYT__DIST_CART) {
      int64_t lext[LYT_MAX_DIMS];
      lyt__dist_local_ext(dst, j, lext);
      lyt__local_strides(dst->elem_size, nd, lext, dst->local_order, dstr[j]);
    }
  }
  for (int s = 0; s < N; s++) {
    size_t n = 0;
    LYT_CHECK_CALL(PLAN, st, lyt__dist_pieces(src, s, &pc, &n), "cannot list pieces of rank %d", s);
    for (size_t i = 0; i < n; i++)
      LYT_CHECK_CALL(PLAN, st, intersect_piece(dst, &pc[i], vec, dstr),
                     "intersection failed (source rank %d)", s);
    free(pc);
    pc = NULL;
    /* destination ranks this source rank reached, in rank order */
    int nt = 0;
    for (int j = 0; j < M && nt < M; j++)
      if (vec[j].n)
        touched[nt++] = j;
    for (int t = 0; t < nt; t++) {
      int j = touched[t];
      if (p->npairs == pairs_cap) {
        size_t nc = pairs_cap ? 2 * pairs_cap : 64;
        pair_t *np = realloc(p->pairs, nc * sizeof *np);
        LYT_CHECK(PLAN, np != NULL, st, LYT_NOMEM, "out of memory");
        p->pairs = np;
        pairs_cap = nc;
      }
      pair_t *q = &p->pairs[p->npairs];
      q->src = s;
      q->dst = j;
      q->bytes = vec[j].bytes;
      q->nreg = vec[j].n;
      q->rec = realloc(vec[j].v, vec[j].n * rec * sizeof(int64_t));
      if (!q->rec)
        q->rec = vec[j].v;
      p->by_dst_ptr[j + 1]++;
      p->npairs++;
      memset(&vec[j], 0, sizeof vec[j]);
    }
  }
  /* group pairs by destination */
  for (int j = 0; j < M; j++)
    p->by_dst_ptr[j + 1] += p->by_dst_ptr[j];
  p->by_dst = malloc((p->npairs ? p->npairs : 1) * sizeof(size_t));
  LYT_CHECK(PLAN, p->by_dst != NULL, st, LYT_NOMEM, "out of memory");
  {
    size_t *fill = calloc((size_t)M, sizeof(size_t));
    LYT_CHECK(PLAN, fill != NULL, st, LYT_NOMEM, "out of memory");
    for (size_t i = 0; i < p->npairs; i++) {
      int j = p->pairs[i].dst;
      p->by_dst[p->by_dst_ptr[j] + fill[j]++] = i;
    }
    free(fill);
  }
  for (int j = 0; j < M; j++) {
    p->map[j] = j;
  }
  compute_volume(p);
  if (opts && opts->relabel) {
    const int K = p->nproc;
    assign = malloc((size_t)K * sizeof *assign);
    LYT_CHECK(PLAN, assign != NULL, st, LYT_NOMEM, "out of memory (relabeling %d ranks)", K);
    if (K <= LYT__HUNGARIAN_MAX) {
      /* optimal: rows processes, columns destination ranks, cost = -bytes kept */
      cost = calloc((size_t)K * (size_t)K, sizeof *cost);
      LYT_CHECK(PLAN, cost != NULL, st, LYT_NOMEM, "out of memory (relabeling %d ranks)", K);
      for (size_t i = 0; i < p->npairs; i++)
        cost[(size_t)p->pairs[i].src * (size_t)K + (size_t)p->pairs[i].dst] =
            -(int64_t)p->pairs[i].bytes;
      LYT_CHECK(PLAN, hungarian(K, cost, assign) == 0, st, LYT_NOMEM,
                "out of memory (relabeling %d ranks)", K);
    } else {
      LYT_LOG_INFO(PLAN, "%d processes: greedy relabeling instead of the O(K^3) assignment", K);
      LYT_CHECK(PLAN, greedy_assign(p, K, assign) == 0, st, LYT_NOMEM,
                "out of memory (relabeling %d ranks)", K);
    }
    uint64_t before = p->remote_bytes;
    int *old = malloc((size_t)M * sizeof(int));
    LYT_CHECK(PLAN, old != NULL, st, LYT_NOMEM, "out of memory");
    memcpy(old, p->map, (size_t)M * sizeof(int));
    for (int j = 0; j < M; j++)
      p->map[j] = assign[j];
    compute_volume(p);
    if (p->remote_bytes >= before) { /* keep the identity unless strictly better */
      memcpy(p->map, old, (size_t)M * sizeof(int));
      compute_volume(p);
    }
    free(old);
    LYT_LOG_INFO(PLAN, "relabeling: remote volume %" PRIu64 " -> %" PRIu64 " bytes", before,
                 p->remote_bytes);
  }
  *out = p;
  p = NULL;
cleanup:
  if (vec)
    for (int j = 0; j < dst->nranks; j++)
      free(vec[j].v);
  if (dstr)
    for (int j = 0; j < dst->nranks; j++)
      free(dstr[j]);
  free(vec);
  free(dstr);
  free(touched);
  free(pc);
  free(bytes);
  free(cost);
  free(assign);
  lyt_plan_destroy(p);
  return st;
}

int lyt_plan_nsrc(const lyt_plan *p)
{
  return p ? p->nsrc : 0;
}
int lyt_plan_ndst(const lyt_plan *p)
{
  return p ? p->ndst : 0;
}

lyt_status lyt_plan_dst_map(const lyt_plan *p, int *map)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(PLAN, p && map, st, LYT_INVALID_ARG, "NULL argument");
  memcpy(map, p->map, (size_t)p->ndst * sizeof(int));
cleanup:
  return st;
}

lyt_status lyt_plan_volume(const lyt_plan *p, uint64_t *remote_bytes, uint64_t *local_bytes)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(PLAN, p != NULL, st, LYT_INVALID_ARG, "NULL plan");
  if (remote_bytes)
    *remote_bytes = p->remote_bytes;
  if (local_bytes)
    *local_bytes = p->total_bytes - p->remote_bytes;
cleanup:
  return st;
}

size_t lyt_plan_npairs(const lyt_plan *p)
{
  return p ? p->npairs : 0;
}

lyt_status lyt_plan_pair(const lyt_plan *p, size_t i, int *src, int *dst, size_t *bytes)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(PLAN, p != NULL, st, LYT_INVALID_ARG, "NULL plan");
  LYT_CHECK(PLAN, i < p->npairs, st, LYT_INVALID_ARG, "pair %zu outside 0 .. %zu", i, p->npairs);
  if (src)
    *src = p->pairs[i].src;
  if (dst)
    *dst = p->pairs[i].dst;
  if (bytes)
    *bytes = p->pairs[i].bytes;
cleanup:
  return st;
}

static lyt_status find_pair(const lyt_plan *p, int src, int dst, const pair_t **q)
{
  lyt_status st = LYT_OK;
  *q = NULL;
  LYT_CHECK(PLAN, p != NULL, st, LYT_INVALID_ARG, "NULL plan");
  LYT_CHECK(PLAN, src >= 0 && src < p->nsrc && dst >= 0 && dst < p->ndst, st, LYT_INVALID_ARG,
            "ranks (%d, %d) outside (0 .. %d, 0 .. %d)", src, dst, p->nsrc - 1, p->ndst - 1);
  {
    size_t lo = 0, hi = p->npairs; /* pairs are sorted by (src, dst) */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      const pair_t *m = &p->pairs[mid];
      if (m->src < src || (m->src == src && m->dst < dst))
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < p->npairs && p->pairs[lo].src == src && p->pairs[lo].dst == dst)
      *q = &p->pairs[lo];
  }
cleanup:
  return st;
}

lyt_status lyt_plan_pair_bytes(const lyt_plan *p, int src, int dst, size_t *bytes)
{
  const pair_t *q;
  lyt_status st = find_pair(p, src, dst, &q);
  if (st == LYT_OK && bytes)
    *bytes = q ? q->bytes : 0;
  return st;
}

lyt_status lyt_plan_pair_nregions(const lyt_plan *p, int src, int dst, size_t *n)
{
  const pair_t *q;
  lyt_status st = find_pair(p, src, dst, &q);
  if (st == LYT_OK && n)
    *n = q ? q->nreg : 0;
  return st;
}

lyt_status lyt_plan_pair_region(const lyt_plan *p, int src, int dst, size_t i, int64_t *offset,
                                int64_t *extent)
{
  const pair_t *q;
  lyt_status st = find_pair(p, src, dst, &q);
  if (st != LYT_OK)
    return st;
  LYT_CHECK(PLAN, q && i < q->nreg, st, LYT_INVALID_ARG, "region %zu of pair (%d, %d) out of range",
            i, src, dst);
  {
    const int64_t *r = q->rec + i * REC(p->ndims);
    if (offset)
      memcpy(offset, r, (size_t)p->ndims * sizeof(int64_t));
    if (extent)
      memcpy(extent, r + p->ndims, (size_t)p->ndims * sizeof(int64_t));
  }
cleanup:
  return st;
}

/* Dense strides of ext in the axis order of ref (slowest = largest ref). */
static void packed_strides(size_t e, int nd, const int64_t *ext, const int64_t *ref, int64_t *out)
{
  int ax[LYT_MAX_DIMS];
  for (int k = 0; k < nd; k++)
    ax[k] = k;
  for (int i = 1; i < nd; i++) { /* sort by ref descending */
    int a = ax[i], j = i - 1;
    while (j >= 0 && ref[ax[j]] < ref[a]) {
      ax[j + 1] = ax[j];
      j--;
    }
    ax[j + 1] = a;
  }
  int64_t s = (int64_t)e;
  for (int i = nd - 1; i >= 0; i--) {
    out[ax[i]] = s;
    s *= ext[ax[i]];
  }
}

enum { OP_PACK, OP_UNPACK, OP_DIRECT };

static void run_pair(const lyt_plan *p, const pair_t *q, int op, const char *from, char *to,
                     int stream)
{
  const int nd = p->ndims;
  for (size_t i = 0; i < q->nreg; i++) {
    const int64_t *r = q->rec + i * REC(nd);
    const int64_t *ext = r + nd, *sstr = r + 2 * nd, *dstr = r + 3 * nd;
    int64_t soff = r[4 * nd], doff = r[4 * nd + 1], poff = r[4 * nd + 2];
    int64_t pstr[LYT_MAX_DIMS];
    lyt__copy_problem pr;
    switch (op) {
    case OP_PACK:
      packed_strides(p->e, nd, ext, dstr, pstr);
      lyt__problem_build(&pr, p->e, nd, ext, sstr, pstr);
      lyt__copy_run(&pr, from + soff, to + poff, 1, stream);
      break;
    case OP_UNPACK:
      packed_strides(p->e, nd, ext, dstr, pstr);
      lyt__problem_build(&pr, p->e, nd, ext, pstr, dstr);
      lyt__copy_run(&pr, from + poff, to + doff, 1, stream);
      break;
    default:
      lyt__problem_build(&pr, p->e, nd, ext, sstr, dstr);
      lyt__copy_run(&pr, from + soff, to + doff, 1, stream);
      break;
    }
  }
}

lyt_status lyt_plan_pack(const lyt_plan *p, int src, int dst, const void *src_local, void *buf,
                         size_t buf_size)
{
  const pair_t *q;
  lyt_status st = find_pair(p, src, dst, &q);
  if (st != LYT_OK)
    return st;
  if (!q)
    goto cleanup; /* nothing to send */
  LYT_CHECK(PLAN, src_local && buf, st, LYT_INVALID_ARG, "NULL buffer");
  LYT_CHECK(PLAN, buf_size >= q->bytes, st, LYT_INVALID_ARG,
            "pack buffer of %zu bytes < %zu bytes of pair (%d, %d)", buf_size, q->bytes, src, dst);
  run_pair(p, q, OP_PACK, src_local, buf, 0);
cleanup:
  return st;
}

lyt_status lyt_plan_unpack(const lyt_plan *p, int src, int dst, const void *buf, size_t buf_size,
                           void *dst_local)
{
  const pair_t *q;
  lyt_status st = find_pair(p, src, dst, &q);
  if (st != LYT_OK)
    return st;
  if (!q)
    goto cleanup;
  LYT_CHECK(PLAN, dst_local && buf, st, LYT_INVALID_ARG, "NULL buffer");
  LYT_CHECK(PLAN, buf_size >= q->bytes, st, LYT_INVALID_ARG,
            "unpack buffer of %zu bytes < %zu bytes of pair (%d, %d)", buf_size, q->bytes, src,
            dst);
  run_pair(p, q, OP_UNPACK, buf, dst_local, 0);
cleanup:
  return st;
}

/* ------------------------------------------------------------ executor */

#define STREAM_MIN            ((int64_t)8 << 20)
#define LYT__EXEC_MAX_THREADS 256

enum { PH_PACK, PH_RECV };

typedef struct {
  const lyt_plan *p;
  const void *const *src;
  void *const *dst;
  char **bufs; /* per pair, PACKED mode */
  lyt_exec_mode mode;
  int phase;
  int nthreads, tid;
} exec_arg;

static void *exec_worker(void *arg)
{
  exec_arg *a = arg;
  const lyt_plan *p = a->p;
  if (a->phase == PH_PACK) {
    /* processes pack what leaves them */
    for (size_t i = 0; i < p->npairs; i++) {
      const pair_t *q = &p->pairs[i];
      if (q->src % a->nthreads != a->tid || q->src == p->map[q->dst])
        continue;
      /* the transfer buffer is written front to back: stream it when large */
      run_pair(p, q, OP_PACK, a->src[q->src], a->bufs[i],
               q->bytes >= (size_t)STREAM_MIN ? LYT__STREAM_SEQ : 0);
    }
    if (a->phase == PH_PACK)
      lyt__stream_fence();
    return NULL;
  }
  /* destinations receive */
  for (int j = 0; j < p->ndst; j++) {
    if (p->map[j] % a->nthreads != a->tid)
      continue;
    int stream = p->dst_local_bytes[j] >= STREAM_MIN;
    for (size_t k = p->by_dst_ptr[j]; k < p->by_dst_ptr[j + 1]; k++) {
      size_t i = p->by_dst[k];
      const pair_t *q = &p->pairs[i];
      int s = q->src;
      if (a->mode == LYT_EXEC_PACKED && s != p->map[j])
        run_pair(p, q, OP_UNPACK, a->bufs[i], a->dst[j], stream);
      else
        run_pair(p, q, OP_DIRECT, a->src[s], a->dst[j], stream);
    }
    if (stream)
      lyt__stream_fence();
  }
  return NULL;
}

/* One phase on nt threads (the caller is thread 0); a thread that cannot be
 * started has its share done by the caller, so a phase always completes. */
static void run_phase(exec_arg *args, pthread_t *tid, int nt, int phase)
{
  int ok[nt];
  for (int t = 0; t < nt; t++)
    args[t].phase = phase;
  for (int t = 1; t < nt; t++) {
    ok[t] = pthread_create(&tid[t], NULL, exec_worker, &args[t]) == 0;
    if (!ok[t])
      LYT_LOG_WARN(PLAN, "cannot start rank thread %d of %d; the caller does its share", t, nt);
  }
  exec_worker(&args[0]);
  for (int t = 1; t < nt; t++)
    if (!ok[t])
      exec_worker(&args[t]);
  for (int t = 1; t < nt; t++)
    if (ok[t])
      pthread_join(tid[t], NULL);
}

lyt_status lyt_plan_execute_local(const lyt_plan *p, const void *const *src_bufs,
                                  void *const *dst_bufs, const lyt_exec_opts *opts)
{
  lyt_status st = LYT_OK;
  lyt_exec_opts o = {0};
  char **bufs = NULL;
  exec_arg *args = NULL;
  pthread_t *tid = NULL;
  int locked = 0;
  LYT_CHECK(PLAN, p && src_bufs && dst_bufs, st, LYT_INVALID_ARG, "NULL argument");
  if (opts)
    o = *opts;
  LYT_CHECK(PLAN, o.mode == LYT_EXEC_DIRECT || o.mode == LYT_EXEC_PACKED, st, LYT_INVALID_ARG,
            "bad execution mode %d", (int)o.mode);
  LYT_CHECK(PLAN, o.nthreads >= 0, st, LYT_INVALID_ARG, "nthreads %d < 0", o.nthreads);
  for (size_t i = 0; i < p->npairs; i++)
    LYT_CHECK(PLAN, src_bufs[p->pairs[i].src] && dst_bufs[p->pairs[i].dst], st, LYT_INVALID_ARG,
              "NULL local buffer for pair (%d, %d)", p->pairs[i].src, p->pairs[i].dst);
  int nt = o.nthreads ? o.nthreads : p->nproc;
  if (nt > p->nproc)
    nt = p->nproc;
  if (nt > LYT__EXEC_MAX_THREADS)
    nt = LYT__EXEC_MAX_THREADS; /* processes are then shared round-robin */
  if (o.mode == LYT_EXEC_PACKED) {
    struct lyt_plan_ *mp = (struct lyt_plan_ *)p; /* only the cache is mutable */
    if (pthread_mutex_trylock(&mp->cache_lock) == 0) {
      locked = 1;
      if (!mp->cache)
        mp->cache = calloc(p->npairs ? p->npairs : 1, sizeof *mp->cache);
      bufs = mp->cache;
    } else {
      bufs = calloc(p->npairs ? p->npairs : 1, sizeof *bufs); /* concurrent run: own buffers */
    }
    LYT_CHECK(PLAN, bufs != NULL, st, LYT_NOMEM, "out of memory");
    for (size_t i = 0; i < p->npairs; i++) {
      const pair_t *q = &p->pairs[i];
      if (q->src == p->map[q->dst] || bufs[i])
        continue;
      void *b = NULL;
      LYT_CHECK(PLAN, posix_memalign(&b, 64, q->bytes ? q->bytes : 1) == 0, st, LYT_NOMEM,
                "cannot allocate %zu bytes of transfer buffer for pair (%d, %d)", q->bytes, q->src,
                q->dst);
      bufs[i] = b;
    }
  }
  args = calloc((size_t)nt, sizeof *args);
  tid = calloc((size_t)nt, sizeof *tid);
  LYT_CHECK(PLAN, args && tid, st, LYT_NOMEM, "out of memory");
  for (int t = 0; t < nt; t++)
    args[t] = (exec_arg){.p = p,
                         .src = src_bufs,
                         .dst = dst_bufs,
                         .bufs = bufs,
                         .mode = o.mode,
                         .nthreads = nt,
                         .tid = t};
  if (o.mode == LYT_EXEC_PACKED)
    run_phase(args, tid, nt, PH_PACK); /* the "transport" is shared memory */
  run_phase(args, tid, nt, PH_RECV);
cleanup:
  if (locked)
    pthread_mutex_unlock(&((struct lyt_plan_ *)p)->cache_lock);
  else if (bufs) {
    for (size_t i = 0; i < p->npairs; i++)
      free(bufs[i]);
    free(bufs);
  }
  free(args);
  free(tid);
  return st;
}
