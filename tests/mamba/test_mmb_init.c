/* SPDX-License-Identifier: BSD-3-Clause */
/* Life cycle, discovery, lookup by mem-layer string, user spaces, printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mamba.h"

static void test_refcount(void **state)
{
  (void)state;
  assert_false(mmb_is_initialized());
  assert_int_equal(mmb_finalize(), MMB_UNINIT);
  assert_int_equal(mmb_init(), MMB_OK);
  assert_int_equal(mmb_init(), MMB_OK); /* an application and a library both init */
  assert_true(mmb_is_initialized());
  assert_int_equal(mmb_finalize(), MMB_OK);
  assert_true(mmb_is_initialized());
  mmbMemSpace *s = NULL;
  assert_int_equal(mmb_space_default(&s), MMB_OK);
  assert_int_equal(mmb_finalize(), MMB_OK);
  assert_false(mmb_is_initialized());
  assert_int_equal(mmb_space_default(&s), MMB_UNINIT);
  void *p = NULL;
  assert_int_equal(mmb_alloc_in("DRAM", 10, &p), MMB_UNINIT);
  assert_null(p);
  /* re-init after a full finalize */
  assert_int_equal(mmb_init(), MMB_OK);
  assert_int_equal(mmb_alloc_in(NULL, 100, &p), MMB_OK);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(mmb_finalize(), MMB_OK);
}

static void test_bad_env(void **state)
{
  (void)state;
  setenv("MMB_POOL_HIGH_WATER", "lots", 1);
  assert_int_equal(mmb_init(), MMB_INVALID_ARG);
  assert_false(mmb_is_initialized());
  unsetenv("MMB_POOL_HIGH_WATER");
  assert_int_equal(mmb_init(), MMB_OK);
  assert_int_equal(mmb_finalize(), MMB_OK);
}

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

static void test_discovery(void **state)
{
  (void)state;
  size_t n = 0;
  mmbMemSpace *s = NULL, *d = NULL;
  mmb_space_info info;
  assert_int_equal(mmb_space_count(&n), MMB_OK);
  assert_true(n >= 2); /* DRAM and at least one NUMA node */
  assert_int_equal(mmb_space_get(n, &s), MMB_NOT_FOUND);
  assert_int_equal(mmb_space_default(&d), MMB_OK);
  assert_string_equal(mmb_space_name(d), "DRAM");
  int nodes = 0;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(mmb_space_get(i, &s), MMB_OK);
    assert_int_equal(mmb_space_get_info(s, &info), MMB_OK);
    assert_string_equal(info.name, mmb_space_name(s));
    if (strncmp(info.name, "NUMA:", 5) == 0) {
      nodes++;
      assert_true(info.numa_node >= 0);
      assert_true(info.capacity > 0);
      printf("# %s: layer %s capacity %llu MiB bandwidth %llu latency %llu (%s)\n", info.name,
             mmb_layer_name(info.layer), (unsigned long long)(info.capacity >> 20),
             (unsigned long long)info.bandwidth, (unsigned long long)info.latency,
             info.perf_from_memattrs ? "hwloc memattrs" : "fallback ranking");
    }
  }
  assert_true(nodes >= 1);
  assert_int_equal(mmb_print_all(stdout), MMB_OK);
}

