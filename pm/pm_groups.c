/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's groups: offered groups by name, the group demands
 * waiting for one, group requires, and the group events. See
 * mstro_pm.proto (GROUP_*) and docs/pool-manager.md.
 *
 * A group offer arrives in pages (GROUP_OFFER with more = true, then the
 * last one); it is listed, and its events raised, with the last. A demand is
 * answered page by page from the oldest offered group of its name; each page
 * carries the metadata of the current offer of each member, so a member
 * added by handle whose offer is gone fails the demand (MSTRO_NOENT naming
 * group and member) instead of handing out a partial group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pm_server_internal.h"

struct pm_gmember {
  char *name;
  uint64_t cdo_id; /* the producer's offer (added by handle); 0: by name */
};

struct pm_group {
  uint64_t appid, id;
  char *name;
  struct pm_gmember *m;
  size_t n, cap;
  bool listed;         /* false while its pages arrive */
  mstro_status failed; /* a page could not be taken: the last is refused */
  struct pm_group *next;
};

/* A group demand waiting for an offer, or a group require (seq 0). */
struct pm_gwait {
  uint64_t appid, seq;
  char *name;
  struct pm_gwait *next;
};

struct pm_groups {
  struct pm_group *groups; /* newest first; demands take the oldest */
  struct pm_gwait *waits;
  struct pm_gwait *requires;
  uint64_t next_id;
};

static struct pm_groups *state(struct mstro__pm_server *srv)
{
  if (srv->groups == NULL)
    srv->groups = calloc(1, sizeof *srv->groups);
  return srv->groups;
}

static void group_free(struct pm_group *g)
{
  for (size_t i = 0; i < g->n; i++)
    free(g->m[i].name);
  free(g->m);
  free(g->name);
  free(g);
}

static void gwait_free(struct pm_gwait *w)
{
  free(w->name);
  free(w);
}

static void unlink_group(struct pm_groups *gs, struct pm_group *g)
{
  for (struct pm_group **pp = &gs->groups; *pp != NULL; pp = &(*pp)->next)
    if (*pp == g) {
      *pp = g->next;
      return;
    }
}

static struct pm_group *find_group(struct pm_groups *gs, const char *name, uint64_t appid,
                                   bool listed)
{
  for (struct pm_group *g = gs->groups; g != NULL; g = g->next)
    if (g->listed == listed && strcmp(g->name, name) == 0 && (appid == 0 || g->appid == appid))
      return g;
  return NULL;
}

static struct pm_group *oldest_group(struct pm_groups *gs, const char *name)
{
  struct pm_group *found = NULL;
  for (struct pm_group *g = gs->groups; g != NULL; g = g->next)
    if (g->listed && strcmp(g->name, name) == 0)
      found = g;
  return found;
}

static struct pm_group *group_by_id(struct pm_groups *gs, uint64_t id)
{
  for (struct pm_group *g = gs->groups; g != NULL; g = g->next)
    if (g->listed && g->id == id)
      return g;
  return NULL;
}

static void emit(struct mstro__pm_server *srv, uint32_t kind, const struct member *m,
                 const char *name, const Mstro__Proto__Envelope *env)
{
  struct pm_hold *h = mstro__pm_hold_begin(m, env);
  mstro__pm_emit_cdo(srv, kind, m, name, NULL, 0, h);
  mstro__pm_hold_end(srv, m, env, h);
}

static void send_ack(struct mstro__pm_server *srv, const struct member *m, uint64_t seq,
                     const char *name)
{
  Mstro__Proto__Envelope out;
  Mstro__Proto__GroupAck a;
  mstro__pm_env_init(srv, &out, seq);
  mstro__proto__group_ack__init(&a);
  a.group_name = (char *)name;
  a.status = MSTRO_OK;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK;
  out.group_ack = &a;
  mstro__pm_send_env(srv, m->peer, &out);
}

/* The listed offer describing member i of g, or NULL: by handle, the
 * producer's own offer; by name, the oldest offer of that name. */
