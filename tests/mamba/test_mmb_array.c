/* SPDX-License-Identifier: BSD-3-Clause */
/* Arrays and tiles over odd shapes: accessors, wrap, copies between orders
 * (transposition), tiles covering every element once, iterator order,
 * migration and cloning between spaces, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mamba.h"

static int setup(void **state)
{
  (void)state;
  return mmb_init() == MMB_OK ? 0 : -1;
}
static int teardown(void **state)
{
  (void)state;
  return mmb_finalize() == MMB_OK ? 0 : -1;
}

/* a value for the element at idx: unique per element */
static uint64_t val(const size_t *idx, size_t nd)
{
  uint64_t v = 1;
  for (size_t i = 0; i < nd; i++)
    v = v * 1009 + idx[i];
  return v;
}

static bool next_idx(size_t *idx, const size_t *dims, size_t nd)
{
  for (size_t i = nd; i-- > 0;) {
    if (++idx[i] < dims[i])
      return true;
    idx[i] = 0;
  }
  return false;
}

static void fill(mmbArray *a)
{
  size_t nd = mmb_array_ndims(a), idx[MMB_MAX_DIMS] = {0};
  size_t es = mmb_array_elem_size(a);
  do {
    uint64_t v = val(idx, nd);
    memcpy(mmb_array_element(a, idx), &v, es < 8 ? es : 8);
  } while (next_idx(idx, mmb_array_dims(a), nd));
}

static void check(const mmbArray *a, const size_t *offset)
{
  size_t nd = mmb_array_ndims(a), idx[MMB_MAX_DIMS] = {0}, g[MMB_MAX_DIMS];
  size_t es = mmb_array_elem_size(a);
  do {
    for (size_t i = 0; i < nd; i++)
      g[i] = idx[i] + (offset ? offset[i] : 0);
    uint64_t v = val(g, nd), w = 0;
    memcpy(&w, mmb_array_element(a, idx), es < 8 ? es : 8);
    if (es < 8)
      v &= (UINT64_C(1) << (8 * es)) - 1;
    if (v != w)
      fail_msg("element mismatch");
  } while (next_idx(idx, mmb_array_dims(a), nd));
}

static const struct {
  size_t nd, elem;
  size_t dims[4];
  size_t tile[4];
} shapes[] = {
    {1, 8, {1}, {1}},
    {1, 8, {17}, {5}},
    {2, 8, {1, 1}, {1, 1}},
    {2, 4, {7, 13}, {3, 4}},
    {2, 3, {13, 7}, {13, 2}},
    {3, 8, {3, 5, 7}, {2, 2, 3}},
    {3, 16, {5, 1, 9}, {5, 1, 4}},
    {4, 2, {2, 3, 5, 7}, {1, 2, 4, 3}},
    {2, 1, {31, 29}, {8, 8}},
};

