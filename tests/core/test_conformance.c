/* SPDX-License-Identifier: BSD-3-Clause */
/* C conformance test: the cases real maestro-core clients rely on, through
 * the public API only (issue 5, point 9). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "maestro.h"

#define DATA_SIZE 822329

static int setup(void **state)
{
  (void)state;
#ifdef MSTRO_TEST_SCHEMA_DIR
  /* the user schema of this test, unless the environment names others */
  setenv("MSTRO_SCHEMA_PATH", MSTRO_TEST_SCHEMA_DIR, 0);
  setenv("MSTRO_SCHEMA_LIST", "conformance-schema.yaml", 0);
#endif
  return mstro_init("conformance", "C", 0) == MSTRO_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  return mstro_finalize() == MSTRO_OK ? 0 : -1;
}

static void test_declare_names(void **state)
{
  mstro_cdo a = NULL, b = NULL;
  char longname[1001];
  (void)state;
  assert_int_equal(mstro_cdo_declare("short", MSTRO_ATTR_DEFAULT, &a), MSTRO_OK);
  assert_string_equal(mstro_cdo_name(a), "short");
  memset(longname, 'x', 1000);
  longname[1000] = '\0';
  longname[0] = 'L';
  assert_int_equal(mstro_cdo_declare(longname, MSTRO_ATTR_DEFAULT, &b), MSTRO_OK);
  assert_string_equal(mstro_cdo_name(b), longname);
  assert_int_equal(strlen(mstro_cdo_name(b)), 1000);
  assert_int_equal(mstro_cdo_dispose(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(b), MSTRO_OK);
  /* bad declarations */
  assert_int_equal(mstro_cdo_declare(NULL, MSTRO_ATTR_DEFAULT, &a), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_declare("", MSTRO_ATTR_DEFAULT, &a), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_declare("x", MSTRO_ATTR_DEFAULT, NULL), MSTRO_INVARG);
}

static void test_declare_with_data(void **state)
{
  mstro_cdo c = NULL;
  char *buf = malloc(DATA_SIZE);
  int64_t size = DATA_SIZE;
  void *p = NULL;
  int64_t len = 0;
  (void)state;
  assert_non_null(buf);
  for (int i = 0; i < DATA_SIZE; i++)
    buf[i] = (char)(i * 7);
  assert_int_equal(mstro_cdo_declare("with-data", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(
      mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false),
      MSTRO_OK);
  assert_int_equal(mstro_cdo_seal(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &p, &len), MSTRO_OK);
  assert_ptr_equal(p, buf);
  assert_int_equal(len, DATA_SIZE);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  free(buf);
}

static void test_attributes_readback(void **state)
{
  mstro_cdo c = NULL;
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  int64_t i64 = -1234567890123LL;
  int64_t size = 4096;
  const char *s = "DRAM";
  mstro_timestamp ts = {.sec = 1700000000, .nsec = 123456789, .offset = 60};
  (void)state;
  assert_int_equal(mstro_cdo_declare("attrs", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  /* int64 (built-in) */
  assert_int_equal(mstro_cdo_attribute_set(c, "scope.local-size", &size, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &t, &v),
                   MSTRO_OK);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_int64);
  assert_int_equal(*(const int64_t *)v, 4096);
  /* lifetime: int64, relative key */
  i64 = 17;
  assert_int_equal(mstro_cdo_attribute_set(c, "lifetime", &i64, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, "lifetime", &t, &v), MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, 17);
  /* string */
  assert_int_equal(mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_MEM_LAYER, &s, true, false),
                   MSTRO_OK);
  s = "GPU:0"; /* copied: changing ours does not change theirs */
  assert_int_equal(mstro_cdo_attribute_get(c, MSTRO_ATTR_CORE_CDO_MEM_LAYER, &t, &v), MSTRO_OK);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_cstring);
  assert_string_equal(*(const char *const *)v, "DRAM");
  /* timestamp */
  assert_int_equal(mstro_cdo_attribute_set(c, ".maestro.core.cdo.creation-time", &ts, true, false),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, ".maestro.core.cdo.creation-time", &t, &v), MSTRO_OK);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_timestamp);
  assert_int_equal(((const mstro_timestamp *)v)->sec, ts.sec);
  assert_int_equal(((const mstro_timestamp *)v)->nsec, ts.nsec);
  /* name is readable and read-only */
  assert_int_equal(mstro_cdo_attribute_get(c, MSTRO_ATTR_CORE_CDO_NAME, &t, &v), MSTRO_OK);
  assert_string_equal(*(const char *const *)v, "attrs");
  assert_int_not_equal(mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_NAME, &s, true, false),
                       MSTRO_OK);
  /* unknown key refused */
  assert_int_equal(mstro_cdo_attribute_set(c, ".no.such.key", &i64, true, false), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_attributes_print(c), MSTRO_OK);
  /* set after seal refused */
  assert_int_equal(mstro_cdo_seal(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "lifetime", &i64, true, false), MSTRO_INVSTATE);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

