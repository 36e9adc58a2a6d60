/* SPDX-License-Identifier: BSD-3-Clause */
/* A component of the cross-application demo and of check_pm_interlock.sh:
 * a producer or a consumer process that joins the Pool Manager named by
 * MSTRO_POOL_MANAGER_INFO and exchanges CDOs through it.
 *
 *   pm_component producer [-n COUNT] [-s SIZE] [--2d] [--stall]
 *   pm_component consumer [-n COUNT] [-s SIZE] [--2d [--colmajor]] [--own-buffer] [--quiet]
 *   pm_component acker [-n COUNT] [--all-kinds] [--no-ack] [--go-file FILE | --delay-ms MS |
 * --hold] pm_component ops [--name NAME]
 *
 * The producer offers COUNT CDOs "cdo-<i>" of SIZE bytes (a pattern every
 * byte of which the consumer checks; with --2d a row-major matrix of
 * doubles), waits until the consumer offers "consumer-done", then withdraws.
 * The consumer requires and demands each, checks every byte and the
 * attributes (size; with --2d the layout, and with --colmajor it asks for
 * column-major and checks the transposition), prints what moved and how
 * fast, then offers "consumer-done". With --own-buffer the consumer demands
 * into buffers of its own (raw-ptr), where the bytes must land. A producer with --stall offers and
 * then hangs until killed (failure tests); with --no-wait it withdraws at once
 * instead of waiting for "consumer-done"; with --stamp it prints
 * "offer-returned cdo-<i> <ns>" (CLOCK_MONOTONIC) when each offer returns;
 * with --dump DIR it writes the bytes it offers to DIR/cdo-<i>.data first.
 * The acker (check_pm_acks.sh) subscribes to OFFER events of other
 * components (--all-kinds: every CDO and transfer kind) with _REQUIRE_ACK
 * (--no-ack: without), prints "acker: subscribed", and for each batch of
 * events (COUNT in all) prints "acker: event <KIND> <cdo>" per event, waits
 * until FILE exists (at most 120 s) or MS milliseconds, prints "acker: ack
 * <ns> <KIND>..." and acks the batch; with --hold it never acks (it is
 * killed).
 * The ops role runs every CDO operation once, as producer and consumer of
 * one CDO NAME (default "held"): declare the consumer's handle, require,
 * retract, declare the producer's, seal, offer, demand, withdraw, dispose
 * both, printing "ops: <op> <start_ns> <end_ns>" (CLOCK_MONOTONIC) for each,
 * so that check_pm_acks.sh can tell that an acker's ack fell inside it.
 * Exit status 0 only if everything checked out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo_common.h"
#include "maestro.h"

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    fprintf(stderr, "pm_component %s: ", role);                                                    \
    fprintf(stderr, __VA_ARGS__);                                                                  \
    fputc('\n', stderr);                                                                           \
    rc = 1;                                                                                        \
    goto cleanup;                                                                                  \
  } while (0)

static const char *role = "?";

static unsigned long long now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

#define HELD_KINDS                                                                                 \
  (MSTRO_POOL_EVENT_DECLARE | MSTRO_POOL_EVENT_SEAL | MSTRO_POOL_EVENT_OFFER |                     \
   MSTRO_POOL_EVENT_REQUIRE | MSTRO_POOL_EVENT_RETRACT | MSTRO_POOL_EVENT_DEMAND |                 \
   MSTRO_POOL_EVENT_WITHDRAW | MSTRO_POOL_EVENT_DISPOSE | MSTRO_POOL_EVENT_TRANSFER_STARTED |      \
   MSTRO_POOL_EVENT_TRANSFER_COMPLETED)

static const char *event_cdo(mstro_pool_event e)
{
  if (e->kind == MSTRO_POOL_EVENT_TRANSFER_STARTED)
    return e->payload.transfer_started.cdo_name;
  if (e->kind == MSTRO_POOL_EVENT_TRANSFER_COMPLETED)
    return e->payload.transfer_completed.cdo_name;
  return e->payload.offer.cdo_name; /* the CDO payloads share one layout */
}

