/* SPDX-License-Identifier: BSD-3-Clause */
/* Events and subscriptions through the public API: every operation raises
 * its event, kind masks and selectors filter, poll/wait/timedwait,
 * REQUIRE_ACK blocks the operation, SIGNAL_BEFORE comes before the effect,
 * dispose releases pending acks, events chain through next. */
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
  return mstro_init("events", "test", 0) == MSTRO_OK ? 0 : -1;
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

static void deadline_in(struct timespec *ts, long ms)
{
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_nsec += (ms % 1000) * 1000000L;
  ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
  ts->tv_nsec %= 1000000000L;
}

static mstro_subscription subscribe(const char *query, mstro_pool_event_kind kinds,
                                    mstro_subscription_opts opts)
{
  mstro_cdo_selector sel = NULL;
  mstro_subscription s = NULL;
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, query, &sel), MSTRO_OK);
  assert_int_equal(mstro_subscribe(sel, kinds, opts, &s), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(sel), MSTRO_OK);
  return s;
}

static void test_every_operation(void **state)
{
  mstro_subscription s = subscribe(NULL, MSTRO_POOL_EVENT__ALL, MSTRO_SUBSCRIPTION_OPTS_DEFAULT);
  mstro_cdo p = NULL, c = NULL, r = NULL;
  mstro_pool_event e = NULL;
  int64_t size = 64;
  char buf[64] = "event data";
  static const mstro_pool_event_kind expect[] = {MSTRO_POOL_EVENT_DECLARE,
                                                 MSTRO_POOL_EVENT_SEAL,
                                                 MSTRO_POOL_EVENT_OFFER,
                                                 MSTRO_POOL_EVENT_DECLARE,
                                                 MSTRO_POOL_EVENT_SEAL,
                                                 MSTRO_POOL_EVENT_REQUIRE,
                                                 MSTRO_POOL_EVENT_RETRACT,
                                                 MSTRO_POOL_EVENT_DECLARE,
                                                 MSTRO_POOL_EVENT_SEAL,
                                                 MSTRO_POOL_EVENT_TRANSFER_STARTED,
                                                 MSTRO_POOL_EVENT_TRANSFER_COMPLETED,
                                                 MSTRO_POOL_EVENT_DEMAND,
                                                 MSTRO_POOL_EVENT_DISPOSE,
                                                 MSTRO_POOL_EVENT_WITHDRAW,
                                                 MSTRO_POOL_EVENT_DISPOSE,
                                                 MSTRO_POOL_EVENT_DISPOSE};
  size_t n = 0;
  uint64_t last_serial = 0;
  (void)state;
  assert_int_equal(mstro_cdo_declare("ev", MSTRO_ATTR_DEFAULT, &p), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, "scope.local-size", &size, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("ev", MSTRO_ATTR_DEFAULT, &r), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(r), MSTRO_OK);
  assert_int_equal(mstro_cdo_retract(r), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("ev", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(r), MSTRO_OK);

  assert_int_equal(mstro_subscription_poll(s, &e), MSTRO_OK);
  assert_non_null(e);
  for (mstro_pool_event x = e; x != NULL; x = x->next, n++) {
    assert_true(n < sizeof expect / sizeof expect[0]);
    assert_int_equal(x->kind, expect[n]);
    assert_true(x->serial > last_serial);
    last_serial = x->serial;
    assert_true(x->ctime > 0);
    if (x->kind == MSTRO_POOL_EVENT_TRANSFER_COMPLETED) {
      assert_int_equal(x->transfer_completed.size, 64);
      assert_string_equal(x->transfer_completed.transport, "LOCAL");
      assert_string_equal(x->payload.transfer_completed.cdo_name, "ev");
    } else if (x->kind < MSTRO_POOL_EVENT_TRANSFER_STARTED) {
      assert_string_equal(x->declare.cdo_name, "ev"); /* every CDO payload has the name */
    }
  }
  assert_int_equal(n, sizeof expect / sizeof expect[0]);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  assert_int_equal(mstro_subscription_poll(s, &e), MSTRO_OK);
  assert_null(e);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
}

static void test_transfer_events_selected(void **state)
{
  mstro_subscription s =
      subscribe("(name = \"xfer\")",
                MSTRO_POOL_EVENT_TRANSFER_STARTED | MSTRO_POOL_EVENT_TRANSFER_COMPLETED, 0);
  mstro_cdo p = NULL, c = NULL;
  mstro_pool_event e = NULL;
  char buf[32] = "x";
  int64_t size = sizeof buf;
  (void)state;
  assert_int_equal(mstro_cdo_declare("xfer", MSTRO_ATTR_DEFAULT, &p), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(p, "scope.local-size", &size, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("xfer", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_subscription_poll(s, &e), MSTRO_OK);
  assert_non_null(e);
  assert_int_equal(e->kind, MSTRO_POOL_EVENT_TRANSFER_STARTED);
  assert_string_equal(e->transfer_started.cdo_name, "xfer");
  assert_non_null(e->next);
  assert_int_equal(e->next->kind, MSTRO_POOL_EVENT_TRANSFER_COMPLETED);
  assert_int_equal(e->next->transfer_completed.size, sizeof buf);
  assert_null(e->next->next);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(p), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(p), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
}

static void test_mask_and_selector(void **state)
{
  mstro_subscription offers = subscribe(NULL, MSTRO_POOL_EVENT_OFFER, 0);
  mstro_subscription named =
      subscribe("(name = \"sel-b\")", MSTRO_POOL_EVENT_DECLARE | MSTRO_POOL_EVENT_OFFER, 0);
  mstro_subscription regex = subscribe("(name ~= \"^sel-[ab]$\")", MSTRO_POOL_EVENT_OFFER, 0);
  mstro_subscription lifetime =
      subscribe("(and (has lifetime) (lifetime > 10))", MSTRO_POOL_EVENT_OFFER, 0);
  mstro_cdo a = NULL, b = NULL, c = NULL;
  mstro_pool_event e = NULL;
  int64_t lt = 11;
  (void)state;
  assert_int_equal(mstro_cdo_declare("sel-a", MSTRO_ATTR_DEFAULT, &a), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("sel-b", MSTRO_ATTR_DEFAULT, &b), MSTRO_OK);
  assert_int_equal(mstro_cdo_declare("sel-c", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, "lifetime", &lt, true, false), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(b), MSTRO_OK);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_OK);

  assert_int_equal(mstro_subscription_poll(offers, &e), MSTRO_OK);
  assert_non_null(e);
  assert_string_equal(e->offer.cdo_name, "sel-a");
  assert_string_equal(e->next->offer.cdo_name, "sel-b");
  assert_string_equal(e->next->next->offer.cdo_name, "sel-c");
  assert_null(e->next->next->next);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);

  assert_int_equal(mstro_subscription_poll(named, &e), MSTRO_OK);
  assert_non_null(e);
  assert_int_equal(e->kind, MSTRO_POOL_EVENT_DECLARE);
  assert_string_equal(e->declare.cdo_name, "sel-b");
  assert_int_equal(e->next->kind, MSTRO_POOL_EVENT_OFFER);
  assert_null(e->next->next);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);

  assert_int_equal(mstro_subscription_poll(regex, &e), MSTRO_OK);
  assert_non_null(e);
  assert_non_null(e->next);
  assert_null(e->next->next);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);

  assert_int_equal(mstro_subscription_poll(lifetime, &e), MSTRO_OK);
  assert_non_null(e);
  assert_string_equal(e->offer.cdo_name, "sel-c");
  assert_null(e->next);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);

  assert_int_equal(mstro_cdo_withdraw(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(b), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(a), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(b), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  /* events not taken are freed with the subscription */
  assert_int_equal(mstro_subscription_dispose(offers), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(named), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(regex), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(lifetime), MSTRO_OK);
}

struct op_thread {
  const char *name;
  atomic_int done;
  mstro_status st;
  mstro_cdo cdo;
};

static void *offer_then_flag(void *arg)
{
  struct op_thread *t = arg;
  t->st = mstro_cdo_offer(t->cdo);
  atomic_store(&t->done, 1);
  return NULL;
}

static mstro_pool_event wait_event(mstro_subscription s)
{
  mstro_pool_event e = NULL;
  struct timespec ts;
  deadline_in(&ts, 10000);
  assert_int_equal(mstro_subscription_timedwait(s, &ts, &e), MSTRO_OK);
  assert_non_null(e);
  return e;
}

static void test_require_ack_blocks(void **state)
{
  mstro_subscription s =
      subscribe(NULL, MSTRO_POOL_EVENT_OFFER, MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK);
  mstro_subscription after = subscribe(NULL, MSTRO_POOL_EVENT_OFFER, 0);
  struct op_thread t = {.name = "acked"};
  pthread_t th;
  mstro_pool_event e, e2 = NULL;
  (void)state;
  assert_int_equal(mstro_cdo_declare("acked", MSTRO_ATTR_DEFAULT, &t.cdo), MSTRO_OK);
  assert_int_equal(pthread_create(&th, NULL, offer_then_flag, &t), 0);
  e = wait_event(s);
  assert_string_equal(e->offer.cdo_name, "acked");
  sleep_ms(100);
  assert_int_equal(atomic_load(&t.done), 0); /* the offer waits for us */
  assert_int_equal(mstro_subscription_ack(s, e), MSTRO_OK);
  pthread_join(th, NULL);
  assert_int_equal(atomic_load(&t.done), 1);
  assert_int_equal(t.st, MSTRO_OK);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  /* the default subscription saw it too, and has nothing to ack */
  assert_int_equal(mstro_subscription_poll(after, &e2), MSTRO_OK);
  assert_non_null(e2);
  assert_int_equal(mstro_subscription_ack(after, e2), MSTRO_INVARG);
  assert_int_equal(mstro_pool_event_dispose(e2), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(t.cdo), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(t.cdo), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(after), MSTRO_OK);
}

static void test_signal_before(void **state)
{
  mstro_subscription before =
      subscribe(NULL, MSTRO_POOL_EVENT_OFFER,
                MSTRO_SUBSCRIPTION_OPTS_SIGNAL_BEFORE | MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK);
  mstro_subscription after = subscribe(NULL, MSTRO_POOL_EVENT_OFFER, 0);
  struct op_thread t = {.name = "before"};
  pthread_t th;
  mstro_pool_event e, e2 = NULL;
  (void)state;
  assert_int_equal(mstro_cdo_declare("before", MSTRO_ATTR_DEFAULT, &t.cdo), MSTRO_OK);
  assert_int_equal(pthread_create(&th, NULL, offer_then_flag, &t), 0);
  e = wait_event(before);
  sleep_ms(50);
  /* the offer has not taken effect: no after-event yet */
  assert_int_equal(mstro_subscription_poll(after, &e2), MSTRO_OK);
  assert_null(e2);
  assert_int_equal(mstro_subscription_ack(before, e), MSTRO_OK);
  pthread_join(th, NULL);
  assert_int_equal(t.st, MSTRO_OK);
  e2 = wait_event(after);
  assert_string_equal(e2->offer.cdo_name, "before");
  assert_true(e2->ctime >= e->ctime);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  assert_int_equal(mstro_pool_event_dispose(e2), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(t.cdo), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(t.cdo), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(before), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(after), MSTRO_OK);
}

static void test_dispose_releases_ack(void **state)
{
  mstro_subscription s =
      subscribe(NULL, MSTRO_POOL_EVENT_OFFER, MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK);
  struct op_thread t = {.name = "released"};
  pthread_t th;
  mstro_pool_event e;
  (void)state;
  assert_int_equal(mstro_cdo_declare("released", MSTRO_ATTR_DEFAULT, &t.cdo), MSTRO_OK);
  assert_int_equal(pthread_create(&th, NULL, offer_then_flag, &t), 0);
  e = wait_event(s);
  assert_int_equal(atomic_load(&t.done), 0);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK); /* releases the offer */
  pthread_join(th, NULL);
  assert_int_equal(t.st, MSTRO_OK);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  assert_int_equal(mstro_cdo_withdraw(t.cdo), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(t.cdo), MSTRO_OK);
}

