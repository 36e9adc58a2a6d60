/* SPDX-License-Identifier: BSD-3-Clause */
/* Local transforms: normalisation of a strided copy and its execution with
 * the kernels of lyt_kernels.c, optionally on several threads. */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lyt_internal.h"

/* Streaming stores pay off once the destination no longer fits in the caches
 * close to the core. */
#define LYT__STREAM_THRESHOLD ((int64_t)8 << 20)
/* Below this many bytes extra threads cost more than they bring. */
#define LYT__THREAD_MIN_BYTES ((int64_t)1 << 20)
/* More threads than this are not useful for a memory-bound copy. */
#define LYT__MAX_THREADS 256

void lyt__problem_build(lyt__copy_problem *p, size_t e, int ndims, const int64_t *ext,
                        const int64_t *ss, const int64_t *ds)
{
  int n = 0;
  p->e = e;
  for (int k = 0; k < ndims; k++)
    if (ext[k] > 1) {
      p->ext[n] = ext[k];
      p->ss[n] = ss[k];
      p->ds[n] = ds[k];
      n++;
    }
  /* sort by destination stride, slowest first (insertion sort, n <= 16) */
  for (int i = 1; i < n; i++) {
    int64_t x = p->ext[i], s = p->ss[i], d = p->ds[i];
    int j = i - 1;
    while (j >= 0 && p->ds[j] < d) {
      p->ext[j + 1] = p->ext[j];
      p->ss[j + 1] = p->ss[j];
      p->ds[j + 1] = p->ds[j];
      j--;
    }
    p->ext[j + 1] = x;
    p->ss[j + 1] = s;
    p->ds[j + 1] = d;
  }
  /* merge axes that are jointly contiguous on both sides */
  for (int i = n - 1; i > 0; i--) {
    int a = i - 1, b = i;
    if (p->ss[a] == p->ss[b] * p->ext[b] && p->ds[a] == p->ds[b] * p->ext[b]) {
      p->ext[b] *= p->ext[a];
      for (int j = a; j < n - 1; j++) {
        p->ext[j] = p->ext[j + 1];
        p->ss[j] = p->ss[j + 1];
        p->ds[j] = p->ds[j + 1];
      }
      n--;
    }
  }
  if (n == 0) {
    n = 1;
    p->ext[0] = 1;
    p->ss[0] = p->ds[0] = (int64_t)e;
  }
  p->n = n;
}

typedef enum { K_CONTIG, K_TRANSPOSE, K_STRIDED } kind_t;

typedef struct {
  const lyt__copy_problem *p;
  const char *src;
  char *dst;
  kind_t kind;
  int f, g;   /* dst-fastest axis, src-fastest axis (transpose) */
  int nouter; /* outer axes, slowest first */
  int outer[LYT_MAX_DIMS];
  int64_t chunk_len; /* split of the inner operation: elements (or bytes) per chunk */
  int64_t inner_len; /* total length of the split dimension */
  int64_t nchunks;
  int64_t ntasks;
  int stream;
} plan_t;