/* The acker role: hold other components' operations until told to ack. */
static int run_acker(long n, const char *go_file, long delay_ms, bool hold, bool all_kinds,
                     bool no_ack)
{
  int rc = 0;
  bool joined = false;
  mstro_cdo_selector all = NULL;
  mstro_subscription sub = NULL;
  mstro_status st = mstro_init(NULL, role, 0);
  if (st != MSTRO_OK)
    FAIL("mstro_init: %s", mstro_status_description(st));
  joined = true;
  if ((st = mstro_cdo_selector_create(NULL, NULL, NULL, &all)) != MSTRO_OK ||
      (st = mstro_subscribe(all, all_kinds ? HELD_KINDS : MSTRO_POOL_EVENT_OFFER,
                            no_ack ? 0 : MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK, &sub)) != MSTRO_OK)
    FAIL("subscribe: %s", mstro_status_description(st));
  printf("acker: subscribed\n");
  fflush(stdout);
  for (long got = 0; got < n;) {
    mstro_pool_event e = NULL;
    if ((st = mstro_subscription_wait(sub, &e)) != MSTRO_OK)
      FAIL("wait: %s", mstro_status_description(st));
    for (mstro_pool_event x = e; x != NULL; x = x->next, got++)
      printf("acker: event %s %s\n", mstro_pool_event_description(x->kind), event_cdo(x));
    fflush(stdout);
    if (hold)
      for (;;)
        pause();
    if (no_ack) {
      mstro_pool_event_dispose(e);
      continue;
    }
    for (int i = 0; i < 120000 && go_file != NULL && access(go_file, F_OK) != 0; i++)
      usleep(1000);
    if (delay_ms > 0)
      usleep((useconds_t)delay_ms * 1000);
    printf("acker: ack %llu", now_ns());
    for (mstro_pool_event x = e; x != NULL; x = x->next)
      printf(" %s", mstro_pool_event_description(x->kind));
    printf("\n");
    fflush(stdout);
    st = mstro_subscription_ack(sub, e);
    mstro_pool_event_dispose(e);
    if (st != MSTRO_OK)
      FAIL("ack: %s", mstro_status_description(st));
  }
cleanup:
  if (sub != NULL)
    mstro_subscription_dispose(sub);
  if (all != NULL)
    mstro_cdo_selector_dispose(all);
  if (joined && (st = mstro_finalize()) != MSTRO_OK) {
    fprintf(stderr, "pm_component acker: mstro_finalize: %s\n", mstro_status_description(st));
    rc = 1;
  }
  return rc;
}

/* The ops role: every CDO operation once, each stamped. */
#define OP(what, call)                                                                             \
  do {                                                                                             \
    unsigned long long t0_ = now_ns();                                                             \
    if ((st = (call)) != MSTRO_OK)                                                                 \
      FAIL("%s: %s", what, mstro_status_description(st));                                          \
    printf("ops: %s %llu %llu\n", what, t0_, now_ns());                                            \
    fflush(stdout);                                                                                \
  } while (0)

static int run_ops(const char *name)
{
  int rc = 0;
  bool joined = false;
  mstro_cdo prod = NULL, cons = NULL;
  static uint64_t bytes[512];
  void *p = bytes;
  int64_t sz = (int64_t)sizeof bytes;
  mstro_status st = mstro_init(NULL, role, 0);
  if (st != MSTRO_OK)
    FAIL("mstro_init: %s", mstro_status_description(st));
  joined = true;
  for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++)
    bytes[i] = i * 0x9e3779b97f4a7c15ull;
  OP("declare", mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cons));
  OP("require", mstro_cdo_require(cons));
  OP("retract", mstro_cdo_retract(cons));
  OP("declare", mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &prod));
  if (mstro_cdo_attribute_set(prod, MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false) != MSTRO_OK ||
      mstro_cdo_attribute_set(prod, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &sz, true, false) !=
          MSTRO_OK)
    FAIL("attributes of %s", name);
  OP("seal", mstro_cdo_seal(prod));
  OP("offer", mstro_cdo_offer(prod));
  OP("demand", mstro_cdo_demand(cons));
  void *data = NULL;
  int64_t len = 0;
  if ((st = mstro_cdo_access_ptr(cons, &data, &len)) != MSTRO_OK || len != sz ||
      memcmp(data, bytes, sizeof bytes) != 0)
    FAIL("the demanded bytes differ from the offered ones");
  OP("withdraw", mstro_cdo_withdraw(prod));
  mstro_cdo c = cons, q = prod;
  cons = prod = NULL;
  OP("dispose", mstro_cdo_dispose(c));
  OP("dispose", mstro_cdo_dispose(q));
cleanup:
  if (cons != NULL)
    mstro_cdo_dispose(cons);
  if (prod != NULL)
    mstro_cdo_dispose(prod);
  if (joined && (st = mstro_finalize()) != MSTRO_OK) {
    fprintf(stderr, "pm_component ops: mstro_finalize: %s\n", mstro_status_description(st));
    rc = 1;
  }
  return rc;
}

