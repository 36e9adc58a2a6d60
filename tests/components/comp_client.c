/* SPDX-License-Identifier: BSD-3-Clause */
/* The other components of the tests of components/ and of the offer
 * lifetime, each joining the Pool Manager of MSTRO_POOL_MANAGER_INFO:
 *
 *   comp_client produce -p PREFIX [-i FIRST] [-n N] [-s SIZE] [--lifetime S]
 *                       [--esize E --order O] [--go FILE]
 *   comp_client consume -p PREFIX [-i FIRST] [-n N] [-s SIZE] [--require-first]
 *                       [--lifetime S] [--esize E --order O]
 *   comp_client watch [-n N]
 *
 * produce offers PREFIX-<i> for i in FIRST..FIRST+N-1, SIZE bytes of the
 * demo pattern of seed i+1 (demo_common.h) with the attributes given, prints
 * "produce: offered NAME <ns>" (CLOCK_MONOTONIC) as each offer returns, waits
 * until FILE exists (--go, at most 120 s), then withdraws each, printing
 * "produce: withdraw-returned NAME <ms the withdraw took>".
 * consume declares the same names (requiring them all first with
 * --require-first, printing "consume: required NAME"), demands each and
 * checks every byte and every attribute given (a missing one is an error);
 * it prints "consume: N CDO(s), every byte and attribute checked".
 * watch subscribes to other components' WITHDRAW events and prints
 * "watch: subscribed", then "watch: WITHDRAW NAME <ns>" for N events.
 * Exit status 0 only if everything checked out. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo_common.h"
#include "maestro.h"

static unsigned long long now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

struct args {
  const char *prefix, *go;
  long first, n;
  long long size;
  int64_t lifetime, esize, order;
  bool require_first;
};

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    fprintf(stderr, "comp_client: " __VA_ARGS__);                                                  \
    fputc('\n', stderr);                                                                           \
    rc = 1;                                                                                        \
    goto cleanup;                                                                                  \
  } while (0)

static int set_attrs(mstro_cdo c, const struct args *a)
{
  int bad = 0;
  if (a->lifetime > 0)
    bad |= mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_LIFETIME, (void *)&a->lifetime, true,
                                   false) != MSTRO_OK;
  if (a->esize > 0)
    bad |= mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, (void *)&a->esize,
                                   true, false) != MSTRO_OK;
  if (a->order > 0)
    bad |= mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER, (void *)&a->order, true,
                                   false) != MSTRO_OK;
  return bad;
}

static int check_int(mstro_cdo c, const char *key, int64_t want)
{
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  if (mstro_cdo_attribute_get(c, key, &t, &v) != MSTRO_OK || v == NULL ||
      *(const int64_t *)v != want) {
    fprintf(stderr, "comp_client: %s: %s is %lld, expected %lld\n", mstro_cdo_name(c), key,
            v ? (long long)*(const int64_t *)v : -1LL, (long long)want);
    return 1;
  }
  return 0;
}

static int produce(const struct args *a)
{
  int rc = 0;
  mstro_cdo *cdos = calloc((size_t)a->n, sizeof *cdos);
  unsigned char **bufs = calloc((size_t)a->n, sizeof *bufs);
  if (cdos == NULL || bufs == NULL)
    FAIL("out of memory");
  for (long i = 0; i < a->n; i++) {
    char name[256];
    snprintf(name, sizeof name, "%s-%ld", a->prefix, a->first + i);
    int64_t size = a->size;
    if ((bufs[i] = malloc((size_t)a->size)) == NULL)
      FAIL("out of memory");
    demo_fill(bufs[i], (size_t)a->size, (uint64_t)(a->first + i) + 1);
    void *p = bufs[i];
    if (mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[i]) != MSTRO_OK ||
        mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false) !=
            MSTRO_OK ||
        mstro_cdo_attribute_set(cdos[i], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true,
                                false) != MSTRO_OK ||
        set_attrs(cdos[i], a) != 0 || mstro_cdo_offer(cdos[i]) != MSTRO_OK)
      FAIL("cannot offer %s", name);
    printf("produce: offered %s %llu\n", name, now_ns());
    fflush(stdout);
  }
  for (int k = 0; a->go != NULL && access(a->go, F_OK) != 0; k++) {
    if (k == 120000)
      FAIL("%s did not appear", a->go);
    usleep(1000);
  }
  for (long i = 0; i < a->n; i++) {
    unsigned long long t = now_ns();
    mstro_status st = mstro_cdo_withdraw(cdos[i]);
    printf("produce: withdraw-returned %s %llu\n", mstro_cdo_name(cdos[i]),
           (now_ns() - t) / 1000000ull);
    fflush(stdout);
    if (st != MSTRO_OK)
      FAIL("withdraw of %s: %s", mstro_cdo_name(cdos[i]), mstro_status_description(st));
    if (demo_check(bufs[i], (size_t)a->size, (uint64_t)(a->first + i) + 1) != 0)
      FAIL("%s: the producer's data changed", mstro_cdo_name(cdos[i]));
    mstro_cdo_dispose(cdos[i]);
    cdos[i] = NULL;
  }
cleanup:
  for (long i = 0; cdos != NULL && i < a->n; i++)
    if (cdos[i] != NULL) {
      mstro_cdo_withdraw(cdos[i]);
      mstro_cdo_dispose(cdos[i]);
    }
  for (long i = 0; bufs != NULL && i < a->n; i++)
    free(bufs[i]);
  free(cdos);
  free(bufs);
  return rc;
}

static int consume(const struct args *a)
{
  int rc = 0;
  long demanded = 0; /* cdos[demanded..] are still required (with --require-first) */
  mstro_cdo *cdos = calloc((size_t)a->n, sizeof *cdos);
  if (cdos == NULL)
    FAIL("out of memory");
  for (long i = 0; i < a->n; i++) {
    char name[256];
    snprintf(name, sizeof name, "%s-%ld", a->prefix, a->first + i);
    if (mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[i]) != MSTRO_OK)
      FAIL("cannot declare %s", name);
    if (a->require_first) {
      mstro_status st = mstro_cdo_require(cdos[i]);
      if (st != MSTRO_OK)
        FAIL("require %s: %s", name, mstro_status_description(st));
      printf("consume: required %s %llu\n", name, now_ns());
      fflush(stdout);
    }
  }
  for (; demanded < a->n; demanded++) {
    long i = demanded;
    void *data = NULL;
    int64_t len = 0;
    mstro_status st = mstro_cdo_demand(cdos[i]);
    if (st != MSTRO_OK)
      FAIL("demand %s: %s", mstro_cdo_name(cdos[i]), mstro_status_description(st));
    if (mstro_cdo_access_ptr(cdos[i], &data, &len) != MSTRO_OK || len != a->size)
      FAIL("%s: %lld bytes, expected %lld", mstro_cdo_name(cdos[i]), (long long)len, a->size);
    size_t bad = demo_check(data, (size_t)len, (uint64_t)(a->first + i) + 1);
    if (bad != 0)
      FAIL("%s: %zu byte(s) differ from what the producer offered", mstro_cdo_name(cdos[i]), bad);
    if (check_int(cdos[i], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, a->size) ||
        (a->lifetime > 0 && check_int(cdos[i], MSTRO_ATTR_CORE_CDO_LIFETIME, a->lifetime)) ||
        (a->esize > 0 && check_int(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, a->esize)) ||
        (a->order > 0 && check_int(cdos[i], MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER, a->order)))
      FAIL("%s: attributes differ", mstro_cdo_name(cdos[i]));
    printf("consume: got %s %llu\n", mstro_cdo_name(cdos[i]), now_ns());
    fflush(stdout);
  }
  printf("consume: %ld CDO(s), every byte and attribute checked\n", a->n);
