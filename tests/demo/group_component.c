/* SPDX-License-Identifier: BSD-3-Clause */
/* A component of check_pm_groups.sh: groups across processes through the
 * Pool Manager named by MSTRO_POOL_MANAGER_INFO.
 *
 *   group_component producer -g GROUP -n N [-k K] [--no-group] [--stall]
 *   group_component third    -g GROUP -k K
 *   group_component consumer -g GROUP -n N [-k K]
 *   group_component watcher  -g GROUP
 *
 * The producer offers N CDOs "GROUP-m<i>" by handle and adds K names
 * "GROUP-x<j>" offered by the third component, then offers the group (with
 * --no-group it offers only the members; with --stall it then hangs until
 * killed) and waits for the consumer's "GROUP-done". The consumer demands
 * the group and checks every member in order, field by field (name, size,
 * element size, number of dimensions, dimension), then demands two picked
 * members (one by handle, one by name when K > 0) and checks their bytes,
 * and prints "group checked: <count> members". The watcher subscribes to
 * the group events of other components with _REQUIRE_ACK, prints
 * "watcher: event <KIND> <group>" for each, holds the GROUP_OFFER for
 * 300 ms before acking it, and ends at GROUP_WITHDRAW. The producer prints
 * "group offer took <ms> ms". Exit status 0 only if everything checked out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo_common.h"
#include "maestro.h"

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    fprintf(stderr, "group_component %s: ", role);                                                 \
    fprintf(stderr, __VA_ARGS__);                                                                  \
    fputc('\n', stderr);                                                                           \
    rc = 1;                                                                                        \
    goto cleanup;                                                                                  \
  } while (0)

#define GROUP_KINDS                                                                                \
  (MSTRO_POOL_EVENT_GROUP_SEAL | MSTRO_POOL_EVENT_GROUP_OFFER | MSTRO_POOL_EVENT_GROUP_DEMAND |    \
   MSTRO_POOL_EVENT_GROUP_WITHDRAW)

static const char *role = "?";
static const char *group = "grp";

/* Member j of a kind: 8 to 104 bytes of doubles, a pattern of its name. */
static int64_t member_len(long j)
{
  return 8 * (1 + j % 13);
}

static double member_value(char kind, long j, int64_t k)
{
  return (kind == 'm' ? 1.0 : -1.0) * ((double)j * 1000.0 + (double)k);
}

struct cdos {
  mstro_cdo *c;
  double **buf;
  long n;
};

/* Declare n members of a kind (offered at once when `offer`; otherwise the
 * group offer offers them). */
static mstro_status make_members(struct cdos *s, char kind, long n, bool offer)
{
  mstro_status st = MSTRO_OK;
  s->c = calloc((size_t)n + 1, sizeof *s->c);
  s->buf = calloc((size_t)n + 1, sizeof *s->buf);
  if (s->c == NULL || s->buf == NULL)
    return MSTRO_NOMEM;
  for (long j = 0; j < n && st == MSTRO_OK; j++) {
    char name[256];
    int64_t len = member_len(j), esize = 8, ndims = 1, dims[1] = {len / 8};
    snprintf(name, sizeof name, "%s-%c%ld", group, kind, j);
    s->buf[j] = malloc((size_t)len);
    if (s->buf[j] == NULL)
      return MSTRO_NOMEM;
    for (int64_t k = 0; k < len / 8; k++)
      s->buf[j][k] = member_value(kind, j, k);
    void *p = s->buf[j];
    if ((st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &s->c[j])) != MSTRO_OK)
      break;
    s->n = j + 1;
    if ((st = mstro_cdo_attribute_set(s->c[j], MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false)) ||
        (st = mstro_cdo_attribute_set(s->c[j], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true,
                                      false)) ||
        (st = mstro_cdo_attribute_set(s->c[j], MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, &esize,
                                      true, false)) ||
        (st = mstro_cdo_attribute_set(s->c[j], MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS, &ndims, true,
                                      false)) ||
        (st = mstro_cdo_attribute_set(s->c[j], MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE, dims, true,
                                      false)) ||
        (offer && (st = mstro_cdo_offer(s->c[j]))))
      break;
  }
  return st;
}

