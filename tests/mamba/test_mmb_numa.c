/* SPDX-License-Identifier: BSD-3-Clause */
/* NUMA binding verified with get_mempolicy and move_pages: memory of a
 * "NUMA:n" space is bound to node n and its touched pages live there. Parts
 * that need more nodes than the machine has are skipped with a message. */
#include <numa.h>
#include <numaif.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* Check policy and placement of [p, p+len) against node; false if the
 * kernel refuses the queries (containers without the syscalls). */
static bool verify_node(void *p, size_t len, int node)
{
  int mode = -1;
  unsigned long mask[16] = {0};
  if (get_mempolicy(&mode, mask, sizeof mask * 8, p, MPOL_F_ADDR) != 0) {
    printf("# get_mempolicy unavailable here: %m\n");
    return false;
  }
  assert_int_equal(mode, MPOL_BIND);
  assert_true(mask[node / 64] & (1UL << (node % 64)));
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  size_t n = len / pg < 64 ? len / pg : 64;
  void *pages[64];
  int status[64];
  for (size_t i = 0; i < n; i++) {
    pages[i] = (char *)p + i * (len / n / pg) * pg;
    *(volatile char *)pages[i] = 1; /* fault it in */
  }
  if (move_pages(0, (unsigned long)n, pages, NULL, status, 0) != 0) {
    printf("# move_pages unavailable here: %m\n");
    return false;
  }
  for (size_t i = 0; i < n; i++)
    assert_int_equal(status[i], node);
  return true;
}

static void test_binding(void **state)
{
  (void)state;
  if (numa_available() < 0) {
    printf("# SKIP: libnuma reports no NUMA support on this machine\n");
    skip();
  }
  int nodes = numa_max_node() + 1, checked = 0;
  printf("# %d NUMA node(s)\n", nodes);
  for (int node = 0; node < nodes; node++) {
    char name[32];
    mmbMemSpace *s = NULL;
    snprintf(name, sizeof name, "NUMA:%d", node);
    if (mmb_space_find(name, &s) != MMB_OK)
      continue;
    for (int strat = 0; strat < 2; strat++) {
      mmbMemInterface *i = NULL;
      void *p = NULL;
      assert_int_equal(mmb_space_interface(s, (mmb_strategy)strat, &i), MMB_OK);
      assert_int_equal(mmb_alloc(i, 2 << 20, 4096, &p), MMB_OK);
      if (verify_node(p, 2 << 20, node))
        checked++;
      assert_int_equal(mmb_free(p), MMB_OK);
    }
    /* an array placed in that space */
    size_t dims[2] = {512, 512};
    mmbArray *a = NULL;
    assert_int_equal(mmb_array_create(s, 8, 2, dims, MMB_LAYOUT_ROW_MAJOR, &a), MMB_OK);
    if (verify_node(mmb_array_data(a), mmb_array_bytes(a), node))
      checked++;
    mmb_array_destroy(a);
  }
  if (checked == 0) {
    printf("# SKIP: the kernel refuses get_mempolicy/move_pages here\n");
    skip();
  }
}

static void test_multi_node(void **state)
{
  (void)state;
  if (numa_available() < 0 || numa_max_node() < 1) {
    printf("# SKIP: one NUMA node on this machine: placement on a second node and copies between "
           "nodes cannot be checked\n");
    skip();
  }
  mmbMemSpace *s0 = NULL, *s1 = NULL;
  char name[32];
  snprintf(name, sizeof name, "NUMA:%d", numa_max_node());
  assert_int_equal(mmb_space_find("NUMA:0", &s0), MMB_OK);
  assert_int_equal(mmb_space_find(name, &s1), MMB_OK);
  size_t dims[1] = {1 << 18};
  mmbArray *a = NULL;
  assert_int_equal(mmb_array_create(s0, 8, 1, dims, MMB_LAYOUT_ROW_MAJOR, &a), MMB_OK);
  memset(mmb_array_data(a), 7, mmb_array_bytes(a));
  assert_int_equal(mmb_array_migrate(a, s1), MMB_OK);
  verify_node(mmb_array_data(a), mmb_array_bytes(a), numa_max_node());
  assert_int_equal(((unsigned char *)mmb_array_data(a))[12345], 7);
  mmb_array_destroy(a);
}

static void test_user_numa_space(void **state)
{
  (void)state;
  if (numa_available() < 0) {
    printf("# SKIP: no NUMA support\n");
    skip();
  }
  mmbMemSpace *s = NULL;
  mmb_space_config cfg = {
      .name = "node0-limited", .layer = MMB_LAYER_DRAM, .numa_node = 0, .limit = 32 << 20};
  assert_int_equal(mmb_space_register(&cfg, &s), MMB_OK);
  mmbMemInterface *i = NULL;
  void *p = NULL;
  assert_int_equal(mmb_space_interface(s, MMB_STRATEGY_SYSTEM, &i), MMB_OK);
  assert_int_equal(mmb_alloc(i, 1 << 20, 0, &p), MMB_OK);
  verify_node(p, 1 << 20, 0);
  assert_int_equal(mmb_free(p), MMB_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_binding),
      cmocka_unit_test(test_multi_node),
      cmocka_unit_test(test_user_numa_space),
  };
  return cmocka_run_group_tests_name("mamba NUMA", tests, setup, teardown);
}