static void run_tasks(const plan_t *pl, int64_t t0, int64_t t1)
{
  const lyt__copy_problem *p = pl->p;
  if (t0 >= t1)
    return;
  int64_t oidx = t0 / pl->nchunks, chunk = t0 % pl->nchunks;
  int64_t idx[LYT_MAX_DIMS];
  int64_t soff = 0, doff = 0;
  {
    int64_t rem = oidx;
    for (int k = pl->nouter - 1; k >= 0; k--) {
      int ax = pl->outer[k];
      idx[k] = rem % p->ext[ax];
      rem /= p->ext[ax];
      soff += idx[k] * p->ss[ax];
      doff += idx[k] * p->ds[ax];
    }
  }
  const int64_t e = (int64_t)p->e;
  int64_t pf_s = 0, pf_d = 0;
  if (pl->kind == K_CONTIG && pl->nouter > 0 && pl->nchunks == 1 && pl->inner_len <= 8192) {
    pf_s = p->ss[pl->outer[pl->nouter - 1]];
    pf_d = p->ds[pl->outer[pl->nouter - 1]];
  }
  for (int64_t t = t0; t < t1; t++) {
    int64_t lo = chunk * pl->chunk_len;
    int64_t len = pl->inner_len - lo < pl->chunk_len ? pl->inner_len - lo : pl->chunk_len;
    switch (pl->kind) {
    case K_CONTIG:
      if (pf_s) {
        /* short runs at a stride defeat the hardware prefetcher: fetch the
         * run two steps ahead along the innermost outer axis */
        const char *ps = pl->src + soff + 2 * pf_s;
        char *pd = pl->dst + doff + 2 * pf_d;
        for (int64_t b = 0; b < len; b += 64) {
          __builtin_prefetch(ps + b, 0, 3);
          if (!pl->stream || len < 4096) /* short runs are not streamed */
            __builtin_prefetch(pd + b, 1, 3);
        }
      }
      lyt__copy_contig(pl->dst + doff + lo, pl->src + soff + lo, (size_t)len, pl->stream);
      break;
    case K_TRANSPOSE: {
      /* chunk along g (destination rows) */
      int f = pl->f, g = pl->g;
      lyt__transpose2d(p->e, pl->src + soff + lo * e, p->ss[f], pl->dst + doff + lo * p->ds[g],
                       p->ds[g], p->ext[f], len, pl->stream);
      break;
    }
    case K_STRIDED: {
      int f = pl->f;
      lyt__copy1d(p->e, pl->src + soff + lo * p->ss[f], p->ss[f], pl->dst + doff + lo * p->ds[f],
                  p->ds[f], len);
      break;
    }
    }
    /* advance */
    if (++chunk == pl->nchunks) {
      chunk = 0;
      for (int k = pl->nouter - 1; k >= 0; k--) {
        int ax = pl->outer[k];
        if (++idx[k] < p->ext[ax]) {
          soff += p->ss[ax];
          doff += p->ds[ax];
          break;
        }
        soff -= (p->ext[ax] - 1) * p->ss[ax];
        doff -= (p->ext[ax] - 1) * p->ds[ax];
        idx[k] = 0;
      }
    }
  }
  if (pl->stream)
    lyt__stream_fence();
}

typedef struct {
  const plan_t *pl;
  int64_t t0, t1;
} worker_arg;

static void *worker(void *arg)
{
  worker_arg *w = arg;
  run_tasks(w->pl, w->t0, w->t1);
  return NULL;
}

