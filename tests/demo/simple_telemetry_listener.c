/* SPDX-License-Identifier: BSD-3-Clause */
/* simple_telemetry_listener: subscribes to every pool event and prints one
 * line per event.
 *
 *   simple_telemetry_listener [CDOS]
 *     in-process: a small built-in workload (a producer and a consumer
 *     thread) runs; exits 0 when it saw every event the workload must raise.
 *   simple_telemetry_listener --pm [--csv FILE] [--until-leaves N] [--timeout S]
 *     its own process, a component of the workflow of MSTRO_POOL_MANAGER_INFO:
 *     sees the events of every other component (through the Pool Manager);
 *     with --csv writes them as CSV (header time_ns,component,appid,kind,
 *     cdo_name,size); stops after N APP_LEAVE events (exit 0) or after S
 *     seconds (default 300; exit 1 when --until-leaves was not reached).
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

static long n_cdos = 4;
static atomic_int stop;
static long counts[32];

static int bit(mstro_pool_event_kind k)
{
  int b = 0;
  while (b < 31 && ((unsigned)k >> b) != 1)
    b++;
  return b;
}

static void print_event(mstro_pool_event e)
{
  const char *kind = mstro_pool_event_description(e->kind);
  counts[bit(e->kind)]++;
  switch (e->kind) {
  case MSTRO_POOL_EVENT_TRANSFER_STARTED:
  case MSTRO_POOL_EVENT_TRANSFER_COMPLETED:
    printf("%llu.%09llu #%llu %-18s cdo=%s bytes=%llu transport=%s\n",
           (unsigned long long)(e->ctime / 1000000000ULL),
           (unsigned long long)(e->ctime % 1000000000ULL), (unsigned long long)e->serial, kind,
           e->transfer_completed.cdo_name, (unsigned long long)e->transfer_completed.size,
           e->transfer_completed.transport);
    break;
  case MSTRO_POOL_EVENT_GROUP_SEAL:
  case MSTRO_POOL_EVENT_GROUP_OFFER:
  case MSTRO_POOL_EVENT_GROUP_DEMAND:
  case MSTRO_POOL_EVENT_GROUP_WITHDRAW:
    printf("%llu.%09llu #%llu %-18s group=%s\n", (unsigned long long)(e->ctime / 1000000000ULL),
           (unsigned long long)(e->ctime % 1000000000ULL), (unsigned long long)e->serial, kind,
           e->group.group_name);
    break;
  case MSTRO_POOL_EVENT_APP_JOIN:
    printf("#%llu %s app=%llu component=%s\n", (unsigned long long)e->serial, kind,
           (unsigned long long)e->payload.join.appid, e->payload.join.component_name);
    break;
  case MSTRO_POOL_EVENT_APP_LEAVE:
    printf("#%llu %s app=%llu\n", (unsigned long long)e->serial, kind,
           (unsigned long long)e->payload.leave.appid);
    break;
  default:
    printf("%llu.%09llu #%llu %-18s app=%llu cdo=%s\n",
           (unsigned long long)(e->ctime / 1000000000ULL),
           (unsigned long long)(e->ctime % 1000000000ULL), (unsigned long long)e->serial, kind,
           (unsigned long long)e->declare.appid, e->declare.cdo_name);
  }
}

static void *listener(void *arg)
{
  mstro_subscription s = arg;
  for (;;) {
    mstro_pool_event e = NULL;
    struct timespec ts;
    int last = atomic_load(&stop);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    if (mstro_subscription_timedwait(s, &ts, &e) == MSTRO_OK) {
      for (mstro_pool_event x = e; x; x = x->next)
        print_event(x);
      mstro_pool_event_dispose(e);
    } else if (last) {
      break; /* stopped and drained */
    }
  }
  return NULL;
}

static void *workload(void *arg)
{
  (void)arg;
  for (long i = 0; i < n_cdos; i++) {
    char name[64];
    char buf[256];
    int64_t size = sizeof buf;
    mstro_cdo p = NULL, c = NULL;
    snprintf(name, sizeof name, "listener.cdo.%ld", i);
    memset(buf, (int)i, sizeof buf);
    mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &p);
    mstro_cdo_attribute_set(p, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true);
    mstro_cdo_attribute_set(p, "scope.local-size", &size, true, false);
    mstro_cdo_offer(p);
    mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c);
    mstro_cdo_require(c);
    mstro_cdo_demand(c);
    mstro_cdo_dispose(c);
    mstro_cdo_withdraw(p);
    mstro_cdo_dispose(p);
  }
  return NULL;
}