/* The matrix of --2d: rows x cols doubles, element (r, c) = r * 1000003 + c + seed. */
static void dims_for(long long size, int64_t dims[2])
{
  int64_t n = size / 8;
  int64_t r = 1;
  while ((r + 1) * (r + 1) <= n)
    r++;
  while (n % r != 0)
    r--;
  dims[0] = r;
  dims[1] = n / r;
}

static double elem(int64_t r, int64_t c, long seed)
{
  return (double)r * 1000003.0 + (double)c + (double)seed * 0.5;
}

int main(int argc, char **argv)
{
  int rc = 0;
  long n = 4;
  long long size = 1 << 20;
  bool two_d = false, colmajor = false, quiet = false, joined = false, stall = false,
       own_buffer = false, no_wait = false, stamp = false, hold = false, all_kinds = false,
       no_ack = false;
  long delay_ms = 0;
  const char *go_file = NULL, *dump_dir = NULL, *ops_name = "held";
  mstro_cdo *cdos = NULL;
  mstro_cdo done_req = NULL;               /* the producer's "consumer-done", required up front */
  static uint64_t done_token = 0x646f6e65; /* consumer-done carries bytes: see below */
  unsigned char **bufs = NULL;
  mstro_status st;

  if (argc < 2 || (strcmp(argv[1], "producer") != 0 && strcmp(argv[1], "consumer") != 0 &&
                   strcmp(argv[1], "acker") != 0 && strcmp(argv[1], "ops") != 0)) {
    fprintf(stderr,
            "usage: %s producer|consumer|acker|ops [-n COUNT] [-s SIZE] [--2d] [--colmajor] "
            "[--quiet] [--no-wait] [--stamp] [--go-file FILE] [--delay-ms MS] [--hold] "
            "[--all-kinds] [--no-ack] [--name NAME]\n",
            argv[0]);
    return 2;
  }
  role = argv[1];
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      n = demo_parse_count(argv[++i], 1, 100000);
    else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
      size = demo_parse_size(argv[++i]);
    else if (strcmp(argv[i], "--2d") == 0)
      two_d = true;
    else if (strcmp(argv[i], "--colmajor") == 0)
      colmajor = true;
    else if (strcmp(argv[i], "--quiet") == 0)
      quiet = true;
    else if (strcmp(argv[i], "--stall") == 0)
      stall = true;
    else if (strcmp(argv[i], "--own-buffer") == 0)
      own_buffer = true;
    else if (strcmp(argv[i], "--no-wait") == 0)
      no_wait = true;
    else if (strcmp(argv[i], "--stamp") == 0)
      stamp = true;
    else if (strcmp(argv[i], "--hold") == 0)
      hold = true;
    else if (strcmp(argv[i], "--go-file") == 0 && i + 1 < argc)
      go_file = argv[++i];
    else if (strcmp(argv[i], "--delay-ms") == 0 && i + 1 < argc)
      delay_ms = demo_parse_count(argv[++i], 0, 60000);
    else if (strcmp(argv[i], "--all-kinds") == 0)
      all_kinds = true;
    else if (strcmp(argv[i], "--no-ack") == 0)
      no_ack = true;
    else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
      ops_name = argv[++i];
    else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
      dump_dir = argv[++i];
    else {
      fprintf(stderr, "pm_component: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (n < 1 || size < 8) {
    fprintf(stderr, "pm_component: bad count or size (size >= 8)\n");
    return 2;
  }
  if (two_d)
    size = size / 8 * 8;
  if (strcmp(role, "acker") == 0)
    return run_acker(n, go_file, delay_ms, hold, all_kinds, no_ack);
  if (strcmp(role, "ops") == 0)
    return run_ops(ops_name);
  bool producer = strcmp(role, "producer") == 0;

  st = mstro_init(NULL, role, 0);
  if (st != MSTRO_OK)
    FAIL("mstro_init: %s", mstro_status_description(st));
  joined = true;
  cdos = calloc((size_t)n, sizeof *cdos);
  bufs = calloc((size_t)n, sizeof *bufs);
  if (cdos == NULL || bufs == NULL)
    FAIL("out of memory");

  /* The producer requires "consumer-done" before offering: the PM then sends
   * it a ticket as soon as the consumer offers it, and the consumer's
   * withdraw waits for that transfer. Demanding only at the end would race
   * with a consumer that offers and withdraws first. */
  if (producer && !no_wait && !stall &&
      ((st = mstro_cdo_declare("consumer-done", MSTRO_ATTR_DEFAULT, &done_req)) != MSTRO_OK ||
       (st = mstro_cdo_require(done_req)) != MSTRO_OK))
    FAIL("require consumer-done: %s", mstro_status_description(st));
  int64_t dims[2] = {0, 0};
  dims_for(size, dims);
  int64_t esize = 8, ndims = 2;
  int64_t order =
      producer || !colmajor ? MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR : MSTRO_CDO_LAYOUT_ORDER_COLMAJOR;
  for (long i = 0; i < n; i++) {
    char name[64];
    snprintf(name, sizeof name, "cdo-%ld", i);
    if ((st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[i])) != MSTRO_OK)
      FAIL("declare %s: %s", name, mstro_status_description(st));
    if (two_d) {
      mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, &esize, true,
                              false);
      mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS, &ndims, true, false);
      mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE, dims, true, false);
      st = mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER, &order, true, false);
      if (st != MSTRO_OK)
        FAIL("layout attributes of %s: %s", name, mstro_status_description(st));
    }
    if (producer) {
      bufs[i] = malloc((size_t)size);
      if (bufs[i] == NULL)
        FAIL("out of memory");
      if (two_d) {
        double *d = (double *)bufs[i];
        for (int64_t r = 0; r < dims[0]; r++)
          for (int64_t c = 0; c < dims[1]; c++)
            d[r * dims[1] + c] = elem(r, c, i);
      } else {
        demo_fill(bufs[i], (size_t)size, (uint64_t)i + 1);
      }
      if (dump_dir != NULL) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.data", dump_dir, name);
        FILE *f = fopen(path, "wb");
        bool ok = f != NULL && fwrite(bufs[i], 1, (size_t)size, f) == (size_t)size;
        if (f != NULL && fclose(f) != 0)
          ok = false;
        if (!ok)
          FAIL("cannot write %s", path);
      }
      int64_t sz = size;
      void *p = bufs[i];
      mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false);
      mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &sz, true, false);
      if ((st = mstro_cdo_seal(cdos[i])) != MSTRO_OK || (st = mstro_cdo_offer(cdos[i])) != MSTRO_OK)
        FAIL("offer %s: %s", name, mstro_status_description(st));
      if (stamp) {
        printf("producer: offer-returned %s %llu\n", name, now_ns());
        fflush(stdout);
      }
    } else if (own_buffer && (bufs[i] = malloc((size_t)size)) == NULL) {
      FAIL("out of memory");
    } else if (own_buffer && (mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_RAW_PTR,
                                                      (void *)&bufs[i], true, false) != MSTRO_OK ||
                              mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE,
                                                      &size, true, false) != MSTRO_OK)) {
      FAIL("cannot give %s the consumer's buffer", name);
    } else if ((st = mstro_cdo_require(cdos[i])) != MSTRO_OK) {
      FAIL("require %s: %s", name, mstro_status_description(st));
    }
  }

  if (producer && stall) {
    /* failure tests: a producer that offered and then hangs until killed */
    printf("producer: offered, stalling\n");
    fflush(stdout);
    for (;;)
      pause();
  }
  if (producer) {
    if (done_req != NULL && (st = mstro_cdo_demand(done_req)) != MSTRO_OK)
      FAIL("demand consumer-done: %s", mstro_status_description(st));
    if (done_req != NULL)
      mstro_cdo_dispose(done_req);
    done_req = NULL;
    for (long i = 0; i < n; i++)
      if ((st = mstro_cdo_withdraw(cdos[i])) != MSTRO_OK)
        FAIL("withdraw cdo-%ld: %s", i, mstro_status_description(st));
    if (!quiet)
      printf("producer: offered %ld CDO(s) of %lld bytes; withdrawn, data unchanged\n", n, size);
  } else {
    double t0 = demo_now(), lat_min = 1e30;
    for (long i = 0; i < n; i++) {
      double t = demo_now();
      if ((st = mstro_cdo_demand(cdos[i])) != MSTRO_OK)
        FAIL("demand cdo-%ld: %s", i, mstro_status_description(st));
      t = demo_now() - t;
      if (t < lat_min)
        lat_min = t;
      void *data = NULL;
      int64_t len = 0;
      if ((st = mstro_cdo_access_ptr(cdos[i], &data, &len)) == MSTRO_OK && own_buffer &&
          data != bufs[i])
        FAIL("cdo-%ld: the data are not in the consumer's own buffer", i);
      if (st != MSTRO_OK || len != size)
        FAIL("cdo-%ld: access_ptr %s, %lld bytes of %lld", i, mstro_status_description(st),
             (long long)len, size);
      enum mstro_cdo_attr_value_type t_;
      const void *v = NULL;
      if (mstro_cdo_attribute_get(cdos[i], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &t_, &v) !=
              MSTRO_OK ||
          v == NULL || *(const int64_t *)v != size)
        FAIL("cdo-%ld: attribute scope.local-size wrong", i);
      if (two_d) {
        const double *d = data;
        if (mstro_cdo_attribute_get(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS, &t_, &v) !=
                MSTRO_OK ||
            v == NULL || *(const int64_t *)v != 2)
          FAIL("cdo-%ld: attribute layout.ndims wrong", i);
        if (mstro_cdo_attribute_get(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER, &t_, &v) !=
                MSTRO_OK ||
            v == NULL || *(const int64_t *)v != order)
          FAIL("cdo-%ld: attribute layout.order is not the consumer's", i);
        for (int64_t r = 0; r < dims[0]; r++)
          for (int64_t c = 0; c < dims[1]; c++) {
            double got = colmajor ? d[c * dims[0] + r] : d[r * dims[1] + c];
            if (got != elem(r, c, i))
              FAIL("cdo-%ld: element (%lld, %lld) is %g, expected %g", i, (long long)r,
                   (long long)c, got, elem(r, c, i));
          }
      } else {
        size_t bad = demo_check(data, (size_t)size, (uint64_t)i + 1);
        if (bad != 0)
          FAIL("cdo-%ld: %zu byte(s) differ from what the producer offered", i, bad);
      }
      if ((st = mstro_cdo_dispose(cdos[i])) != MSTRO_OK)
        FAIL("dispose cdo-%ld: %s", i, mstro_status_description(st));
      cdos[i] = NULL;
    }
    double el = demo_now() - t0;
    char b1[32], b2[32], b3[32];
    printf("consumer: received %ld CDO(s) of %s (%s total)%s in %.3f s: %s/s; fastest demand "
           "%.1f us; every byte and attribute checked\n",
           n, demo_bytes((double)size, b1, sizeof b1), demo_bytes((double)size * n, b2, sizeof b2),
           two_d ? (colmajor ? ", row-major -> column-major" : ", 2D row-major") : "", el,
           demo_bytes((double)size * n / el, b3, sizeof b3), lat_min * 1e6);
    mstro_cdo done = NULL;
    /* with bytes, so that the producer's require gets a ticket for it (a
     * CDO without data is not fetched ahead) */
    void *tp = &done_token;
    int64_t tsz = (int64_t)sizeof done_token;
    if ((st = mstro_cdo_declare("consumer-done", MSTRO_ATTR_DEFAULT, &done)) != MSTRO_OK ||
        (st = mstro_cdo_attribute_set(done, MSTRO_ATTR_CORE_CDO_RAW_PTR, &tp, true, false)) !=
            MSTRO_OK ||
        (st = mstro_cdo_attribute_set(done, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &tsz, true,
                                      false)) != MSTRO_OK ||
        (st = mstro_cdo_seal(done)) != MSTRO_OK || (st = mstro_cdo_offer(done)) != MSTRO_OK)
      FAIL("offer consumer-done: %s", mstro_status_description(st));
    /* returns once the producer has fetched it (the producer required it
     * before offering, so its ticket is in flight; without a producer that
     * waits for it, at once) */
    if ((st = mstro_cdo_withdraw(done)) != MSTRO_OK)
      FAIL("withdraw consumer-done: %s", mstro_status_description(st));
    mstro_cdo_dispose(done);
  }

cleanup:
  if (done_req != NULL)
    mstro_cdo_dispose(done_req);
  if (cdos != NULL)
    for (long i = 0; i < n; i++)
      if (cdos[i] != NULL)
        mstro_cdo_dispose(cdos[i]);
  if (joined && (st = mstro_finalize()) != MSTRO_OK) {
    fprintf(stderr, "pm_component %s: mstro_finalize: %s\n", role, mstro_status_description(st));
    rc = 1;
  }
  if (bufs != NULL)
    for (long i = 0; i < n; i++)
      free(bufs[i]);
  free(bufs);
  free(cdos);
  return rc;
}