lyt_status lyt__copy_run(const lyt__copy_problem *p, const char *src, char *dst, int nthreads,
                         int stream)
{
  lyt_status st = LYT_OK;
  plan_t pl;
  memset(&pl, 0, sizeof pl);
  pl.p = p;
  pl.src = src;
  pl.dst = dst;
  pl.stream = stream;
  const int64_t e = (int64_t)p->e;
  int f = p->n - 1;
  pl.f = f;
  int excl = -1;
  if (p->ds[f] == e && p->ss[f] == e) {
    pl.kind = K_CONTIG;
    pl.inner_len = p->ext[f] * e;
    excl = f;
  } else {
    int g = -1;
    if (p->ds[f] == e)
      for (int k = 0; k < p->n; k++)
        if (k != f && p->ss[k] == e)
          g = k;
    if (g >= 0) {
      pl.kind = K_TRANSPOSE;
      pl.g = g;
      pl.inner_len = p->ext[g];
    } else {
      pl.kind = K_STRIDED;
      pl.inner_len = p->ext[f];
      excl = f;
    }
  }
  for (int k = 0; k < p->n; k++)
    if (k != f && !(pl.kind == K_TRANSPOSE && k == pl.g))
      pl.outer[pl.nouter++] = k;
  (void)excl;
  int64_t nouter = 1;
  for (int k = 0; k < pl.nouter; k++)
    nouter *= p->ext[pl.outer[k]];
  int64_t total_bytes = nouter * p->ext[f] * e;
  if (pl.kind == K_TRANSPOSE)
    total_bytes *= p->ext[pl.g];
  if (nthreads < 1 || total_bytes < LYT__THREAD_MIN_BYTES)
    nthreads = 1;
  if (nthreads > LYT__MAX_THREADS)
    nthreads = LYT__MAX_THREADS;
  /* split the inner operation when there are too few outer iterations */
  pl.nchunks = 1;
  if (nouter < 4 * (int64_t)nthreads && nthreads > 1) {
    int64_t want = (4 * (int64_t)nthreads + nouter - 1) / nouter;
    int64_t gran = pl.kind == K_CONTIG ? 4096 : pl.kind == K_TRANSPOSE ? 64 : 1024;
    int64_t maxc = (pl.inner_len + gran - 1) / gran;
    pl.nchunks = want < maxc ? want : maxc;
    if (pl.nchunks < 1)
      pl.nchunks = 1;
  }
  {
    int64_t cl = (pl.inner_len + pl.nchunks - 1) / pl.nchunks;
    int64_t gran = pl.kind == K_TRANSPOSE ? 16 : pl.kind == K_CONTIG ? 64 : 1;
    cl = (cl + gran - 1) / gran * gran;
    pl.chunk_len = cl;
    pl.nchunks = (pl.inner_len + cl - 1) / cl;
  }
  pl.ntasks = nouter * pl.nchunks;
  if (nthreads > pl.ntasks)
    nthreads = (int)pl.ntasks;
  if (nthreads <= 1) {
    run_tasks(&pl, 0, pl.ntasks);
    return LYT_OK;
  }
  {
    pthread_t tid[nthreads];
    worker_arg wa[nthreads];
    int started = 0;
    for (int t = 0; t < nthreads; t++) {
      wa[t].pl = &pl;
      wa[t].t0 = pl.ntasks * t / nthreads;
      wa[t].t1 = pl.ntasks * (t + 1) / nthreads;
    }
    for (int t = 1; t < nthreads; t++) {
      if (pthread_create(&tid[t], NULL, worker, &wa[t]) != 0) {
        LYT_LOG_ERR(TRANSFORM, "cannot start worker thread %d of %d; finishing serially", t,
                    nthreads);
        break;
      }
      started = t;
    }
    /* the caller does its share plus whatever could not be started */
    run_tasks(&pl, wa[0].t0, wa[0].t1);
    if (started + 1 < nthreads)
      run_tasks(&pl, wa[started + 1].t0, wa[nthreads - 1].t1);
    for (int t = 1; t <= started; t++)
      pthread_join(tid[t], NULL);
  }
  return st;
}

static int ranges_overlap(const char *a, int64_t alen, const char *b, int64_t blen)
{
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return x < y + (uintptr_t)blen && y < x + (uintptr_t)alen;
}

