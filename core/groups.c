/* SPDX-License-Identifier: BSD-3-Clause */
/* Groups: CDOs offered and demanded together.
 *
 * A producer's group lists member handles (mstro_group_add) and names of
 * CDOs offered elsewhere (mstro_group_add_by_name). Offering the group
 * offers every member handle that is not offered yet and publishes the
 * group in the pool. A consumer's mstro_group_demand waits for that, then
 * moves only metadata: each member becomes a declared (not demanded)
 * consumer handle carrying the producer's attributes, which the consumer
 * inspects with mstro_group_next and demands if it wants the data.
 */
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "core.h"
#include "events.h"
#include "groups.h"
#include "mstro_log.h"
#include "pool_backend.h"
#include "telemetry.h"

typedef enum {
  G_DECLARED = 1,
  G_SEALED,
  G_OFFERED,
  G_WITHDRAWN,
  G_REQUIRED,
  G_DEMANDED,
  G_STATE_MAX
} gstate;

typedef enum {
  GOP_ADD = 0,
  GOP_SEAL,
  GOP_OFFER,
  GOP_WITHDRAW,
  GOP_REQUIRE,
  GOP_RETRACT,
  GOP_DEMAND,
  GOP_NEXT,
  GOP_DISPOSE,
  GOP_MAX
} gop;

/* The group transitions: next state per operation and state (0: refused). */
static const gstate gnext[GOP_MAX][G_STATE_MAX] = {
    [GOP_ADD] = {[G_DECLARED] = G_DECLARED},
    [GOP_SEAL] = {[G_DECLARED] = G_SEALED},
    [GOP_OFFER] = {[G_DECLARED] = G_OFFERED, [G_SEALED] = G_OFFERED, [G_WITHDRAWN] = G_OFFERED},
    [GOP_WITHDRAW] = {[G_OFFERED] = G_WITHDRAWN},
    [GOP_REQUIRE] = {[G_DECLARED] = G_REQUIRED, [G_SEALED] = G_REQUIRED},
    [GOP_RETRACT] = {[G_REQUIRED] = G_SEALED},
    [GOP_DEMAND] = {[G_DECLARED] = G_DEMANDED, [G_SEALED] = G_DEMANDED, [G_REQUIRED] = G_DEMANDED},
    [GOP_NEXT] = {[G_DECLARED] = G_DECLARED,
                  [G_SEALED] = G_SEALED,
                  [G_OFFERED] = G_OFFERED,
                  [G_WITHDRAWN] = G_WITHDRAWN,
                  [G_DEMANDED] = G_DEMANDED},
    [GOP_DISPOSE] = {[G_DECLARED] = G_DECLARED,
                     [G_SEALED] = G_SEALED,
                     [G_WITHDRAWN] = G_WITHDRAWN,
                     [G_DEMANDED] = G_DEMANDED},
};
static const char *const gstate_names[G_STATE_MAX] = {"INVALID",   "DECLARED", "SEALED",  "OFFERED",
                                                      "WITHDRAWN", "REQUIRED", "DEMANDED"};
static const char *const gop_names[GOP_MAX] = {"add",     "seal",   "offer", "withdraw", "require",
                                               "retract", "demand", "next",  "dispose"};

struct member {
  mstro_cdo cdo; /* NULL for a by-name member without a local handle */
  char *name;
  bool owned;         /* created by the group (group demand) */
  bool offered_by_us; /* offered by mstro_group_offer */
};

struct mstro_group_ {
  uint32_t magic;
  gstate state;
  char *name;
  struct member *m;
  size_t n, cap;
  size_t cursor;
  size_t n_own;                     /* during a demand: the members the consumer added itself */
  struct mstro_group_ *prev, *next; /* all groups, for finalize */
};

static void forget_member(void *owner, mstro_cdo cdo);

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mstro_group_ *all_groups;