static struct pm_offer *member_offer(struct mstro__pm_server *srv, const struct pm_group *g,
                                     size_t i)
{
  const struct pm_gmember *gm = &g->m[i];
  struct pm_offer *o = mstro__pool_dir_lookup(srv->dir, gm->name);
  if (gm->cdo_id == 0 || o == NULL || (o->appid == g->appid && o->cdo_id == gm->cdo_id))
    return o;
  return mstro__pm_offer_find(srv, g->appid, gm->cdo_id, true); /* another came first */
}

/* Answer a demand with the page of g from member `start`. */
static void send_page(struct mstro__pm_server *srv, uint64_t appid, uint64_t seq,
                      const struct pm_group *g, uint64_t start)
{
  struct member *m = mstro__pm_member_by_appid(srv, appid);
  if (m == NULL)
    return;
  size_t want = g->n - (size_t)start;
  if (want > MSTRO__PROTO_GROUP_PAGE_MAX)
    want = MSTRO__PROTO_GROUP_PAGE_MAX;
  Mstro__Proto__GroupMember *gm = calloc(want ? want : 1, sizeof *gm);
  Mstro__Proto__GroupMember **pg = calloc(want ? want : 1, sizeof *pg);
  char why[MSTRO__PROTO_TEXT_MAX];
  if (gm == NULL || pg == NULL) {
    mstro__pm_send_refuse(srv, m->peer, seq, MSTRO_NOMEM, "the Pool Manager is out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < want; i++) {
    size_t k = (size_t)start + i;
    struct pm_offer *o = member_offer(srv, g, k);
    if (o == NULL && g->m[k].cdo_id != 0) {
      snprintf(why, sizeof why, "group '%.200s': member '%.200s' is no longer offered", g->name,
               g->m[k].name);
      MSTRO_LOG_WARN(PM, "demand of appid %llu refused: %s", (unsigned long long)appid, why);
      mstro__pm_send_refuse(srv, m->peer, seq, MSTRO_NOENT, why);
      goto cleanup;
    }
    mstro__proto__group_member__init(&gm[i]);
    gm[i].name = g->m[k].name;
    if (o != NULL) {
      gm[i].offered = true;
      gm[i].attributes = (ProtobufCBinaryData){o->attrs_len, o->attrs};
    }
    pg[i] = &gm[i];
  }
  Mstro__Proto__Envelope out;
  Mstro__Proto__GroupMembers p;
  mstro__pm_env_init(srv, &out, seq);
  mstro__proto__group_members__init(&p);
  p.group_name = g->name;
  p.offer_id = g->id;
  p.total = g->n;
  p.start = start;
  p.n_members = mstro__proto_group_page(pg, want);
  p.members = pg;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS;
  out.group_members = &p;
  mstro__pm_send_env(srv, m->peer, &out);
cleanup:
  free(pg);
  free(gm);
}

static mstro_status add_members(struct pm_group *g, const Mstro__Proto__GroupOffer *in)
{
  if (g->n + in->n_members > g->cap) {
    size_t cap = g->cap ? g->cap : 64;
    while (cap < g->n + in->n_members)
      cap *= 2;
    struct pm_gmember *nm = realloc(g->m, cap * sizeof *nm);
    if (nm == NULL)
      return MSTRO_NOMEM;
    g->m = nm;
    g->cap = cap;
  }
  for (size_t i = 0; i < in->n_members; i++) {
    g->m[g->n].name = strdup(in->members[i]->name);
    if (g->m[g->n].name == NULL)
      return MSTRO_NOMEM;
    g->m[g->n++].cdo_id = in->members[i]->cdo_id;
  }
  return MSTRO_OK;
}

/* The members added by handle must be offered by the group's producer. */
static const char *missing_member(struct mstro__pm_server *srv, const struct pm_group *g)
{
  for (size_t i = 0; i < g->n; i++)
    if (g->m[i].cdo_id != 0 && member_offer(srv, g, i) == NULL)
      return g->m[i].name;
  return NULL;
}

/* Pages of a group offer gather in an unlisted record; a page that cannot
 * be taken marks it failed, and the last page is refused with the reason. */
static void handle_offer(struct mstro__pm_server *srv, struct pm_groups *gs, struct member *m,
                         const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__GroupOffer *in = env->group_offer;
  char why[MSTRO__PROTO_TEXT_MAX];
  const char *missing;
  struct pm_group *g = find_group(gs, in->group_name, m->appid, false);
  if (g == NULL) {
    g = calloc(1, sizeof *g);
    if (g == NULL || (g->name = strdup(in->group_name)) == NULL) {
      free(g);
      mstro__pm_hold_end(srv, m, env, NULL); /* its sender must not hang */
      mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM,
                            "the Pool Manager is out of memory");
      return;
    }
    g->appid = m->appid;
    g->next = gs->groups;
    gs->groups = g;
    if (find_group(gs, in->group_name, m->appid, true) != NULL)
      g->failed = MSTRO_INVSTATE;
  }
  if (g->failed == MSTRO_OK && add_members(g, in) != MSTRO_OK)
    g->failed = MSTRO_NOMEM;
  if (in->more)
    return; /* more pages follow */
  if (g->failed == MSTRO_INVSTATE)
    snprintf(why, sizeof why, "group '%.200s' is already offered by this component", g->name);
  else if (g->failed != MSTRO_OK)
    snprintf(why, sizeof why, "the Pool Manager is out of memory");
  else if ((missing = missing_member(srv, g)) != NULL) {
    g->failed = MSTRO_NOENT;
    snprintf(why, sizeof why, "group '%.200s': member '%.200s' is not offered", g->name, missing);
  }
  if (g->failed != MSTRO_OK) {
    mstro_status st = g->failed;
    unlink_group(gs, g);
    group_free(g);
    MSTRO_LOG_WARN(PM, "GROUP_OFFER from appid %llu refused: %s", (unsigned long long)m->appid,
                   why);
    mstro__pm_hold_end(srv, m, env, NULL);
    mstro__pm_send_refuse(srv, m->peer, env->seq, st, why);
    return;
  }
  g->listed = true;
  g->id = ++gs->next_id;
  emit(srv, MSTRO_POOL_EVENT_GROUP_OFFER, m, g->name, env);
  send_ack(srv, m, env->seq, g->name);
  MSTRO_LOG_INFO(PM, "appid %llu offers group '%.200s' (%zu members)", (unsigned long long)m->appid,
                 g->name, g->n);
  for (struct pm_gwait **pp = &gs->waits; *pp != NULL;) {
    struct pm_gwait *w = *pp;
    if (strcmp(w->name, g->name) == 0) {
      *pp = w->next;
      send_page(srv, w->appid, w->seq, g, 0);
      gwait_free(w);
    } else {
      pp = &w->next;
    }
  }
}

