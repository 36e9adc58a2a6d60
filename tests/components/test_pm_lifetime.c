/* SPDX-License-Identifier: BSD-3-Clause */
/* pm/pm_lifetime: the deadline heap of offer lifetimes, against a plain
 * reference array under a seeded random mix of adds, removes and pops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pm_lifetime.h"

static void test_basics(void **state)
{
  (void)state;
  mstro__pm_lifetimes *lt = NULL;
  int a, b, c;
  assert_int_equal(mstro__pm_lifetimes_create(NULL), MSTRO_INVARG);
  assert_int_equal(mstro__pm_lifetimes_create(&lt), MSTRO_OK);
  assert_null(mstro__pm_lifetimes_pop_expired(lt, UINT64_MAX));
  assert_int_equal(mstro__pm_lifetimes_timeout_ms(lt, 0, 100), 100);
  assert_int_equal(mstro__pm_lifetimes_timeout_ms(lt, 0, -1), -1);
  assert_int_equal(mstro__pm_lifetimes_add(lt, NULL, 5), MSTRO_INVARG);
  assert_int_equal(mstro__pm_lifetimes_add(lt, &a, 3000000000ull), MSTRO_OK);
  assert_int_equal(mstro__pm_lifetimes_add(lt, &a, 1), MSTRO_INVARG); /* already in */
  assert_int_equal(mstro__pm_lifetimes_add(lt, &b, 1000000000ull), MSTRO_OK);
  assert_int_equal(mstro__pm_lifetimes_add(lt, &c, 2000000000ull), MSTRO_OK);
  assert_int_equal(mstro__pm_lifetimes_count(lt), 3);
  /* the poll timeout: bounded by the earliest deadline, rounded up */
  assert_int_equal(mstro__pm_lifetimes_timeout_ms(lt, 0, 5000), 1000);
  assert_int_equal(mstro__pm_lifetimes_timeout_ms(lt, 999999999ull, 5000), 1);
  assert_int_equal(mstro__pm_lifetimes_timeout_ms(lt, 0, 100), 100);
  assert_int_equal(mstro__pm_lifetimes_timeout_ms(lt, 0, -1), 1000);
  assert_int_equal(mstro__pm_lifetimes_timeout_ms(lt, 1000000000ull, 100), 0);
  /* nothing before its deadline, then earliest first */
  assert_null(mstro__pm_lifetimes_pop_expired(lt, 999999999ull));
  mstro__pm_lifetimes_remove(lt, &c);
  mstro__pm_lifetimes_remove(lt, &c); /* not in: a no-op */
  assert_ptr_equal(mstro__pm_lifetimes_pop_expired(lt, UINT64_MAX), &b);
  assert_ptr_equal(mstro__pm_lifetimes_pop_expired(lt, UINT64_MAX), &a);
  assert_null(mstro__pm_lifetimes_pop_expired(lt, UINT64_MAX));
  assert_int_equal(mstro__pm_lifetimes_count(lt), 0);
  /* a popped item can come back */
  assert_int_equal(mstro__pm_lifetimes_add(lt, &a, 7), MSTRO_OK);
  mstro__pm_lifetimes_destroy(lt);
  mstro__pm_lifetimes_destroy(NULL);
}

#define N 500

static uint64_t rng_state;
static uint64_t rng(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* A random mix against a reference: every pop returns an expired item of
 * the least deadline among those in; what stays in has not expired; the
 * poll timeout is the time to the least deadline. */
static void test_random_against_reference(void **state)
{
  (void)state;
  static char items[N];
  static uint64_t deadline[N];
  static int in[N];
  const char *seed = getenv("MSTRO_TEST_SEED");
  rng_state = seed ? strtoull(seed, NULL, 10) | 1 : 0x2545F4914F6CDD1Dull;
  mstro__pm_lifetimes *lt = NULL;
  assert_int_equal(mstro__pm_lifetimes_create(&lt), MSTRO_OK);
  size_t count = 0;
  uint64_t now = 0;
  for (int step = 0; step < 50000; step++) {
    unsigned op = (unsigned)(rng() % 10);
    size_t k = (size_t)(rng() % N);
    if (op < 5) {
      uint64_t d = now + rng() % 100000000;
      mstro_status st = mstro__pm_lifetimes_add(lt, &items[k], d);
      assert_int_equal(st, in[k] ? MSTRO_INVARG : MSTRO_OK);
      if (!in[k]) {
        in[k] = 1;
        deadline[k] = d;
        count++;
      }
    } else if (op < 7) {
      mstro__pm_lifetimes_remove(lt, &items[k]);
      count -= (size_t)in[k];
      in[k] = 0;
    } else {
      now += rng() % 5000000;
      char *p;
      while ((p = mstro__pm_lifetimes_pop_expired(lt, now)) != NULL) {
        size_t i = (size_t)(p - items);
        assert_true(i < N && in[i]);
        assert_true(deadline[i] <= now);
        for (size_t j = 0; j < N; j++)
          assert_true(!in[j] || deadline[j] >= deadline[i]);
        in[i] = 0;
        count--;
      }
      uint64_t least = UINT64_MAX;
      for (size_t j = 0; j < N; j++)
        if (in[j]) {
          assert_true(deadline[j] > now);
          least = deadline[j] < least ? deadline[j] : least;
        }
      int t = mstro__pm_lifetimes_timeout_ms(lt, now, 1 << 30);
      if (count > 0)
        assert_int_equal(t, (int)((least - now + 999999) / 1000000));
      else
        assert_int_equal(t, 1 << 30);
    }
    assert_int_equal(mstro__pm_lifetimes_count(lt), count);
  }
  mstro__pm_lifetimes_destroy(lt);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),
      cmocka_unit_test(test_random_against_reference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
