/* SPDX-License-Identifier: BSD-3-Clause */
/* Groups: declare/add/seal/offer/withdraw on the producer side, add by name,
 * metadata-only group demand followed by member demands on the consumer
 * side, iteration, state errors. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "maestro.h"

static int setup(void **state)
{
  (void)state;
  return mstro_init("groups", "test", 0) == MSTRO_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  return mstro_finalize() == MSTRO_OK ? 0 : -1;
}

enum { M = 4, N = 1000 };
static unsigned char data[M][N];

static mstro_cdo member(int i)
{
  char name[32];
  mstro_cdo c = NULL;
  int64_t n = N, lt = 100 + i;
  snprintf(name, sizeof name, "member-%d", i);
  for (int k = 0; k < N; k++)
    data[i][k] = (unsigned char)(k + 13 * i);
  assert_int_equal(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, data[i], false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "scope.local-size", &n, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "lifetime", &lt, true, false), MSTRO_OK);
  return c;
}

struct consumer {
  mstro_status st;
  int demanded;
  int ok;
  size_t size;
};

static void *group_consumer(void *arg)
{
  struct consumer *r = arg;
  mstro_group g = NULL;
  mstro_cdo c = NULL;
  r->st = mstro_group_declare("grp", &g);
  if (r->st == MSTRO_OK)
    r->st = mstro_group_require(g);
  if (r->st == MSTRO_OK)
    r->st = mstro_group_demand(g); /* waits for the offer; metadata only */
  if (r->st != MSTRO_OK)
    return NULL;
  mstro_group_size_get(g, &r->size);
  r->ok = 1;
  for (;;) {
    enum mstro_cdo_attr_value_type t;
    const void *v = NULL;
    void *d = NULL;
    int64_t len = 0;
    int i;
    if (mstro_group_next(g, &c) != MSTRO_OK) {
      r->ok = 0;
      break;
    }
    if (c == NULL)
      break;
    /* metadata is here, data are not */
    if (sscanf(mstro_cdo_name(c), "member-%d", &i) != 1 ||
        mstro_cdo_attribute_get(c, "lifetime", &t, &v) != MSTRO_OK ||
        *(const int64_t *)v != 100 + i || mstro_cdo_access_ptr(c, &d, &len) != MSTRO_INVSTATE) {
      r->ok = 0;
      continue;
    }
    if (i % 2 == 0) { /* pick the even members */
      if (mstro_cdo_demand(c) != MSTRO_OK || mstro_cdo_access_ptr(c, &d, &len) != MSTRO_OK ||
          len != N || memcmp(d, data[i], N) != 0)
        r->ok = 0;
      r->demanded++;
    }
  }
  r->st = mstro_group_dispose(g); /* disposes the member handles it made */
  return NULL;
}

static void test_group_offer_demand(void **state)
{
  mstro_group g = NULL;
  mstro_cdo m[M], solo = NULL, it = NULL;
  pthread_t th;
  struct consumer r = {0};
  size_t n = 0;
  (void)state;
  assert_int_equal(pthread_create(&th, NULL, group_consumer, &r), 0);
  assert_int_equal(mstro_group_declare("grp", &g), MSTRO_OK);
  for (int i = 0; i < M - 1; i++) {
    m[i] = member(i);
    assert_int_equal(mstro_group_add(g, m[i]), MSTRO_OK);
  }
  assert_int_equal(mstro_group_add(g, m[0]), MSTRO_INVARG); /* twice */
  /* the last member is offered on its own and joins by name */
  solo = member(M - 1);
  assert_int_equal(mstro_cdo_offer(solo), MSTRO_OK);
  assert_int_equal(mstro_group_add_by_name(g, "member-3"), MSTRO_OK);
  assert_int_equal(mstro_group_add_by_name(g, "member-3"), MSTRO_INVARG);
  assert_int_equal(mstro_group_size_get(g, &n), MSTRO_OK);
  assert_int_equal(n, M);
  /* producer-side iteration lists the local handles */
  assert_int_equal(mstro_group_next(g, &it), MSTRO_OK);
  assert_ptr_equal(it, m[0]);
  assert_int_equal(mstro_group_seal(g), MSTRO_OK);
  assert_int_equal(mstro_group_add_by_name(g, "late"), MSTRO_INVSTATE);
  assert_int_equal(mstro_group_offer(g), MSTRO_OK);
  assert_int_equal(mstro_group_offer(g), MSTRO_INVSTATE);
  assert_int_equal(mstro_group_dispose(g), MSTRO_INVSTATE); /* while offered */
  pthread_join(th, NULL);
  assert_int_equal(r.st, MSTRO_OK);
  assert_true(r.ok);
  assert_int_equal(r.size, M);
  assert_int_equal(r.demanded, 2);
  assert_int_equal(mstro_group_withdraw(g), MSTRO_OK);
  assert_int_equal(mstro_group_withdraw(g), MSTRO_INVSTATE);
  /* members offered by the group are withdrawn with it */
  for (int i = 0; i < M - 1; i++)
    assert_int_equal(mstro_cdo_dispose(m[i]), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(solo), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(solo), MSTRO_OK);
  assert_int_equal(mstro_group_dispose(g), MSTRO_OK);
}

