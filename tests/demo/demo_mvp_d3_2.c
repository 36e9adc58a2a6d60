/* SPDX-License-Identifier: BSD-3-Clause */
/* demo_mvp_d3_2: the local multi-threaded Maestro demonstrator.
 *
 * Producer threads declare CDOs with data, offer them and withdraw them when
 * everyone has them; consumer threads require and demand their share and
 * check every byte; archiver threads subscribe to OFFER events with
 * REQUIRE_ACK (the offer waits for them), demand each offered CDO, check it
 * and ack. All in one process, with the in-process pool (the multi-process
 * version comes with the Pool Manager). Prints what moved and how fast;
 * exits 0 when every byte arrived intact, 1 otherwise, 2 for bad arguments.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_common.h"
#include "maestro.h"

static long n_producers = 2, n_consumers = 2, n_archivers = 1, n_cdos = 16;
static long long cdo_size = 1 << 20;
static bool copy_mode = false, quiet = false;

static atomic_int *demanded; /* per CDO: consumers + archivers done demanding */
static atomic_long mismatches, consumed, archived, zero_copy, failures;
static atomic_llong bytes_consumed, bytes_archived;
static double *latencies;
static atomic_long n_lat;
static atomic_int archivers_stop;

static void usage(FILE *f)
{
  fprintf(f, "usage: demo_mvp_d3_2 [options]\n"
             "  -p, --producers N   producer threads (default 2)\n"
             "  -c, --consumers N   consumer threads (default 2)\n"
             "  -a, --archivers N   archiver threads, 0 for none (default 1)\n"
             "  -n, --cdos N        CDOs in total (default 16)\n"
             "  -s, --size BYTES    bytes per CDO, suffix K/M/G allowed (default 1M)\n"
             "      --copy          consumers demand into their own buffers (default: zero-copy)\n"
             "  -q, --quiet         only the summary\n"
             "  -h, --help          this text\n"
             "Environment: MSTRO_LOG_LEVEL, MSTRO_TELEMETRY_DST (see docs/environment.md).\n"
             "Exit status: 0 when every byte of every CDO arrived intact, 1 otherwise.\n");
}

static void cdo_name(long i, char *buf, size_t len)
{
  snprintf(buf, len, "demo_mvp_d3_2.cdo.%06ld", i);
}

static int expected_demands(void)
{
  return 1 + (int)n_archivers; /* one consumer + every archiver */
}

struct producer_arg {
  long id;
};

static void *producer(void *arg)
{
  long id = ((struct producer_arg *)arg)->id;
  long mine = 0;
  mstro_cdo *cdos = calloc((size_t)n_cdos, sizeof *cdos);
  unsigned char **bufs = calloc((size_t)n_cdos, sizeof *bufs);
  for (long i = id; i < n_cdos; i += n_producers) {
    char name[64];
    int64_t size = cdo_size;
    mstro_status st;
    cdo_name(i, name, sizeof name);
    bufs[i] = malloc((size_t)cdo_size);
    if (bufs[i] == NULL) {
      fprintf(stderr, "producer %ld: out of memory\n", id);
      atomic_fetch_add(&failures, 1);
      continue;
    }
    demo_fill(bufs[i], (size_t)cdo_size, (uint64_t)i);
    st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[i]);
    if (st == MSTRO_OK)
      st = mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_RAW_PTR, bufs[i], false, true);
    if (st == MSTRO_OK)
      st = mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true,
                                   false);
    if (st == MSTRO_OK)
      st = mstro_cdo_offer(cdos[i]); /* returns when the archivers acked */
    if (st != MSTRO_OK) {
      fprintf(stderr, "producer %ld: offer of %s failed: %s\n", id, name,
              mstro_status_description(st));
      atomic_fetch_add(&failures, 1);
      continue;
    }
    mine++;
    if (!quiet)
      printf("producer %ld: offered %s\n", id, name);
  }
  for (long i = id; i < n_cdos; i += n_producers) {
    if (cdos[i] == NULL)
      continue;
    /* withdraw when every consumer and archiver got it (withdraw itself
     * waits for those still reading the buffer) */
    while (atomic_load(&demanded[i]) < expected_demands() && atomic_load(&failures) == 0) {
      struct timespec t = {0, 200000};
      nanosleep(&t, NULL);
    }
    if (mstro_cdo_withdraw(cdos[i]) != MSTRO_OK || mstro_cdo_dispose(cdos[i]) != MSTRO_OK)
      atomic_fetch_add(&failures, 1);
    if (demo_check(bufs[i], (size_t)cdo_size, (uint64_t)i) != 0) {
      fprintf(stderr, "producer %ld: CDO %ld changed while offered\n", id, i);
      atomic_fetch_add(&mismatches, 1);
    }
    free(bufs[i]);
  }
  (void)mine;
  free(cdos);
  free(bufs);
  return NULL;
}