lyt_status lyt_transform(const lyt_layout *src, const void *src_ptr, const lyt_layout *dst,
                         void *dst_ptr, const lyt_transform_opts *opts)
{
  lyt_status st = LYT_OK;
  lyt_transform_opts o = {0};
  LYT_CHECK(TRANSFORM, src != NULL && dst != NULL && src_ptr != NULL && dst_ptr != NULL, st,
            LYT_INVALID_ARG, "NULL argument (src %p, src_ptr %p, dst %p, dst_ptr %p)",
            (const void *)src, src_ptr, (const void *)dst, dst_ptr);
  if (opts)
    o = *opts;
  LYT_CHECK_CALL(TRANSFORM, st, lyt_layout_check_compatible(src, dst),
                 "source and destination layouts describe different index spaces");
  LYT_CHECK(TRANSFORM, o.src_size == 0 || (uint64_t)src->span <= (uint64_t)o.src_size, st,
            LYT_MISMATCH, "source buffer of %zu bytes is smaller than its layout's span %" PRId64,
            o.src_size, src->span);
  LYT_CHECK(TRANSFORM, o.dst_size == 0 || (uint64_t)dst->span <= (uint64_t)o.dst_size, st,
            LYT_MISMATCH,
            "destination buffer of %zu bytes is smaller than its layout's span %" PRId64,
            o.dst_size, dst->span);
  LYT_CHECK(TRANSFORM, o.stream >= LYT_STREAM_AUTO && o.stream <= LYT_STREAM_OFF, st,
            LYT_INVALID_ARG, "bad stream policy %d", (int)o.stream);
  {
    const char *s = (const char *)src_ptr + src->offset;
    char *d = (char *)dst_ptr + dst->offset;
    if (ranges_overlap(s, src->span - src->offset, d, dst->span - dst->offset)) {
      int same = s == d;
      for (int k = 0; k < src->ndims && same; k++)
        same = src->dims[k] == 1 || src->strides[k] == dst->strides[k];
      if (same)
        goto cleanup; /* identical placement: nothing to do */
      int ax[2], m = 0;
      for (int k = 0; k < src->ndims; k++)
        if (src->dims[k] > 1) {
          if (m < 2)
            ax[m] = k;
          m++;
        }
      LYT_CHECK(TRANSFORM,
                m == 2 && s == d && src->dims[ax[0]] == src->dims[ax[1]] &&
                    dst->strides[ax[0]] == src->strides[ax[1]] &&
                    dst->strides[ax[1]] == src->strides[ax[0]],
                st, LYT_INVALID_ARG,
                "source and destination buffers overlap; in place only a square 2D transpose "
                "(same base, swapped strides) is supported");
      lyt__transpose_inplace(src->elem_size, d, src->dims[ax[0]], src->strides[ax[0]],
                             src->strides[ax[1]]);
      goto cleanup;
    }
    lyt__copy_problem p;
    lyt__problem_build(&p, src->elem_size, src->ndims, src->dims, src->strides, dst->strides);
    int64_t bytes = src->nelems * (int64_t)src->elem_size;
    int stream = o.stream == LYT_STREAM_ON ||
                 (o.stream == LYT_STREAM_AUTO && bytes >= LYT__STREAM_THRESHOLD);
    st = lyt__copy_run(&p, s, d, o.nthreads, stream);
  }
cleanup:
  return st;
}

lyt_status lyt_transform_dense(size_t elem_size, int ndims, const int64_t *dims,
                               lyt_order src_order, const void *src_ptr, lyt_order dst_order,
                               void *dst_ptr, const lyt_transform_opts *opts)
{
  lyt_status st = LYT_OK;
  lyt_layout *a = NULL, *b = NULL;
  LYT_CHECK_CALL(TRANSFORM, st, lyt_layout_create_dense(elem_size, ndims, dims, src_order, &a),
                 "bad source layout");
  LYT_CHECK_CALL(TRANSFORM, st, lyt_layout_create_dense(elem_size, ndims, dims, dst_order, &b),
                 "bad destination layout");
  st = lyt_transform(a, src_ptr, b, dst_ptr, opts);
cleanup:
  lyt_layout_destroy(a);
  lyt_layout_destroy(b);
  return st;
}

lyt_status lyt_transform_reference(const lyt_layout *src, const void *src_ptr,
                                   const lyt_layout *dst, void *dst_ptr)
{
  lyt_status st = LYT_OK;
  LYT_CHECK(TRANSFORM, src != NULL && dst != NULL && src_ptr != NULL && dst_ptr != NULL, st,
            LYT_INVALID_ARG, "NULL argument");
  LYT_CHECK_CALL(TRANSFORM, st, lyt_layout_check_compatible(src, dst),
                 "source and destination layouts describe different index spaces");
  {
    const char *s = src_ptr;
    char *d = dst_ptr;
    LYT_CHECK(TRANSFORM,
              !ranges_overlap(s + src->offset, src->span - src->offset, d + dst->offset,
                              dst->span - dst->offset),
              st, LYT_INVALID_ARG, "reference transform: buffers overlap");
    int64_t idx[LYT_MAX_DIMS] = {0};
    const int n = src->ndims;
    for (int64_t i = 0; i < src->nelems; i++) {
      int64_t so = src->offset, dof = dst->offset;
      for (int k = 0; k < n; k++) {
        so += idx[k] * src->strides[k];
        dof += idx[k] * dst->strides[k];
      }
      memcpy(d + dof, s + so, src->elem_size);
      for (int k = n - 1; k >= 0; k--) {
        if (++idx[k] < src->dims[k])
          break;
        idx[k] = 0;
      }
    }
  }
cleanup:
  return st;
}