static mstro_status genter(mstro_group g, gop op, const char *func, gstate *to)
{
  MSTRO__REQUIRE_INIT();
  if (g == NULL) {
    MSTRO_LOG_ERR(GROUP, "%s: NULL group", func);
    return MSTRO_INVARG;
  }
  if (g->magic != MSTRO__GROUP_MAGIC) {
    MSTRO_LOG_ERR(GROUP, "%s: %p is not a live group handle", func, (void *)g);
    return MSTRO_INVARG;
  }
  if (gnext[op][g->state] == 0) {
    MSTRO_LOG_ERR(GROUP, "%s of group '%.200s' refused in state %s", gop_names[op], g->name,
                  gstate_names[g->state]);
    return MSTRO_INVSTATE;
  }
  if (to)
    *to = gnext[op][g->state];
  return MSTRO_OK;
}

static void gevent(mstro_pool_event_kind kind, mstro__ev_phase ph, mstro_group g)
{
  struct mstro__ev_info ev = {.group_name = g->name};
  mstro__event_raise(kind, ph, &ev);
}

mstro_status mstro_group_declare(const char *name, mstro_group *result)
{
  mstro_status st = MSTRO_OK;
  struct mstro_group_ *g = NULL;
  MSTRO__REQUIRE_INIT();
  MSTRO_CHECK(GROUP, result != NULL, st, MSTRO_INVARG, "mstro_group_declare: NULL result");
  *result = NULL;
  MSTRO_CHECK(GROUP, name != NULL && *name != '\0', st, MSTRO_INVARG,
              "mstro_group_declare: NULL or empty name");
  g = calloc(1, sizeof *g);
  MSTRO_CHECK(GROUP, g != NULL, st, MSTRO_NOMEM, "mstro_group_declare: out of memory");
  g->name = strdup(name);
  MSTRO_CHECK(GROUP, g->name != NULL, st, MSTRO_NOMEM, "mstro_group_declare: out of memory");
  g->magic = MSTRO__GROUP_MAGIC;
  g->state = G_DECLARED;
  pthread_mutex_lock(&groups_lock);
  g->next = all_groups;
  if (all_groups)
    all_groups->prev = g;
  all_groups = g;
  pthread_mutex_unlock(&groups_lock);
  *result = g;
  g = NULL;
cleanup:
  if (g != NULL) {
    free(g->name);
    free(g);
  }
  return st;
}

static ssize_t find_member_in(const struct mstro_group_ *g, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(g->m[i].name, name) == 0)
      return (ssize_t)i;
  return -1;
}

static ssize_t find_member(const struct mstro_group_ *g, const char *name)
{
  return find_member_in(g, g->n, name);
}

static mstro_status push_member(struct mstro_group_ *g, mstro_cdo cdo, const char *name, bool owned)
{
  mstro_status st = MSTRO_OK;
  if (g->n == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 8;
    struct member *m = realloc(g->m, cap * sizeof *m);
    MSTRO_CHECK(GROUP, m != NULL, st, MSTRO_NOMEM, "group '%.200s': out of memory", g->name);
    g->m = m;
    g->cap = cap;
  }
  g->m[g->n].name = strdup(name);
  MSTRO_CHECK(GROUP, g->m[g->n].name != NULL, st, MSTRO_NOMEM, "group '%.200s': out of memory",
              g->name);
  g->m[g->n].cdo = cdo;
  g->m[g->n].owned = owned;
  g->m[g->n].offered_by_us = false;
  g->n++;
cleanup:
  return st;
}

mstro_status mstro_group_add(mstro_group g, mstro_cdo cdo)
{
  mstro_status st;
  if ((st = genter(g, GOP_ADD, __func__, NULL)) != MSTRO_OK)
    return st;
  if ((st = mstro__cdo_validate(cdo, MSTRO__OP_GROUP_ADD, __func__)) != MSTRO_OK)
    return st;
  if ((st = mstro__cdo_check(MSTRO__OP_GROUP_ADD, cdo->state, cdo->name, NULL)) != MSTRO_OK)
    return st;
  for (size_t i = 0; i < g->n; i++) {
    if (g->m[i].cdo == cdo || strcmp(g->m[i].name, cdo->name) == 0) {
      MSTRO_LOG_ERR(GROUP, "mstro_group_add: '%.200s' is already in group '%.200s'", cdo->name,
                    g->name);
      return MSTRO_INVARG;
    }
  }
  return push_member(g, cdo, cdo->name, false);
}

