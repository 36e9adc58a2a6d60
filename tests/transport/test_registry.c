/* SPDX-License-Identifier: BSD-3-Clause */
/* The transport registry: lookup, aliases, the list with reasons, the
 * default with fallback, ops-table headers, generic calls on bad handles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtr.h"

static void test_find(void **state)
{
  const struct mtr_ops *ofi = NULL, *rdma = NULL, *gfs = NULL, *x = NULL;
  assert_int_equal(mtr_transport_find("OFI", &ofi), MTR_OK);
  assert_int_equal(mtr_transport_find("rdma", &rdma), MTR_OK);
  assert_ptr_equal(ofi, rdma);
  assert_string_equal(ofi->name, "OFI");
  assert_int_equal(mtr_transport_find("Gfs", &gfs), MTR_OK);
  assert_string_equal(gfs->name, "GFS");
  assert_int_equal(mtr_transport_find("nope", &x), MTR_NOT_FOUND);
  assert_null(x);
  assert_int_equal(mtr_transport_find(NULL, &x), MTR_INVALID_ARG);
  assert_int_equal(mtr_transport_find("OFI", NULL), MTR_INVALID_ARG);
  mtr_status st = mtr_transport_find("MIO", &x);
  assert_true(st == MTR_OK || st == MTR_UNAVAILABLE);
  if (st == MTR_OK)
    assert_true(x->caps & MTR_CAP_STORE);
}

static void test_tables(void **state)
{
  size_t n = mtr_transport_count();
  assert_true(n >= 2);
  assert_null(mtr_transport_get(n));
  for (size_t i = 0; i < n; i++) {
    const struct mtr_ops *o = mtr_transport_get(i);
    assert_non_null(o);
    assert_int_equal(o->size, sizeof(struct mtr_ops));
    assert_int_equal(o->version, MTR_OPS_VERSION);
    assert_non_null(o->name);
    assert_non_null(o->description);
    assert_non_null(o->probe);
    /* one family table each: a store has no endpoint operations */
    if (o->caps & MTR_CAP_STORE) {
      assert_non_null(o->store);
      assert_int_equal(o->store->size, sizeof(struct mtr_store_ops));
      assert_int_equal(o->store->version, MTR_STORE_OPS_VERSION);
      assert_non_null(o->store->open);
      assert_non_null(o->store->put);
      assert_non_null(o->store->get);
      assert_null(o->ep);
    } else {
      assert_non_null(o->ep);
      assert_int_equal(o->ep->size, sizeof(struct mtr_ep_ops));
      assert_int_equal(o->ep->version, MTR_EP_OPS_VERSION);
      assert_non_null(o->ep->open);
      assert_non_null(o->ep->read);
      assert_non_null(o->ep->invalidate);
      assert_null(o->store);
    }
  }
  assert_string_equal(mtr_transport_get(0)->name, "OFI");
}

static void test_list_and_probe(void **state)
{
  char buf[2048], small[8];
  setenv("MSTRO_GFS_DIR", "/nonexistent-mtr", 1);
  assert_int_equal(mtr_transport_list(buf, sizeof buf), MTR_OK);
  print_message("%s", buf);
  assert_non_null(strstr(buf, "OFI: "));
  assert_non_null(strstr(buf, "GFS: unavailable ("));
  assert_non_null(strstr(buf, "MIO: "));
  assert_int_equal(mtr_transport_list(small, sizeof small), MTR_TRUNCATED);
  assert_true(strlen(small) < sizeof small);
  assert_int_equal(mtr_transport_list(NULL, 10), MTR_INVALID_ARG);
  assert_int_equal(mtr_transport_probe(NULL, NULL, 0), MTR_INVALID_ARG);
  setenv("MSTRO_GFS_DIR", "/tmp", 1);
  const struct mtr_ops *gfs = NULL;
  assert_int_equal(mtr_transport_find("GFS", &gfs), MTR_OK);
  assert_int_equal(mtr_transport_probe(gfs, NULL, 0), MTR_OK);
}