static void test_create_and_accessors(void **state)
{
  (void)state;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    for (int o = 0; o < 2; o++) {
      mmbArray *a = NULL;
      assert_int_equal(mmb_array_create(NULL, shapes[s].elem, shapes[s].nd, shapes[s].dims,
                                        (mmb_layout_order)o, &a),
                       MMB_OK);
      size_t count = 1;
      for (size_t i = 0; i < shapes[s].nd; i++)
        count *= shapes[s].dims[i];
      assert_int_equal(mmb_array_count(a), count);
      assert_int_equal(mmb_array_bytes(a), count * shapes[s].elem);
      assert_int_equal(mmb_array_ndims(a), shapes[s].nd);
      assert_int_equal(mmb_array_elem_size(a), shapes[s].elem);
      assert_int_equal(mmb_array_order(a), o);
      assert_memory_equal(mmb_array_dims(a), shapes[s].dims, shapes[s].nd * sizeof(size_t));
      assert_true(mmb_array_is_contiguous(a));
      assert_true(mmb_array_owns_data(a));
      assert_non_null(mmb_array_data(a));
      assert_int_equal((uintptr_t)mmb_array_data(a) % 64, 0);
      mmbMemSpace *d;
      mmb_space_default(&d);
      assert_ptr_equal(mmb_array_space(a), d);
      const size_t *st = mmb_array_strides(a);
      size_t fast = o == 0 ? shapes[s].nd - 1 : 0;
      assert_int_equal(st[fast], shapes[s].elem);
      /* the last element sits at the end */
      size_t last[4];
      for (size_t i = 0; i < shapes[s].nd; i++)
        last[i] = shapes[s].dims[i] - 1;
      assert_ptr_equal((char *)mmb_array_element(a, last) + shapes[s].elem,
                       (char *)mmb_array_data(a) + mmb_array_bytes(a));
      last[0]++;
      assert_null(mmb_array_element(a, last));
      fill(a);
      check(a, NULL);
      assert_int_equal(mmb_array_destroy(a), MMB_OK);
    }
  }
  mmbArray *a = NULL;
  size_t dims[2] = {3, 0};
  assert_int_equal(mmb_array_create(NULL, 8, 2, dims, MMB_LAYOUT_ROW_MAJOR, &a), MMB_INVALID_ARG);
  dims[1] = 3;
  assert_int_equal(mmb_array_create(NULL, 0, 2, dims, MMB_LAYOUT_ROW_MAJOR, &a), MMB_INVALID_ARG);
  assert_int_equal(mmb_array_create(NULL, 8, 0, dims, MMB_LAYOUT_ROW_MAJOR, &a), MMB_INVALID_ARG);
  assert_int_equal(mmb_array_create(NULL, 8, 9, dims, MMB_LAYOUT_ROW_MAJOR, &a), MMB_INVALID_ARG);
  assert_int_equal(mmb_array_create(NULL, 8, 2, dims, (mmb_layout_order)5, &a), MMB_INVALID_ARG);
  size_t huge[2] = {SIZE_MAX / 2, 4};
  assert_int_equal(mmb_array_create(NULL, 8, 2, huge, MMB_LAYOUT_ROW_MAJOR, &a), MMB_INVALID_ARG);
  assert_int_equal(mmb_array_create(NULL, 8, 2, NULL, MMB_LAYOUT_ROW_MAJOR, &a), MMB_INVALID_ARG);
  assert_int_equal(mmb_array_destroy(NULL), MMB_OK);
  assert_null(mmb_array_data(NULL));
  assert_int_equal(mmb_array_count(NULL), 0);
}

static void test_wrap_and_transpose(void **state)
{
  (void)state;
  double user[6 * 5];
  size_t dims[2] = {6, 5};
  mmbArray *w = NULL, *c = NULL;
  for (int i = 0; i < 30; i++)
    user[i] = i;
  assert_int_equal(mmb_array_wrap(user, NULL, sizeof(double), 2, dims, MMB_LAYOUT_ROW_MAJOR, &w),
                   MMB_OK);
  assert_false(mmb_array_owns_data(w));
  assert_ptr_equal(mmb_array_data(w), user);
  /* row-major -> column-major copy transposes the storage */
  assert_int_equal(mmb_array_create(NULL, sizeof(double), 2, dims, MMB_LAYOUT_COL_MAJOR, &c),
                   MMB_OK);
  assert_int_equal(mmb_array_copy(c, w), MMB_OK);
  double *cd = mmb_array_data(c);
  for (size_t i = 0; i < 6; i++)
    for (size_t j = 0; j < 5; j++)
      assert_true(cd[j * 6 + i] == user[i * 5 + j]);
  /* and back */
  double back[30] = {0};
  mmbArray *b = NULL;
  assert_int_equal(mmb_array_wrap(back, NULL, sizeof(double), 2, dims, MMB_LAYOUT_ROW_MAJOR, &b),
                   MMB_OK);
  assert_int_equal(mmb_array_copy(b, c), MMB_OK);
  assert_memory_equal(back, user, sizeof user);
  /* shape mismatch */
  size_t other[2] = {5, 6};
  mmbArray *m = NULL;
  assert_int_equal(mmb_array_create(NULL, sizeof(double), 2, other, MMB_LAYOUT_ROW_MAJOR, &m),
                   MMB_OK);
  assert_int_equal(mmb_array_copy(m, w), MMB_INVALID_ARG);
  mmb_array_destroy(m);
  mmb_array_destroy(b);
  mmb_array_destroy(c);
  assert_int_equal(mmb_array_destroy(w), MMB_OK);
  assert_true(user[29] == 29); /* wrapped memory untouched */
  assert_int_equal(mmb_array_wrap(NULL, NULL, 8, 2, dims, MMB_LAYOUT_ROW_MAJOR, &w),
                   MMB_INVALID_ARG);
}