mstro_status mstro_group_add_by_name(mstro_group g, const char *cdo_name)
{
  mstro_status st;
  if ((st = genter(g, GOP_ADD, __func__, NULL)) != MSTRO_OK)
    return st;
  if (cdo_name == NULL || *cdo_name == '\0') {
    MSTRO_LOG_ERR(GROUP, "mstro_group_add_by_name to '%.200s': NULL or empty name", g->name);
    return MSTRO_INVARG;
  }
  if (find_member(g, cdo_name) >= 0) {
    MSTRO_LOG_ERR(GROUP, "mstro_group_add_by_name: '%.200s' is already in group '%.200s'", cdo_name,
                  g->name);
    return MSTRO_INVARG;
  }
  return push_member(g, NULL, cdo_name, false);
}

mstro_status mstro_group_seal(mstro_group g)
{
  mstro_status st;
  gstate to;
  if ((st = genter(g, GOP_SEAL, __func__, &to)) != MSTRO_OK)
    return st;
  gevent(MSTRO_POOL_EVENT_GROUP_SEAL, MSTRO__EV_BEFORE, g);
  if ((st = mstro__pool->group_sealed(g, g->name)) != MSTRO_OK)
    return st;
  g->state = to;
  gevent(MSTRO_POOL_EVENT_GROUP_SEAL, MSTRO__EV_AFTER, g);
  return MSTRO_OK;
}

mstro_status mstro_group_offer(mstro_group g)
{
  mstro_status st;
  gstate to;
  if ((st = genter(g, GOP_OFFER, __func__, &to)) != MSTRO_OK)
    return st;
  if (g->state == G_DECLARED && (st = mstro_group_seal(g)) != MSTRO_OK)
    return st;
  gevent(MSTRO_POOL_EVENT_GROUP_OFFER, MSTRO__EV_BEFORE, g);
  for (size_t i = 0; i < g->n && st == MSTRO_OK; i++) {
    mstro_cdo c = g->m[i].cdo;
    if (c == NULL || c->state == MSTRO__CDO_OFFERED)
      continue; /* offered elsewhere or already by the application */
    st = mstro_cdo_offer(c);
    if (st == MSTRO_OK)
      g->m[i].offered_by_us = true;
    else
      MSTRO_LOG_ERR(GROUP, "offer of group '%.200s': member '%.200s' cannot be offered", g->name,
                    c->name);
  }
  if (st == MSTRO_OK)
    st = mstro__pool->group_offer(g, g->name);
  if (st != MSTRO_OK) {
    for (size_t i = 0; i < g->n; i++)
      if (g->m[i].offered_by_us) {
        mstro_cdo_withdraw(g->m[i].cdo);
        g->m[i].offered_by_us = false;
      }
    return st == MSTRO_NOMEM || st == MSTRO_UNIMPL ? st : MSTRO_INVSTATE;
  }
  g->state = to;
  mstro__tm_count(MSTRO__TM_GROUP_OFFER);
  gevent(MSTRO_POOL_EVENT_GROUP_OFFER, MSTRO__EV_AFTER, g);
  return MSTRO_OK;
}

mstro_status mstro_group_withdraw(mstro_group g)
{
  mstro_status st, st2 = MSTRO_OK;
  gstate to;
  if ((st = genter(g, GOP_WITHDRAW, __func__, &to)) != MSTRO_OK)
    return st;
  gevent(MSTRO_POOL_EVENT_GROUP_WITHDRAW, MSTRO__EV_BEFORE, g);
  st = mstro__pool->group_withdraw(g, g->name); /* waits for group demands in flight */
  for (size_t i = 0; i < g->n; i++) {
    /* a member the application withdrew meanwhile is not ours to withdraw */
    if (g->m[i].offered_by_us && g->m[i].cdo->state == MSTRO__CDO_OFFERED) {
      mstro_status s = mstro_cdo_withdraw(g->m[i].cdo);
      if (s != MSTRO_OK)
        st2 = s;
      g->m[i].offered_by_us = false;
    }
  }
  g->state = to;
  gevent(MSTRO_POOL_EVENT_GROUP_WITHDRAW, MSTRO__EV_AFTER, g);
  return st != MSTRO_OK ? st : st2;
}

