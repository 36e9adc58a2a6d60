/* SPDX-License-Identifier: BSD-3-Clause */
/* Distributions and redistribution plans: ScaLAPACK-compatible placement,
 * scatter/gather, N->M->N round trips over seeded random distributions
 * (block, block-cyclic, irregular), pack/unpack as a transport would use
 * them, communication volume, relabeling, and rejection of bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "lyt.h"
#include "lyt_test_util.h"

/* Splits box [off, off+ext) recursively into about `want` boxes. */
static void split_boxes(int nd, const int64_t *off, const int64_t *ext, int want, int64_t *offs,
                        int64_t *exts, int *n)
{
  int k = (int)tu_range(0, nd - 1);
  if (want <= 1 || ext[k] < 2) {
    memcpy(offs + (size_t)*n * (size_t)nd, off, sizeof(int64_t) * (size_t)nd);
    memcpy(exts + (size_t)*n * (size_t)nd, ext, sizeof(int64_t) * (size_t)nd);
    (*n)++;
    return;
  }
  int64_t cut = tu_range(1, ext[k] - 1);
  int64_t o2[LYT_MAX_DIMS], e1[LYT_MAX_DIMS], e2[LYT_MAX_DIMS];
  memcpy(o2, off, sizeof o2);
  memcpy(e1, ext, sizeof e1);
  memcpy(e2, ext, sizeof e2);
  e1[k] = cut;
  o2[k] = off[k] + cut;
  e2[k] = ext[k] - cut;
  int w1 = want / 2;
  split_boxes(nd, off, e1, w1, offs, exts, n);
  split_boxes(nd, o2, e2, want - w1, offs, exts, n);
}

static lyt_dist *random_dist(size_t e, int nd, const int64_t *dims, int max_ranks)
{
  lyt_dist *d = NULL;
  int kind = (int)tu_range(0, 2);
  lyt_order lo = tu_range(0, 1) ? LYT_COL_MAJOR : LYT_ROW_MAJOR;
  lyt_order go = tu_range(0, 1) ? LYT_COL_MAJOR : LYT_ROW_MAJOR;
  if (kind < 2) {
    int grid[LYT_MAX_DIMS], src[LYT_MAX_DIMS];
    int64_t block[LYT_MAX_DIMS];
    int left = max_ranks;
    for (int k = 0; k < nd; k++) {
      grid[k] = (int)tu_range(1, left < 4 ? left : 4);
      left /= grid[k];
      if (left < 1)
        left = 1;
      block[k] = tu_range(1, dims[k] < 9 ? dims[k] : 9);
      src[k] = (int)tu_range(0, grid[k] - 1);
    }
    if (kind == 0)
      assert_int_equal(lyt_dist_create_block(e, nd, dims, grid, go, lo, &d), LYT_OK);
    else
      assert_int_equal(lyt_dist_create_block_cyclic(e, nd, dims, grid, block, src, go, lo, &d),
                       LYT_OK);
  } else {
    int want = (int)tu_range(1, 12), n = 0;
    int64_t *offs = malloc(sizeof(int64_t) * 16 * (size_t)nd);
    int64_t *exts = malloc(sizeof(int64_t) * 16 * (size_t)nd);
    int64_t zero[LYT_MAX_DIMS] = {0};
    split_boxes(nd, zero, dims, want, offs, exts, &n);
    int nr = (int)tu_range(1, max_ranks);
    int owners[16];
    for (int i = 0; i < n; i++)
      owners[i] = (int)tu_range(0, nr - 1);
    assert_int_equal(lyt_dist_create_irregular(e, nd, dims, nr, n, offs, exts, owners, lo, &d),
                     LYT_OK);
    free(offs);
    free(exts);
  }
  return d;
}

static void **alloc_locals(const lyt_dist *d)
{
  int n = lyt_dist_nranks(d);
  void **v = calloc((size_t)n, sizeof *v);
  for (int r = 0; r < n; r++) {
    size_t b;
    assert_int_equal(lyt_dist_local_bytes(d, r, &b), LYT_OK);
    v[r] = malloc(b ? b : 1);
    memset(v[r], 0xcd, b);
  }
  return v;
}

