/* SPDX-License-Identifier: BSD-3-Clause */
/* layout_transpose: local transforms of liblyt against memcpy of the same
 * bytes (measured in the same run, interleaved) and a naive loop.
 *
 * Cases: 2D row-major -> column-major transpose for f32 and f64 at
 * 4096x4096, 8192x2048 and 3001x2999 (single-threaded, plus 2 threads), and
 * the 3D permutation (2,0,1) of a 256^3 f64 array. Bandwidth = array bytes /
 * time (each byte read once and written once, as for memcpy). Buffers are
 * page-aligned and pre-faulted; figures are medians of the repetitions.
 *
 *   layout_transpose [--quick] [--reps N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "lyt.h"

#define NAME "layout_transpose"

static void *xalloc(size_t n)
{
  void *p = NULL;
  if (posix_memalign(&p, 4096, n) != 0) {
    fprintf(stderr, "out of memory (%zu bytes)\n", n);
    exit(1);
  }
  memset(p, 1, n); /* pre-fault */
  return p;
}

/* the naive reference: a double loop, dst column-major */
__attribute__((noinline)) static void naive_f64(const double *s, double *d, int64_t R, int64_t C)
{
  for (int64_t i = 0; i < R; i++)
    for (int64_t j = 0; j < C; j++)
      d[j * R + i] = s[i * C + j];
}
__attribute__((noinline)) static void naive_f32(const float *s, float *d, int64_t R, int64_t C)
{
  for (int64_t i = 0; i < R; i++)
    for (int64_t j = 0; j < C; j++)
      d[j * R + i] = s[i * C + j];
}
__attribute__((noinline)) static void naive_201(const double *s, double *d, int64_t n)
{
  /* dst[k][i][j] = src[i][j][k] */
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t k = 0; k < n; k++)
        d[(k * n + i) * n + j] = s[(i * n + j) * n + k];
}