mstro_status mstro_group_require(mstro_group g)
{
  mstro_status st;
  gstate to;
  if ((st = genter(g, GOP_REQUIRE, __func__, &to)) != MSTRO_OK)
    return st;
  st = mstro__pool->group_require(g, g->name, true);
  if (st == MSTRO_OK)
    g->state = to;
  return st;
}

mstro_status mstro_group_retract(mstro_group g)
{
  mstro_status st;
  gstate to;
  if ((st = genter(g, GOP_RETRACT, __func__, &to)) != MSTRO_OK)
    return st;
  st = mstro__pool->group_require(g, g->name, false);
  g->state = to;
  return st;
}

/* The consumer's handle for member `name` of a demanded group: its own
 * declared handle, or one the group creates and owns; NULL (MSTRO_OK) when
 * its own handle is past the point of metadata. */
static mstro_status member_handle(struct mstro_group_ *g, const char *name, mstro_cdo *out)
{
  mstro_status st = MSTRO_OK;
  /* the producer's names are distinct: only the consumer's own members can
   * match (no quadratic search through the members the demand added) */
  ssize_t k = find_member_in(g, g->n_own, name);
  mstro_cdo c = NULL;
  *out = NULL;
  if (k >= 0 && g->m[k].cdo != NULL) {
    if (g->m[k].cdo->state == MSTRO__CDO_DECLARED)
      *out = g->m[k].cdo;
    goto cleanup;
  }
  MSTRO_CHECK_CALL(GROUP, st, mstro__cdo_create(name, &c),
                   "demand of group '%.200s': cannot create member '%.200s'", g->name, name);
  c->owner = g;
  c->owner_forget = forget_member;
  if (k >= 0) {
    g->m[k].cdo = c;
    g->m[k].owned = true;
  } else if ((st = push_member(g, c, name, true)) != MSTRO_OK) {
    mstro_cdo_dispose(c);
    goto cleanup;
  }
  *out = c;
cleanup:
  return st;
}

mstro_status mstro__group_fill_member(struct mstro_group_ *g, const char *name,
                                      const mstro__attr_dict *attrs)
{
  mstro_status st = MSTRO_OK;
  mstro_cdo c = NULL;
  MSTRO_CHECK_CALL(GROUP, st, member_handle(g, name, &c), "demand of group '%.200s' failed",
                   g->name);
  if (c != NULL && attrs != NULL)
    MSTRO_CHECK_CALL(GROUP, st, mstro__cdo_fill_metadata(c, attrs),
                     "demand of group '%.200s': metadata of '%.200s' lost", g->name, name);
cleanup:
  return st;
}

size_t mstro__group_count(const struct mstro_group_ *g)
{
  return g->n;
}

const char *mstro__group_member(const struct mstro_group_ *g, size_t i, mstro_cdo *cdo)
{
  *cdo = g->m[i].cdo;
  return g->m[i].name;
}

struct fill_ctx {
  struct mstro_group_ *g;
  const char *name;
};

static mstro_status fill_attrs(void *ctx, const mstro__attr_dict *attrs)
{
  struct fill_ctx *f = ctx;
  return mstro__group_fill_member(f->g, f->name, attrs);
}

/* Metadata of every producer member: its handle's attributes, or those of
 * an offer of that name elsewhere in the pool (pinned while copied; none
 * when it is not offered). */
static mstro_status fill_from(struct mstro_group_ *g, const struct mstro_group_ *p)
{
  mstro_status st = MSTRO_OK;
  for (size_t i = 0; i < p->n && st == MSTRO_OK; i++) {
    const struct member *pm = &p->m[i];
    if (pm->cdo != NULL) {
      st = mstro__group_fill_member(g, pm->name, pm->cdo->attrs);
    } else {
      struct fill_ctx f = {g, pm->name};
      st = mstro__pool->offer_attrs(pm->name, fill_attrs, &f);
      if (st == MSTRO_NOENT)
        st = mstro__group_fill_member(g, pm->name, NULL);
    }
  }
  return st;
}