static void free_locals(const lyt_dist *d, void **v)
{
  for (int r = 0; r < lyt_dist_nranks(d); r++)
    free(v[r]);
  free(v);
}

static void test_scalapack_placement(void **state)
{
  (void)state;
  /* n = 10, nb = 3, P = 2, rsrc = 1: blocks 0,2 on coord 1; 1,3 on coord 0 */
  lyt_dist *d = NULL;
  int64_t n = 10, nb = 3;
  int P = 2, src = 1;
  assert_int_equal(
      lyt_dist_create_block_cyclic(4, 1, &n, &P, &nb, &src, LYT_ROW_MAJOR, LYT_COL_MAJOR, &d),
      LYT_OK);
  size_t b0, b1;
  assert_int_equal(lyt_dist_local_bytes(d, 0, &b0), LYT_OK);
  assert_int_equal(lyt_dist_local_bytes(d, 1, &b1), LYT_OK);
  assert_int_equal(b0, 4 * 4); /* NUMROC(10,3,0,1,2) = 4 */
  assert_int_equal(b1, 6 * 4); /* NUMROC(10,3,1,1,2) = 6 */
  int r;
  int64_t off, idx = 7;
  assert_int_equal(lyt_dist_locate(d, &idx, &r, &off), LYT_OK);
  assert_int_equal(r, 1);
  assert_int_equal(off, 4 * 4);
  idx = 9;
  assert_int_equal(lyt_dist_locate(d, &idx, &r, &off), LYT_OK);
  assert_int_equal(r, 0);
  assert_int_equal(off, 3 * 4);
  idx = 10;
  assert_int_equal(lyt_dist_locate(d, &idx, &r, &off), LYT_INVALID_ARG);
  lyt_dist_destroy(d);

  /* 2D, 2x3 grid, column-major grid order (BLACS 'C'), column-major local */
  int64_t dims[2] = {7, 11}, blk[2] = {2, 3};
  int grid[2] = {2, 3}, srcc[2] = {0, 2};
  assert_int_equal(
      lyt_dist_create_block_cyclic(8, 2, dims, grid, blk, srcc, LYT_COL_MAJOR, LYT_COL_MAJOR, &d),
      LYT_OK);
  assert_int_equal(lyt_dist_nranks(d), 6);
  int64_t ij[2] = {5, 4};
  /* row 5: block 2 -> prow 0, local row 2*1+1 = 3 (local rows on prow 0: 4)
   * col 4: block 1 -> pcol (2+1)%3 = 0, local col 1 (local cols on pcol 0: 3+... ) */
  assert_int_equal(lyt_dist_locate(d, ij, &r, &off), LYT_OK);
  assert_int_equal(r, 0 + 2 * 0);
  assert_int_equal(off, (3 + 4 * 1) * 8);
  lyt_dist_destroy(d);
}

