/* SPDX-License-Identifier: BSD-3-Clause */
/* simple_archiver: subscribes to OFFER events of the CDOs a selector
 * matches, with REQUIRE_ACK so that no offer completes before it is
 * archived; demands each CDO and writes its data (<dir>/<name>.data) and
 * attributes (<dir>/<name>.yaml) to a directory, then acks.
 *
 * In-process (default): a built-in producer thread offers the CDOs; at the
 * end every archived file is read back and compared.
 *
 * --pm: a component of the workflow of MSTRO_POOL_MANAGER_INFO (workflow
 * name from MSTRO_WORKFLOW_NAME) archiving the offers of the other
 * components; the selector (-q) defaults to every CDO. It prints
 * "simple_archiver: subscribed" once listening and stops after -n CDOs
 * (or -t seconds without reaching them: exit 1). The producers' offers
 * return only once their CDO is on disk (_REQUIRE_ACK across processes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "demo_common.h"
#include "maestro.h"

static long n_cdos = 8;
static long long cdo_size = 64 * 1024;
static const char *dir = "archive";
static const char default_query[] = "(name ~= \"^archive[.]\")";
static const char *query = default_query;
static atomic_int stop;
static atomic_long archived, failures;
static bool pm_mode;
static long timeout_s = 120;

static void usage(FILE *f)
{
  fprintf(f, "usage: simple_archiver [--pm [-t SECONDS]] [-d DIR] [-n CDOS] [-s BYTES] "
             "[-q SELECTOR]\n"
             "  --pm         archive the offers of other components of the workflow of\n"
             "               MSTRO_POOL_MANAGER_INFO (own process)\n"
             "  -t SECONDS   --pm: give up after this long (default 120)\n"
             "  -d DIR       directory for the archive (default ./archive)\n"
             "  -n CDOS      CDOs the built-in producer offers (default 8); with --pm, CDOs to\n"
             "               archive before stopping\n"
             "  -s BYTES     bytes per CDO (default 64K; not with --pm)\n"
             "  -q SELECTOR  which CDOs to archive (default: names starting with 'archive.';\n"
             "               with --pm every CDO)\n");
}

static void file_name(char *buf, size_t len, const char *name, const char *ext)
{
  /* CDO names may hold '/': keep the file name flat */
  size_t o = (size_t)snprintf(buf, len, "%s/", dir);
  for (const char *p = name; *p && o + 1 < len; p++)
    buf[o++] = (*p == '/') ? '_' : *p;
  snprintf(buf + o, len - o, "%s", ext);
}

static int write_cdo(mstro_cdo c)
{
  char path[4096];
  void *data = NULL;
  int64_t len = 0;
  enum mstro_cdo_attr_value_type t;
  const void *v;
  FILE *f;
  mstro_status st = mstro_cdo_access_ptr(c, &data, &len);
  if (st != MSTRO_OK && st != MSTRO_NOENT)
    return -1;
  file_name(path, sizeof path, mstro_cdo_name(c), ".data");
  f = fopen(path, "wb");
  if (f == NULL || (len > 0 && fwrite(data, 1, (size_t)len, f) != (size_t)len)) {
    fprintf(stderr, "simple_archiver: cannot write %s: %s\n", path, strerror(errno));
    if (f)
      fclose(f);
    return -1;
  }
  fclose(f);
  file_name(path, sizeof path, mstro_cdo_name(c), ".yaml");
  f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fprintf(f, "name: \"%s\"\n", mstro_cdo_name(c));
  fprintf(f, "scope.local-size: %lld\n", (long long)len);
  if (mstro_cdo_attribute_get(c, "lifetime", &t, &v) == MSTRO_OK)
    fprintf(f, "lifetime: %lld\n", (long long)*(const int64_t *)v);
  if (mstro_cdo_attribute_get(c, "layout.element-size", &t, &v) == MSTRO_OK)
    fprintf(f, "layout.element-size: %lld\n", (long long)*(const int64_t *)v);
  if (mstro_cdo_attribute_get(c, "layout.order", &t, &v) == MSTRO_OK)
    fprintf(f, "layout.order: %lld\n", (long long)*(const int64_t *)v);
  fclose(f);
  return 0;
}

static void *archiver(void *arg)
{
  mstro_subscription s = arg;
  double deadline = demo_now() + (double)timeout_s;
  while (!atomic_load(&stop)) {
    if (pm_mode &&
        (atomic_load(&archived) + atomic_load(&failures) >= n_cdos || demo_now() > deadline))
      break;
    mstro_pool_event e = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    mstro_status st = mstro_subscription_timedwait(s, &ts, &e);
    if (st == MSTRO_TIMEOUT)
      continue;
    if (st != MSTRO_OK)
      break;
    for (mstro_pool_event x = e; x; x = x->next) {
      mstro_cdo c = NULL;
      if (x->kind != MSTRO_POOL_EVENT_OFFER)
        continue;
      printf("simple_archiver: archiving %s\n", x->offer.cdo_name);
      if (mstro_cdo_declare(x->offer.cdo_name, MSTRO_ATTR_DEFAULT, &c) != MSTRO_OK ||
          mstro_cdo_demand(c) != MSTRO_OK || write_cdo(c) != 0)
        atomic_fetch_add(&failures, 1);
      else
        atomic_fetch_add(&archived, 1);
      if (c)
        mstro_cdo_dispose(c);
    }
    mstro_subscription_ack(s, e);
    mstro_pool_event_dispose(e);
  }
  return NULL;
}

