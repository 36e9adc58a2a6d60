/* SPDX-License-Identifier: BSD-3-Clause */
/* The in-process pool and its data contract (DESIGN.md section 1):
 * zero-copy for consumers without a buffer, one copy into a consumer's
 * buffer, Maestro-provided memory, layout changes by liblyt, several
 * consumers of one offer, demand before offer, withdraw waiting for the
 * consumers that share the buffer. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "maestro.h"

static int setup(void **state)
{
  (void)state;
  return mstro_init("pool", "test", 0) == MSTRO_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  return mstro_finalize() == MSTRO_OK ? 0 : -1;
}

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static mstro_cdo producer(const char *name, void *buf, int64_t size)
{
  mstro_cdo p = NULL;
  assert_int_equal(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &p), MSTRO_OK);
  if (buf)
    assert_int_equal(mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                     MSTRO_OK);
  if (size >= 0)
    assert_int_equal(mstro_cdo_attribute_set(p, "scope.local-size", &size, true, false), MSTRO_OK);
  return p;
}

static void fill(unsigned char *b, size_t n, unsigned seed)
{
  for (size_t i = 0; i < n; i++)
    b[i] = (unsigned char)(i * 31 + seed);
}

struct withdraw_arg {
  mstro_cdo cdo;
  atomic_int done;
  mstro_status st;
};

static void *withdraw_thread(void *arg)
{
  struct withdraw_arg *w = arg;
  w->st = mstro_cdo_withdraw(w->cdo);
  atomic_store(&w->done, 1);
  return NULL;
}

static void test_zero_copy_and_withdraw_waits(void **state)
{
  enum { N = 1 << 16 };
  unsigned char *buf = malloc(N);
  mstro_cdo p, c = NULL;
  void *d = NULL;
  int64_t len = 0;
  struct withdraw_arg w = {0};
  pthread_t th;
  enum mstro_cdo_attr_value_type t;
  const void *v;
  (void)state;
  fill(buf, N, 1);
  p = producer("zc", buf, N);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("zc", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &d, &len), MSTRO_OK);
  assert_ptr_equal(d, buf); /* zero-copy */
  assert_int_equal(len, N);
  assert_int_equal(mstro_cdo_attribute_get(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, &t, &v), MSTRO_OK);
  assert_ptr_equal(*(void *const *)v, buf);
  /* the producer's withdraw (another thread) waits for the consumer */
  w.cdo = p;
  assert_int_equal(pthread_create(&th, NULL, withdraw_thread, &w), 0);
  sleep_ms(100);
  assert_int_equal(atomic_load(&w.done), 0);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  pthread_join(th, NULL);
  assert_int_equal(w.st, MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  free(buf);
}