static void test_default(void **state)
{
  const struct mtr_ops *o = NULL;
  setenv("MSTRO_GFS_DIR", "/tmp", 1);
  setenv("MSTRO_TRANSPORT_DEFAULT", "GFS", 1);
  assert_int_equal(mtr_transport_default(&o), MTR_OK);
  assert_string_equal(o->name, "GFS");
  setenv("MSTRO_TRANSPORT_DEFAULT", "bogus", 1);
  assert_int_equal(mtr_transport_default(&o), MTR_INVALID_ARG);
  assert_null(o);
  /* AUTO (the core's default spelling) is OFI first */
  setenv("MSTRO_TRANSPORT_DEFAULT", "auto", 1);
  assert_int_equal(mtr_transport_default(&o), MTR_OK);
  assert_string_equal(o->name, "OFI");
  /* MIO without a configuration (or not built): falls back */
  unsetenv("MSTRO_MIO_CONF");
  setenv("MSTRO_TRANSPORT_DEFAULT", "MIO", 1);
  assert_int_equal(mtr_transport_default(&o), MTR_OK);
  assert_string_not_equal(o->name, "MIO");
  /* GFS unusable: falls back to another */
  setenv("MSTRO_GFS_DIR", "/nonexistent-mtr", 1);
  setenv("MSTRO_TRANSPORT_DEFAULT", "GFS", 1);
  mtr_status st = mtr_transport_default(&o);
  if (st == MTR_OK)
    assert_string_not_equal(o->name, "GFS");
  else
    assert_int_equal(st, MTR_UNAVAILABLE);
  unsetenv("MSTRO_TRANSPORT_DEFAULT");
  assert_int_equal(mtr_transport_default(NULL), MTR_INVALID_ARG);
}

static void test_env(void **state)
{
  char why[256];
  assert_int_equal(mtr_env_check(why, sizeof why), MTR_OK);
  const char *bad[][2] = {{"MSTRO_TRANSPORT_TIMEOUT", "0"},   {"MSTRO_TRANSPORT_TIMEOUT", "x"},
                          {"MSTRO_OFI_CHUNK_SIZE", "12"},     {"MSTRO_OFI_INFLIGHT", "1000"},
                          {"MSTRO_GFS_FSYNC", "maybe"},       {"MSTRO_MIO_TIMEOUT", "-1"},
                          {"MSTRO_TRANSPORT_DEFAULT", "TCP"}, {"MSTRO_MIO_POOL", ""}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv(bad[i][0], bad[i][1], 1);
    why[0] = '\0';
    assert_int_equal(mtr_env_check(why, sizeof why), MTR_INVALID_ARG);
    assert_non_null(strstr(why, bad[i][0]));
    assert_int_equal(mtr_env_check(NULL, 0), MTR_INVALID_ARG);
    unsetenv(bad[i][0]);
  }
  setenv("MSTRO_OFI_CHUNK_SIZE", "1M", 1);
  setenv("MSTRO_TRANSPORT_DEFAULT", "rdma", 1);
  assert_int_equal(mtr_env_check(why, sizeof why), MTR_OK);
  unsetenv("MSTRO_OFI_CHUNK_SIZE");
  unsetenv("MSTRO_TRANSPORT_DEFAULT");
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  mtr_env_print(f);
  fclose(f);
  print_message("%s", text);
  const char *names[] = {"MSTRO_TRANSPORT_DEFAULT", "MSTRO_GFS_DIR", "MSTRO_MIO_CONF",
                         "MSTRO_MIO_POOL", "MSTRO_OFI_PROVIDER"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    assert_non_null(strstr(text, names[i]));
  free(text);
}

static void test_null_handles(void **state)
{
  char buf[64];
  size_t len;
  mtr_peer peer;
  assert_int_equal(mtr_ep_close(NULL), MTR_OK);
  assert_int_equal(mtr_ep_addr(NULL, buf, sizeof buf), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_peer_insert(NULL, "x", &peer), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_send(NULL, 0, 0, buf, 1, 0), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_recv(NULL, NULL, NULL, buf, 1, &len, 0), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_read(NULL, 0, buf, 1, 0, buf, 1, 0), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_progress(NULL), MTR_INVALID_ARG);
  assert_int_equal(mtr_region_desc(NULL, buf, sizeof buf), MTR_INVALID_ARG);
  assert_int_equal(mtr_region_release(NULL), MTR_OK);
  assert_int_equal(mtr_store_put(NULL, "k", buf, 1), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_get(NULL, "k", buf, 1, &len), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_stat(NULL, "k", &len), MTR_INVALID_ARG);
  assert_int_equal(mtr_store_remove(NULL, "k"), MTR_INVALID_ARG);
  assert_null(mtr_ep_ops(NULL));
  assert_null(mtr_store_ops(NULL));
  assert_int_equal(mtr_ep_open(NULL, NULL, NULL), MTR_INVALID_ARG);
  assert_string_equal(mtr_status_description(MTR_NOT_FOUND), "no such key, object or address");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find),
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_list_and_probe),
      cmocka_unit_test(test_default),
      cmocka_unit_test(test_env),
      cmocka_unit_test(test_null_handles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