/* scatter G through d, check every element with locate, gather back */
static void check_scatter_gather(const lyt_dist *d, size_t e, int nd, const int64_t *dims)
{
  lyt_layout *g = NULL, *gc = NULL;
  assert_int_equal(lyt_layout_create_dense(e, nd, dims, LYT_ROW_MAJOR, &g), LYT_OK);
  assert_int_equal(lyt_layout_create_dense(e, nd, dims, LYT_COL_MAJOR, &gc), LYT_OK);
  size_t bytes = (size_t)lyt_layout_span_bytes(g);
  unsigned char *G = malloc(bytes), *H = malloc(bytes), *Hc = malloc(bytes), *Gc = malloc(bytes);
  tu_fill(G, bytes);
  void **loc = alloc_locals(d);
  assert_int_equal(lyt_dist_scatter(d, g, G, loc), LYT_OK);
  /* spot-check placement with locate */
  int64_t strides[LYT_MAX_DIMS];
  lyt_layout_get_strides(g, strides);
  for (int t = 0; t < 50; t++) {
    int64_t idx[LYT_MAX_DIMS], goff = 0, loff;
    int r;
    for (int k = 0; k < nd; k++) {
      idx[k] = tu_range(0, dims[k] - 1);
      goff += idx[k] * strides[k];
    }
    assert_int_equal(lyt_dist_locate(d, idx, &r, &loff), LYT_OK);
    assert_memory_equal((unsigned char *)loc[r] + loff, G + goff, e);
  }
  assert_int_equal(lyt_dist_gather(d, (const void *const *)loc, g, H), LYT_OK);
  assert_memory_equal(G, H, bytes);
  assert_int_equal(lyt_dist_gather(d, (const void *const *)loc, gc, Hc), LYT_OK);
  assert_int_equal(lyt_transform_reference(g, G, gc, Gc), LYT_OK);
  assert_memory_equal(Gc, Hc, bytes);
  free_locals(d, loc);
  free(G);
  free(H);
  free(Hc);
  free(Gc);
  lyt_layout_destroy(g);
  lyt_layout_destroy(gc);
}

/* A -> B with the executor (or by hand with pack/unpack) and back; the data
 * must arrive where B says and the round trip must restore A's buffers. */
static void round_trip(const lyt_dist *A, const lyt_dist *B, size_t e, int nd, const int64_t *dims,
                       int relabel, int how)
{
  lyt_layout *g = NULL;
  assert_int_equal(lyt_layout_create_dense(e, nd, dims, LYT_ROW_MAJOR, &g), LYT_OK);
  size_t bytes = (size_t)lyt_layout_span_bytes(g);
  unsigned char *G = malloc(bytes), *H = malloc(bytes);
  tu_fill(G, bytes);
  void **la = alloc_locals(A), **lb = alloc_locals(B), **la2 = alloc_locals(A);
  assert_int_equal(lyt_dist_scatter(A, g, G, la), LYT_OK);
  lyt_plan *ab = NULL, *ba = NULL;
  lyt_plan_opts po = {.relabel = relabel};
  assert_int_equal(lyt_plan_create(A, B, &po, &ab), LYT_OK);
  assert_int_equal(lyt_plan_create(B, A, &po, &ba), LYT_OK);
  /* volume bookkeeping */
  uint64_t rem, loc, sum = 0;
  assert_int_equal(lyt_plan_volume(ab, &rem, &loc), LYT_OK);
  assert_int_equal(rem + loc, bytes);
  for (size_t i = 0; i < lyt_plan_npairs(ab); i++) {
    int s, d;
    size_t b, b2, nreg;
    assert_int_equal(lyt_plan_pair(ab, i, &s, &d, &b), LYT_OK);
    assert_int_equal(lyt_plan_pair_bytes(ab, s, d, &b2), LYT_OK);
    assert_int_equal(b, b2);
    assert_int_equal(lyt_plan_pair_nregions(ab, s, d, &nreg), LYT_OK);
    uint64_t rb = 0;
    for (size_t j = 0; j < nreg; j++) {
      int64_t off[LYT_MAX_DIMS], ext[LYT_MAX_DIMS], v = (int64_t)e;
      assert_int_equal(lyt_plan_pair_region(ab, s, d, j, off, ext), LYT_OK);
      for (int k = 0; k < nd; k++) {
        assert_true(off[k] >= 0 && ext[k] > 0 && off[k] + ext[k] <= dims[k]);
        v *= ext[k];
      }
      rb += (uint64_t)v;
    }
    assert_int_equal(rb, b);
    sum += b;
  }
  assert_int_equal(sum, bytes);
  if (how == 2) {
    /* what a transport does: pack per pair, move contiguous bytes, unpack */
    for (size_t i = 0; i < lyt_plan_npairs(ab); i++) {
      int s, d;
      size_t b;
      lyt_plan_pair(ab, i, &s, &d, &b);
      unsigned char *buf = malloc(b), *wire = malloc(b);
      assert_int_equal(lyt_plan_pack(ab, s, d, la[s], buf, b), LYT_OK);
      memcpy(wire, buf, b);
      assert_int_equal(lyt_plan_unpack(ab, s, d, wire, b, lb[d]), LYT_OK);
      if (b > 0)
        assert_int_equal(lyt_plan_pack(ab, s, d, la[s], buf, b - 1), LYT_INVALID_ARG);
      free(buf);
      free(wire);
    }
  } else {
    lyt_exec_opts eo = {.mode = how ? LYT_EXEC_PACKED : LYT_EXEC_DIRECT,
                        .nthreads = (int)tu_range(0, 3)};
    assert_int_equal(lyt_plan_execute_local(ab, (const void *const *)la, lb, &eo), LYT_OK);
  }
  assert_int_equal(lyt_dist_gather(B, (const void *const *)lb, g, H), LYT_OK);
  assert_memory_equal(G, H, bytes);
  lyt_exec_opts eo2 = {.mode = tu_range(0, 1) ? LYT_EXEC_PACKED : LYT_EXEC_DIRECT};
  assert_int_equal(lyt_plan_execute_local(ba, (const void *const *)lb, la2, &eo2), LYT_OK);
  for (int r = 0; r < lyt_dist_nranks(A); r++) {
    size_t b;
    lyt_dist_local_bytes(A, r, &b);
    assert_memory_equal(la[r], la2[r], b);
  }
  lyt_plan_destroy(ab);
  lyt_plan_destroy(ba);
  free_locals(A, la);
  free_locals(A, la2);
  free_locals(B, lb);
  free(G);
  free(H);
  lyt_layout_destroy(g);
}

