/* SPDX-License-Identifier: BSD-3-Clause */
/* Many-thread stress of the in-process pool (run under TSan with
 * -DMSTRO_SANITIZE=thread): producers offer and withdraw, consumers demand
 * (some the same CDO, some before it is offered, half zero-copy, half into
 * their own buffer) and verify every byte, a listener acks a REQUIRE_ACK
 * subscription, another thread churns subscriptions. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "maestro.h"

enum { NP = 4, NC = 4, PER = 300, SHARED_EVERY = 10 };

static atomic_int stop;
static atomic_long errors;
static atomic_long events_seen;
/* demands that returned, per CDO: a producer withdraws a CDO once all its
 * consumers got it (they may still be reading a shared buffer) */
static atomic_int demanded[NP][PER];

static int consumers_of(int i)
{
  return i % SHARED_EVERY == 0 ? NC : 1;
}

static size_t size_of(int p, int i)
{
  return 256 + (size_t)((p * 7 + i) % 9) * 1000;
}

static unsigned char byte_of(int p, int i, size_t k)
{
  return (unsigned char)(k * 17 + (size_t)p * 31 + (size_t)i);
}

static void report_error(const char *what, mstro_status st)
{
  fprintf(stderr, "stress: %s: %s\n", what, mstro_status_description(st));
  atomic_fetch_add(&errors, 1);
}

static void *producer(void *arg)
{
  int p = (int)(intptr_t)arg;
  mstro_cdo cdo[PER];
  unsigned char *buf[PER];
  for (int i = 0; i < PER; i++) {
    char name[64];
    int64_t n = (int64_t)size_of(p, i);
    mstro_status st;
    snprintf(name, sizeof name, "stress-%d-%d", p, i);
    buf[i] = malloc((size_t)n);
    for (size_t k = 0; k < (size_t)n; k++)
      buf[i][k] = byte_of(p, i, k);
    st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdo[i]);
    if (st == MSTRO_OK)
      st = mstro_cdo_attribute_set(cdo[i], MSTRO_ATTR_CORE_CDO_RAW_PTR, buf[i], false, true);
    if (st == MSTRO_OK)
      st = mstro_cdo_attribute_set(cdo[i], "scope.local-size", &n, true, false);
    if (st == MSTRO_OK)
      st = mstro_cdo_offer(cdo[i]);
    if (st != MSTRO_OK)
      report_error("producer offer", st);
  }
  for (int i = 0; i < PER; i++) {
    mstro_status st;
    while (atomic_load(&demanded[p][i]) < consumers_of(i)) {
      struct timespec t = {0, 100000};
      nanosleep(&t, NULL);
    }
    /* waits until every consumer sharing the buffer disposed */
    st = mstro_cdo_withdraw(cdo[i]);
    if (st != MSTRO_OK)
      report_error("producer withdraw", st);
    for (size_t k = 0; k < size_of(p, i); k++)
      if (buf[i][k] != byte_of(p, i, k)) {
        report_error("producer data changed while offered", MSTRO_FAIL);
        break;
      }
    if ((st = mstro_cdo_dispose(cdo[i])) != MSTRO_OK)
      report_error("producer dispose", st);
    free(buf[i]);
  }
  return NULL;
}

static void consume(const char *name, int p, int i, bool own)
{
  mstro_cdo c = NULL;
  mstro_status st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c);
  unsigned char *buf = NULL;
  void *d = NULL;
  int64_t len = 0;
  size_t n = size_of(p, i);
  if (st == MSTRO_OK && own) {
    int64_t sz = (int64_t)n;
    buf = malloc(n);
    st = mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true);
    if (st == MSTRO_OK)
      st = mstro_cdo_attribute_set(c, "scope.local-size", &sz, true, false);
  }
  if (st == MSTRO_OK && (i % 3) == 0)
    st = mstro_cdo_require(c);
  if (st == MSTRO_OK)
    st = mstro_cdo_demand(c);
  atomic_fetch_add(&demanded[p][i], 1);
  if (st == MSTRO_OK)
    st = mstro_cdo_access_ptr(c, &d, &len);
  if (st != MSTRO_OK) {
    report_error("consumer demand", st);
  } else if ((size_t)len != n) {
    report_error("consumer length", MSTRO_FAIL);
  } else {
    for (size_t k = 0; k < n; k++)
      if (((unsigned char *)d)[k] != byte_of(p, i, k)) {
        report_error("consumer data", MSTRO_FAIL);
        break;
      }
  }
  if (c && (st = mstro_cdo_dispose(c)) != MSTRO_OK)
    report_error("consumer dispose", st);
  free(buf);
}

