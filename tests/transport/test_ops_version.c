/* SPDX-License-Identifier: BSD-3-Clause */
/* The ops tables keep their promise: a table of an unknown version is
 * refused, a shorter (older) family table lacks the operations past its size,
 * and an older caller's smaller configuration struct is accepted with the
 * rest at its defaults (for a fake endpoint transport, and for GFS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtr.h"
#include "mtr_internal.h" /* the handle base a transport starts its handles with */

/* A fake endpoint transport that keeps the configuration it was opened with. */
static struct mtr_ep_config seen_cfg;
static bool seen_null;
static const struct mtr_ops fake_ops;
static struct mtr_ep_ fake_ep;

static mtr_status fake_open(const struct mtr_ep_config *cfg, mtr_ep **ep)
{
  seen_null = cfg == NULL;
  if (cfg != NULL)
    seen_cfg = *cfg;
  fake_ep.ops = &fake_ops;
  *ep = &fake_ep;
  return MTR_OK;
}
static mtr_status fake_close(mtr_ep *ep)
{
  (void)ep;
  return MTR_OK;
}
static mtr_status fake_invalidate(mtr_ep *ep, const void *addr, size_t len)
{
  (void)ep;
  (void)addr;
  (void)len;
  return MTR_OK;
}

/* An endpoint table built before `invalidate` was appended: its size ends
 * before that field, which must then not be read (it is set here to tell). */
static const struct mtr_ep_ops fake_ep_ops = {
    .size = offsetof(struct mtr_ep_ops, invalidate),
    .version = MTR_EP_OPS_VERSION,
    .open = fake_open,
    .close = fake_close,
    .invalidate = fake_invalidate,
};
static const struct mtr_ops fake_ops = {
    .size = sizeof(struct mtr_ops),
    .version = MTR_OPS_VERSION,
    .caps = MTR_CAP_MSG,
    .name = "FAKE",
    .description = "a test transport",
    .ep = &fake_ep_ops,
};

static void test_version_checked(void **state)
{
  (void)state;
  mtr_ep *ep = NULL;
  char why[128];
  /* version 1 was the flat table: its `ep` slot holds something else */
  struct mtr_ops v1 = fake_ops;
  v1.version = 1;
  assert_int_equal(mtr_ep_open(&v1, NULL, &ep), MTR_INVALID_ARG);
  assert_null(ep);
  assert_int_equal(mtr_transport_probe(&v1, why, sizeof why), MTR_INVALID_ARG);
  assert_true(strlen(why) > 0);
  /* a table too short for the fields of its version */
  struct mtr_ops short_ops = fake_ops;
  short_ops.size = offsetof(struct mtr_ops, ep);
  assert_int_equal(mtr_ep_open(&short_ops, NULL, &ep), MTR_INVALID_ARG);
  /* a family table of version 0 */
  struct mtr_ep_ops ep0 = fake_ep_ops;
  ep0.version = 0;
  struct mtr_ops with_ep0 = fake_ops;
  with_ep0.ep = &ep0;
  assert_int_equal(mtr_ep_open(&with_ep0, NULL, &ep), MTR_INVALID_ARG);
  /* a newer table (fields appended) is read as far as this layer knows it */
  struct mtr_ops newer = fake_ops;
  newer.version = MTR_OPS_VERSION + 1;
  assert_int_equal(mtr_ep_open(&newer, NULL, &ep), MTR_OK);
  assert_true(seen_null);
  assert_int_equal(mtr_ep_close(ep), MTR_OK);
  /* the built-in tables pass */
  for (size_t i = 0; i < mtr_transport_count(); i++) {
    mtr_status st = mtr_transport_probe(mtr_transport_get(i), why, sizeof why);
    assert_true(st == MTR_OK || st == MTR_UNAVAILABLE);
  }
}