static void test_random_round_trips(void **state)
{
  (void)state;
  tu_seed(424242);
  static const size_t es[] = {1, 4, 8, 16, 12};
  for (int it = 0; it < 300; it++) {
    size_t e = es[tu_range(0, 4)];
    int nd = (int)tu_range(1, 4);
    int64_t dims[LYT_MAX_DIMS];
    for (int k = 0; k < nd; k++)
      dims[k] = tu_range(1, nd == 1 ? 500 : nd == 2 ? 60 : 14);
    lyt_dist *A = random_dist(e, nd, dims, 6), *B = random_dist(e, nd, dims, 7);
    if (it % 10 == 0) {
      check_scatter_gather(A, e, nd, dims);
      check_scatter_gather(B, e, nd, dims);
    }
    round_trip(A, B, e, nd, dims, (int)tu_range(0, 1), (int)tu_range(0, 2));
    lyt_dist_destroy(A);
    lyt_dist_destroy(B);
  }
}

/* Several fixed (N, M): block-cyclic N ranks <-> block M ranks. */
static void test_fixed_nm(void **state)
{
  (void)state;
  tu_seed(1);
  static const int nm[][4] = {{2, 2, 3, 1}, {1, 4, 2, 2}, {3, 1, 1, 5}, {2, 3, 4, 1}, {1, 1, 2, 3}};
  int64_t dims[2] = {97, 61}, blk[2] = {8, 5};
  for (size_t i = 0; i < sizeof nm / sizeof nm[0]; i++) {
    lyt_dist *A = NULL, *B = NULL;
    int ga[2] = {nm[i][0], nm[i][1]}, gb[2] = {nm[i][2], nm[i][3]};
    assert_int_equal(
        lyt_dist_create_block_cyclic(8, 2, dims, ga, blk, NULL, LYT_ROW_MAJOR, LYT_COL_MAJOR, &A),
        LYT_OK);
    assert_int_equal(lyt_dist_create_block(8, 2, dims, gb, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &B),
                     LYT_OK);
    for (int how = 0; how < 3; how++) {
      round_trip(A, B, 8, 2, dims, 0, how);
      round_trip(B, A, 8, 2, dims, 1, how);
    }
    lyt_dist_destroy(A);
    lyt_dist_destroy(B);
  }
}