/* ---- as a component of a workflow with a Pool Manager ---- */

#define MAX_APPS 256
static char *app_names[MAX_APPS];

static const char *app_name(uint64_t appid)
{
  return appid < MAX_APPS && app_names[appid] ? app_names[appid] : "";
}

static void csv_field(FILE *f, const char *s)
{
  bool quote = strpbrk(s, ",\"\n") != NULL;
  if (!quote) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static int pm_main(int argc, char **argv)
{
  const char *csv_path = NULL;
  long until_leaves = -1, timeout_s = 300, leaves = 0;
  FILE *csv = NULL;
  mstro_cdo_selector all = NULL;
  mstro_subscription s = NULL;
  mstro_status st;
  int rc = 1;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--csv") && i + 1 < argc)
      csv_path = argv[++i];
    else if (!strcmp(argv[i], "--until-leaves") && i + 1 < argc)
      until_leaves = demo_parse_count(argv[++i], 1, 1000000);
    else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
      timeout_s = demo_parse_count(argv[++i], 1, 1000000);
    else {
      fprintf(stderr, "simple_telemetry_listener: bad argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (getenv("MSTRO_POOL_MANAGER_INFO") == NULL) {
    fprintf(stderr, "simple_telemetry_listener --pm: MSTRO_POOL_MANAGER_INFO is not set\n");
    return 2;
  }
  if (csv_path != NULL) {
    csv = fopen(csv_path, "w");
    if (csv == NULL) {
      perror(csv_path);
      return 2;
    }
    fprintf(csv, "time_ns,component,appid,kind,cdo_name,size\n");
  }
  if ((st = mstro_init(NULL, "telemetry-listener", 0)) != MSTRO_OK ||
      (st = mstro_cdo_selector_create(NULL, NULL, NULL, &all)) != MSTRO_OK ||
      (st = mstro_subscribe(all, MSTRO_POOL_EVENT__ALL, MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS,
                            &s)) != MSTRO_OK) {
    fprintf(stderr, "simple_telemetry_listener: %s\n", mstro_status_description(st));
    if (csv)
      fclose(csv);
    return 1;
  }
  printf("simple_telemetry_listener: listening\n");
  fflush(stdout);
  double end = demo_now() + (double)timeout_s;
  while (demo_now() < end && (until_leaves < 0 || leaves < until_leaves)) {
    mstro_pool_event e = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100000000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    mstro_status wst = mstro_subscription_timedwait(s, &ts, &e);
    if (wst == MSTRO_NO_PM) {
      fprintf(stderr, "simple_telemetry_listener: the Pool Manager is gone\n");
      rc = 1;
      break;
    }
    if (wst != MSTRO_OK)
      continue;
    for (mstro_pool_event x = e; x; x = x->next) {
      uint64_t appid = 0, size = 0;
      const char *cdo = "";
      if (x->kind == MSTRO_POOL_EVENT_APP_JOIN) {
        appid = x->payload.join.appid;
        if (appid < MAX_APPS) {
          free(app_names[appid]);
          app_names[appid] = strdup(x->payload.join.component_name);
        }
      } else if (x->kind == MSTRO_POOL_EVENT_APP_LEAVE) {
        appid = x->payload.leave.appid;
        leaves++;
      } else if (x->kind == MSTRO_POOL_EVENT_TRANSFER_STARTED ||
                 x->kind == MSTRO_POOL_EVENT_TRANSFER_COMPLETED) {
        appid = x->transfer_completed.appid;
        cdo = x->transfer_completed.cdo_name;
        size = x->transfer_completed.size;
      } else if (x->kind & (MSTRO_POOL_EVENT_GROUP_SEAL | MSTRO_POOL_EVENT_GROUP_OFFER |
                            MSTRO_POOL_EVENT_GROUP_DEMAND | MSTRO_POOL_EVENT_GROUP_WITHDRAW)) {
        appid = x->group.appid;
        cdo = x->group.group_name;
      } else {
        appid = x->declare.appid;
        cdo = x->declare.cdo_name;
      }
      printf("%llu %-18s app=%llu component=%s cdo=%s size=%llu\n", (unsigned long long)x->ctime,
             mstro_pool_event_description(x->kind), (unsigned long long)appid, app_name(appid),
             cdo ? cdo : "", (unsigned long long)size);
      if (csv != NULL) {
        fprintf(csv, "%llu,", (unsigned long long)x->ctime);
        csv_field(csv, app_name(appid));
        fprintf(csv, ",%llu,%s,", (unsigned long long)appid, mstro_pool_event_description(x->kind));
        csv_field(csv, cdo ? cdo : "");
        fprintf(csv, ",%llu\n", (unsigned long long)size);
      }
    }
    fflush(stdout);
    mstro_pool_event_dispose(e);
  }
  rc = until_leaves < 0 || leaves >= until_leaves ? 0 : 1;
  if (rc != 0)
    fprintf(stderr, "simple_telemetry_listener: timed out after %ld APP_LEAVE event(s)\n", leaves);
  mstro_subscription_dispose(s);
  mstro_cdo_selector_dispose(all);
  if ((st = mstro_finalize()) != MSTRO_OK) {
    fprintf(stderr, "simple_telemetry_listener: mstro_finalize: %s\n",
            mstro_status_description(st));
    rc = 1;
  }
  if (csv != NULL && fclose(csv) != 0)
    rc = 1;
  for (int i = 0; i < MAX_APPS; i++)
    free(app_names[i]);
  return rc;
}

int main(int argc, char **argv)
{
  if (argc > 1 && !strcmp(argv[1], "--pm"))
    return pm_main(argc, argv);
  mstro_cdo_selector all = NULL;
  mstro_subscription s = NULL;
  pthread_t lt, wt;
  mstro_status st;
  int ok = 1;
  static const mstro_pool_event_kind must[] = {
      MSTRO_POOL_EVENT_DECLARE, MSTRO_POOL_EVENT_SEAL,
      MSTRO_POOL_EVENT_OFFER,   MSTRO_POOL_EVENT_REQUIRE,
      MSTRO_POOL_EVENT_DEMAND,  MSTRO_POOL_EVENT_WITHDRAW,
      MSTRO_POOL_EVENT_DISPOSE, MSTRO_POOL_EVENT_TRANSFER_COMPLETED};
  if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    printf("usage: simple_telemetry_listener [CDOS]\n"
           "       simple_telemetry_listener --pm [--csv FILE] [--until-leaves N] [--timeout S]\n"
           "Prints one line per pool event while CDOS (default 4) CDOs go through the pool;\n"
           "with --pm, as a component of the workflow of MSTRO_POOL_MANAGER_INFO, the events\n"
           "of every other component (--csv FILE: also as CSV).\n");
    return 0;
  }
  if (argc > 1 && (n_cdos = demo_parse_count(argv[1], 1, 1000000)) < 0) {
    fprintf(stderr, "simple_telemetry_listener: bad CDO count '%s'\n", argv[1]);
    return 2;
  }
  if ((st = mstro_init("simple_telemetry_listener", "listener", 0)) != MSTRO_OK ||
      (st = mstro_cdo_selector_create(NULL, NULL, NULL, &all)) != MSTRO_OK ||
      (st = mstro_subscribe(all, MSTRO_POOL_EVENT__ALL, MSTRO_SUBSCRIPTION_OPTS_DEFAULT, &s)) !=
          MSTRO_OK) {
    fprintf(stderr, "simple_telemetry_listener: %s\n", mstro_status_description(st));
    return 1;
  }
  pthread_create(&lt, NULL, listener, s);
  pthread_create(&wt, NULL, workload, NULL);
  pthread_join(wt, NULL);
  atomic_store(&stop, 1);
  pthread_join(lt, NULL);
  mstro_subscription_dispose(s);
  mstro_cdo_selector_dispose(all);
  st = mstro_finalize();
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
    if (counts[bit(must[i])] < n_cdos) {
      fprintf(stderr, "simple_telemetry_listener: only %ld %s events\n", counts[bit(must[i])],
              mstro_pool_event_description(must[i]));
      ok = 0;
    }
  printf("simple_telemetry_listener: %s\n", ok && st == MSTRO_OK ? "OK" : "FAILED");
  return ok && st == MSTRO_OK ? 0 : 1;
}