static void test_copy_into_consumer_buffer(void **state)
{
  enum { N = 100000 };
  unsigned char *src = malloc(N), *dst = malloc(N), *small = malloc(N / 2);
  mstro_cdo p, c = NULL, s = NULL;
  void *d = NULL;
  int64_t len = 0, n = N, half = N / 2;
  (void)state;
  fill(src, N, 2);
  memset(dst, 0, N);
  p = producer("copy", src, N);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("copy", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, dst, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "scope.local-size", &n, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &d, &len), MSTRO_OK);
  assert_ptr_equal(d, dst);
  assert_int_equal(len, N);
  assert_memory_equal(dst, src, N);
  /* a buffer that is too small is refused, nothing is written */
  assert_int_equal(mstro_cdo_declare("copy", MSTRO_ATTR_DEFAULT, &s), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(s, MSTRO_ATTR_CORE_CDO_RAW_PTR, small, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(s, "scope.local-size", &half, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(s), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_dispose(s), MSTRO_OK);
  /* the producer can withdraw at once: nobody shares its buffer */
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  free(src);
  free(dst);
  free(small);
}

static void test_maestro_provided_memory(void **state)
{
  enum { N = 4096 };
  mstro_cdo p, c = NULL, a = NULL;
  void *d = NULL, *d2 = NULL;
  int64_t len = 0;
  enum mstro_cdo_attr_value_type t;
  const void *v;
  bool yes = true;
  int64_t n = N;
  (void)state;
  p = producer("mps", NULL, N);
  assert_int_equal(mstro_cdo_seal(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(p, &d, &len), MSTRO_OK);
  assert_non_null(d);
  assert_int_equal(len, N);
  fill(d, N, 3);
  assert_int_equal(mstro_cdo_attribute_get(p, MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE, &t, &v),
                   MSTRO_OK);
  assert_true(*(const bool *)v);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  /* a consumer asking for Maestro memory now (allocate-now) gets a copy */
  assert_int_equal(mstro_cdo_declare("mps", MSTRO_ATTR_DEFAULT, &a), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(a, "scope.local-size", &n, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(a, MSTRO_ATTR_CORE_CDO_ALLOCATE_NOW, &yes, true, false),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_require(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(a, &d2, &len), MSTRO_OK);
  assert_ptr_not_equal(d2, d);
  assert_memory_equal(d2, d, N);
  /* a consumer without a buffer shares it */
  assert_int_equal(mstro_cdo_declare("mps", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &d2, &len), MSTRO_OK);
  assert_ptr_equal(d2, d);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
}

static void set_layout(mstro_cdo c, int64_t elem, int64_t rows, int64_t cols, int64_t order)
{
  int64_t nd = 2, dims[2] = {rows, cols};
  assert_int_equal(mstro_cdo_attribute_set(c, "layout.element-size", &elem, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "layout.ndims", &nd, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "layout.dims-size", dims, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "layout.order", &order, true, false), MSTRO_OK);
}

static void test_layout_change(void **state)
{
  enum { R = 37, C = 53 };
  int32_t *src = malloc(sizeof(int32_t) * R * C), *buf = malloc(sizeof(int32_t) * R * C);
  mstro_cdo p, c = NULL, cb = NULL, same = NULL;
  void *d = NULL;
  int64_t len = 0, bytes = (int64_t)sizeof(int32_t) * R * C;
  mmbArray *arr = NULL;
  (void)state;
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++)
      src[i * C + j] = i * 1000 + j; /* row-major */
  p = producer("layout", src, bytes);
  set_layout(p, 4, R, C, MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  /* no buffer, column-major: Maestro memory, transformed */
  assert_int_equal(mstro_cdo_declare("layout", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  {
    int64_t order = MSTRO_CDO_LAYOUT_ORDER_COLMAJOR;
    assert_int_equal(mstro_cdo_attribute_set(c, "layout.order", &order, true, false), MSTRO_OK);
  }
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &d, &len), MSTRO_OK);
  assert_ptr_not_equal(d, src);
  assert_int_equal(len, bytes);
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++)
      assert_int_equal(((int32_t *)d)[j * R + i], i * 1000 + j);
  assert_int_equal(mstro_cdo_access_mamba_array(c, &arr), MSTRO_OK);
  assert_non_null(arr);
  assert_int_equal(mmb_array_ndims(arr), 2);
  assert_int_equal(mmb_array_elem_size(arr), 4);
  assert_int_equal(mmb_array_dims(arr)[0], R);
  assert_int_equal(mmb_array_order(arr), MMB_LAYOUT_COL_MAJOR);
  assert_ptr_equal(mmb_array_data(arr), d);
  /* consumer buffer with its own full layout description */
  assert_int_equal(mstro_cdo_declare("layout", MSTRO_ATTR_DEFAULT, &cb), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(cb, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(cb, "scope.local-size", &bytes, true, false), MSTRO_OK);
  set_layout(cb, 4, R, C, MSTRO_CDO_LAYOUT_ORDER_COLMAJOR);
  assert_int_equal(mstro_cdo_demand(cb), MSTRO_OK);
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++)
      assert_int_equal(buf[j * R + i], i * 1000 + j);
  /* same layout: zero-copy */
  assert_int_equal(mstro_cdo_declare("layout", MSTRO_ATTR_DEFAULT, &same), MSTRO_OK);
  {
    int64_t order = MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR;
    assert_int_equal(mstro_cdo_attribute_set(same, "layout.order", &order, true, false), MSTRO_OK);
  }
  assert_int_equal(mstro_cdo_demand(same), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(same, &d, &len), MSTRO_OK);
  assert_ptr_equal(d, src);
  assert_int_equal(mstro_cdo_dispose(same), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(cb), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  free(src);
  free(buf);
}

static void test_layout_mismatch(void **state)
{
  int32_t src[12] = {0};
  mstro_cdo p, c = NULL;
  (void)state;
  p = producer("mismatch", src, sizeof src);
  set_layout(p, 4, 3, 4, MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("mismatch", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  set_layout(c, 4, 4, 3, MSTRO_CDO_LAYOUT_ORDER_COLMAJOR); /* other dims */
  assert_int_equal(mstro_cdo_demand(c), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
}

struct consumer_arg {
  const char *name;
  const unsigned char *expect;
  size_t n;
  bool own_buffer;
  mstro_status st;
  int ok;
};

static void *consumer_thread(void *arg)
{
  struct consumer_arg *a = arg;
  mstro_cdo c = NULL;
  void *d = NULL;
  int64_t len = 0;
  unsigned char *buf = NULL;
  a->st = mstro_cdo_declare(a->name, MSTRO_ATTR_DEFAULT, &c);
  if (a->own_buffer) {
    int64_t n = (int64_t)a->n;
    buf = malloc(a->n);
    mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true);
    mstro_cdo_attribute_set(c, "scope.local-size", &n, true, false);
  }
  if (a->st == MSTRO_OK)
    a->st = mstro_cdo_require(c);
  if (a->st == MSTRO_OK)
    a->st = mstro_cdo_demand(c); /* may come before the offer */
  if (a->st == MSTRO_OK)
    a->st = mstro_cdo_access_ptr(c, &d, &len);
  a->ok = a->st == MSTRO_OK && (size_t)len == a->n && memcmp(d, a->expect, a->n) == 0;
  mstro_cdo_dispose(c);
  free(buf);
  return NULL;
}

static void test_many_consumers_demand_before_offer(void **state)
{
  enum { K = 8, N = 300000 };
  unsigned char *src = malloc(N);
  struct consumer_arg a[K];
  pthread_t th[K];
  mstro_cdo p;
  (void)state;
  fill(src, N, 4);
  for (int i = 0; i < K; i++) {
    a[i] = (struct consumer_arg){.name = "many", .expect = src, .n = N, .own_buffer = i % 2};
    assert_int_equal(pthread_create(&th[i], NULL, consumer_thread, &a[i]), 0);
  }
  sleep_ms(50); /* most of them wait in demand */
  p = producer("many", src, N);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK); /* waits for every consumer */
  for (int i = 0; i < K; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(a[i].st, MSTRO_OK);
    assert_true(a[i].ok);
  }
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  free(src);
}

static void test_metadata_only(void **state)
{
  mstro_cdo p, c = NULL;
  void *d = (void *)1;
  int64_t len = 5, lt = 3;
  enum mstro_cdo_attr_value_type t;
  const void *v;
  (void)state;
  p = producer("meta", NULL, -1);
  assert_int_equal(mstro_cdo_attribute_set(p, "lifetime", &lt, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("meta", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &d, &len), MSTRO_NOENT);
  assert_null(d);
  assert_int_equal(len, 0);
  assert_int_equal(mstro_cdo_attribute_get(c, "lifetime", &t, &v), MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, 3);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
}

static void test_seal_checks(void **state)
{
  char buf[16];
  mstro_cdo c = NULL;
  (void)state;
  /* raw-ptr without a size */
  assert_int_equal(mstro_cdo_declare("nosize", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_seal(c), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  /* a layout that disagrees with the size */
  c = producer("badlayout", buf, 16);
  set_layout(c, 4, 2, 3, MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR);
  assert_int_equal(mstro_cdo_seal(c), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_zero_copy_and_withdraw_waits),
      cmocka_unit_test(test_copy_into_consumer_buffer),
      cmocka_unit_test(test_maestro_provided_memory),
      cmocka_unit_test(test_layout_change),
      cmocka_unit_test(test_layout_mismatch),
      cmocka_unit_test(test_many_consumers_demand_before_offer),
      cmocka_unit_test(test_metadata_only),
      cmocka_unit_test(test_seal_checks),
  };
  return cmocka_run_group_tests_name("pool_local", tests, setup, teardown);
}