static void test_relabel_permutation(void **state)
{
  (void)state;
  tu_seed(2);
  int64_t dims[2] = {40, 30};
  int grid[2] = {2, 3};
  lyt_dist *A = NULL, *B = NULL;
  /* same boxes, ranks numbered row-major vs column-major: a permutation */
  assert_int_equal(lyt_dist_create_block(4, 2, dims, grid, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &A),
                   LYT_OK);
  assert_int_equal(lyt_dist_create_block(4, 2, dims, grid, LYT_COL_MAJOR, LYT_ROW_MAJOR, &B),
                   LYT_OK);
  lyt_plan *p = NULL, *q = NULL;
  assert_int_equal(lyt_plan_create(A, B, NULL, &p), LYT_OK);
  uint64_t rem, loc;
  lyt_plan_volume(p, &rem, &loc);
  assert_true(rem > 0);
  lyt_plan_opts o = {.relabel = 1};
  assert_int_equal(lyt_plan_create(A, B, &o, &q), LYT_OK);
  lyt_plan_volume(q, &rem, &loc);
  assert_int_equal(rem, 0);
  assert_int_equal(loc, 40 * 30 * 4);
  int map[6];
  assert_int_equal(lyt_plan_dst_map(q, map), LYT_OK);
  for (int j = 0; j < 6; j++) {
    /* dst rank j = col-major coords; its process must be the row-major rank */
    int c0 = j % 2, c1 = j / 2;
    assert_int_equal(map[j], c0 * 3 + c1);
  }
  round_trip(A, B, 4, 2, dims, 1, 1);
  lyt_plan_destroy(p);
  lyt_plan_destroy(q);
  lyt_dist_destroy(A);
  lyt_dist_destroy(B);

  /* identical distributions: nothing remote, with or without relabeling */
  assert_int_equal(lyt_dist_create_block(4, 2, dims, grid, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &A),
                   LYT_OK);
  assert_int_equal(lyt_plan_create(A, A, NULL, &p), LYT_OK);
  lyt_plan_volume(p, &rem, NULL);
  assert_int_equal(rem, 0);
  lyt_plan_destroy(p);
  lyt_dist_destroy(A);

  /* irregular with owners permuted */
  int64_t offs[] = {0, 0, 0, 10, 20, 0, 20, 10}, exts[] = {20, 10, 20, 20, 20, 10, 20, 20};
  int own1[] = {0, 1, 2, 3}, own2[] = {2, 3, 1, 0};
  assert_int_equal(lyt_dist_create_irregular(8, 2, dims, 4, 4, offs, exts, own1, LYT_COL_MAJOR, &A),
                   LYT_OK);
  assert_int_equal(lyt_dist_create_irregular(8, 2, dims, 4, 4, offs, exts, own2, LYT_ROW_MAJOR, &B),
                   LYT_OK);
  assert_int_equal(lyt_plan_create(A, B, &o, &q), LYT_OK);
  lyt_plan_volume(q, &rem, NULL);
  assert_int_equal(rem, 0);
  round_trip(A, B, 8, 2, dims, 1, 0);
  lyt_plan_destroy(q);
  lyt_dist_destroy(A);
  lyt_dist_destroy(B);
}

/* More processes than the optimal assignment handles: the greedy
 * relabeling must still find a pure permutation. */