/* withdraw: offered one by one (the group's withdraw withdraws those it offered) */
static void free_members(struct cdos *s, bool withdraw)
{
  for (long j = 0; j < s->n; j++) {
    if (withdraw)
      mstro_cdo_withdraw(s->c[j]);
    mstro_cdo_dispose(s->c[j]);
  }
  for (long j = 0; s->buf != NULL && s->buf[j] != NULL; j++)
    free(s->buf[j]);
  free(s->buf);
  free(s->c);
}

/* A CDO of 8 bytes, offered (name-ready signals) or demanded. */
static mstro_status token(const char *suffix, bool offer, mstro_cdo *out)
{
  static uint64_t word = 0x5eed;
  void *p = &word;
  int64_t len = sizeof word;
  char name[256];
  mstro_status st;
  snprintf(name, sizeof name, "%s-%s", group, suffix);
  if ((st = mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, out)) != MSTRO_OK)
    return st;
  if (!offer)
    return mstro_cdo_require(*out); /* the bytes move as soon as it is offered */
  if ((st = mstro_cdo_attribute_set(*out, MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false)) ||
      (st = mstro_cdo_attribute_set(*out, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false)))
    return st;
  return mstro_cdo_offer(*out);
}

static mstro_status wait_token(mstro_cdo c)
{
  mstro_status st = mstro_cdo_demand(c);
  mstro_cdo_dispose(c);
  return st;
}

static int run_producer(long n, long k, bool no_group, bool stall, bool third)
{
  int rc = 0;
  mstro_status st;
  struct cdos s = {0};
  mstro_group g = NULL;
  mstro_cdo done = NULL, ready = NULL;
  if ((st = token("done", false, &done)) != MSTRO_OK)
    FAIL("require done: %s", mstro_status_description(st));
  if ((st = make_members(&s, third ? 'x' : 'm', third ? k : n, third || no_group || stall)) !=
      MSTRO_OK)
    FAIL("offer of the members: %s", mstro_status_description(st));
  if (third) {
    if ((st = token("third-ready", true, &ready)) != MSTRO_OK)
      FAIL("offer third-ready: %s", mstro_status_description(st));
  } else if (k > 0) {
    mstro_cdo r = NULL;
    if ((st = token("third-ready", false, &r)) != MSTRO_OK || (st = wait_token(r)) != MSTRO_OK)
      FAIL("wait for the third component: %s", mstro_status_description(st));
  }
  if (stall) {
    printf("stalling\n");
    fflush(stdout);
    for (;;)
      pause();
  }
  if (!third && !no_group) {
    if ((st = mstro_group_declare(group, &g)) != MSTRO_OK)
      FAIL("group declare: %s", mstro_status_description(st));
    for (long j = 0; j < n && st == MSTRO_OK; j++)
      st = mstro_group_add(g, s.c[j]);
    for (long j = 0; j < k && st == MSTRO_OK; j++) {
      char name[256];
      snprintf(name, sizeof name, "%s-x%ld", group, j);
      st = mstro_group_add_by_name(g, name);
    }
    if (st != MSTRO_OK)
      FAIL("group add: %s", mstro_status_description(st));
    double t0 = demo_now();
    if ((st = mstro_group_offer(g)) != MSTRO_OK)
      FAIL("group offer: %s", mstro_status_description(st));
    printf("group offer took %.0f ms\n", (demo_now() - t0) * 1e3);
    fflush(stdout);
  }
  if ((st = wait_token(done)) != MSTRO_OK) {
    done = NULL;
    FAIL("wait for done: %s", mstro_status_description(st));
  }
  done = NULL;
  if (g != NULL && (st = mstro_group_withdraw(g)) != MSTRO_OK)
    FAIL("group withdraw: %s", mstro_status_description(st));
cleanup:
  bool offered_alone = g == NULL;
  if (g != NULL)
    mstro_group_dispose(g);
  if (ready != NULL) {
    mstro_cdo_withdraw(ready);
    mstro_cdo_dispose(ready);
  }
  if (done != NULL)
    mstro_cdo_dispose(done);
  free_members(&s, offered_alone);
  return rc;
}