static void *declare_later(void *arg)
{
  mstro_cdo c = NULL;
  (void)arg;
  sleep_ms(50);
  mstro_cdo_declare("later", MSTRO_ATTR_DEFAULT, &c);
  mstro_cdo_dispose(c);
  return NULL;
}

static void test_wait_and_timedwait(void **state)
{
  mstro_subscription s = subscribe(NULL, MSTRO_POOL_EVENT_DECLARE, 0);
  mstro_pool_event e = NULL;
  pthread_t th;
  struct timespec ts;
  mstro_cdo c = NULL;
  (void)state;
  assert_int_equal(pthread_create(&th, NULL, declare_later, NULL), 0);
  assert_int_equal(mstro_subscription_wait(s, &e), MSTRO_OK);
  assert_non_null(e);
  assert_string_equal(e->declare.cdo_name, "later");
  pthread_join(th, NULL);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  /* timedwait with an event pending returns it, even with a past deadline */
  assert_int_equal(mstro_cdo_declare("pending", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  deadline_in(&ts, -1000);
  assert_int_equal(mstro_subscription_timedwait(s, &ts, &e), MSTRO_OK);
  assert_non_null(e);
  assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  /* none pending, past deadline: at once */
  {
    uint64_t t0 = mstro_clock();
    assert_int_equal(mstro_subscription_timedwait(s, &ts, &e), MSTRO_TIMEOUT);
    assert_null(e);
    assert_true(mstro_clock() - t0 < 500000000ULL);
  }
  ts.tv_nsec = 2000000000L;
  assert_int_equal(mstro_subscription_timedwait(s, &ts, &e), MSTRO_INVARG);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
}

struct waiter_arg {
  mstro_subscription s;
  mstro_status st;
  mstro_pool_event e;
  int timed;
};

static void *blocked_waiter(void *arg)
{
  struct waiter_arg *w = arg;
  if (w->timed) {
    struct timespec ts;
    deadline_in(&ts, 60000);
    w->st = mstro_subscription_timedwait(w->s, &ts, &w->e);
  } else {
    w->st = mstro_subscription_wait(w->s, &w->e);
  }
  return NULL;
}

/* Disposing a subscription releases the threads blocked on it (a listener
 * is stopped this way). */
static void test_dispose_wakes_waiters(void **state)
{
  struct waiter_arg w[2] = {{.timed = 0}, {.timed = 1}};
  pthread_t th[2];
  mstro_subscription s = subscribe(NULL, MSTRO_POOL_EVENT_DECLARE, 0);
  (void)state;
  for (int i = 0; i < 2; i++) {
    w[i].s = s;
    w[i].st = MSTRO_OK;
    w[i].e = (mstro_pool_event)1;
    assert_int_equal(pthread_create(&th[i], NULL, blocked_waiter, &w[i]), 0);
  }
  sleep_ms(100);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  for (int i = 0; i < 2; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(w[i].st, MSTRO_INVARG);
    assert_null(w[i].e);
  }
}

static void test_bad_arguments(void **state)
{
  mstro_cdo_selector sel = NULL;
  mstro_subscription s = NULL;
  mstro_pool_event e = NULL;
  struct timespec ts = {0, 0};
  (void)state;
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, NULL, &sel), MSTRO_OK);
  /* a NULL selector is every CDO (covered by test_subscribe_null) */
  assert_int_equal(mstro_subscribe(NULL, MSTRO_POOL_EVENT_OFFER, 0, &s), MSTRO_OK);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  s = NULL;
  assert_int_equal(mstro_subscribe(sel, MSTRO_POOL_EVENT_OFFER, 0, NULL), MSTRO_INVARG);
  assert_int_equal(mstro_subscribe(sel, (mstro_pool_event_kind)0, 0, &s), MSTRO_INVARG);
  assert_int_equal(mstro_subscribe(sel, MSTRO_POOL_EVENT_OFFER,
                                   MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS |
                                       MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS,
                                   &s),
                   MSTRO_INVARG);
  assert_int_equal(mstro_subscription_poll(NULL, &e), MSTRO_INVARG);
  assert_int_equal(mstro_subscription_wait(NULL, &e), MSTRO_INVARG);
  assert_int_equal(mstro_subscription_timedwait(NULL, &ts, &e), MSTRO_INVARG);
  assert_int_equal(mstro_subscription_ack(NULL, e), MSTRO_INVARG);
  assert_int_equal(mstro_subscription_dispose(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_pool_event_dispose(NULL), MSTRO_INVARG);
  /* no local events: an in-process pool delivers nothing */
  assert_int_equal(
      mstro_subscribe(sel, MSTRO_POOL_EVENT__ALL, MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS, &s),
      MSTRO_OK);
  {
    mstro_cdo c = NULL;
    assert_int_equal(mstro_cdo_declare("quiet", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
    assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  }
  assert_int_equal(mstro_subscription_poll(s, &e), MSTRO_OK);
  assert_null(e);
  assert_int_equal(mstro_subscription_ack(s, NULL), MSTRO_INVARG);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(sel), MSTRO_OK);
  assert_string_equal(mstro_pool_event_description(MSTRO_POOL_EVENT_OFFER), "OFFER");
  assert_string_equal(mstro_pool_event_description(MSTRO_POOL_EVENT_APP_JOIN), "APP_JOIN");
  assert_string_equal(mstro_pool_event_description((mstro_pool_event_kind)(1 << 30)), "unknown");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_operation),    cmocka_unit_test(test_transfer_events_selected),
      cmocka_unit_test(test_mask_and_selector),  cmocka_unit_test(test_require_ack_blocks),
      cmocka_unit_test(test_signal_before),      cmocka_unit_test(test_dispose_releases_ack),
      cmocka_unit_test(test_wait_and_timedwait), cmocka_unit_test(test_dispose_wakes_waiters),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests_name("events", tests, setup, teardown);
}