static void test_shorter_family_table(void **state)
{
  (void)state;
  mtr_ep *ep = NULL;
  char buf[8];
  assert_int_equal(mtr_ep_open(&fake_ops, NULL, &ep), MTR_OK);
  assert_int_equal(mtr_ep_invalidate(ep, buf, sizeof buf), MTR_UNIMPLEMENTED);
  assert_int_equal(mtr_ep_send(ep, 0, 0, buf, 1, 0), MTR_UNIMPLEMENTED); /* NULL in the table */
  assert_int_equal(mtr_ep_close(ep), MTR_OK);
  /* a store operation on an endpoint transport */
  mtr_store *st = NULL;
  assert_int_equal(mtr_store_open(&fake_ops, NULL, &st), MTR_UNIMPLEMENTED);
}

/* mtr_ep_config as a caller built when it ended after msg_max. */
struct old_ep_config {
  size_t size;
  const char *provider;
  size_t msg_max;
};

static void test_smaller_ep_config(void **state)
{
  (void)state;
  mtr_ep *ep = NULL;
  /* what lies past the old struct must not be read: poison it */
  union {
    struct old_ep_config old;
    unsigned char bytes[sizeof(struct mtr_ep_config) + 16];
  } u;
  memset(&u, 0xa5, sizeof u);
  u.old.size = sizeof u.old;
  u.old.provider = "tcp";
  u.old.msg_max = 1234;
  memset(&seen_cfg, 0xff, sizeof seen_cfg);
  assert_int_equal(mtr_ep_open(&fake_ops, (const struct mtr_ep_config *)&u.old, &ep), MTR_OK);
  assert_false(seen_null);
  assert_int_equal(seen_cfg.size, sizeof(struct mtr_ep_config));
  assert_string_equal(seen_cfg.provider, "tcp");
  assert_int_equal(seen_cfg.msg_max, 1234);
  assert_int_equal(seen_cfg.rx_depth, 0); /* defaults */
  assert_int_equal(seen_cfg.chunk_size, 0);
  assert_int_equal(seen_cfg.max_inflight, 0);
  assert_false(seen_cfg.progress_thread);
  assert_int_equal(mtr_ep_close(ep), MTR_OK);
  /* size 0 is the current size; a size that cannot hold the size is refused */
  struct mtr_ep_config cur = {.rx_depth = 7};
  assert_int_equal(mtr_ep_open(&fake_ops, &cur, &ep), MTR_OK);
  assert_int_equal(seen_cfg.rx_depth, 7);
  assert_int_equal(seen_cfg.size, sizeof cur);
  mtr_ep_close(ep);
  cur.size = 4;
  ep = NULL;
  assert_int_equal(mtr_ep_open(&fake_ops, &cur, &ep), MTR_INVALID_ARG);
  assert_null(ep);
}

/* mtr_store_config as a caller built when it had only a location. */
struct old_store_config {
  size_t size;
  const char *location;
};

static void test_smaller_store_config_gfs(void **state)
{
  (void)state;
  char dir[] = "/tmp/mtr-ops-version-XXXXXX";
  assert_non_null(mkdtemp(dir));
  const struct mtr_ops *gfs = NULL;
  assert_int_equal(mtr_transport_find("GFS", &gfs), MTR_OK);
  struct old_store_config old = {.size = sizeof old, .location = dir};
  mtr_store *s = NULL;
  assert_int_equal(mtr_store_open(gfs, (const struct mtr_store_config *)&old, &s), MTR_OK);
  char out[8];
  size_t len = 0;
  assert_int_equal(mtr_store_put(s, "k", "value", 5), MTR_OK);
  assert_int_equal(mtr_store_get(s, "k", out, sizeof out, &len), MTR_OK);
  assert_int_equal(len, 5);
  assert_memory_equal(out, "value", 5);
  assert_int_equal(mtr_store_remove(s, "k"), MTR_OK);
  assert_int_equal(mtr_store_close(s), MTR_OK);
  old.size = 1;
  s = NULL;
  assert_int_equal(mtr_store_open(gfs, (const struct mtr_store_config *)&old, &s), MTR_INVALID_ARG);
  assert_null(s);
  rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_checked),
      cmocka_unit_test(test_shorter_family_table),
      cmocka_unit_test(test_smaller_ep_config),
      cmocka_unit_test(test_smaller_store_config_gfs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
