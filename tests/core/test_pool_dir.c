/* SPDX-License-Identifier: BSD-3-Clause */
/* The pool directory (white box): offers, requires and waiting demands are
 * matched by name, in order, and entries disappear when empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pool_dir.h"

struct matches {
  void *waiter[16];
  void *offer[16];
  int n;
};

static void on_match(void *waiter, void *offer, void *ctx)
{
  struct matches *m = ctx;
  m->waiter[m->n] = waiter;
  m->offer[m->n] = offer;
  m->n++;
}

static void test_offer_lookup_withdraw(void **state)
{
  mstro__pool_dir *d = NULL;
  int o1, o2;
  (void)state;
  assert_int_equal(mstro__pool_dir_create(&d), MSTRO_OK);
  assert_null(mstro__pool_dir_lookup(d, "a"));
  assert_int_equal(mstro__pool_dir_offer(d, "a", &o1, NULL, NULL), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_offer(d, "a", &o2, NULL, NULL), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_offer(d, "a", &o1, NULL, NULL), MSTRO_INVARG);
  assert_ptr_equal(mstro__pool_dir_lookup(d, "a"), &o1); /* oldest first */
  assert_int_equal(mstro__pool_dir_offer_count(d), 2);
  assert_int_equal(mstro__pool_dir_withdraw(d, "a", &o1), MSTRO_OK);
  assert_ptr_equal(mstro__pool_dir_lookup(d, "a"), &o2);
  assert_int_equal(mstro__pool_dir_withdraw(d, "a", &o1), MSTRO_NOENT);
  assert_int_equal(mstro__pool_dir_withdraw(d, "b", &o1), MSTRO_NOENT);
  assert_int_equal(mstro__pool_dir_withdraw(d, "a", &o2), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_name_count(d), 0); /* empty entries are dropped */
  assert_int_equal(mstro__pool_dir_offer(NULL, "a", &o1, NULL, NULL), MSTRO_INVARG);
  assert_int_equal(mstro__pool_dir_offer(d, NULL, &o1, NULL, NULL), MSTRO_INVARG);
  mstro__pool_dir_destroy(d);
}

static void test_demand_waits_then_matches(void **state)
{
  mstro__pool_dir *d = NULL;
  struct matches m = {.n = 0};
  int w1, w2, w3, o;
  void *found = (void *)1;
  (void)state;
  assert_int_equal(mstro__pool_dir_create(&d), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_demand(d, "x", &w1, &found), MSTRO_OK);
  assert_null(found);
  assert_int_equal(mstro__pool_dir_demand(d, "x", &w2, &found), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_demand(d, "x", &w2, &found), MSTRO_NOT_TWICE);
  assert_int_equal(mstro__pool_dir_demand(d, "y", &w3, &found), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_cancel_demand(d, "y", &w3), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_cancel_demand(d, "y", &w3), MSTRO_NOENT);
  assert_int_equal(mstro__pool_dir_offer(d, "x", &o, on_match, &m), MSTRO_OK);
  assert_int_equal(m.n, 2);
  assert_ptr_equal(m.waiter[0], &w1);
  assert_ptr_equal(m.waiter[1], &w2);
  assert_ptr_equal(m.offer[0], &o);
  /* a demand after the offer is matched at once */
  assert_int_equal(mstro__pool_dir_demand(d, "x", &w3, &found), MSTRO_OK);
  assert_ptr_equal(found, &o);
  assert_int_equal(mstro__pool_dir_withdraw(d, "x", &o), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_name_count(d), 0);
  mstro__pool_dir_destroy(d);
}

static void test_requires(void **state)
{
  mstro__pool_dir *d = NULL;
  int t1, t2;
  (void)state;
  assert_int_equal(mstro__pool_dir_create(&d), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_require(d, "r", &t1), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_require(d, "r", &t2), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_require(d, "r", &t1), MSTRO_NOT_TWICE);
  assert_int_equal(mstro__pool_dir_required_count(d, "r"), 2);
  assert_int_equal(mstro__pool_dir_retract(d, "r", &t1), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_retract(d, "r", &t1), MSTRO_NOENT);
  assert_int_equal(mstro__pool_dir_required_count(d, "r"), 1);
  assert_int_equal(mstro__pool_dir_retract(d, "r", &t2), MSTRO_OK);
  assert_int_equal(mstro__pool_dir_name_count(d), 0);
  mstro__pool_dir_destroy(d);
}

static void count_offer(const char *name, void *offer, void *ctx)
{
  (void)name;
  (void)offer;
  (*(size_t *)ctx)++;
}

/* Many names: the table grows and every entry stays reachable. */
static void test_many_names(void **state)
{
  enum { N = 20000 };
  static int offers[N];
  mstro__pool_dir *d = NULL;
  char name[64];
  size_t seen = 0;
  (void)state;
  assert_int_equal(mstro__pool_dir_create(&d), MSTRO_OK);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "cdo-%d", i);
    assert_int_equal(mstro__pool_dir_offer(d, name, &offers[i], NULL, NULL), MSTRO_OK);
  }
  assert_int_equal(mstro__pool_dir_name_count(d), N);
  mstro__pool_dir_foreach_offer(d, count_offer, &seen);
  assert_int_equal(seen, N);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "cdo-%d", i);
    assert_ptr_equal(mstro__pool_dir_lookup(d, name), &offers[i]);
    assert_int_equal(mstro__pool_dir_withdraw(d, name, &offers[i]), MSTRO_OK);
  }
  assert_int_equal(mstro__pool_dir_offer_count(d), 0);
  mstro__pool_dir_destroy(d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_offer_lookup_withdraw),
      cmocka_unit_test(test_demand_waits_then_matches),
      cmocka_unit_test(test_requires),
      cmocka_unit_test(test_many_names),
  };
  return cmocka_run_group_tests_name("pool_dir", tests, NULL, NULL);
}