static void *consumer(void *arg)
{
  int j = (int)(intptr_t)arg;
  /* go through the producers in a different order per consumer */
  for (int q = 0; q < NP; q++) {
    int p = (q + j) % NP;
    for (int i = 0; i < PER; i++) {
      char name[64];
      if (i % SHARED_EVERY != 0 && i % NC != j)
        continue; /* shared CDOs are demanded by every consumer */
      snprintf(name, sizeof name, "stress-%d-%d", p, i);
      consume(name, p, i, (i + j) % 2 == 0);
    }
  }
  return NULL;
}

static void *listener(void *arg)
{
  mstro_subscription s = arg;
  while (!atomic_load(&stop)) {
    mstro_pool_event e = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 2000000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    mstro_status st = mstro_subscription_timedwait(s, &ts, &e);
    if (st == MSTRO_TIMEOUT)
      continue;
    if (st != MSTRO_OK || e == NULL) {
      report_error("listener wait", st);
      continue;
    }
    for (mstro_pool_event x = e; x; x = x->next)
      atomic_fetch_add(&events_seen, 1);
    if ((st = mstro_subscription_ack(s, e)) != MSTRO_OK)
      report_error("listener ack", st);
    mstro_pool_event_dispose(e);
  }
  return NULL;
}

static void *churn(void *arg)
{
  mstro_cdo_selector sel = arg;
  while (!atomic_load(&stop)) {
    mstro_subscription s = NULL;
    mstro_pool_event e = NULL;
    if (mstro_subscribe(sel, MSTRO_POOL_EVENT_DEMAND | MSTRO_POOL_EVENT_DISPOSE, 0, &s) !=
        MSTRO_OK) {
      report_error("churn subscribe", MSTRO_FAIL);
      break;
    }
    struct timespec t = {0, 200000};
    nanosleep(&t, NULL);
    mstro_subscription_poll(s, &e);
    if (e)
      mstro_pool_event_dispose(e);
    mstro_subscription_dispose(s);
  }
  return NULL;
}

/* ---- groups: producers offer groups, consumers demand them (metadata) and
 * then demand every member's data */
enum { NG = 24, GM = 3, GBYTES = 4096 };
static atomic_int group_done[NG];

static void *group_producer(void *arg)
{
  int which = (int)(intptr_t)arg; /* producers take every other group */
  for (int gi = which; gi < NG; gi += 2) {
    char name[64];
    mstro_group g = NULL;
    mstro_cdo m[GM];
    unsigned char *buf[GM];
    mstro_status st;
    snprintf(name, sizeof name, "sgroup-%d", gi);
    st = mstro_group_declare(name, &g);
    for (int k = 0; k < GM && st == MSTRO_OK; k++) {
      int64_t n = GBYTES;
      char mname[64];
      snprintf(mname, sizeof mname, "sgroup-%d-m%d", gi, k);
      buf[k] = malloc(GBYTES);
      for (size_t b = 0; b < GBYTES; b++)
        buf[k][b] = byte_of(gi, k, b);
      st = mstro_cdo_declare(mname, MSTRO_ATTR_DEFAULT, &m[k]);
      if (st == MSTRO_OK)
        st = mstro_cdo_attribute_set(m[k], MSTRO_ATTR_CORE_CDO_RAW_PTR, buf[k], false, true);
      if (st == MSTRO_OK)
        st = mstro_cdo_attribute_set(m[k], "scope.local-size", &n, true, false);
      if (st == MSTRO_OK)
        st = mstro_group_add(g, m[k]);
    }
    if (st == MSTRO_OK)
      st = mstro_group_offer(g);
    if (st != MSTRO_OK) {
      report_error("group offer", st);
      continue;
    }
    while (atomic_load(&group_done[gi]) < 2) { /* two consumers per group */
      struct timespec t = {0, 100000};
      nanosleep(&t, NULL);
    }
    if ((st = mstro_group_withdraw(g)) != MSTRO_OK)
      report_error("group withdraw", st);
    for (int k = 0; k < GM; k++) {
      mstro_cdo_dispose(m[k]);
      free(buf[k]);
    }
    mstro_group_dispose(g);
  }
  return NULL;
}

