/* SPDX-License-Identifier: BSD-3-Clause */
/* Provider selection through the environment: FI_PROVIDER alone (libfabric's
 * own variable, read at its first use) picks the provider of an endpoint
 * opened with no provider in its configuration. argv[1]: provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ofi_pair.h"

static void test_fi_provider(void **state)
{
  const struct mtr_ops *ops = NULL;
  mtr_ep *ep = NULL;
  char info[512], addr[MTR_ADDR_MAX], prov[64], buf[16];
  size_t len = 0;
  mtr_peer self;
  assert_int_equal(mtr_transport_find("RDMA", &ops), MTR_OK);
  assert_int_equal(mtr_ep_open(ops, NULL, &ep), MTR_OK);
  assert_int_equal(mtr_ep_info(ep, info, sizeof info), MTR_OK);
  print_message("FI_PROVIDER=%s: %s\n", getenv("FI_PROVIDER"), info);
  snprintf(prov, sizeof prov, "provider %s,", pair_provider);
  assert_non_null(strstr(info, prov));
  assert_int_equal(mtr_ep_addr(ep, addr, sizeof addr), MTR_OK);
  assert_int_equal(mtr_ep_peer_insert(ep, addr, &self), MTR_OK);
  assert_int_equal(mtr_ep_send(ep, self, 9, "env", 3, 5000), MTR_OK);
  assert_int_equal(mtr_ep_recv(ep, NULL, NULL, buf, sizeof buf, &len, 5000), MTR_OK);
  assert_int_equal(len, 3);
  assert_int_equal(mtr_ep_close(ep), MTR_OK);
  /* a provider that FI_PROVIDER filters out: unavailable, not a crash */
  struct mtr_ep_config cfg = {.size = sizeof cfg,
                              .provider = strcmp(pair_provider, "shm") ? "shm" : "sockets"};
  assert_int_equal(mtr_ep_open(ops, &cfg, &ep), MTR_UNAVAILABLE);
}

int main(int argc, char **argv)
{
  if (argc > 1)
    pair_provider = argv[1];
  unsetenv("MSTRO_OFI_PROVIDER");
  setenv("FI_PROVIDER", pair_provider, 1);
  const struct mtr_ops *ops = NULL;
  char why[512];
  mtr_transport_find("OFI", &ops);
  if (mtr_transport_probe(ops, why, sizeof why) != MTR_OK) {
    printf("SKIP: libfabric provider '%s' is not available on this machine: %s\n", pair_provider,
           why);
    return PAIR_SKIP;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_fi_provider)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