cleanup:
  for (long i = 0; cdos != NULL && i < a->n; i++)
    if (cdos[i] != NULL) {
      if (a->require_first && i >= demanded)
        mstro_cdo_retract(cdos[i]);
      mstro_cdo_dispose(cdos[i]);
    }
  free(cdos);
  return rc;
}

static int watch(const struct args *a)
{
  int rc = 0;
  mstro_cdo_selector all = NULL;
  mstro_subscription s = NULL;
  if (mstro_cdo_selector_create(NULL, NULL, NULL, &all) != MSTRO_OK ||
      mstro_subscribe(all, MSTRO_POOL_EVENT_WITHDRAW, MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS,
                      &s) != MSTRO_OK)
    FAIL("cannot subscribe");
  printf("watch: subscribed\n");
  fflush(stdout);
  for (long got = 0; got < a->n;) {
    mstro_pool_event e = NULL;
    if (mstro_subscription_wait(s, &e) != MSTRO_OK)
      FAIL("wait failed");
    for (mstro_pool_event x = e; x != NULL; x = x->next, got++)
      printf("watch: WITHDRAW %s %llu\n", x->withdraw.cdo_name, now_ns());
    fflush(stdout);
    mstro_pool_event_dispose(e);
  }
cleanup:
  if (s != NULL)
    mstro_subscription_dispose(s);
  if (all != NULL)
    mstro_cdo_selector_dispose(all);
  return rc;
}