mstro_status mstro_group_demand(mstro_group g)
{
  mstro_status st;
  gstate to;
  if ((st = genter(g, GOP_DEMAND, __func__, &to)) != MSTRO_OK)
    return st;
  if (g->state == G_REQUIRED)
    mstro__pool->group_require(g, g->name, false);
  gevent(MSTRO_POOL_EVENT_GROUP_DEMAND, MSTRO__EV_BEFORE, g);
  g->n_own = g->n;
  st = mstro__pool->group_demand(g, g->name, fill_from);
  if (st != MSTRO_OK) {
    g->state = G_SEALED;
    return st;
  }
  g->state = to;
  g->cursor = 0;
  mstro__tm_count(MSTRO__TM_GROUP_DEMAND);
  gevent(MSTRO_POOL_EVENT_GROUP_DEMAND, MSTRO__EV_AFTER, g);
  return MSTRO_OK;
}

mstro_status mstro_group_size_get(mstro_group g, size_t *count)
{
  mstro_status st;
  if (count)
    *count = 0;
  if ((st = genter(g, GOP_NEXT, __func__, NULL)) != MSTRO_OK && st != MSTRO_INVSTATE)
    return st;
  if (count == NULL) {
    MSTRO_LOG_ERR(GROUP, "mstro_group_size_get: NULL count");
    return MSTRO_INVARG;
  }
  *count = g->n;
  return MSTRO_OK;
}

mstro_status mstro_group_next(mstro_group g, mstro_cdo *member)
{
  mstro_status st;
  if (member)
    *member = NULL;
  if ((st = genter(g, GOP_NEXT, __func__, NULL)) != MSTRO_OK)
    return st;
  if (member == NULL) {
    MSTRO_LOG_ERR(GROUP, "mstro_group_next: NULL result");
    return MSTRO_INVARG;
  }
  while (g->cursor < g->n && g->m[g->cursor].cdo == NULL)
    g->cursor++; /* by-name members without a local handle */
  if (g->cursor >= g->n) {
    g->cursor = 0; /* NULL marks the end; the next call starts again */
    return MSTRO_OK;
  }
  *member = g->m[g->cursor++].cdo;
  return MSTRO_OK;
}

static void forget_member(void *owner, mstro_cdo cdo)
{
  struct mstro_group_ *g = owner;
  if (g == NULL || g->magic != MSTRO__GROUP_MAGIC)
    return;
  for (size_t i = 0; i < g->n; i++)
    if (g->m[i].cdo == cdo) {
      g->m[i].cdo = NULL;
      g->m[i].owned = false;
    }
}

static void group_free(struct mstro_group_ *g)
{
  for (size_t i = 0; i < g->n; i++) {
    if (g->m[i].cdo != NULL && g->m[i].owned)
      g->m[i].cdo->owner = NULL;
    free(g->m[i].name);
  }
  free(g->m);
  free(g->name);
  g->magic = 0;
  free(g);
}

mstro_status mstro_group_dispose(mstro_group g)
{
  mstro_status st;
  if ((st = genter(g, GOP_DISPOSE, __func__, NULL)) != MSTRO_OK)
    return st;
  for (size_t i = 0; i < g->n; i++) {
    mstro_cdo c = g->m[i].cdo;
    if (c == NULL || !g->m[i].owned)
      continue;
    c->owner = NULL;
    g->m[i].cdo = NULL;
    if (c->state == MSTRO__CDO_REQUIRED)
      mstro_cdo_retract(c);
    if (c->state == MSTRO__CDO_OFFERED)
      mstro_cdo_withdraw(c);
    mstro_cdo_dispose(c);
  }
  pthread_mutex_lock(&groups_lock);
  if (g->prev)
    g->prev->next = g->next;
  else
    all_groups = g->next;
  if (g->next)
    g->next->prev = g->prev;
  pthread_mutex_unlock(&groups_lock);
  group_free(g);
  return MSTRO_OK;
}

void mstro__groups_fini(void)
{
  pthread_mutex_lock(&groups_lock);
  while (all_groups != NULL) {
    struct mstro_group_ *g = all_groups;
    all_groups = g->next;
    group_free(g);
  }
  pthread_mutex_unlock(&groups_lock);
}