static bool attr_i64(mstro_cdo c, const char *key, int64_t want)
{
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  return mstro_cdo_attribute_get(c, key, &t, &v) == MSTRO_OK && v != NULL &&
         *(const int64_t *)v == want;
}

/* Every field of member (kind, j) as offered. */
static int check_member(mstro_cdo c, char kind, long j)
{
  int rc = 0;
  char want[256];
  const char *name = mstro_cdo_name(c);
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  int64_t len = member_len(j);
  snprintf(want, sizeof want, "%s-%c%ld", group, kind, j);
  if (name == NULL || strcmp(name, want) != 0)
    FAIL("member %s: got the name '%s'", want, name ? name : "(none)");
  if (!attr_i64(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, len))
    FAIL("member %s: size is not %lld", want, (long long)len);
  if (!attr_i64(c, MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, 8))
    FAIL("member %s: element size is not 8", want);
  if (!attr_i64(c, MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS, 1))
    FAIL("member %s: ndims is not 1", want);
  if (mstro_cdo_attribute_get(c, MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE, &t, &v) != MSTRO_OK ||
      v == NULL || ((const int64_t *)v)[0] != len / 8)
    FAIL("member %s: dims-size is not {%lld}", want, (long long)(len / 8));
cleanup:
  return rc;
}

static int check_bytes(mstro_cdo c, char kind, long j)
{
  int rc = 0;
  void *p = NULL;
  int64_t len = 0;
  mstro_status st = mstro_cdo_demand(c);
  if (st != MSTRO_OK)
    FAIL("demand of member %c%ld: %s", kind, j, mstro_status_description(st));
  if (mstro_cdo_access_ptr(c, &p, &len) != MSTRO_OK || len != member_len(j))
    FAIL("member %c%ld: %lld bytes", kind, j, (long long)len);
  for (int64_t k = 0; k < len / 8; k++)
    if (((double *)p)[k] != member_value(kind, j, k))
      FAIL("member %c%ld: element %lld differs", kind, j, (long long)k);
  printf("member %s-%c%ld: %lld bytes checked\n", group, kind, j, (long long)len);
cleanup:
  return rc;
}

static int run_consumer(long n, long k)
{
  int rc = 0;
  mstro_status st;
  mstro_group g = NULL;
  mstro_cdo done = NULL, m = NULL;
  size_t count = 0;
  mstro_cdo pick_m = NULL, pick_x = NULL;
  long jm = n / 2, jx = k > 0 ? k - 1 : -1;
  if ((st = mstro_group_declare(group, &g)) != MSTRO_OK)
    FAIL("group declare: %s", mstro_status_description(st));
  double t0 = demo_now();
  if ((st = mstro_group_demand(g)) != MSTRO_OK)
    FAIL("group demand: %s", mstro_status_description(st));
  printf("group demand took %.0f ms\n", (demo_now() - t0) * 1e3);
  if ((st = mstro_group_size_get(g, &count)) != MSTRO_OK || count != (size_t)(n + k))
    FAIL("group size %zu, not %ld", count, n + k);
  for (long i = 0; i < n + k; i++) {
    if ((st = mstro_group_next(g, &m)) != MSTRO_OK || m == NULL)
      FAIL("member %ld: none (%s)", i, mstro_status_description(st));
    char kind = i < n ? 'm' : 'x';
    long j = i < n ? i : i - n;
    if (check_member(m, kind, j) != 0)
      FAIL("member %ld differs", i);
    if (kind == 'm' && j == jm)
      pick_m = m;
    if (kind == 'x' && j == jx)
      pick_x = m;
  }
  if ((st = mstro_group_next(g, &m)) != MSTRO_OK || m != NULL)
    FAIL("more members than %ld", n + k);
  if (check_bytes(pick_m, 'm', jm) != 0 || (pick_x != NULL && check_bytes(pick_x, 'x', jx) != 0))
    FAIL("picked members");
  printf("group checked: %zu members\n", count);
  fflush(stdout);
  /* returns once the producer (and third) fetched it: they required it */
  if ((st = token("done", true, &done)) != MSTRO_OK || (st = mstro_cdo_withdraw(done)) != MSTRO_OK)
    FAIL("offer done: %s", mstro_status_description(st));
cleanup:
  if (done != NULL)
    mstro_cdo_dispose(done);
  if (g != NULL)
    mstro_group_dispose(g);
  return rc;
}

