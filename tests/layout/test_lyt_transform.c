/* SPDX-License-Identifier: BSD-3-Clause */
/* Local transforms: bit-exact comparison with the naive reference over
 * seeded random shapes, element sizes, orders, permutations, paddings,
 * sub-blocks, thread counts and store policies; dedicated cases for 1xN,
 * primes, sizes off the block grid, huge strides and in-place transposes.
 * Run once with the SIMD kernels and once with LYT_NO_SIMD=1 (ctest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lyt.h"
#include "lyt_test_util.h"

static const size_t esizes[] = {1, 2, 4, 8, 16, 3, 12, 24};

/* Random layout over dims: dense row/col, explicit order with padding, or
 * strided with gaps. */
static lyt_layout *random_layout(size_t e, int nd, const int64_t *dims)
{
  lyt_layout *l = NULL;
  int kind = (int)tu_range(0, 3);
  if (kind <= 1) {
    assert_int_equal(lyt_layout_create_dense(e, nd, dims, kind ? LYT_COL_MAJOR : LYT_ROW_MAJOR, &l),
                     LYT_OK);
  } else {
    int ord[LYT_MAX_DIMS];
    int64_t pad[LYT_MAX_DIMS];
    for (int k = 0; k < nd; k++) {
      ord[k] = k;
      pad[k] = dims[k] + (tu_range(0, 2) == 0 ? tu_range(1, 5) : 0);
    }
    tu_shuffle(ord, nd);
    assert_int_equal(lyt_layout_create_ordered(e, nd, dims, ord, kind == 3 ? pad : NULL, &l),
                     LYT_OK);
  }
  return l;
}

static void fill_pattern(unsigned char *p, size_t n, unsigned char seed)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(seed + i * 7);
}

/* Runs lyt_transform and the reference into two destinations with the same
 * initial contents and requires identical bytes everywhere (so padding and
 * gaps stay untouched). */
static void check_case(const lyt_layout *s, const lyt_layout *d, const lyt_transform_opts *o,
                       int misalign)
{
  size_t sspan = (size_t)lyt_layout_span_bytes(s), dspan = (size_t)lyt_layout_span_bytes(d);
  unsigned char *sb = malloc(sspan + 8), *d1 = malloc(dspan + 8), *d2 = malloc(dspan + 8);
  assert_non_null(sb);
  assert_non_null(d1);
  assert_non_null(d2);
  tu_fill(sb, sspan + 8);
  fill_pattern(d1, dspan + 8, 0x5a);
  fill_pattern(d2, dspan + 8, 0x5a);
  int ms = misalign ? (int)tu_range(0, 7) : 0, md = misalign ? (int)tu_range(0, 7) : 0;
  assert_int_equal(lyt_transform_reference(s, sb + ms, d, d2 + md), LYT_OK);
  lyt_status st = lyt_transform(s, sb + ms, d, d1 + md, o);
  if (st != LYT_OK || memcmp(d1, d2, dspan + 8) != 0) {
    char a[256], b[256];
    fprintf(stderr, "mismatch: src %s -> dst %s (threads %d stream %d misalign %d/%d)\n",
            lyt_layout_describe(s, a, sizeof a), lyt_layout_describe(d, b, sizeof b),
            o ? o->nthreads : 0, o ? (int)o->stream : 0, ms, md);
    for (size_t i = 0; i < dspan + 8; i++)
      if (d1[i] != d2[i]) {
        fprintf(stderr, "  first differing byte %zu: %02x vs %02x\n", i, d1[i], d2[i]);
        break;
      }
  }
  assert_int_equal(st, LYT_OK);
  assert_memory_equal(d1, d2, dspan + 8);
  free(sb);
  free(d1);
  free(d2);
}

static lyt_transform_opts random_opts(void)
{
  lyt_transform_opts o = {0};
  o.nthreads = (int)tu_range(0, 3);
  o.stream = (lyt_stream_policy)tu_range(0, 2);
  return o;
}

static void test_random_shapes(void **state)
{
  (void)state;
  tu_seed(20261124);
  for (int it = 0; it < 400; it++) {
    size_t e = esizes[tu_range(0, (int64_t)(sizeof esizes / sizeof esizes[0]) - 1)];
    int nd = (int)tu_range(1, 5);
    int64_t dims[LYT_MAX_DIMS], budget = 60000 / (int64_t)e + 64;
    for (int k = 0; k < nd; k++) {
      int64_t lim = budget;
      for (int j = k + 1; j < nd; j++)
        lim /= 2;
      if (lim < 1)
        lim = 1;
      int64_t hi = lim < 300 ? lim : 300;
      dims[k] = tu_range(0, 4) == 0 ? 1 : tu_range(1, hi);
      budget /= dims[k];
      if (budget < 1)
        budget = 1;
    }
    lyt_layout *s = random_layout(e, nd, dims), *d = random_layout(e, nd, dims);
    lyt_transform_opts o = random_opts();
    check_case(s, d, &o, 1);
    lyt_layout_destroy(s);
    lyt_layout_destroy(d);
  }
}