static void handle_withdraw(struct mstro__pm_server *srv, struct pm_groups *gs, struct member *m,
                            const Mstro__Proto__Envelope *env)
{
  const char *name = env->group_withdraw->group_name;
  struct pm_group *g = find_group(gs, name, m->appid, true);
  if (g == NULL) {
    char why[MSTRO__PROTO_TEXT_MAX];
    snprintf(why, sizeof why, "group '%.200s' is not offered by this component", name);
    mstro__pm_hold_end(srv, m, env, NULL);
    mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_INVSTATE, why);
    return;
  }
  unlink_group(gs, g);
  emit(srv, MSTRO_POOL_EVENT_GROUP_WITHDRAW, m, name, env);
  send_ack(srv, m, env->seq, name);
  group_free(g);
}

static struct pm_gwait *gwait_new(const struct member *m, uint64_t seq, const char *name)
{
  struct pm_gwait *w = calloc(1, sizeof *w);
  if (w != NULL && (w->name = strdup(name)) == NULL) {
    free(w);
    w = NULL;
  }
  if (w != NULL) {
    w->appid = m->appid;
    w->seq = seq;
  }
  return w;
}

static void handle_demand(struct mstro__pm_server *srv, struct pm_groups *gs, struct member *m,
                          const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__GroupDemand *d = env->group_demand;
  if (d->offer_id != 0) { /* a next page */
    struct pm_group *g = group_by_id(gs, d->offer_id);
    char why[MSTRO__PROTO_TEXT_MAX];
    if (g != NULL && d->start < g->n) {
      send_page(srv, m->appid, env->seq, g, d->start);
      return;
    }
    snprintf(why, sizeof why, "group '%.200s' %s", d->group_name,
             g == NULL ? "was withdrawn meanwhile" : "has no such page");
    mstro__pm_send_refuse(srv, m->peer, env->seq, g == NULL ? MSTRO_NOENT : MSTRO_INVARG, why);
    return;
  }
  emit(srv, MSTRO_POOL_EVENT_GROUP_DEMAND, m, d->group_name, env);
  struct pm_group *g = oldest_group(gs, d->group_name);
  if (g != NULL) {
    send_page(srv, m->appid, env->seq, g, 0);
    return;
  }
  struct pm_gwait *w = gwait_new(m, env->seq, d->group_name);
  if (w == NULL) {
    mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory");
    return;
  }
  w->next = gs->waits;
  gs->waits = w;
}