static void test_find(void **state)
{
  (void)state;
  mmbMemSpace *s = NULL, *d = NULL;
  mmb_space_default(&d);
  assert_int_equal(mmb_space_find("DRAM", &s), MMB_OK);
  assert_ptr_equal(s, d);
  assert_int_equal(mmb_space_find("  dram ", &s), MMB_OK);
  assert_ptr_equal(s, d);
  assert_int_equal(mmb_space_find("NUMA:0", &s), MMB_OK);
  assert_string_equal(mmb_space_name(s), "NUMA:0");
  assert_int_equal(mmb_space_find("numa:00", &s), MMB_OK);
  assert_string_equal(mmb_space_name(s), "NUMA:0");
  assert_int_equal(mmb_space_find("NUMA:4096", &s), MMB_NOT_FOUND);
  assert_int_equal(mmb_space_find("NUMA:", &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_find("NUMA:x", &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_find("NUMA:-1", &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_find("GPU:1a", &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_find("", &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_find(NULL, &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_find("DRAM", NULL), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_find("no-such-layer", &s), MMB_NOT_FOUND);
  mmb_status g = mmb_space_find("GPU:0", &s);
  assert_true(g == MMB_OK || g == MMB_NOT_FOUND);
  assert_int_equal(mmb_space_find("FASTEST", &s), MMB_OK);
  mmb_space_info info;
  mmb_space_get_info(s, &info);
  assert_int_equal(info.exec, MMB_EXEC_CPU);
}

static void test_fastest(void **state)
{
  (void)state;
  mmbMemSpace *s = NULL;
  mmb_space_info info;
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CPU, 0, &s), MMB_OK);
  mmb_space_get_info(s, &info);
  assert_true(info.layer == MMB_LAYER_DRAM || info.layer == MMB_LAYER_HBM);
  /* nothing has an exabyte free */
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CPU, (size_t)1 << 60, &s), MMB_NOT_FOUND);
  assert_int_equal(mmb_space_fastest((mmb_exec_context)7, 0, &s), MMB_INVALID_ARG);
  mmb_status g = mmb_space_fastest(MMB_EXEC_CUDA, 0, &s);
  assert_true(g == MMB_OK || g == MMB_NOT_FOUND);
}

static size_t prov_allocs, prov_frees;
static void *prov_alloc(void *ctx, size_t size, size_t align)
{
  (void)ctx;
  void *p = NULL;
  prov_allocs++;
  return posix_memalign(&p, align, size) == 0 ? p : NULL;
}
static void prov_free(void *ctx, void *p, size_t size)
{
  (void)ctx;
  (void)size;
  prov_frees++;
  free(p);
}

static void test_register(void **state)
{
  (void)state;
  mmbMemSpace *s = NULL, *f = NULL;
  mmbMemInterface *sys = NULL, *pool = NULL;
  void *p = NULL, *q = NULL;
  mmb_space_config cfg = {
      .name = "limited", .layer = MMB_LAYER_DRAM, .numa_node = -1, .limit = 8 << 20};
  assert_int_equal(mmb_space_register(&cfg, &s), MMB_OK);
  assert_int_equal(mmb_space_register(&cfg, &f), MMB_INVALID_ARG); /* duplicate */
  assert_int_equal(mmb_space_find("LIMITED", &f), MMB_OK);
  assert_ptr_equal(f, s);
  assert_int_equal(mmb_space_interface(s, MMB_STRATEGY_SYSTEM, &sys), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 6 << 20, 0, &p), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 4 << 20, 0, &q), MMB_LIMIT);
  assert_null(q);
  mmb_stats st;
  assert_int_equal(mmb_space_get_stats(s, &st), MMB_OK);
  assert_int_equal(st.bytes_in_use, 6 << 20);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 4 << 20, 0, &q), MMB_OK);
  assert_int_equal(mmb_free_in(sys, q), MMB_OK);
  /* a pool on a limited space takes a smaller arena when 64 MiB do not fit */
  assert_int_equal(mmb_space_interface(s, MMB_STRATEGY_POOL, &pool), MMB_OK);
  assert_int_equal(mmb_alloc(pool, 3 << 20, 0, &p), MMB_OK);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(mmb_space_set_limit(s, 0), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 16 << 20, 0, &p), MMB_OK);
  mmb_free(p);
  assert_int_equal(mmb_space_print(s, stdout), MMB_OK);

  /* a provider-backed space */
  mmb_provider prov = {.alloc = prov_alloc, .free = prov_free};
  mmb_space_config pc = {
      .name = "mine", .layer = MMB_LAYER_USER, .numa_node = -1, .provider = &prov};
  assert_int_equal(mmb_space_register(&pc, &s), MMB_OK);
  assert_int_equal(mmb_space_interface(s, MMB_STRATEGY_SYSTEM, &sys), MMB_OK);
  assert_int_equal(mmb_alloc(sys, 1000, 64, &p), MMB_OK);
  assert_int_equal((uintptr_t)p % 64, 0);
  assert_int_equal(prov_allocs, 1);
  assert_int_equal(mmb_free(p), MMB_OK);
  assert_int_equal(prov_frees, 1);

  /* bad configurations */
  mmb_space_config bad = {.name = "", .numa_node = -1};
  assert_int_equal(mmb_space_register(&bad, &s), MMB_INVALID_ARG);
  bad.name = "gpu-without-provider";
  bad.layer = MMB_LAYER_GPU;
  assert_int_equal(mmb_space_register(&bad, &s), MMB_INVALID_ARG);
  bad.name = "bad-node";
  bad.layer = MMB_LAYER_DRAM;
  bad.numa_node = 4000;
  assert_int_equal(mmb_space_register(&bad, &s), MMB_INVALID_ARG);
  assert_int_equal(mmb_space_register(NULL, &s), MMB_INVALID_ARG);
}

static void test_memattrs_fallback(void **state)
{
  (void)state;
  /* with memattrs ignored, ranking still works (layer, locality, capacity) */
  mmb_finalize();
  setenv("MMB_DISABLE_MEMATTRS", "1", 1);
  assert_int_equal(mmb_init(), MMB_OK);
  mmbMemSpace *s = NULL;
  mmb_space_info info;
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CPU, 0, &s), MMB_OK);
  mmb_space_get_info(s, &info);
  assert_false(info.perf_from_memattrs);
  assert_int_equal(info.bandwidth, 0);
  unsetenv("MMB_DISABLE_MEMATTRS");
}

int main(void)
{
  const struct CMUnitTest alone[] = {
      cmocka_unit_test(test_refcount),
      cmocka_unit_test(test_bad_env),
  };
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_discovery),         cmocka_unit_test(test_find),
      cmocka_unit_test(test_fastest),           cmocka_unit_test(test_register),
      cmocka_unit_test(test_memattrs_fallback),
  };
  int rc = cmocka_run_group_tests_name("mamba life cycle", alone, NULL, NULL);
  rc += cmocka_run_group_tests_name("mamba discovery", tests, setup, teardown);
  return rc;
}