static void test_relabel_many_ranks(void **state)
{
  (void)state;
  tu_seed(3);
  enum { NR = 1100 };
  int64_t dims[1] = {2 * NR};
  int64_t *offs = malloc(sizeof(int64_t) * NR), *exts = malloc(sizeof(int64_t) * NR);
  int *own1 = malloc(sizeof(int) * NR), *own2 = malloc(sizeof(int) * NR);
  for (int i = 0; i < NR; i++) {
    offs[i] = 2 * i;
    exts[i] = 2;
    own1[i] = i;
    own2[i] = i;
  }
  tu_shuffle(own2, NR);
  lyt_dist *A = NULL, *B = NULL;
  assert_int_equal(
      lyt_dist_create_irregular(4, 1, dims, NR, NR, offs, exts, own1, LYT_ROW_MAJOR, &A), LYT_OK);
  assert_int_equal(
      lyt_dist_create_irregular(4, 1, dims, NR, NR, offs, exts, own2, LYT_ROW_MAJOR, &B), LYT_OK);
  lyt_plan *p = NULL;
  lyt_plan_opts o = {.relabel = 1};
  assert_int_equal(lyt_plan_create(A, B, &o, &p), LYT_OK);
  uint64_t rem;
  lyt_plan_volume(p, &rem, NULL);
  assert_int_equal(rem, 0);
  lyt_plan_destroy(p);
  round_trip(A, B, 4, 1, dims, 1, 0);
  lyt_dist_destroy(A);
  lyt_dist_destroy(B);
  free(offs);
  free(exts);
  free(own1);
  free(own2);
}

/* Serialisation: round trips give the same distribution; truncated and
 * corrupted input is rejected or yields a valid distribution, never a crash. */
static void test_serialize(void **state)
{
  (void)state;
  tu_seed(77);
  for (int it = 0; it < 100; it++) {
    size_t e = (size_t)tu_range(1, 16);
    int nd = (int)tu_range(1, 3);
    int64_t dims[LYT_MAX_DIMS];
    for (int k = 0; k < nd; k++)
      dims[k] = tu_range(1, 30);
    lyt_dist *A = random_dist(e, nd, dims, 6), *B = NULL;
    size_t len = 0;
    assert_int_equal(lyt_dist_serialize(A, NULL, 0, &len), LYT_OK);
    unsigned char *buf = malloc(len);
    if (len > 1)
      assert_int_equal(lyt_dist_serialize(A, buf, len - 1, &len), LYT_INVALID_ARG);
    assert_int_equal(lyt_dist_serialize(A, buf, len, &len), LYT_OK);
    assert_int_equal(lyt_dist_deserialize(buf, len, &B), LYT_OK);
    /* the same distribution: a plan between them keeps everything local */
    assert_int_equal(lyt_dist_nranks(A), lyt_dist_nranks(B));
    lyt_plan *p = NULL;
    assert_int_equal(lyt_plan_create(A, B, NULL, &p), LYT_OK);
    uint64_t rem;
    lyt_plan_volume(p, &rem, NULL);
    assert_int_equal(rem, 0);
    for (int r = 0; r < lyt_dist_nranks(A); r++) {
      size_t a, b;
      lyt_dist_local_bytes(A, r, &a);
      lyt_dist_local_bytes(B, r, &b);
      assert_int_equal(a, b);
    }
    lyt_plan_destroy(p);
    lyt_dist_destroy(B);
    /* every truncation is rejected */
    for (size_t cut = 0; cut < len; cut++) {
      B = NULL;
      assert_int_not_equal(lyt_dist_deserialize(buf, cut, &B), LYT_OK);
      assert_null(B);
    }
    /* corruption: any outcome but a crash; a success must be usable */
    unsigned char *bad = malloc(len + 8);
    for (int t = 0; t < 20; t++) {
      memcpy(bad, buf, len);
      int flips = (int)tu_range(1, 4);
      for (int f = 0; f < flips; f++)
        bad[tu_range(0, (int64_t)len - 1)] = (unsigned char)tu_next();
      B = NULL;
      if (lyt_dist_deserialize(bad, len, &B) == LYT_OK) {
        size_t b;
        assert_int_equal(lyt_dist_local_bytes(B, 0, &b), LYT_OK);
        lyt_dist_destroy(B);
      } else {
        assert_null(B);
      }
    }
    free(bad);
    free(buf);
    lyt_dist_destroy(A);
  }
  lyt_dist *B = NULL;
  assert_int_equal(lyt_dist_deserialize("XXXX", 4, &B), LYT_INVALID_ARG);
  assert_int_equal(lyt_dist_deserialize(NULL, 4, &B), LYT_INVALID_ARG);
}