static void test_transpose_2d_shapes(void **state)
{
  (void)state;
  tu_seed(7);
  static const int64_t shapes[][2] = {{1, 1},    {1, 1000},  {1000, 1}, {2, 3},    {7, 5},
                                      {8, 8},    {16, 16},   {17, 33},  {31, 64},  {64, 65},
                                      {97, 89},  {127, 131}, {256, 8},  {8, 256},  {251, 257},
                                      {3001, 7}, {7, 3001},  {130, 70}, {1, 4099}, {4099, 2}};
  static const size_t es[] = {1, 2, 4, 8, 16, 12};
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
    for (size_t ei = 0; ei < sizeof es / sizeof es[0]; ei++)
      for (int th = 1; th <= 3; th += 2)
        for (int stream = LYT_STREAM_AUTO; stream <= LYT_STREAM_OFF; stream++) {
          lyt_layout *a = NULL, *b = NULL;
          assert_int_equal(lyt_layout_create_dense(es[ei], 2, shapes[si], LYT_ROW_MAJOR, &a),
                           LYT_OK);
          assert_int_equal(lyt_layout_create_dense(es[ei], 2, shapes[si], LYT_COL_MAJOR, &b),
                           LYT_OK);
          lyt_transform_opts o = {.nthreads = th, .stream = (lyt_stream_policy)stream};
          check_case(a, b, &o, 0);
          check_case(b, a, &o, 1);
          lyt_layout_destroy(a);
          lyt_layout_destroy(b);
        }
}

/* Bigger aligned transposes that exercise the streaming path, threads and
 * every (R mod 16, C mod 8) remainder. */
static void test_transpose_large(void **state)
{
  (void)state;
  tu_seed(11);
  static const int64_t shapes[][2] = {{512, 512}, {1024, 1000}, {1001, 1024}, {777, 1553}};
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
    for (size_t e = 4; e <= 8; e += 4) {
      lyt_layout *a = NULL, *b = NULL;
      assert_int_equal(lyt_layout_create_dense(e, 2, shapes[si], LYT_ROW_MAJOR, &a), LYT_OK);
      assert_int_equal(lyt_layout_create_dense(e, 2, shapes[si], LYT_COL_MAJOR, &b), LYT_OK);
      for (int th = 1; th <= 2; th++) {
        lyt_transform_opts o = {.nthreads = th, .stream = LYT_STREAM_ON};
        check_case(a, b, &o, 0);
      }
      lyt_layout_destroy(a);
      lyt_layout_destroy(b);
    }
}

static void test_permutations_3d(void **state)
{
  (void)state;
  tu_seed(3);
  static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  static const int64_t shapes[][3] = {{13, 17, 19}, {1, 64, 3}, {32, 32, 32}, {5, 1, 7}};
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
    for (size_t ei = 0; ei < sizeof esizes / sizeof esizes[0]; ei++)
      for (int p = 0; p < 6; p++)
        for (int q = 0; q < 6; q++) {
          lyt_layout *a = NULL, *b = NULL;
          assert_int_equal(lyt_layout_create_ordered(esizes[ei], 3, shapes[si], perms[p], NULL, &a),
                           LYT_OK);
          assert_int_equal(lyt_layout_create_ordered(esizes[ei], 3, shapes[si], perms[q], NULL, &b),
                           LYT_OK);
          lyt_transform_opts o = {.nthreads = (p + q) % 3};
          check_case(a, b, &o, 0);
          lyt_layout_destroy(a);
          lyt_layout_destroy(b);
        }
}

static void test_subblocks(void **state)
{
  (void)state;
  tu_seed(99);
  for (int it = 0; it < 200; it++) {
    size_t e = esizes[tu_range(0, (int64_t)(sizeof esizes / sizeof esizes[0]) - 1)];
    int nd = (int)tu_range(1, 4);
    int64_t dims[LYT_MAX_DIMS], off[LYT_MAX_DIMS], ext[LYT_MAX_DIMS];
    for (int k = 0; k < nd; k++) {
      dims[k] = tu_range(1, nd <= 2 ? 90 : 20);
      ext[k] = tu_range(1, dims[k]);
      off[k] = tu_range(0, dims[k] - ext[k]);
    }
    lyt_layout *parent = random_layout(e, nd, dims), *sub = NULL;
    assert_int_equal(lyt_layout_create_subblock(parent, off, ext, &sub), LYT_OK);
    lyt_layout *dense = random_layout(e, nd, ext);
    lyt_transform_opts o = random_opts();
    check_case(sub, dense, &o, 1); /* extraction */
    check_case(dense, sub, &o, 1); /* insertion */
    lyt_layout_destroy(parent);
    lyt_layout_destroy(sub);
    lyt_layout_destroy(dense);
  }
}

