/* SPDX-License-Identifier: BSD-3-Clause */
/* layout_redistribute: in-memory execution of an N->M redistribution plan
 * (ranks as threads) against memcpy of the same bytes, measured in the same
 * run.
 *
 * Case: a 4096x4096 f64 matrix, block-cyclic over a 2x2 process grid with
 * 64x64 blocks (ScaLAPACK style, column-major local storage) -> block over 3
 * ranks (3x1 grid), column-major local storage; and the same with a
 * row-major destination (the order change is applied on the way). Every
 * byte of the matrix is copied once into the destination buffers, so
 * bandwidth = matrix bytes / time and the baseline is one memcpy of the
 * matrix. Medians of the repetitions; buffers pre-faulted.
 *
 *   layout_redistribute [--quick] [--reps N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "lyt.h"

#define NAME "layout_redistribute"

static void *xalloc(size_t n)
{
  void *p = NULL;
  if (posix_memalign(&p, 4096, n ? n : 1) != 0) {
    fprintf(stderr, "out of memory (%zu bytes)\n", n);
    exit(1);
  }
  memset(p, 1, n);
  return p;
}

static void run(const char *casename, lyt_plan *plan, void **sb, void **db, const char *big,
                char *bigdst, size_t bytes, lyt_exec_mode mode, int nthreads, int reps)
{
  double *tm = calloc((size_t)reps, sizeof(double)), *tp = calloc((size_t)reps, sizeof(double));
  lyt_exec_opts o = {.mode = mode, .nthreads = nthreads};
  lyt_plan_execute_local(plan, (const void *const *)sb, db, &o); /* warm-up */
  for (int r = 0; r < reps; r++) {
    double t0 = bench_now();
    memcpy(bigdst, big, bytes);
    double t1 = bench_now();
    bench_consume(bigdst);
    lyt_status st = lyt_plan_execute_local(plan, (const void *const *)sb, db, &o);
    double t2 = bench_now();
    if (st != LYT_OK) {
      fprintf(stderr, "execute failed: %s\n", lyt_status_description(st));
      exit(1);
    }
    tm[r] = t1 - t0;
    tp[r] = t2 - t1;
  }
  double gb = (double)bytes / 1e9, m = gb / bench_median(tm, reps), v = gb / bench_median(tp, reps);
  printf("# %-40s memcpy %6.2f GB/s  plan %6.2f GB/s (%3.0f%%)\n", casename, m, v, 100 * v / m);
  bench_report(NAME, casename, v, "GB/s", m, BENCH_HIGHER_IS_BETTER);
  free(tm);
  free(tp);
}

int main(int argc, char **argv)
{
  int quick = bench_quick(argc, argv);
  int reps = quick ? 3 : 11;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--reps") == 0)
      reps = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : reps;
  const int64_t n = 4096;
  int64_t dims[2] = {n, n}, blk[2] = {64, 64};
  int g4[2] = {2, 2}, g3[2] = {3, 1};
  size_t bytes = (size_t)(n * n * 8);
  printf("# %s: %lldx%lld f64, block-cyclic 2x2 (64x64) -> block 3x1, medians of %d runs; "
         "shared machine, expect noise\n",
         NAME, (long long)n, (long long)n, reps);
  char *big = xalloc(bytes), *bigdst = xalloc(bytes);
  for (int order = 0; order < 2; order++) {
    lyt_dist *A = NULL, *B = NULL;
    lyt_plan *p = NULL;
    lyt_order dorder = order ? LYT_ROW_MAJOR : LYT_COL_MAJOR;
    if (lyt_dist_create_block_cyclic(8, 2, dims, g4, blk, NULL, LYT_ROW_MAJOR, LYT_COL_MAJOR, &A) !=
            LYT_OK ||
        lyt_dist_create_block(8, 2, dims, g3, LYT_ROW_MAJOR, dorder, &B) != LYT_OK) {
      fprintf(stderr, "cannot create distributions\n");
      return 1;
    }
    double t0 = bench_now();
    if (lyt_plan_create(A, B, NULL, &p) != LYT_OK)
      return 1;
    double tplan = bench_now() - t0;
    uint64_t rem, loc;
    lyt_plan_volume(p, &rem, &loc);
    printf("# plan: %zu pairs, %.1f MB remote, %.1f MB local, built in %.2f ms\n",
           lyt_plan_npairs(p), (double)rem / 1e6, (double)loc / 1e6, tplan * 1e3);
    void *sb[4], *db[3];
    for (int r = 0; r < 4; r++) {
      size_t b;
      lyt_dist_local_bytes(A, r, &b);
      sb[r] = xalloc(b);
    }
    for (int r = 0; r < 3; r++) {
      size_t b;
      lyt_dist_local_bytes(B, r, &b);
      db[r] = xalloc(b);
    }
    const char *suffix = order ? "_rowmajor_dst" : "";
    char name[128];
    snprintf(name, sizeof name, "bc4_to_block3_f64_4096%s_direct", suffix);
    run(name, p, sb, db, big, bigdst, bytes, LYT_EXEC_DIRECT, 0, reps);
    snprintf(name, sizeof name, "bc4_to_block3_f64_4096%s_direct_1thread", suffix);
    run(name, p, sb, db, big, bigdst, bytes, LYT_EXEC_DIRECT, 1, reps);
    snprintf(name, sizeof name, "bc4_to_block3_f64_4096%s_packed", suffix);
    run(name, p, sb, db, big, bigdst, bytes, LYT_EXEC_PACKED, 0, reps);
    for (int r = 0; r < 4; r++)
      free(sb[r]);
    for (int r = 0; r < 3; r++)
      free(db[r]);
    lyt_plan_destroy(p);
    lyt_dist_destroy(A);
    lyt_dist_destroy(B);
  }
  free(big);
  free(bigdst);
  return 0;
}