/* One plan executed by several threads at once (plans are shared data; the
 * executor's transfer-buffer cache must not be shared unsafely). */
typedef struct {
  const lyt_plan *p;
  void **src, **dst;
  lyt_status st;
} conc_arg;

static void *conc_run(void *arg)
{
  conc_arg *a = arg;
  lyt_exec_opts o = {.mode = LYT_EXEC_PACKED, .nthreads = 2};
  for (int i = 0; i < 5 && a->st == LYT_OK; i++)
    a->st = lyt_plan_execute_local(a->p, (const void *const *)a->src, a->dst, &o);
  return NULL;
}

static void test_concurrent_execute(void **state)
{
  (void)state;
  tu_seed(8);
  int64_t dims[2] = {64, 48}, blk[2] = {5, 7};
  int ga[2] = {2, 2}, gb[2] = {3, 1};
  lyt_dist *A = NULL, *B = NULL;
  assert_int_equal(
      lyt_dist_create_block_cyclic(8, 2, dims, ga, blk, NULL, LYT_ROW_MAJOR, LYT_COL_MAJOR, &A),
      LYT_OK);
  assert_int_equal(lyt_dist_create_block(8, 2, dims, gb, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &B), LYT_OK);
  lyt_plan *p = NULL;
  assert_int_equal(lyt_plan_create(A, B, NULL, &p), LYT_OK);
  lyt_layout *g = NULL;
  assert_int_equal(lyt_layout_create_dense(8, 2, dims, LYT_ROW_MAJOR, &g), LYT_OK);
  size_t bytes = (size_t)lyt_layout_span_bytes(g);
  unsigned char *G = malloc(bytes), *H = malloc(bytes);
  tu_fill(G, bytes);
  void **la = alloc_locals(A);
  assert_int_equal(lyt_dist_scatter(A, g, G, la), LYT_OK);
  enum { NT = 3 };
  pthread_t th[NT];
  conc_arg args[NT];
  void **lb[NT];
  for (int t = 0; t < NT; t++) {
    lb[t] = alloc_locals(B);
    args[t] = (conc_arg){p, la, lb[t], LYT_OK};
    assert_int_equal(pthread_create(&th[t], NULL, conc_run, &args[t]), 0);
  }
  for (int t = 0; t < NT; t++) {
    pthread_join(th[t], NULL);
    assert_int_equal(args[t].st, LYT_OK);
    assert_int_equal(lyt_dist_gather(B, (const void *const *)lb[t], g, H), LYT_OK);
    assert_memory_equal(G, H, bytes);
    free_locals(B, lb[t]);
  }
  free_locals(A, la);
  free(G);
  free(H);
  lyt_layout_destroy(g);
  lyt_plan_destroy(p);
  lyt_dist_destroy(A);
  lyt_dist_destroy(B);
}