/* Strides of 64 MiB: the buffer is mostly untouched virtual memory, so only
 * the elements are compared. */
static void test_huge_strides(void **state)
{
  (void)state;
  tu_seed(5);
  const int64_t big = INT64_C(1) << 26;
  int64_t dims[3] = {3, 5, 7};
  int64_t sst[3] = {big, 8 * 7 * 3, 8}, dst_st[3];
  lyt_layout *s = NULL, *d = NULL;
  assert_int_equal(lyt_layout_create_strided(8, 3, dims, sst, 24, &s), LYT_OK);
  int ord[3] = {2, 1, 0};
  assert_int_equal(lyt_layout_create_ordered(8, 3, dims, ord, NULL, &d), LYT_OK);
  assert_int_equal(lyt_layout_get_strides(d, dst_st), LYT_OK);
  size_t span = (size_t)lyt_layout_span_bytes(s);
  unsigned char *sb = malloc(span);
  assert_non_null(sb);
  uint64_t want[105], got[105], ref[105];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++)
      for (int k = 0; k < 7; k++) {
        uint64_t v = tu_next();
        memcpy(sb + 24 + i * sst[0] + j * sst[1] + k * sst[2], &v, 8);
        want[(i * dst_st[0] + j * dst_st[1] + k * dst_st[2]) / 8] = v;
      }
  lyt_transform_opts o = {.nthreads = 2};
  assert_int_equal(lyt_transform(s, sb, d, got, &o), LYT_OK);
  assert_int_equal(lyt_transform_reference(s, sb, d, ref), LYT_OK);
  assert_memory_equal(got, want, sizeof want);
  assert_memory_equal(ref, want, sizeof want);
  /* and back into the strided layout */
  memset(got, 0, sizeof got);
  assert_int_equal(lyt_transform(d, want, s, sb, NULL), LYT_OK);
  assert_int_equal(lyt_transform(s, sb, d, got, NULL), LYT_OK);
  assert_memory_equal(got, want, sizeof want);
  free(sb);
  lyt_layout_destroy(s);
  lyt_layout_destroy(d);
}

static void test_inplace_square(void **state)
{
  (void)state;
  tu_seed(17);
  static const int64_t ns[] = {1, 2, 7, 32, 33, 64, 100};
  static const size_t es[] = {1, 2, 4, 8, 16, 12, 300};
  for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
    for (size_t ei = 0; ei < sizeof es / sizeof es[0]; ei++)
      for (int padded = 0; padded <= 1; padded++) {
        int64_t n = ns[ni], dims[2] = {n, n};
        size_t e = es[ei];
        int64_t ld = n + (padded ? 3 : 0);
        int64_t s_st[2] = {ld * (int64_t)e, (int64_t)e}, d_st[2] = {(int64_t)e, ld * (int64_t)e};
        lyt_layout *a = NULL, *b = NULL;
        assert_int_equal(lyt_layout_create_strided(e, 2, dims, s_st, 0, &a), LYT_OK);
        assert_int_equal(lyt_layout_create_strided(e, 2, dims, d_st, 0, &b), LYT_OK);
        size_t span = (size_t)lyt_layout_span_bytes(a);
        unsigned char *buf = malloc(span), *orig = malloc(span), *want = malloc(span);
        tu_fill(buf, span);
        memcpy(orig, buf, span);
        memcpy(want, buf, span);
        assert_int_equal(lyt_transform_reference(a, orig, b, want), LYT_OK);
        assert_int_equal(lyt_transform(a, buf, b, buf, NULL), LYT_OK);
        assert_memory_equal(buf, want, span);
        free(buf);
        free(orig);
        free(want);
        lyt_layout_destroy(a);
        lyt_layout_destroy(b);
      }
}

static void test_dense_convenience(void **state)
{
  (void)state;
  double m[6] = {1, 2, 3, 4, 5, 6}, t[6];
  int64_t dims[2] = {2, 3};
  assert_int_equal(lyt_transform_dense(8, 2, dims, LYT_ROW_MAJOR, m, LYT_COL_MAJOR, t, NULL),
                   LYT_OK);
  const double want[6] = {1, 4, 2, 5, 3, 6};
  assert_memory_equal(t, want, sizeof want);
  assert_int_equal(lyt_transform_dense(8, 2, dims, (lyt_order)3, m, LYT_COL_MAJOR, t, NULL),
                   LYT_INVALID_ARG);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dense_convenience), cmocka_unit_test(test_transpose_2d_shapes),
      cmocka_unit_test(test_transpose_large),   cmocka_unit_test(test_permutations_3d),
      cmocka_unit_test(test_subblocks),         cmocka_unit_test(test_huge_strides),
      cmocka_unit_test(test_inplace_square),    cmocka_unit_test(test_random_shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