int main(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"lifetime", required_argument, NULL, 'L'}, {"esize", required_argument, NULL, 'E'},
      {"order", required_argument, NULL, 'O'},    {"go", required_argument, NULL, 'g'},
      {"require-first", no_argument, NULL, 'r'},  {NULL, 0, NULL, 0}};
  struct args a = {.prefix = "cdo", .n = 1, .size = 4096};
  int c, rc;
  if (argc < 2) {
    fprintf(stderr, "usage: comp_client produce|consume|watch [options] (see the source)\n");
    return 2;
  }
  optind = 2;
  while ((c = getopt_long(argc, argv, "p:i:n:s:", longopts, NULL)) != -1) {
    switch (c) {
    case 'p':
      a.prefix = optarg;
      break;
    case 'i':
      a.first = demo_parse_count(optarg, 0, 1000000);
      break;
    case 'n':
      a.n = demo_parse_count(optarg, 1, 100000);
      break;
    case 's':
      a.size = demo_parse_size(optarg);
      break;
    case 'L':
      a.lifetime = demo_parse_count(optarg, 1, 1000000);
      break;
    case 'E':
      a.esize = demo_parse_count(optarg, 1, 1 << 20);
      break;
    case 'O':
      a.order = demo_parse_count(optarg, 1, 2);
      break;
    case 'g':
      a.go = optarg;
      break;
    case 'r':
      a.require_first = true;
      break;
    default:
      return 2;
    }
  }
  if (a.first < 0 || a.n < 1 || a.size < 1 || a.lifetime < 0 || a.esize < 0 || a.order < 0) {
    fprintf(stderr, "comp_client: bad option value\n");
    return 2;
  }
  /* one name per role, the pid as index: several of a role may run at once */
  mstro_status st = mstro_init(NULL, argv[1], (int64_t)getpid());
  if (st != MSTRO_OK) {
    fprintf(stderr, "comp_client: mstro_init: %s\n", mstro_status_description(st));
    return 1;
  }
  if (strcmp(argv[1], "produce") == 0)
    rc = produce(&a);
  else if (strcmp(argv[1], "consume") == 0)
    rc = consume(&a);
  else if (strcmp(argv[1], "watch") == 0)
    rc = watch(&a);
  else
    rc = 2;
  if ((st = mstro_finalize()) != MSTRO_OK) {
    fprintf(stderr, "comp_client: mstro_finalize: %s\n", mstro_status_description(st));
    rc = rc ? rc : 1;
  }
  return rc;
}