static void test_bad_distributions(void **state)
{
  (void)state;
  lyt_dist *d = NULL;
  int64_t dims[2] = {10, 10};
  int grid[2] = {2, 2}, bad_grid[2] = {0, 2}, bad_src[2] = {0, 2};
  int64_t blk[2] = {3, 3}, bad_blk[2] = {3, 0}, neg[2] = {10, -1};
  assert_int_equal(lyt_dist_create_block(8, 2, dims, bad_grid, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &d),
                   LYT_INVALID_ARG);
  assert_int_equal(lyt_dist_create_block(8, 2, neg, grid, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &d),
                   LYT_INVALID_ARG);
  assert_int_equal(lyt_dist_create_block(0, 2, dims, grid, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &d),
                   LYT_INVALID_ARG);
  assert_int_equal(lyt_dist_create_block_cyclic(8, 2, dims, grid, bad_blk, NULL, LYT_ROW_MAJOR,
                                                LYT_ROW_MAJOR, &d),
                   LYT_INVALID_ARG);
  assert_int_equal(lyt_dist_create_block_cyclic(8, 2, dims, grid, blk, bad_src, LYT_ROW_MAJOR,
                                                LYT_ROW_MAJOR, &d),
                   LYT_INVALID_ARG);
  int64_t huge[3] = {INT64_C(1) << 40, INT64_C(1) << 30, 4};
  int g3[3] = {1, 1, 1};
  assert_int_equal(lyt_dist_create_block(8, 3, huge, g3, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &d),
                   LYT_OVERFLOW);
  assert_null(d);
  /* irregular: overlap, hole, out of range, bad owner, empty box */
  int64_t o_ov[] = {0, 0, 0, 5, 4, 0}, e_ov[] = {5, 10, 10, 5, 6, 10};
  int own[] = {0, 1, 1};
  assert_int_equal(lyt_dist_create_irregular(8, 2, dims, 2, 3, o_ov, e_ov, own, LYT_ROW_MAJOR, &d),
                   LYT_OVERLAP);
  int64_t o_h[] = {0, 0, 5, 0}, e_h[] = {5, 10, 4, 10};
  assert_int_equal(lyt_dist_create_irregular(8, 2, dims, 2, 2, o_h, e_h, own, LYT_ROW_MAJOR, &d),
                   LYT_HOLE);
  int64_t o_r[] = {0, 0, 5, 0}, e_r[] = {5, 10, 6, 10};
  assert_int_equal(lyt_dist_create_irregular(8, 2, dims, 2, 2, o_r, e_r, own, LYT_ROW_MAJOR, &d),
                   LYT_INVALID_ARG);
  int64_t o_ok[] = {0, 0, 5, 0}, e_ok[] = {5, 10, 5, 10};
  int bad_own[] = {0, 2};
  assert_int_equal(
      lyt_dist_create_irregular(8, 2, dims, 2, 2, o_ok, e_ok, bad_own, LYT_ROW_MAJOR, &d),
      LYT_INVALID_ARG);
  int64_t e_zero[] = {5, 10, 0, 10};
  assert_int_equal(
      lyt_dist_create_irregular(8, 2, dims, 2, 2, o_ok, e_zero, own, LYT_ROW_MAJOR, &d),
      LYT_INVALID_ARG);
  assert_null(d);
  /* a rank owning nothing is fine */
  assert_int_equal(lyt_dist_create_irregular(8, 2, dims, 3, 2, o_ok, e_ok, own, LYT_ROW_MAJOR, &d),
                   LYT_OK);
  size_t b;
  assert_int_equal(lyt_dist_local_bytes(d, 2, &b), LYT_OK);
  assert_int_equal(b, 0);
  assert_int_equal(lyt_dist_local_bytes(d, 3, &b), LYT_INVALID_ARG);
  /* plans between mismatched distributions */
  lyt_dist *e = NULL, *f = NULL;
  int64_t dims2[2] = {10, 11};
  int g1[2] = {1, 1};
  assert_int_equal(lyt_dist_create_block(8, 2, dims2, g1, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &e),
                   LYT_OK);
  assert_int_equal(lyt_dist_create_block(4, 2, dims, g1, LYT_ROW_MAJOR, LYT_ROW_MAJOR, &f), LYT_OK);
  lyt_plan *p = NULL;
  assert_int_equal(lyt_plan_create(d, e, NULL, &p), LYT_MISMATCH);
  assert_int_equal(lyt_plan_create(d, f, NULL, &p), LYT_MISMATCH);
  assert_int_equal(lyt_plan_create(NULL, f, NULL, &p), LYT_INVALID_ARG);
  assert_null(p);
  lyt_dist_destroy(d);
  lyt_dist_destroy(e);
  lyt_dist_destroy(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalapack_placement),
      cmocka_unit_test(test_bad_distributions),
      cmocka_unit_test(test_relabel_permutation),
      cmocka_unit_test(test_relabel_many_ranks),
      cmocka_unit_test(test_fixed_nm),
      cmocka_unit_test(test_serialize),
      cmocka_unit_test(test_concurrent_execute),
      cmocka_unit_test(test_random_round_trips),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