static void *producer(void *arg)
{
  (void)arg;
  for (long i = 0; i < n_cdos; i++) {
    char name[64];
    mstro_cdo c = NULL;
    int64_t size = cdo_size, lifetime = i;
    unsigned char *buf;
    snprintf(name, sizeof name, "archive.cdo.%ld", i);
    buf = malloc((size_t)cdo_size);
    demo_fill(buf, (size_t)cdo_size, (uint64_t)i);
    if (mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c) != MSTRO_OK ||
        mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true) != MSTRO_OK ||
        mstro_cdo_attribute_set(c, "scope.local-size", &size, true, false) != MSTRO_OK ||
        mstro_cdo_attribute_set(c, "lifetime", &lifetime, true, false) != MSTRO_OK ||
        mstro_cdo_offer(c) != MSTRO_OK || /* returns once archived (REQUIRE_ACK) */
        mstro_cdo_withdraw(c) != MSTRO_OK || mstro_cdo_dispose(c) != MSTRO_OK)
      atomic_fetch_add(&failures, 1);
    free(buf);
  }
  return NULL;
}

static int verify(void)
{
  unsigned char *buf = malloc((size_t)cdo_size + 1);
  int bad = 0;
  for (long i = 0; i < n_cdos; i++) {
    char name[64], path[4096];
    FILE *f;
    size_t n;
    snprintf(name, sizeof name, "archive.cdo.%ld", i);
    file_name(path, sizeof path, name, ".data");
    f = fopen(path, "rb");
    n = f ? fread(buf, 1, (size_t)cdo_size + 1, f) : 0;
    if (f)
      fclose(f);
    if (n != (size_t)cdo_size || demo_check(buf, n, (uint64_t)i) != 0) {
      fprintf(stderr, "simple_archiver: %s does not hold the CDO's data\n", path);
      bad++;
    }
  }
  free(buf);
  return bad;
}

int main(int argc, char **argv)
{
  mstro_cdo_selector sel = NULL;
  mstro_subscription s = NULL;
  pthread_t at, pt;
  mstro_status st;
  int bad;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--pm")) {
      pm_mode = true;
      continue;
    } else if (!strcmp(argv[i], "-t") && v && (timeout_s = demo_parse_count(v, 1, 86400)) > 0) {
    } else if (!strcmp(argv[i], "-d") && v) {
      dir = v;
    } else if (!strcmp(argv[i], "-n") && v && (n_cdos = demo_parse_count(v, 0, 1000000)) >= 0) {
    } else if (!strcmp(argv[i], "-s") && v && (cdo_size = demo_parse_size(v)) > 0) {
    } else if (!strcmp(argv[i], "-q") && v) {
      query = v;
    } else {
      usage(stderr);
      return 2;
    }
    i++;
  }
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "simple_archiver: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  if (pm_mode && getenv("MSTRO_POOL_MANAGER_INFO") == NULL) {
    fprintf(stderr, "simple_archiver: --pm needs MSTRO_POOL_MANAGER_INFO (start maestro-pm)\n");
    return 2;
  }
  if (pm_mode && query == default_query)
    query = NULL; /* every CDO */
  if ((st = mstro_init(pm_mode ? NULL : "simple_archiver", "archiver", 0)) != MSTRO_OK ||
      (st = mstro_cdo_selector_create(NULL, NULL, query, &sel)) != MSTRO_OK ||
      (st = mstro_subscribe(sel, MSTRO_POOL_EVENT_OFFER, MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK,
                            &s)) != MSTRO_OK) {
    fprintf(stderr, "simple_archiver: %s\n", mstro_status_description(st));
    return 1;
  }
  if (pm_mode) {
    printf("simple_archiver: subscribed\n");
    fflush(stdout);
    archiver(s);
    mstro_subscription_dispose(s);
    mstro_cdo_selector_dispose(sel);
    st = mstro_finalize();
    printf("simple_archiver: %ld of %ld CDOs archived to %s/, %ld failures\n",
           atomic_load(&archived), n_cdos, dir, atomic_load(&failures));
    return (atomic_load(&failures) == 0 && atomic_load(&archived) == n_cdos && st == MSTRO_OK) ? 0
                                                                                               : 1;
  }
  pthread_create(&at, NULL, archiver, s);
  pthread_create(&pt, NULL, producer, NULL);
  pthread_join(pt, NULL);
  atomic_store(&stop, 1);
  pthread_join(at, NULL);
  mstro_subscription_dispose(s);
  mstro_cdo_selector_dispose(sel);
  st = mstro_finalize();
  bad = verify();
  printf("simple_archiver: %ld of %ld CDOs archived to %s/, %d bad, %ld failures\n",
         atomic_load(&archived), n_cdos, dir, bad, atomic_load(&failures));
  return (bad == 0 && atomic_load(&failures) == 0 && atomic_load(&archived) == n_cdos &&
          st == MSTRO_OK)
             ? 0
             : 1;
}