/* int64, uint64, string and timestamp values of a user schema
 * (conformance-schema.yaml, loaded via MSTRO_SCHEMA_LIST), read back at once. */
static void test_user_schema_values(void **state)
{
  mstro_cdo c = NULL;
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  int64_t step = -42;
  uint64_t count = UINT64_C(18446744073709551000);
  const char *label = "user label";
  mstro_timestamp ts = {.sec = 1234567890, .nsec = 5, .offset = -120};
  (void)state;
  assert_int_equal(mstro_cdo_declare("user", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, ".conformance.step", &step, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, ".conformance.step", &t, &v), MSTRO_OK);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_int64);
  assert_int_equal(*(const int64_t *)v, -42);
  assert_int_equal(mstro_cdo_attribute_set(c, ".conformance.count", &count, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, ".conformance.count", &t, &v), MSTRO_OK);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_uint64);
  assert_true(*(const uint64_t *)v == count);
  assert_int_equal(mstro_cdo_attribute_set(c, ".conformance.label", &label, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, ".conformance.label", &t, &v), MSTRO_OK);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_cstring);
  assert_string_equal(*(const char *const *)v, "user label");
  assert_int_equal(mstro_cdo_attribute_set(c, ".conformance.stamp", &ts, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, ".conformance.stamp", &t, &v), MSTRO_OK);
  assert_int_equal(t, MSTRO_CDO_ATTR_VALUE_timestamp);
  assert_int_equal(((const mstro_timestamp *)v)->sec, ts.sec);
  assert_int_equal(((const mstro_timestamp *)v)->nsec, ts.nsec);
  assert_int_equal(((const mstro_timestamp *)v)->offset, ts.offset);
  /* a value set replaces the old one at once */
  step = 7;
  assert_int_equal(mstro_cdo_attribute_set(c, ".conformance.step", &step, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, ".conformance.step", &t, &v), MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, 7);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