/* The PM keeps the group requires it was told of (they name the consumers
 * a group offer will serve, for the log) until the demand or retract. */
static void handle_require(struct pm_groups *gs, struct member *m,
                           const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__GroupRequire *r = env->group_require;
  for (struct pm_gwait **pp = &gs->requires; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->appid == m->appid && strcmp((*pp)->name, r->group_name) == 0) {
      struct pm_gwait *w = *pp;
      if (!r->require) {
        *pp = w->next;
        gwait_free(w);
      }
      return;
    }
  if (r->require) {
    struct pm_gwait *w = gwait_new(m, 0, r->group_name);
    if (w != NULL) {
      w->next = gs->requires;
      gs->requires = w;
    }
    MSTRO_LOG_DEBUG(PM, "appid %llu requires group '%.200s'", (unsigned long long)m->appid,
                    r->group_name);
  }
}

void mstro__pm_handle_group(struct mstro__pm_server *srv, struct member *m,
                            const Mstro__Proto__Envelope *env)
{
  struct pm_groups *gs = state(srv);
  if (gs == NULL) {
    mstro__pm_hold_end(srv, m, env, NULL);
    mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory");
    return;
  }
  switch (env->msg_case) {
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER:
    handle_offer(srv, gs, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_WITHDRAW:
    handle_withdraw(srv, gs, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_DEMAND:
    handle_demand(srv, gs, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_REQUIRE:
    handle_require(gs, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_SEAL:
    emit(srv, MSTRO_POOL_EVENT_GROUP_SEAL, m, env->group_seal->group_name, env);
    return;
  default:
    return;
  }
}

static void drop_waits(struct pm_gwait **list, uint64_t appid)
{
  for (struct pm_gwait **pp = list; *pp != NULL;) {
    struct pm_gwait *w = *pp;
    if (appid == 0 || w->appid == appid) {
      *pp = w->next;
      gwait_free(w);
    } else {
      pp = &w->next;
    }
  }
}

/* A member left or was dropped: its groups leave the pool (demands of their
 * names wait for another offer, as CDO demands do; a consumer between pages
 * gets MSTRO_NOENT), its group demands and requires are forgotten. */
void mstro__pm_groups_member_gone(struct mstro__pm_server *srv, uint64_t appid)
{
  struct pm_groups *gs = srv->groups;
  size_t removed = 0;
  if (gs == NULL)
    return;
  drop_waits(&gs->waits, appid);
  drop_waits(&gs->requires, appid);
  for (struct pm_group **pp = &gs->groups; *pp != NULL;) {
    struct pm_group *g = *pp;
    if (g->appid == appid) {
      *pp = g->next;
      removed += g->listed;
      group_free(g);
    } else {
      pp = &g->next;
    }
  }
  if (removed > 0)
    MSTRO_LOG_INFO(PM, "%zu group(s) of appid %llu left the pool with it", removed,
                   (unsigned long long)appid);
}

void mstro__pm_groups_free(struct mstro__pm_server *srv)
{
  struct pm_groups *gs = srv->groups;
  if (gs == NULL)
    return;
  drop_waits(&gs->waits, 0);
  drop_waits(&gs->requires, 0);
  for (struct pm_group *g = gs->groups, *n; g != NULL; g = n) {
    n = g->next;
    group_free(g);
  }
  free(gs);
  srv->groups = NULL;
}