static void *consumer(void *arg)
{
  long id = (long)(intptr_t)arg;
  unsigned char *own = copy_mode ? malloc((size_t)cdo_size) : NULL;
  for (long i = id; i < n_cdos; i += n_consumers) {
    char name[64];
    mstro_cdo c = NULL;
    void *data = NULL;
    int64_t len = 0;
    mstro_status st;
    double t0;
    cdo_name(i, name, sizeof name);
    st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c);
    if (st == MSTRO_OK && own != NULL) {
      int64_t size = cdo_size;
      st = mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, own, false, true);
      if (st == MSTRO_OK)
        st = mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false);
    }
    if (st == MSTRO_OK)
      st = mstro_cdo_require(c);
    t0 = demo_now();
    if (st == MSTRO_OK)
      st = mstro_cdo_demand(c);
    if (st == MSTRO_OK) {
      long k = atomic_fetch_add(&n_lat, 1);
      latencies[k] = demo_now() - t0;
    }
    atomic_fetch_add(&demanded[i], 1);
    if (st == MSTRO_OK)
      st = mstro_cdo_access_ptr(c, &data, &len);
    if (st != MSTRO_OK || len != cdo_size) {
      fprintf(stderr, "consumer %ld: %s: %s (length %lld)\n", id, name,
              mstro_status_description(st), (long long)len);
      atomic_fetch_add(&failures, 1);
    } else {
      size_t bad = demo_check(data, (size_t)len, (uint64_t)i);
      if (bad) {
        fprintf(stderr, "consumer %ld: %s: %zu bytes differ\n", id, name, bad);
        atomic_fetch_add(&mismatches, 1);
      }
      if (data != own)
        atomic_fetch_add(&zero_copy, 1);
      atomic_fetch_add(&consumed, 1);
      atomic_fetch_add(&bytes_consumed, len);
      if (!quiet)
        printf("consumer %ld: %s verified (%lld bytes)\n", id, name, (long long)len);
    }
    if (c)
      mstro_cdo_dispose(c);
  }
  free(own);
  return NULL;
}

static void archive_one(long id, const char *name, unsigned char *buf)
{
  mstro_cdo c = NULL;
  int64_t size = cdo_size;
  void *data = NULL;
  int64_t len = 0;
  long idx = -1;
  mstro_status st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c);
  sscanf(name, "demo_mvp_d3_2.cdo.%ld", &idx);
  /* the archiver keeps its own copy: demand into its buffer */
  if (st == MSTRO_OK)
    st = mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true);
  if (st == MSTRO_OK)
    st = mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false);
  if (st == MSTRO_OK)
    st = mstro_cdo_demand(c);
  if (idx >= 0 && idx < n_cdos)
    atomic_fetch_add(&demanded[idx], 1);
  if (st == MSTRO_OK)
    st = mstro_cdo_access_ptr(c, &data, &len);
  if (st != MSTRO_OK || len != cdo_size || idx < 0) {
    fprintf(stderr, "archiver %ld: %s: %s\n", id, name, mstro_status_description(st));
    atomic_fetch_add(&failures, 1);
  } else if (demo_check(data, (size_t)len, (uint64_t)idx) != 0) {
    fprintf(stderr, "archiver %ld: %s: data differ\n", id, name);
    atomic_fetch_add(&mismatches, 1);
  } else {
    atomic_fetch_add(&archived, 1);
    atomic_fetch_add(&bytes_archived, len);
    if (!quiet)
      printf("archiver %ld: %s archived\n", id, name);
  }
  if (c)
    mstro_cdo_dispose(c);
}