static void *group_consumer(void *arg)
{
  (void)arg;
  for (int gi = 0; gi < NG; gi++) {
    char name[64];
    mstro_group g = NULL;
    mstro_cdo c = NULL;
    size_t n = 0;
    int members = 0;
    mstro_status st;
    snprintf(name, sizeof name, "sgroup-%d", gi);
    st = mstro_group_declare(name, &g);
    if (st == MSTRO_OK)
      st = mstro_group_demand(g);
    if (st == MSTRO_OK)
      st = mstro_group_size_get(g, &n);
    while (st == MSTRO_OK && (st = mstro_group_next(g, &c)) == MSTRO_OK && c != NULL) {
      int k = -1, gg = -1;
      void *d = NULL;
      int64_t len = 0;
      sscanf(mstro_cdo_name(c), "sgroup-%d-m%d", &gg, &k);
      if ((st = mstro_cdo_demand(c)) == MSTRO_OK)
        st = mstro_cdo_access_ptr(c, &d, &len);
      if (st == MSTRO_OK && (len != GBYTES || gg != gi || k < 0 ||
                             ((unsigned char *)d)[GBYTES - 1] != byte_of(gi, k, GBYTES - 1)))
        report_error("group member data", MSTRO_FAIL);
      members++;
    }
    if (st != MSTRO_OK || n != GM || members != GM)
      report_error("group demand", st);
    if (g && (st = mstro_group_dispose(g)) != MSTRO_OK)
      report_error("group dispose", st);
    atomic_fetch_add(&group_done[gi], 1);
  }
  return NULL;
}

static void test_stress(void **state)
{
  pthread_t prod[NP], cons[NC], gprod[2], gcons[2], lis, ch;
  mstro_cdo_selector all = NULL, some = NULL;
  mstro_subscription acks = NULL;
  (void)state;
  assert_int_equal(mstro_init("stress", "tsan", 0), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, NULL, &all), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_create(NULL, NULL, "(name ~= \"-1[0-9]*$\")", &some),
                   MSTRO_OK);
  assert_int_equal(mstro_subscribe(some, MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_WITHDRAW,
                                   MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK, &acks),
                   MSTRO_OK);
  assert_int_equal(pthread_create(&lis, NULL, listener, acks), 0);
  assert_int_equal(pthread_create(&ch, NULL, churn, all), 0);
  /* consumers first: many demands wait for their offers */
  for (int j = 0; j < NC; j++)
    assert_int_equal(pthread_create(&cons[j], NULL, consumer, (void *)(intptr_t)j), 0);
  for (int p = 0; p < NP; p++)
    assert_int_equal(pthread_create(&prod[p], NULL, producer, (void *)(intptr_t)p), 0);
  for (int k = 0; k < 2; k++) {
    assert_int_equal(pthread_create(&gcons[k], NULL, group_consumer, NULL), 0);
    assert_int_equal(pthread_create(&gprod[k], NULL, group_producer, (void *)(intptr_t)k), 0);
  }
  for (int j = 0; j < NC; j++)
    pthread_join(cons[j], NULL);
  for (int p = 0; p < NP; p++)
    pthread_join(prod[p], NULL);
  for (int k = 0; k < 2; k++) {
    pthread_join(gcons[k], NULL);
    pthread_join(gprod[k], NULL);
  }
  atomic_store(&stop, 1);
  pthread_join(lis, NULL);
  pthread_join(ch, NULL);
  assert_int_equal(atomic_load(&errors), 0);
  assert_true(atomic_load(&events_seen) > 0);
  assert_int_equal(mstro_subscription_dispose(acks), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(all), MSTRO_OK);
  assert_int_equal(mstro_cdo_selector_dispose(some), MSTRO_OK);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_stress)};
  return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