static int run_watcher(void)
{
  int rc = 0;
  mstro_status st;
  mstro_cdo_selector all = NULL;
  mstro_subscription sub = NULL;
  bool end = false;
  if ((st = mstro_cdo_selector_create(NULL, NULL, NULL, &all)) != MSTRO_OK ||
      (st = mstro_subscribe(all, GROUP_KINDS, MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK, &sub)) !=
          MSTRO_OK)
    FAIL("subscribe: %s", mstro_status_description(st));
  printf("watcher: subscribed\n");
  fflush(stdout);
  while (!end) {
    mstro_pool_event e = NULL;
    if ((st = mstro_subscription_wait(sub, &e)) != MSTRO_OK)
      FAIL("wait: %s", mstro_status_description(st));
    bool hold = false;
    for (mstro_pool_event x = e; x != NULL; x = x->next) {
      const char *gn = x->payload.group.group_name;
      printf("watcher: event %s %s\n", mstro_pool_event_description(x->kind), gn ? gn : "(none)");
      hold |= x->kind == MSTRO_POOL_EVENT_GROUP_OFFER;
      end |= x->kind == MSTRO_POOL_EVENT_GROUP_WITHDRAW;
    }
    fflush(stdout);
    if (hold)
      usleep(300 * 1000);
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
  return rc;
}

int main(int argc, char **argv)
{
  int rc = 2;
  long n = 4, k = 0;
  bool no_group = false, stall = false;
  if (argc < 2) {
    fprintf(stderr, "usage: group_component producer|third|consumer|watcher [options]\n");
    return 2;
  }
  role = argv[1];
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-g") == 0 && i + 1 < argc)
      group = argv[++i];
    else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      n = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
      k = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--no-group") == 0)
      no_group = true;
    else if (strcmp(argv[i], "--stall") == 0)
      stall = true;
    else {
      fprintf(stderr, "group_component: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (n < 1 || k < 0) {
    fprintf(stderr, "group_component: -n must be >= 1 and -k >= 0\n");
    return 2;
  }
  mstro_status st = mstro_init(NULL, role, 0);
  if (st != MSTRO_OK) {
    fprintf(stderr, "group_component %s: mstro_init: %s\n", role, mstro_status_description(st));
    return 1;
  }
  if (strcmp(role, "producer") == 0 || strcmp(role, "third") == 0)
    rc = run_producer(n, k, no_group, stall, strcmp(role, "third") == 0);
  else if (strcmp(role, "consumer") == 0)
    rc = run_consumer(n, k);
  else if (strcmp(role, "watcher") == 0)
    rc = run_watcher();
  else
    fprintf(stderr, "group_component: unknown role '%s'\n", role);
  if ((st = mstro_finalize()) != MSTRO_OK) {
    fprintf(stderr, "group_component %s: mstro_finalize: %s\n", role, mstro_status_description(st));
    rc = 1;
  }
  return rc;
}