struct archiver_arg {
  long id;
  mstro_subscription sub;
};

static void *archiver(void *arg)
{
  struct archiver_arg *a = arg;
  unsigned char *buf = malloc((size_t)cdo_size);
  while (!atomic_load(&archivers_stop)) {
    mstro_pool_event e = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    mstro_status st = mstro_subscription_timedwait(a->sub, &ts, &e);
    if (st == MSTRO_TIMEOUT)
      continue;
    if (st != MSTRO_OK) {
      atomic_fetch_add(&failures, 1);
      break;
    }
    for (mstro_pool_event x = e; x != NULL; x = x->next)
      if (x->kind == MSTRO_POOL_EVENT_OFFER)
        archive_one(a->id, x->offer.cdo_name, buf);
    mstro_subscription_ack(a->sub, e); /* the offers resume */
    mstro_pool_event_dispose(e);
  }
  free(buf);
  return NULL;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  pthread_t *pt, *ct, *at;
  struct producer_arg *pa;
  struct archiver_arg *aa;
  mstro_cdo_selector sel = NULL;
  mstro_status st;
  double t0, secs;
  char b1[32], b2[32];
  int ok;

  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    long *target = NULL;
    long min = 1;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(o, "--copy")) {
      copy_mode = true;
      continue;
    } else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
      quiet = true;
      continue;
    } else if (!strcmp(o, "-p") || !strcmp(o, "--producers")) {
      target = &n_producers;
    } else if (!strcmp(o, "-c") || !strcmp(o, "--consumers")) {
      target = &n_consumers;
    } else if (!strcmp(o, "-a") || !strcmp(o, "--archivers")) {
      target = &n_archivers;
      min = 0;
    } else if (!strcmp(o, "-n") || !strcmp(o, "--cdos")) {
      target = &n_cdos;
    } else if (!strcmp(o, "-s") || !strcmp(o, "--size")) {
      cdo_size = demo_parse_size(v);
      if (cdo_size < 1) {
        fprintf(stderr, "demo_mvp_d3_2: bad size '%s'\n", v ? v : "");
        return 2;
      }
      i++;
      continue;
    } else {
      fprintf(stderr, "demo_mvp_d3_2: unknown option '%s'\n", o);
      usage(stderr);
      return 2;
    }
    *target = demo_parse_count(v, min, 100000);
    if (*target < 0) {
      fprintf(stderr, "demo_mvp_d3_2: bad value for %s: '%s'\n", o, v ? v : "");
      return 2;
    }
    i++;
  }

  st = mstro_init("demo_mvp_d3_2", "demo", 0);
  if (st != MSTRO_OK) {
    fprintf(stderr, "demo_mvp_d3_2: mstro_init: %s\n", mstro_status_description(st));
    return 1;
  }
  printf("demo_mvp_d3_2 (maestro %s): %ld producer(s), %ld consumer(s), %ld archiver(s); "
         "%ld CDOs of %s (%s)\n",
         mstro_version(), n_producers, n_consumers, n_archivers, n_cdos,
         demo_bytes((double)cdo_size, b1, sizeof b1),
         copy_mode ? "consumers copy into their buffers" : "consumers zero-copy");
  demanded = calloc((size_t)n_cdos, sizeof *demanded);
  latencies = calloc((size_t)n_cdos, sizeof *latencies);
  pt = calloc((size_t)n_producers, sizeof *pt);
  ct = calloc((size_t)n_consumers, sizeof *ct);
  at = calloc((size_t)n_archivers + 1, sizeof *at);
  pa = calloc((size_t)n_producers, sizeof *pa);
  aa = calloc((size_t)n_archivers + 1, sizeof *aa);

  /* archivers: every offer of a demo CDO, acknowledged before it completes */
  if (n_archivers > 0) {
    st = mstro_cdo_selector_create(NULL, NULL, "(name ~= \"^demo_mvp_d3_2[.]cdo[.]\")", &sel);
    for (long k = 0; k < n_archivers && st == MSTRO_OK; k++) {
      aa[k].id = k;
      st = mstro_subscribe(sel, MSTRO_POOL_EVENT_OFFER, MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK,
                           &aa[k].sub);
    }
    if (st != MSTRO_OK) {
      fprintf(stderr, "demo_mvp_d3_2: subscription failed: %s\n", mstro_status_description(st));
      return 1;
    }
  }
  t0 = demo_now();
  for (long k = 0; k < n_archivers; k++)
    pthread_create(&at[k], NULL, archiver, &aa[k]);
  for (long k = 0; k < n_consumers; k++)
    pthread_create(&ct[k], NULL, consumer, (void *)(intptr_t)k);
  for (long k = 0; k < n_producers; k++) {
    pa[k].id = k;
    pthread_create(&pt[k], NULL, producer, &pa[k]);
  }
  for (long k = 0; k < n_consumers; k++)
    pthread_join(ct[k], NULL);
  for (long k = 0; k < n_producers; k++)
    pthread_join(pt[k], NULL);
  secs = demo_now() - t0;
  atomic_store(&archivers_stop, 1);
  for (long k = 0; k < n_archivers; k++) {
    pthread_join(at[k], NULL);
    mstro_subscription_dispose(aa[k].sub);
  }
  if (sel)
    mstro_cdo_selector_dispose(sel);
  st = mstro_finalize();

  {
    long n = atomic_load(&n_lat);
    double med = 0;
    if (n > 0) {
      qsort(latencies, (size_t)n, sizeof *latencies, cmp_double);
      med = latencies[n / 2];
    }
    printf("summary:\n");
    printf("  offered   %ld CDOs, %s\n", n_cdos,
           demo_bytes((double)n_cdos * (double)cdo_size, b1, sizeof b1));
    printf("  consumed  %ld CDOs, %s verified byte by byte (%ld zero-copy, %ld copied)\n",
           atomic_load(&consumed), demo_bytes((double)atomic_load(&bytes_consumed), b1, sizeof b1),
           atomic_load(&zero_copy), atomic_load(&consumed) - atomic_load(&zero_copy));
    printf("  archived  %ld CDOs, %s verified (each by %ld archiver%s)\n", atomic_load(&archived),
           demo_bytes((double)atomic_load(&bytes_archived), b1, sizeof b1), n_archivers,
           n_archivers == 1 ? "" : "s");
    printf("  time      %.3f s; consumers received %s/s; median demand latency %.1f us\n", secs,
           demo_bytes((double)atomic_load(&bytes_consumed) / (secs > 0 ? secs : 1), b2, sizeof b2),
           med * 1e6);
    printf("  problems  %ld mismatching CDOs, %ld failed operations, finalize: %s\n",
           atomic_load(&mismatches), atomic_load(&failures), mstro_status_description(st));
  }
  ok = atomic_load(&mismatches) == 0 && atomic_load(&failures) == 0 && st == MSTRO_OK &&
       atomic_load(&consumed) == n_cdos && atomic_load(&archived) == n_cdos * n_archivers;
  printf("RESULT: %s\n", ok ? "OK - every byte of every CDO arrived intact" : "FAILED");
  free(demanded);
  free(latencies);
  free(pt);
  free(ct);
  free(at);
  free(pa);
  free(aa);
  return ok ? 0 : 1;
}