static void test_producer_lifecycle(void **state)
{
  mstro_cdo c = NULL;
  (void)state;
  assert_int_equal(mstro_cdo_declare("prod", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_seal(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

static void test_consumer_lifecycle(void **state)
{
  mstro_cdo c = NULL;
  (void)state;
  assert_int_equal(mstro_cdo_declare("cons", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_retract(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

static void test_offer_demand_attributes(void **state)
{
  mstro_cdo p = NULL, c = NULL;
  int64_t size = 1000, lifetime = 99;
  char *buf = malloc((size_t)size);
  void *d = NULL;
  int64_t len = 0;
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  (void)state;
  for (int i = 0; i < size; i++)
    buf[i] = (char)i;
  assert_int_equal(mstro_cdo_declare("od", MSTRO_ATTR_DEFAULT, &p), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, "scope.local-size", &size, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, "lifetime", &lifetime, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);

  assert_int_equal(mstro_cdo_declare("od", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_get(c, "lifetime", &t, &v), MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, 99);
  assert_int_equal(mstro_cdo_attribute_get(c, "scope.local-size", &t, &v), MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, size);
  assert_int_equal(mstro_cdo_access_ptr(c, &d, &len), MSTRO_OK);
  assert_int_equal(len, size);
  assert_memory_equal(d, buf, (size_t)size);
  /* same thread withdraws before the consumer disposes: no deadlock */
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &d, &len), MSTRO_OK);
  assert_memory_equal(d, buf, (size_t)size);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  free(buf);
}

static void deadline_in(struct timespec *ts, long ms)
{
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_nsec += (ms % 1000) * 1000000L;
  ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
  ts->tv_nsec %= 1000000000L;
}

static void test_subscription_nothing(void **state)
{
  mstro_cdo_selector sel = NULL;
  mstro_subscription s = NULL;
  mstro_pool_event e = (mstro_pool_event)1;
  struct timespec ts;
  mstro_cdo c = NULL;
  (void)state;
  assert_int_equal(
      mstro_cdo_selector_create(NULL, NULL, "(has .maestro.core.cdo.layout.ndims)", &sel),
      MSTRO_OK);
  assert_int_equal(mstro_subscribe(sel, MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_DECLARE,
                                   MSTRO_SUBSCRIPTION_OPTS_DEFAULT, &s),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(sel), MSTRO_OK); /* the subscription keeps its own */
  assert_int_equal(mstro_cdo_declare("nothing-matches", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_subscription_poll(s, &e), MSTRO_OK);
  assert_null(e);
  deadline_in(&ts, 50);
  e = (mstro_pool_event)1;
  assert_int_equal(mstro_subscription_timedwait(s, &ts, &e), MSTRO_TIMEOUT);
  assert_null(e);
  /* a past deadline returns at once */
  ts.tv_sec -= 100;
  assert_int_equal(mstro_subscription_timedwait(s, &ts, &e), MSTRO_TIMEOUT);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
}

struct offer_arg {
  const char *name;
  mstro_status st;
};

static void *offer_thread(void *arg)
{
  struct offer_arg *a = arg;
  mstro_cdo c = NULL;
  a->st = mstro_cdo_declare(a->name, MSTRO_ATTR_DEFAULT, &c);
  if (a->st == MSTRO_OK)
    a->st = mstro_cdo_offer(c); /* blocks until the ack */
  if (a->st == MSTRO_OK)
    a->st = mstro_cdo_withdraw(c);
  if (a->st == MSTRO_OK)
    a->st = mstro_cdo_dispose(c);
  return NULL;
}

static void test_subscription_ack(void **state)
{
  mstro_cdo_selector sel = NULL;
  mstro_subscription s = NULL;
  mstro_pool_event e = NULL;
  pthread_t th;
  struct offer_arg a = {.name = "acked", .st = MSTRO_FAIL};
  (void)state;
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, NULL, &sel), MSTRO_OK);
  assert_int_equal(
      mstro_subscribe(sel, MSTRO_POOL_EVENT_OFFER, MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK, &s),
      MSTRO_OK);
  assert_int_equal(pthread_create(&th, NULL, offer_thread, &a), 0);
  while (e == NULL) {
    assert_int_equal(mstro_subscription_poll(s, &e), MSTRO_OK);
    if (e == NULL) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
  assert_int_equal(e->kind, MSTRO_POOL_EVENT_OFFER);
  assert_string_equal(e->offer.cdo_name, "acked");
  assert_string_equal(e->payload.offer.cdo_name, "acked");
  assert_null(e->next);
  assert_int_equal(mstro_subscription_ack(s, e), MSTRO_OK);
  assert_int_equal(mstro_subscription_ack(s, e), MSTRO_INVARG); /* nothing left to ack */
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  pthread_join(th, NULL);
  assert_int_equal(a.st, MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(sel), MSTRO_OK);
}

static void test_no_data_access(void **state)
{
  mstro_cdo c = NULL;
  void *p = (void *)1;
  int64_t len = 77;
  (void)state;
  assert_int_equal(mstro_cdo_declare("empty", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_seal(c), MSTRO_OK);
  assert_int_not_equal(mstro_cdo_access_ptr(c, &p, &len), MSTRO_OK);
  assert_null(p);
  assert_int_equal(len, 0);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_declare_names),           cmocka_unit_test(test_declare_with_data),
      cmocka_unit_test(test_attributes_readback),     cmocka_unit_test(test_user_schema_values),
      cmocka_unit_test(test_producer_lifecycle),      cmocka_unit_test(test_consumer_lifecycle),
      cmocka_unit_test(test_offer_demand_attributes), cmocka_unit_test(test_subscription_nothing),
      cmocka_unit_test(test_subscription_ack),        cmocka_unit_test(test_no_data_access),
  };
  return cmocka_run_group_tests_name("conformance", tests, setup, teardown);
}
