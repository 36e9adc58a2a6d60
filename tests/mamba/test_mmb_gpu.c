/* SPDX-License-Identifier: BSD-3-Clause */
/* GPU spaces: run for real when a CUDA device is present at run time,
 * skipped with a clear message otherwise (the build needs no CUDA). */
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

static mmbMemSpace *gpu_or_skip(void)
{
  mmbMemSpace *g = NULL;
  if (mmb_space_find("GPU:0", &g) != MMB_OK) {
    if (getenv("MMB_REQUIRE_GPU"))
      fail_msg("MMB_REQUIRE_GPU is set but no GPU space was discovered");
    printf("# SKIP: no CUDA device at run time (no driver or no GPU): GPU spaces not tested\n");
    skip();
  }
  return g;
}

static void test_gpu_alloc_copy(void **state)
{
  (void)state;
  mmbMemSpace *g = gpu_or_skip(), *pinned = NULL, *dram = NULL;
  mmb_space_info info;
  mmb_space_get_info(g, &info);
  printf("# %s: capacity %llu MiB\n", info.name, (unsigned long long)(info.capacity >> 20));
  assert_int_equal(info.layer, MMB_LAYER_GPU);
  assert_int_equal(info.exec, MMB_EXEC_CUDA);
  assert_int_equal(mmb_space_find("PINNED:0", &pinned), MMB_OK);
  mmb_space_default(&dram);
  mmbMemSpace *f = NULL;
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CUDA, 0, &f), MMB_OK);
  assert_ptr_equal(f, g);
  size_t n = 3 << 20;
  unsigned char *h = malloc(n), *back = malloc(n);
  for (size_t i = 0; i < n; i++)
    h[i] = (unsigned char)(i * 13);
  for (int strat = 0; strat < 2; strat++) {
    mmbMemInterface *gi = NULL;
    void *d = NULL, *d2 = NULL, *p = NULL;
    assert_int_equal(mmb_space_interface(g, (mmb_strategy)strat, &gi), MMB_OK);
    assert_int_equal(mmb_alloc(gi, n, 0, &d), MMB_OK);
    assert_int_equal(mmb_alloc(gi, n, 0, &d2), MMB_OK);
    assert_int_equal(mmb_alloc_in("PINNED:0", n, &p), MMB_OK);
    assert_int_equal(mmb_copy(d, g, h, dram, n), MMB_OK);     /* host -> device */
    assert_int_equal(mmb_copy(d2, NULL, d, NULL, n), MMB_OK); /* device -> device */
    assert_int_equal(mmb_copy(p, pinned, d2, g, n), MMB_OK);  /* device -> pinned */
    assert_memory_equal(p, h, n);
    memset(back, 0, n);
    assert_int_equal(mmb_copy(back, NULL, d2, NULL, n), MMB_OK); /* device -> host */
    assert_memory_equal(back, h, n);
    assert_int_equal(mmb_memset(d, NULL, 0x11, n), MMB_OK);
    assert_int_equal(mmb_copy(back, NULL, d, NULL, n), MMB_OK);
    assert_int_equal(back[n - 1], 0x11);
    assert_int_equal(mmb_free(d), MMB_OK);
    assert_int_equal(mmb_free(d), MMB_INVALID_FREE);
    assert_int_equal(mmb_free(d2), MMB_OK);
    assert_int_equal(mmb_free(p), MMB_OK);
  }
  free(h);
  free(back);
}

static void test_gpu_array_migrate(void **state)
{
  (void)state;
  mmbMemSpace *g = gpu_or_skip(), *dram = NULL;
  mmb_space_default(&dram);
  size_t dims[2] = {37, 53};
  mmbArray *a = NULL, *c = NULL;
  assert_int_equal(mmb_array_create(NULL, 8, 2, dims, MMB_LAYOUT_ROW_MAJOR, &a), MMB_OK);
  double *d = mmb_array_data(a);
  for (size_t i = 0; i < 37 * 53; i++)
    d[i] = (double)i;
  size_t tile[2] = {10, 10};
  assert_int_equal(mmb_array_tile(a, tile), MMB_OK);
  assert_int_equal(mmb_array_migrate(a, g), MMB_OK);
  assert_ptr_equal(mmb_array_space(a), g);
  /* a column-major host clone of a device array (staged transposition) */
  mmbArray *cm = NULL;
  assert_int_equal(mmb_array_create(dram, 8, 2, dims, MMB_LAYOUT_COL_MAJOR, &cm), MMB_OK);
  assert_int_equal(mmb_array_copy(cm, a), MMB_OK);
  double *cd = mmb_array_data(cm);
  for (size_t i = 0; i < 37; i++)
    for (size_t j = 0; j < 53; j++)
      assert_true(cd[j * 37 + i] == (double)(i * 53 + j));
  /* a tile of the device array to host */
  mmbArray *t = NULL;
  size_t ti[2] = {3, 5}, origin[2];
  assert_int_equal(mmb_array_tile_get(a, ti, &t), MMB_OK);
  mmb_tile_position(t, origin, NULL);
  assert_int_equal(mmb_array_clone(t, dram, &c), MMB_OK);
  const size_t *td = mmb_array_dims(c);
  for (size_t i = 0; i < td[0]; i++)
    for (size_t j = 0; j < td[1]; j++)
      assert_true(*(double *)mmb_array_element(c, (size_t[]){i, j}) ==
                  (double)((origin[0] + i) * 53 + origin[1] + j));
  assert_int_equal(mmb_array_migrate(a, dram), MMB_OK);
  assert_true(((double *)mmb_array_data(a))[37 * 53 - 1] == 37 * 53 - 1);
  mmb_array_destroy(c);
  mmb_array_destroy(cm);
  mmb_array_destroy(a);
}

static void test_no_gpu_is_clean(void **state)
{
  (void)state;
  mmbMemSpace *g = NULL;
  if (mmb_space_find("GPU:0", &g) == MMB_OK) {
    printf("# SKIP: a GPU is present; the no-GPU error paths are not reachable\n");
    skip();
  }
  void *p = NULL;
  assert_int_equal(mmb_alloc_in("GPU:0", 100, &p), MMB_NOT_FOUND);
  assert_null(p);
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CUDA, 0, &g), MMB_NOT_FOUND);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gpu_alloc_copy),
      cmocka_unit_test(test_gpu_array_migrate),
      cmocka_unit_test(test_no_gpu_is_clean),
  };
  return cmocka_run_group_tests_name("mamba GPU", tests, setup, teardown);
}
