/* SPDX-License-Identifier: BSD-3-Clause */
/* hello_cdo: a first Maestro producer and consumer (docs/getting-started.md).
 *
 *   hello_cdo              producer and consumer as two threads of one process
 *                          (the in-process pool)
 *   hello_cdo producer     only the producer  } as separate processes, with a
 *   hello_cdo consumer     only the consumer  } Pool Manager (MSTRO_POOL_MANAGER_INFO);
 *                                               start the producer first
 *
 * The producer declares a CDO named "hello/greeting" with 1 MiB of data and a
 * user-visible size attribute, seals and offers it, waits until a consumer has
 * it (a subscription to DISPOSE events: a consumer disposes its handle after
 * its demand returned), then withdraws and disposes. The order in which the
 * two start does not matter.
 * The consumer declares the same name, requires it, demands it and checks
 * every byte. Exit status 0 when the consumer got exactly what was offered.
 *
 * Built and run by ctest (tests/docs), so this page cannot rot.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <maestro.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CDO_NAME "hello/greeting"
#define CDO_SIZE (1 << 20)

/* Prints the failed call and its status and leaves the calling function. */
#define CHECK(call)                                                                                \
  do {                                                                                             \
    mstro_status st_ = (call);                                                                     \
    if (st_ != MSTRO_OK) {                                                                         \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                                \
              mstro_status_description(st_));                                                      \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

/* In one process the consumer starts once the producer has subscribed (not
 * needed for correctness: it only keeps the example's output in order). */
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void set_ready(void)
{
  pthread_mutex_lock(&ready_lock);
  ready = 1;
  pthread_cond_broadcast(&ready_cv);
  pthread_mutex_unlock(&ready_lock);
}

static void wait_ready(void)
{
  pthread_mutex_lock(&ready_lock);
  while (!ready)
    pthread_cond_wait(&ready_cv, &ready_lock);
  pthread_mutex_unlock(&ready_lock);
}

static unsigned char pattern(size_t i)
{
  return (unsigned char)(i * 31 + 7);
}

static int produce(void)
{
  unsigned char *buf = malloc(CDO_SIZE);
  int64_t size = CDO_SIZE;
  mstro_cdo cdo;
  mstro_cdo_selector sel;
  mstro_subscription done;
  mstro_pool_event ev = NULL;

  if (buf == NULL)
    return 1;
  for (size_t i = 0; i < CDO_SIZE; i++)
    buf[i] = pattern(i);

  /* Be told when a consumer is done with our CDO, so that we withdraw only
   * then. A consumer disposes its handle after its demand returned, so its
   * DISPOSE event comes after our offer: subscribing first, we cannot miss it.
   * The selector keeps other CDOs' events away; the name is checked again
   * below, on each event, because a subscription may deliver a list. */
  CHECK(mstro_cdo_selector_create(NULL, NULL, "(.maestro.core.cdo.name = \"" CDO_NAME "\")", &sel));
  CHECK(mstro_subscribe(sel, MSTRO_POOL_EVENT_DISPOSE, MSTRO_SUBSCRIPTION_OPTS_DEFAULT, &done));
  set_ready();

  /* Declare, attach the data (raw-ptr + scope.local-size), seal, offer. */
  CHECK(mstro_cdo_declare(CDO_NAME, MSTRO_ATTR_DEFAULT, &cdo));
  CHECK(mstro_cdo_attribute_set(cdo, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true));
  CHECK(mstro_cdo_attribute_set(cdo, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false));
  CHECK(mstro_cdo_seal(cdo));
  CHECK(mstro_cdo_offer(cdo)); /* from now on Maestro may read buf; we must not touch it */
  printf("producer: offered %s (%lld bytes)\n", mstro_cdo_name(cdo), (long long)size);
  fflush(stdout); /* scripts wait for this line before they start the consumer */

  /* Wait (at most 60 s) until a consumer disposed its handle of our CDO.
   * Events come as lists chained through `next`. */
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  for (bool had_it = false; !had_it;) {
    CHECK(mstro_subscription_timedwait(done, &deadline, &ev)); /* MSTRO_TIMEOUT after 60 s */
    for (mstro_pool_event e = ev; e != NULL; e = e->next)
      if (e->kind == MSTRO_POOL_EVENT_DISPOSE && e->dispose.cdo_name != NULL &&
          strcmp(e->dispose.cdo_name, CDO_NAME) == 0)
        had_it = true;
    CHECK(mstro_pool_event_dispose(ev));
  }
  printf("producer: a consumer has %s\n", CDO_NAME);

  /* Withdraw waits for transfers still reading buf; then buf is ours again. */
  CHECK(mstro_cdo_withdraw(cdo));
  CHECK(mstro_cdo_dispose(cdo));
  CHECK(mstro_subscription_dispose(done));
  CHECK(mstro_cdo_selector_dispose(sel));
  free(buf);
  return 0;
}

static int consume(void)
{
  mstro_cdo cdo;
  void *data = NULL;
  int64_t len = 0;

  CHECK(mstro_cdo_declare(CDO_NAME, MSTRO_ATTR_DEFAULT, &cdo));
  CHECK(mstro_cdo_require(cdo)); /* announce the need: transport may start now */
  CHECK(mstro_cdo_demand(cdo));  /* returns when data and metadata are here */
  CHECK(mstro_cdo_access_ptr(cdo, &data, &len));

  const int64_t *size = NULL;
  enum mstro_cdo_attr_value_type type;
  CHECK(mstro_cdo_attribute_get(cdo, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &type,
                                (const void **)&size));

  size_t bad = 0;
  for (int64_t i = 0; i < len; i++)
    bad += ((const unsigned char *)data)[i] != pattern((size_t)i);
  printf("consumer: got %s, %lld bytes (attribute scope.local-size = %lld), %zu wrong\n",
         mstro_cdo_name(cdo), (long long)len, size ? (long long)*size : -1LL, bad);
  CHECK(mstro_cdo_dispose(cdo)); /* Maestro-owned memory is released here */
  return (bad == 0 && len == CDO_SIZE) ? 0 : 1;
}

static void *producer_thread(void *arg)
{
  *(int *)arg = produce();
  set_ready(); /* also when produce() failed early */
  return NULL;
}

int main(int argc, char **argv)
{
  const char *role = argc > 1 ? argv[1] : "both";
  int rc = 0, prc = 0;

  if (strcmp(role, "both") != 0 && strcmp(role, "producer") != 0 && strcmp(role, "consumer") != 0) {
    fprintf(stderr, "usage: %s [both|producer|consumer]\n", argv[0]);
    return 2;
  }
  /* Workflow and component names; NULL would read MSTRO_WORKFLOW_NAME and
   * MSTRO_COMPONENT_NAME. With MSTRO_POOL_MANAGER_INFO set, this joins the PM. */
  CHECK(mstro_init("hello-workflow", role, 0));

  if (strcmp(role, "producer") == 0) {
    rc = produce();
  } else if (strcmp(role, "consumer") == 0) {
    rc = consume();
  } else {
    pthread_t t;
    if (pthread_create(&t, NULL, producer_thread, &prc) != 0)
      return 1;
    wait_ready();
    rc = consume();
    pthread_join(t, NULL);
    rc = rc || prc;
  }

  CHECK(mstro_finalize());
  printf("%s: %s\n", role, rc == 0 ? "done" : "FAILED");
  return rc;
}
