/* SPDX-License-Identifier: BSD-3-Clause */
/* Layout descriptors: construction, accessors and rejection of bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lyt.h"

static void test_dense_rowcol(void **state)
{
  (void)state;
  lyt_layout *a = NULL, *b = NULL;
  int64_t dims[3] = {2, 3, 5}, st[3];
  assert_int_equal(lyt_layout_create_dense(8, 3, dims, LYT_ROW_MAJOR, &a), LYT_OK);
  assert_int_equal(lyt_layout_create_dense(8, 3, dims, LYT_COL_MAJOR, &b), LYT_OK);
  assert_int_equal(lyt_layout_nelems(a), 30);
  assert_int_equal(lyt_layout_span_bytes(a), 240);
  assert_int_equal(lyt_layout_elem_size(a), 8);
  assert_int_equal(lyt_layout_ndims(a), 3);
  assert_int_equal(lyt_layout_get_strides(a, st), LYT_OK);
  assert_int_equal(st[0], 120);
  assert_int_equal(st[1], 40);
  assert_int_equal(st[2], 8);
  assert_int_equal(lyt_layout_get_strides(b, st), LYT_OK);
  assert_int_equal(st[0], 8);
  assert_int_equal(st[1], 16);
  assert_int_equal(st[2], 48);
  assert_true(lyt_layout_is_contiguous(a));
  assert_true(lyt_layout_is_contiguous(b));
  assert_int_equal(lyt_layout_check_compatible(a, b), LYT_OK);
  char buf[128];
  lyt_layout_describe(a, buf, sizeof buf);
  assert_non_null(strstr(buf, "2x3x5"));
  lyt_layout_destroy(a);
  lyt_layout_destroy(b);
  lyt_layout_destroy(NULL);
}

static void test_ordered_padded(void **state)
{
  (void)state;
  lyt_layout *a = NULL;
  int64_t dims[3] = {4, 5, 6}, pad[3] = {4, 8, 7}, st[3];
  int order[3] = {1, 2, 0}; /* axis 1 slowest, axis 0 fastest */
  assert_int_equal(lyt_layout_create_ordered(4, 3, dims, order, pad, &a), LYT_OK);
  assert_int_equal(lyt_layout_get_strides(a, st), LYT_OK);
  assert_int_equal(st[0], 4);
  assert_int_equal(st[2], 16);
  assert_int_equal(st[1], 16 * 7);
  assert_int_equal(lyt_layout_span_bytes(a), 4 * 4 * 8 * 7);
  assert_false(lyt_layout_is_contiguous(a));
  lyt_layout_destroy(a);
}

static void test_subblock(void **state)
{
  (void)state;
  lyt_layout *a = NULL, *s = NULL;
  int64_t dims[2] = {10, 20}, off[2] = {2, 3}, ext[2] = {4, 5}, d[2];
  assert_int_equal(lyt_layout_create_dense(2, 2, dims, LYT_ROW_MAJOR, &a), LYT_OK);
  assert_int_equal(lyt_layout_create_subblock(a, off, ext, &s), LYT_OK);
  assert_int_equal(lyt_layout_offset(s), (2 * 20 + 3) * 2);
  assert_int_equal(lyt_layout_get_dims(s, d), LYT_OK);
  assert_int_equal(d[0], 4);
  assert_int_equal(d[1], 5);
  assert_int_equal(lyt_layout_span_bytes(s), ((2 + 3) * 20 + 3 + 4) * 2 + 2);
  lyt_layout_destroy(s);
  /* out of the parent */
  int64_t off2[2] = {7, 0}, ext2[2] = {4, 1};
  assert_int_equal(lyt_layout_create_subblock(a, off2, ext2, &s), LYT_INVALID_ARG);
  assert_null(s);
  int64_t off3[2] = {-1, 0};
  assert_int_equal(lyt_layout_create_subblock(a, off3, ext, &s), LYT_INVALID_ARG);
  int64_t ext4[2] = {0, 1};
  assert_int_equal(lyt_layout_create_subblock(a, off, ext4, &s), LYT_INVALID_ARG);
  lyt_layout_destroy(a);
}