static void test_group_errors(void **state)
{
  mstro_group g = NULL;
  mstro_cdo c = NULL;
  size_t n;
  (void)state;
  assert_int_equal(mstro_group_declare(NULL, &g), MSTRO_INVARG);
  assert_int_equal(mstro_group_declare("", &g), MSTRO_INVARG);
  assert_int_equal(mstro_group_declare("x", NULL), MSTRO_INVARG);
  assert_int_equal(mstro_group_add(NULL, c), MSTRO_INVARG);
  assert_int_equal(mstro_group_seal(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_group_size_get(NULL, &n), MSTRO_INVARG);
  assert_int_equal(mstro_group_next(NULL, &c), MSTRO_INVARG);
  assert_int_equal(mstro_group_dispose(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_group_declare("errs", &g), MSTRO_OK);
  assert_int_equal(mstro_group_add(g, NULL), MSTRO_INVARG);
  assert_int_equal(mstro_group_add_by_name(g, NULL), MSTRO_INVARG);
  assert_int_equal(mstro_group_withdraw(g), MSTRO_INVSTATE);
  assert_int_equal(mstro_group_retract(g), MSTRO_INVSTATE);
  assert_int_equal(mstro_group_require(g), MSTRO_OK);
  assert_int_equal(mstro_group_next(g, &c), MSTRO_INVSTATE); /* consumer before demand */
  assert_int_equal(mstro_group_offer(g), MSTRO_INVSTATE);
  assert_int_equal(mstro_group_dispose(g), MSTRO_INVSTATE);
  assert_int_equal(mstro_group_retract(g), MSTRO_OK);
  assert_int_equal(mstro_group_dispose(g), MSTRO_OK);
  /* an offered CDO cannot join a group */
  assert_int_equal(mstro_group_declare("errs2", &g), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("offered", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_OK);
  assert_int_equal(mstro_group_add(g, c), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_OK);
  assert_int_equal(mstro_group_add(g, c), MSTRO_OK);
  assert_int_equal(mstro_group_dispose(g), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

/* A consumer that added its own handle for a member gets the metadata in
 * that handle; the other members get handles made by the group. */
static void test_group_consumer_own_handle(void **state)
{
  mstro_group g = NULL, cg = NULL;
  mstro_cdo a = NULL, b = NULL, mine = NULL, it = NULL;
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  int64_t lt = 5;
  size_t n = 0;
  int seen = 0;
  (void)state;
  assert_int_equal(mstro_cdo_declare("own-a", MSTRO_ATTR_DEFAULT, &a), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(a, "lifetime", &lt, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("own-b", MSTRO_ATTR_DEFAULT, &b), MSTRO_OK);
  assert_int_equal(mstro_group_declare("own", &g), MSTRO_OK);
  assert_int_equal(mstro_group_add(g, a), MSTRO_OK);
  assert_int_equal(mstro_group_add(g, b), MSTRO_OK);
  assert_int_equal(mstro_group_offer(g), MSTRO_OK);

  assert_int_equal(mstro_group_declare("own", &cg), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("own-a", MSTRO_ATTR_DEFAULT, &mine), MSTRO_OK);
  assert_int_equal(mstro_group_add(cg, mine), MSTRO_OK);
  assert_int_equal(mstro_group_demand(cg), MSTRO_OK);
  assert_int_equal(mstro_group_size_get(cg, &n), MSTRO_OK);
  assert_int_equal(n, 2);
  assert_int_equal(mstro_cdo_attribute_get(mine, "lifetime", &t, &v), MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, 5);
  while (mstro_group_next(cg, &it) == MSTRO_OK && it != NULL) {
    seen++;
    assert_int_equal(mstro_cdo_demand(it), MSTRO_OK); /* metadata-only members */
  }
  assert_int_equal(seen, 2);
  assert_int_equal(mstro_group_dispose(cg), MSTRO_OK); /* disposes own-b's handle, not ours */
  assert_int_equal(mstro_cdo_dispose(mine), MSTRO_OK);
  assert_int_equal(mstro_group_withdraw(g), MSTRO_OK);
  assert_int_equal(mstro_group_dispose(g), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(b), MSTRO_OK);
}

static void test_group_events(void **state)
{
  mstro_cdo_selector sel = NULL;
  mstro_subscription s = NULL;
  mstro_pool_event e = NULL;
  mstro_group g = NULL, cg = NULL;
  (void)state;
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(name = \"no-such-cdo\")", &sel),
                   MSTRO_OK);
  assert_int_equal(mstro_subscribe(sel,
                                   MSTRO_POOL_EVENT_GROUP_OFFER | MSTRO_POOL_EVENT_GROUP_DEMAND |
                                       MSTRO_POOL_EVENT_GROUP_WITHDRAW,
                                   0, &s),
                   MSTRO_OK);
  assert_int_equal(mstro_group_declare("evg", &g), MSTRO_OK);
  assert_int_equal(mstro_group_offer(g), MSTRO_OK); /* empty groups are fine */
  assert_int_equal(mstro_group_declare("evg", &cg), MSTRO_OK);
  assert_int_equal(mstro_group_demand(cg), MSTRO_OK);
  assert_int_equal(mstro_group_withdraw(g), MSTRO_OK);
  assert_int_equal(mstro_subscription_poll(s, &e), MSTRO_OK);
  assert_non_null(e); /* group events are delivered regardless of the CDO selector */
  assert_int_equal(e->kind, MSTRO_POOL_EVENT_GROUP_OFFER);
  assert_string_equal(e->group.group_name, "evg");
  assert_int_equal(e->next->kind, MSTRO_POOL_EVENT_GROUP_DEMAND);
  assert_int_equal(e->next->next->kind, MSTRO_POOL_EVENT_GROUP_WITHDRAW);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  assert_int_equal(mstro_group_dispose(g), MSTRO_OK);
  assert_int_equal(mstro_group_dispose(cg), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(sel), MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_group_offer_demand),
      cmocka_unit_test(test_group_errors),
      cmocka_unit_test(test_group_consumer_own_handle),
      cmocka_unit_test(test_group_events),
  };
  return cmocka_run_group_tests_name("groups", tests, setup, teardown);
}