static void test_tiles(void **state)
{
  (void)state;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    for (int o = 0; o < 2; o++) {
      size_t nd = shapes[s].nd;
      mmbArray *a = NULL, *dense = NULL;
      assert_int_equal(
          mmb_array_create(NULL, shapes[s].elem, nd, shapes[s].dims, (mmb_layout_order)o, &a),
          MMB_OK);
      fill(a);
      assert_int_equal(mmb_array_tile_count(a, NULL, NULL), MMB_INVALID_ARG);
      assert_int_equal(mmb_array_tile(a, shapes[s].tile), MMB_OK);
      size_t counts[4], total = 0, expect = 1;
      assert_int_equal(mmb_array_tile_count(a, counts, &total), MMB_OK);
      for (size_t i = 0; i < nd; i++) {
        assert_int_equal(counts[i],
                         (shapes[s].dims[i] + shapes[s].tile[i] - 1) / shapes[s].tile[i]);
        expect *= counts[i];
      }
      assert_int_equal(total, expect);
      /* every element is covered by exactly one tile */
      unsigned char *seen = calloc(mmb_array_count(a), 1);
      mmbTileIterator *it = NULL;
      mmbArray *t = NULL;
      size_t ntiles = 0, prev_lin = 0;
      assert_int_equal(mmb_tile_iterator_create(a, &it), MMB_OK);
      while (mmb_tile_iterator_next(it, &t)) {
        size_t origin[4], tidx[4];
        assert_int_equal(mmb_tile_position(t, origin, tidx), MMB_OK);
        /* iterator order follows the array's order */
        size_t lin = 0;
        if (o == 0)
          for (size_t i = 0; i < nd; i++)
            lin = lin * counts[i] + tidx[i];
        else
          for (size_t i = nd; i-- > 0;)
            lin = lin * counts[i] + tidx[i];
        assert_int_equal(lin, ntiles);
        (void)prev_lin;
        mmbArray *g = NULL;
        assert_int_equal(mmb_array_tile_get(a, tidx, &g), MMB_OK);
        assert_ptr_equal(g, t);
        const size_t *td = mmb_array_dims(t);
        for (size_t i = 0; i < nd; i++) {
          assert_int_equal(origin[i], tidx[i] * shapes[s].tile[i]);
          size_t expect_d = shapes[s].dims[i] - origin[i] < shapes[s].tile[i]
                                ? shapes[s].dims[i] - origin[i]
                                : shapes[s].tile[i];
          assert_int_equal(td[i], expect_d);
        }
        check(t, origin); /* the view sees the parent's elements */
        size_t idx[4] = {0};
        do {
          char *e = mmb_array_element(t, idx);
          size_t k = (size_t)(e - (char *)mmb_array_data(a)) / shapes[s].elem;
          assert_int_equal(seen[k], 0);
          seen[k] = 1;
        } while (next_idx(idx, td, nd));
        /* a tile copied into a dense array of either order */
        assert_int_equal(
            mmb_array_create(NULL, shapes[s].elem, nd, td, (mmb_layout_order)(1 - o), &dense),
            MMB_OK);
        assert_int_equal(mmb_array_copy(dense, t), MMB_OK);
        check(dense, origin);
        mmb_array_destroy(dense);
        assert_int_equal(mmb_array_destroy(t), MMB_OK); /* no-op for a tile */
        ntiles++;
      }
      assert_int_equal(ntiles, total);
      assert_false(mmb_tile_iterator_next(it, &t));
      assert_null(t);
      mmb_tile_iterator_reset(it);
      assert_true(mmb_tile_iterator_next(it, &t));
      mmb_tile_iterator_destroy(it);
      for (size_t k = 0; k < mmb_array_count(a); k++)
        assert_int_equal(seen[k], 1);
      free(seen);
      /* bad tilings */
      size_t zero[4] = {0, 0, 0, 0};
      assert_int_equal(mmb_array_tile(a, zero), MMB_INVALID_ARG);
      size_t big[4];
      for (size_t i = 0; i < nd; i++)
        big[i] = shapes[s].dims[i] + 1;
      assert_int_equal(mmb_array_tile(a, big), MMB_INVALID_ARG);
      size_t oob[4] = {0};
      oob[0] = counts[0];
      assert_int_equal(mmb_array_tile_get(a, oob, &t), MMB_INVALID_ARG);
      assert_int_equal(mmb_array_untile(a), MMB_OK);
      assert_int_equal(mmb_array_tile_get(a, zero, &t), MMB_INVALID_ARG);
      assert_int_equal(mmb_array_destroy(a), MMB_OK);
    }
  }
}