static void test_bad_input(void **state)
{
  (void)state;
  lyt_layout *l = NULL;
  int64_t dims[2] = {3, 4};
  assert_int_equal(lyt_layout_create_dense(8, 2, NULL, LYT_ROW_MAJOR, &l), LYT_INVALID_ARG);
  assert_int_equal(lyt_layout_create_dense(8, 2, dims, LYT_ROW_MAJOR, NULL), LYT_INVALID_ARG);
  assert_int_equal(lyt_layout_create_dense(0, 2, dims, LYT_ROW_MAJOR, &l), LYT_INVALID_ARG);
  assert_int_equal(lyt_layout_create_dense(8, 0, dims, LYT_ROW_MAJOR, &l), LYT_INVALID_ARG);
  assert_int_equal(lyt_layout_create_dense(8, LYT_MAX_DIMS + 1, dims, LYT_ROW_MAJOR, &l),
                   LYT_INVALID_ARG);
  assert_int_equal(lyt_layout_create_dense(8, 2, dims, (lyt_order)7, &l), LYT_INVALID_ARG);
  int64_t zero[2] = {3, 0}, neg[2] = {-3, 4};
  assert_int_equal(lyt_layout_create_dense(8, 2, zero, LYT_ROW_MAJOR, &l), LYT_INVALID_ARG);
  assert_int_equal(lyt_layout_create_dense(8, 2, neg, LYT_COL_MAJOR, &l), LYT_INVALID_ARG);
  assert_null(l);
  /* overflowing products */
  int64_t big[3] = {INT64_C(1) << 30, INT64_C(1) << 30, INT64_C(1) << 10};
  assert_int_equal(lyt_layout_create_dense(1, 3, big, LYT_ROW_MAJOR, &l), LYT_OVERFLOW);
  int64_t big2[2] = {INT64_C(1) << 31, INT64_C(1) << 31};
  assert_int_equal(lyt_layout_create_dense(8, 2, big2, LYT_ROW_MAJOR, &l), LYT_OVERFLOW);
  int64_t bigst[2] = {INT64_C(1) << 62, 8};
  assert_int_equal(lyt_layout_create_strided(8, 2, dims, bigst, 0, &l), LYT_OVERFLOW);
  /* axis order that is not a permutation; padding below dims */
  int bad_order[2] = {0, 0};
  assert_int_equal(lyt_layout_create_ordered(8, 2, dims, bad_order, NULL, &l), LYT_INVALID_ARG);
  int ord[2] = {0, 1};
  int64_t pad[2] = {3, 3};
  assert_int_equal(lyt_layout_create_ordered(8, 2, dims, ord, pad, &l), LYT_INVALID_ARG);
  /* strides that alias elements */
  int64_t alias[2] = {8, 8}, zst[2] = {0, 8}, negst[2] = {-32, 8};
  assert_int_equal(lyt_layout_create_strided(8, 2, dims, alias, 0, &l), LYT_OVERLAP);
  assert_int_equal(lyt_layout_create_strided(8, 2, dims, zst, 0, &l), LYT_INVALID_ARG);
  assert_int_equal(lyt_layout_create_strided(8, 2, dims, negst, 0, &l), LYT_INVALID_ARG);
  int64_t ok[2] = {64, 8};
  assert_int_equal(lyt_layout_create_strided(8, 2, dims, ok, -8, &l), LYT_INVALID_ARG);
  assert_null(l);
  /* a valid strided layout with huge strides */
  int64_t huge[2] = {INT64_C(1) << 40, 8};
  assert_int_equal(lyt_layout_create_strided(8, 2, dims, huge, 16, &l), LYT_OK);
  assert_int_equal(lyt_layout_span_bytes(l), 16 + 2 * (INT64_C(1) << 40) + 3 * 8 + 8);
  lyt_layout_destroy(l);
}

static void test_transform_mismatch(void **state)
{
  (void)state;
  lyt_layout *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  int64_t d1[2] = {3, 4}, d2[2] = {4, 3}, d3[1] = {12};
  double x[12] = {0}, y[12] = {0};
  assert_int_equal(lyt_layout_create_dense(8, 2, d1, LYT_ROW_MAJOR, &a), LYT_OK);
  assert_int_equal(lyt_layout_create_dense(8, 2, d2, LYT_ROW_MAJOR, &b), LYT_OK);
  assert_int_equal(lyt_layout_create_dense(8, 1, d3, LYT_ROW_MAJOR, &c), LYT_OK);
  assert_int_equal(lyt_layout_create_dense(4, 2, d1, LYT_ROW_MAJOR, &d), LYT_OK);
  assert_int_equal(lyt_transform(a, x, b, y, NULL), LYT_MISMATCH);
  assert_int_equal(lyt_transform(a, x, c, y, NULL), LYT_MISMATCH);
  assert_int_equal(lyt_transform(a, x, d, y, NULL), LYT_MISMATCH);
  assert_int_equal(lyt_transform(NULL, x, a, y, NULL), LYT_INVALID_ARG);
  assert_int_equal(lyt_transform(a, NULL, a, y, NULL), LYT_INVALID_ARG);
  /* buffer sizes */
  lyt_transform_opts o = {0};
  o.dst_size = 95;
  assert_int_equal(lyt_transform(a, x, a, y, &o), LYT_MISMATCH);
  o.dst_size = 96;
  o.src_size = 96;
  assert_int_equal(lyt_transform(a, x, a, y, &o), LYT_OK);
  /* overlapping buffers other than the square in-place case */
  assert_int_equal(lyt_transform(a, x, a, x + 1, NULL), LYT_INVALID_ARG);
  lyt_layout *ac = NULL;
  assert_int_equal(lyt_layout_create_dense(8, 2, d1, LYT_COL_MAJOR, &ac), LYT_OK);
  assert_int_equal(lyt_transform(a, x, ac, x, NULL), LYT_INVALID_ARG); /* not square */
  assert_int_equal(lyt_transform(a, x, a, x, NULL), LYT_OK);           /* identical: no-op */
  lyt_layout_destroy(a);
  lyt_layout_destroy(b);
  lyt_layout_destroy(c);
  lyt_layout_destroy(d);
  lyt_layout_destroy(ac);
}

static void test_status_text(void **state)
{
  (void)state;
  assert_string_equal(lyt_status_description(LYT_OK), "success");
  assert_string_equal(lyt_status_description(LYT_STATUS_MAX), "unknown status");
  assert_non_null(lyt_version());
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dense_rowcol),       cmocka_unit_test(test_ordered_padded),
      cmocka_unit_test(test_subblock),           cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_transform_mismatch), cmocka_unit_test(test_status_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