static int run_case(const char *casename, size_t e, int nd, const int64_t *dims, const int *src_ord,
                    const int *dst_ord, int reps, int naive_reps, int naive_kind)
{
  lyt_layout *s = NULL, *d = NULL;
  if (lyt_layout_create_ordered(e, nd, dims, src_ord, NULL, &s) != LYT_OK ||
      lyt_layout_create_ordered(e, nd, dims, dst_ord, NULL, &d) != LYT_OK) {
    fprintf(stderr, "bad layouts for %s\n", casename);
    return 1;
  }
  size_t bytes = (size_t)lyt_layout_span_bytes(s);
  char *src = xalloc(bytes), *dst = xalloc(bytes);
  for (size_t i = 0; i < bytes; i++)
    src[i] = (char)(i * 131);
  double *tm = calloc((size_t)reps, sizeof(double)), *tl = calloc((size_t)reps, sizeof(double));
  double *t2 = calloc((size_t)reps, sizeof(double)), *tc = calloc((size_t)reps, sizeof(double));
  lyt_transform_opts ont = {.nthreads = 1, .stream = LYT_STREAM_ON};
  double *tn = calloc((size_t)(naive_reps > 0 ? naive_reps : 1), sizeof(double));
  lyt_transform_opts o1 = {.nthreads = 1}, o2 = {.nthreads = 2};
  /* warm-up */
  memcpy(dst, src, bytes);
  lyt_transform(s, src, d, dst, &o1);
  for (int r = 0; r < reps; r++) {
    double t0 = bench_now();
    memcpy(dst, src, bytes);
    double t1 = bench_now();
    bench_consume(dst);
    lyt_status st = lyt_transform(s, src, d, dst, &o1);
    double t2_ = bench_now();
    bench_consume(dst);
    lyt_transform(s, src, d, dst, &o2);
    double t3 = bench_now();
    bench_consume(dst);
    lyt_transform(s, src, s, dst, &ont); /* same layout: a streaming copy */
    double t4 = bench_now();
    bench_consume(dst);
    tc[r] = t4 - t3;
    if (st != LYT_OK) {
      fprintf(stderr, "%s: lyt_transform failed: %s\n", casename, lyt_status_description(st));
      return 1;
    }
    tm[r] = t1 - t0;
    tl[r] = t2_ - t1;
    t2[r] = t3 - t2_;
  }
  for (int r = 0; r < naive_reps; r++) {
    double t0 = bench_now();
    if (naive_kind == 8)
      naive_f64((const double *)src, (double *)dst, dims[0], dims[1]);
    else if (naive_kind == 4)
      naive_f32((const float *)src, (float *)dst, dims[0], dims[1]);
    else
      naive_201((const double *)src, (double *)dst, dims[0]);
    tn[r] = bench_now() - t0;
    bench_consume(dst);
  }
  double gb = (double)bytes / 1e9;
  double m = gb / bench_median(tm, reps), l = gb / bench_median(tl, reps);
  double l2 = gb / bench_median(t2, reps), nc = gb / bench_median(tc, reps);
  char cname[128];
  printf(
      "# %-28s memcpy %5.2f GB/s  NT copy %5.2f GB/s  lyt %5.2f GB/s (%3.0f%% of memcpy, %3.0f%% "
      "of NT copy)  2 threads %5.2f GB/s",
      casename, m, nc, l, 100 * l / m, 100 * l / nc, l2);
  if (naive_reps > 0)
    printf("  naive %5.2f GB/s", gb / bench_median(tn, naive_reps));
  printf("\n");
  bench_report(NAME, casename, l, "GB/s", m, BENCH_HIGHER_IS_BETTER);
  snprintf(cname, sizeof cname, "%s_vs_ntcopy", casename);
  bench_report(NAME, cname, l, "GB/s", nc, BENCH_HIGHER_IS_BETTER);
  snprintf(cname, sizeof cname, "%s_2threads", casename);
  bench_report(NAME, cname, l2, "GB/s", m, BENCH_HIGHER_IS_BETTER);
  if (naive_reps > 0) {
    double n = gb / bench_median(tn, naive_reps);
    snprintf(cname, sizeof cname, "%s_naive", casename);
    bench_report(NAME, cname, n, "GB/s", m, BENCH_HIGHER_IS_BETTER);
    snprintf(cname, sizeof cname, "%s_vs_naive", casename);
    bench_report(NAME, cname, l, "GB/s", n, BENCH_HIGHER_IS_BETTER);
  }
  free(tm);
  free(tl);
  free(t2);
  free(tc);
  free(tn);
  free(src);
  free(dst);
  lyt_layout_destroy(s);
  lyt_layout_destroy(d);
  return 0;
}

int main(int argc, char **argv)
{
  int quick = bench_quick(argc, argv);
  int reps = quick ? 3 : 11, naive_reps = quick ? 1 : 3;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--reps") == 0)
      reps = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : reps;
  printf("# %s: row-major -> column-major, medians of %d runs (naive: %d); shared machine, "
         "expect noise\n",
         NAME, reps, naive_reps);
  static const int64_t shapes[][2] = {{4096, 4096}, {8192, 2048}, {3001, 2999}};
  const int rm[2] = {0, 1}, cm[2] = {1, 0};
  int rc = 0;
  for (int e = 8; e >= 4; e -= 4)
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
      char name[64];
      snprintf(name, sizeof name, "f%d_%lldx%lld", e * 8, (long long)shapes[i][0],
               (long long)shapes[i][1]);
      rc |= run_case(name, (size_t)e, 2, shapes[i], rm, cm, reps, naive_reps, e);
    }
  /* 3D permutation (2,0,1): dst[k][i][j] = src[i][j][k] */
  {
    int64_t dims[3] = {256, 256, 256};
    const int so[3] = {0, 1, 2}, dor[3] = {2, 0, 1};
    rc |= run_case("permute201_f64_256x256x256", 8, 3, dims, so, dor, reps, naive_reps, 3);
  }
  return rc;
}