static void test_migrate_and_clone(void **state)
{
  (void)state;
  mmbMemSpace *numa = NULL, *lim = NULL;
  assert_int_equal(mmb_space_find("NUMA:0", &numa), MMB_OK);
  mmb_space_config cfg = {
      .name = "small", .layer = MMB_LAYER_DRAM, .numa_node = -1, .limit = 64 << 10};
  assert_int_equal(mmb_space_register(&cfg, &lim), MMB_OK);
  size_t dims[3] = {20, 20, 21}; /* 67200 bytes: more than the 64 KiB space */
  mmbArray *a = NULL, *c = NULL;
  assert_int_equal(mmb_array_create(NULL, 8, 3, dims, MMB_LAYOUT_COL_MAJOR, &a), MMB_OK);
  fill(a);
  size_t tile[3] = {4, 4, 4};
  assert_int_equal(mmb_array_tile(a, tile), MMB_OK);
  void *old = mmb_array_data(a);
  assert_int_equal(mmb_array_migrate(a, numa), MMB_OK);
  assert_ptr_equal(mmb_array_space(a), numa);
  assert_ptr_not_equal(mmb_array_data(a), old);
  check(a, NULL);
  mmbMemSpace *ps = NULL;
  assert_int_equal(mmb_ptr_info(mmb_array_data(a), NULL, &ps, NULL), MMB_OK);
  assert_ptr_equal(ps, numa);
  /* tiles rebuilt on the new data */
  mmbArray *t = NULL;
  size_t ti[3] = {2, 2, 2}, origin[3];
  assert_int_equal(mmb_array_tile_get(a, ti, &t), MMB_OK);
  mmb_tile_position(t, origin, NULL);
  check(t, origin);
  assert_int_equal(mmb_array_migrate(t, numa), MMB_INVALID_ARG);
  /* too large for the limited space: refused, the array stays valid */
  assert_int_equal(mmb_array_migrate(a, lim), MMB_LIMIT);
  assert_ptr_equal(mmb_array_space(a), numa);
  check(a, NULL);
  assert_int_equal(mmb_array_clone(a, NULL, &c), MMB_OK);
  check(c, NULL);
  assert_true(mmb_array_owns_data(c));
  mmb_array_destroy(c);
  /* clone of a tile is dense */
  assert_int_equal(mmb_array_clone(t, numa, &c), MMB_OK);
  assert_true(mmb_array_is_contiguous(c));
  assert_false(mmb_array_is_contiguous(t));
  check(c, origin);
  mmb_array_destroy(c);
  /* wrapped memory migrates into owned memory, the user buffer untouched */
  uint64_t user[12];
  for (int i = 0; i < 12; i++)
    user[i] = 100 + (uint64_t)i;
  size_t d1[1] = {12};
  mmbArray *w = NULL;
  assert_int_equal(mmb_array_wrap(user, NULL, 8, 1, d1, MMB_LAYOUT_ROW_MAJOR, &w), MMB_OK);
  assert_int_equal(mmb_array_migrate(w, lim), MMB_OK);
  assert_true(mmb_array_owns_data(w));
  assert_true(((uint64_t *)mmb_array_data(w))[11] == 111);
  assert_true(user[11] == 111);
  mmb_array_destroy(w);
  mmb_array_destroy(a);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_and_accessors),
      cmocka_unit_test(test_wrap_and_transpose),
      cmocka_unit_test(test_tiles),
      cmocka_unit_test(test_migrate_and_clone),
  };
  return cmocka_run_group_tests_name("mamba arrays", tests, setup, teardown);
}
