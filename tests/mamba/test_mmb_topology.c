/* SPDX-License-Identifier: BSD-3-Clause */
/* Discovery on a synthetic 3-node topology (hwloc XML, HWLOC_XMLFILE set by
 * ctest): DRAM node 0, HBM node 1, NVM node 2, with firmware-like memory
 * attributes that rank the NVM node fastest (contrived on purpose, so that
 * the memattrs ranking and the layer fallback give different answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mamba.h"

static mmb_space_info info_of(const char *name)
{
  mmbMemSpace *s = NULL;
  mmb_space_info info;
  assert_int_equal(mmb_space_find(name, &s), MMB_OK);
  assert_int_equal(mmb_space_get_info(s, &info), MMB_OK);
  return info;
}

static void test_memattrs(void **state)
{
  (void)state;
  if (getenv("HWLOC_XMLFILE") == NULL) {
    printf("# SKIP: HWLOC_XMLFILE not set (run through ctest)\n");
    skip();
  }
  unsetenv("MMB_DISABLE_MEMATTRS");
  assert_int_equal(mmb_init(), MMB_OK);
  size_t n = 0;
  mmb_space_count(&n);
  assert_int_equal(n, 4);
  mmb_print_all(stdout);
  mmb_space_info d = info_of("DRAM"), n0 = info_of("NUMA:0"), n1 = info_of("NUMA:1"),
                 n2 = info_of("NUMA:2");
  assert_int_equal(d.capacity, (uint64_t)74 << 30);
  assert_int_equal(n0.layer, MMB_LAYER_DRAM);
  assert_int_equal(n1.layer, MMB_LAYER_HBM);
  assert_int_equal(n2.layer, MMB_LAYER_NVDIMM);
  assert_true(n0.perf_from_memattrs && n1.perf_from_memattrs && n2.perf_from_memattrs);
  assert_int_equal(n0.bandwidth, 20000);
  assert_int_equal(n1.bandwidth, 10000);
  assert_int_equal(n2.bandwidth, 50000);
  assert_int_equal(n1.latency, 90);
  /* by bandwidth: NUMA:2, NUMA:0, NUMA:1; DRAM after the nodes */
  assert_int_equal(n2.rank, 0);
  assert_int_equal(n0.rank, 1);
  assert_int_equal(n1.rank, 2);
  assert_int_equal(d.rank, 3);
  mmbMemSpace *f = NULL;
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CPU, 0, &f), MMB_OK);
  assert_string_equal(mmb_space_name(f), "NUMA:2");
  /* HBM lookups */
  assert_string_equal(info_of("HBM").name, "NUMA:1");
  assert_string_equal(info_of("hbm:1").name, "NUMA:1");
  mmbMemSpace *s = NULL;
  assert_int_equal(mmb_space_find("HBM:0", &s), MMB_NOT_FOUND);
  /* allocation in each node space works (binding disabled: the nodes are
   * not real on this machine) */
  const char *names[] = {"NUMA:0", "NUMA:1", "NUMA:2", "HBM", "FASTEST"};
  for (int k = 0; k < 5; k++) {
    void *p = NULL;
    assert_int_equal(mmb_alloc_in(names[k], 1 << 20, &p), MMB_OK);
    memset(p, 1, 1 << 20);
    assert_int_equal(mmb_free(p), MMB_OK);
  }
  assert_int_equal(mmb_finalize(), MMB_OK);
}

static void test_fallback_ranking(void **state)
{
  (void)state;
  if (getenv("HWLOC_XMLFILE") == NULL) {
    printf("# SKIP: HWLOC_XMLFILE not set (run through ctest)\n");
    skip();
  }
  setenv("MMB_DISABLE_MEMATTRS", "1", 1);
  assert_int_equal(mmb_init(), MMB_OK);
  mmb_space_info n0 = info_of("NUMA:0"), n1 = info_of("NUMA:1"), n2 = info_of("NUMA:2");
  assert_false(n1.perf_from_memattrs);
  /* by layer: HBM, DRAM, NVDIMM */
  assert_int_equal(n1.rank, 0);
  assert_int_equal(n0.rank, 1);
  assert_int_equal(n2.rank, 2);
  mmbMemSpace *f = NULL;
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CPU, 0, &f), MMB_OK);
  assert_string_equal(mmb_space_name(f), "NUMA:1");
  /* more than the HBM node holds: the next one */
  assert_int_equal(mmb_space_fastest(MMB_EXEC_CPU, (size_t)3 << 30, &f), MMB_OK);
  mmb_space_info fi;
  mmb_space_get_info(f, &fi);
  assert_true(fi.layer != MMB_LAYER_HBM || fi.capacity >= ((uint64_t)3 << 30));
  assert_int_equal(mmb_finalize(), MMB_OK);
  unsetenv("MMB_DISABLE_MEMATTRS");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memattrs),
      cmocka_unit_test(test_fallback_ranking),
  };
  return cmocka_run_group_tests_name("mamba synthetic topology", tests, NULL, NULL);
}
