/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager client's group operations (pool_backend.h).
 *
 * A group travels as pages of members, each page as many as one frame holds
 * (mstro__proto_group_page): the producer's GROUP_OFFER pages name the
 * members (with the offer id of those added by handle), the consumer's
 * GROUP_DEMAND pages bring back every member's metadata. The consumer fills
 * its group only once every page is in, so a failed demand never leaves a
 * partial group behind; the bytes of a member move only when it is demanded
 * on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "mstro_log.h"
#include "pmc.h"

#define MSG(env, field, kind)                                                                      \
  do {                                                                                             \
    (env)->msg_case = MSTRO__PROTO__ENVELOPE__MSG_##kind;                                          \
    (env)->field = &field;                                                                         \
  } while (0)

/* Send a request held (when another member holds `kind`) until the PM's
 * release, and wait for both its answer and the release. */
static mstro_status held_request(Mstro__Proto__Envelope *env, Mstro__Proto__Envelope__MsgCase want,
                                 Mstro__Proto__Envelope **ans, mstro_pool_event_kind kind,
                                 const char *op, const char *name)
{
  struct mstro__pmc_call relc;
  struct mstro__pmc_call *rel = mstro__pmc_rel_prepare(&relc, kind);
  mstro_status st = mstro__pmc_request_rel(env, want, ans, rel);
  mstro_status rs = mstro__pmc_rel_wait(rel, op, name);
  return st != MSTRO_OK ? st : rs;
}

mstro_status mstro__pmc_group_offer(struct mstro_group_ *g, const char *name)
{
  mstro_status st = MSTRO_OK;
  size_t n = mstro__group_count(g);
  Mstro__Proto__GroupMember *m = calloc(n ? n : 1, sizeof *m);
  Mstro__Proto__GroupMember **pm = calloc(n ? n : 1, sizeof *pm);
  Mstro__Proto__Envelope *ans = NULL;
  MSTRO_CHECK(GROUP, m != NULL && pm != NULL, st, MSTRO_NOMEM,
              "group offer of '%.200s': out of memory", name);
  for (size_t i = 0; i < n; i++) {
    mstro_cdo cdo;
    mstro__proto__group_member__init(&m[i]);
    m[i].name = (char *)mstro__group_member(g, i, &cdo);
    m[i].cdo_id = cdo != NULL ? cdo->id : 0;
    pm[i] = &m[i];
  }
  size_t i = 0;
  do {
    size_t k = mstro__proto_group_page(pm + i, n - i);
    Mstro__Proto__Envelope env;
    Mstro__Proto__GroupOffer group_offer;
    mstro__proto__envelope__init(&env);
    mstro__proto__group_offer__init(&group_offer);
    group_offer.group_name = (char *)name;
    group_offer.n_members = k;
    group_offer.members = pm + i;
    group_offer.more = i + k < n;
    MSG(&env, group_offer, GROUP_OFFER);
    if (group_offer.more)
      st = mstro__pmc_send_msg(&env);
    else
      st = held_request(&env, MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK, &ans,
                        MSTRO_POOL_EVENT_GROUP_OFFER, "group offer", name);
    i += k;
  } while (st == MSTRO_OK && i < n);
  MSTRO_CHECK(GROUP, st == MSTRO_OK, st, st, "group offer of '%.200s': %s", name,
              st == MSTRO_NO_PM ? "the Pool Manager is unreachable"
                                : "the Pool Manager refused it");
cleanup:
  mstro__proto_free(ans);
  free(pm);
  free(m);
  return st;
}

mstro_status mstro__pmc_group_withdraw(struct mstro_group_ *g, const char *name)
{
  mstro_status st = MSTRO_OK;
  Mstro__Proto__Envelope env, *ans = NULL;
  Mstro__Proto__GroupWithdraw group_withdraw;
  (void)g;
  mstro__proto__envelope__init(&env);
  mstro__proto__group_withdraw__init(&group_withdraw);
  group_withdraw.group_name = (char *)name;
  MSG(&env, group_withdraw, GROUP_WITHDRAW);
  st = held_request(&env, MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK, &ans,
                    MSTRO_POOL_EVENT_GROUP_WITHDRAW, "group withdraw", name);
  if (st == MSTRO_NO_PM)
    MSTRO_LOG_WARN(GROUP, "group withdraw of '%.200s': the Pool Manager is gone", name);
  else if (st != MSTRO_OK)
    MSTRO_LOG_ERR(GROUP, "group withdraw of '%.200s': %s", name, mstro_status_description(st));
  mstro__proto_free(ans);
  return st == MSTRO_NO_PM ? MSTRO_OK : st; /* without a PM nobody can demand it */
}

mstro_status mstro__pmc_group_require(struct mstro_group_ *g, const char *name, bool require)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__GroupRequire group_require;
  (void)g;
  mstro__proto__envelope__init(&env);
  mstro__proto__group_require__init(&group_require);
  group_require.group_name = (char *)name;
  group_require.require = require;
  MSG(&env, group_require, GROUP_REQUIRE);
  mstro_status st = mstro__pmc_send_msg(&env);
  if (st != MSTRO_OK)
    MSTRO_LOG_ERR(GROUP, "group %s of '%.200s': the Pool Manager is unreachable",
                  require ? "require" : "retract", name);
  return st;
}

mstro_status mstro__pmc_group_sealed(struct mstro_group_ *g, const char *name)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__GroupSeal group_seal;
  (void)g;
  if (!mstro__pmc_watched(MSTRO_POOL_EVENT_GROUP_SEAL))
    return MSTRO_OK; /* nobody outside watches: no message */
  mstro__proto__envelope__init(&env);
  mstro__proto__group_seal__init(&group_seal);
  group_seal.group_name = (char *)name;
  MSG(&env, group_seal, GROUP_SEAL);
  return mstro__pmc_send_op(&env, MSTRO_POOL_EVENT_GROUP_SEAL, "group seal", name);
}

/* One page of a group demand: the first (offer_id 0) waits for an offer. */
static mstro_status demand_page(const char *name, uint64_t offer_id, uint64_t start,
                                Mstro__Proto__Envelope **ans)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__GroupDemand group_demand;
  mstro__proto__envelope__init(&env);
  mstro__proto__group_demand__init(&group_demand);
  group_demand.group_name = (char *)name;
  group_demand.offer_id = offer_id;
  group_demand.start = start;
  MSG(&env, group_demand, GROUP_DEMAND);
  if (offer_id == 0)
    return held_request(&env, MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS, ans,
                        MSTRO_POOL_EVENT_GROUP_DEMAND, "group demand", name);
  return mstro__pmc_request(&env, MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS, ans);
}

static mstro_status fill_page(struct mstro_group_ *g, const Mstro__Proto__GroupMembers *p)
{
  mstro_status st = MSTRO_OK;
  for (size_t i = 0; i < p->n_members && st == MSTRO_OK; i++) {
    const Mstro__Proto__GroupMember *m = p->members[i];
    mstro__attr_dict *attrs = NULL;
    if (m->offered) {
      MSTRO_CHECK_CALL(
          GROUP, st, mstro__attr_dict_deserialize(m->attributes.data, m->attributes.len, &attrs),
          "demand of group '%.200s': metadata of '%.200s' unreadable", p->group_name, m->name);
    }
    st = mstro__group_fill_member(g, m->name, attrs);
    mstro__attr_dict_destroy(attrs);
  }
cleanup:
  return st;
}

mstro_status mstro__pmc_group_demand(struct mstro_group_ *g, const char *name,
                                     mstro_status (*fill)(struct mstro_group_ *,
                                                          const struct mstro_group_ *))
{
  mstro_status st = MSTRO_OK;
  Mstro__Proto__Envelope **pages = NULL;
  size_t npages = 0, cap = 0;
  uint64_t offer_id = 0, total = 0, have = 0;
  (void)fill; /* the producer's group is in another process: its pages fill ours */
  do {
    Mstro__Proto__Envelope *ans = NULL;
    if (npages == cap) {
      size_t ncap = cap ? 2 * cap : 4;
      Mstro__Proto__Envelope **np = realloc(pages, ncap * sizeof *np);
      MSTRO_CHECK(GROUP, np != NULL, st, MSTRO_NOMEM, "demand of group '%.200s': out of memory",
                  name);
      pages = np;
      cap = ncap;
    }
    st = demand_page(name, offer_id, have, &ans);
    MSTRO_CHECK(GROUP, st == MSTRO_OK, st, st, "demand of group '%.200s' failed: %s", name,
                mstro_status_description(st));
    pages[npages++] = ans;
    const Mstro__Proto__GroupMembers *p = ans->group_members;
    if (offer_id == 0) {
      offer_id = p->offer_id;
      total = p->total;
    }
    MSTRO_CHECK(GROUP, p->offer_id == offer_id && p->total == total && p->start == have, st,
                MSTRO_INVMSG, "demand of group '%.200s': the Pool Manager sent a page out of order",
                name);
    MSTRO_CHECK(GROUP, p->n_members > 0 || have == total, st, MSTRO_INVMSG,
                "demand of group '%.200s': the Pool Manager sent an empty page", name);
    have += p->n_members;
  } while (have < total);
  for (size_t i = 0; i < npages && st == MSTRO_OK; i++)
    st = fill_page(g, pages[i]->group_members);
  if (st == MSTRO_OK)
    MSTRO_LOG_DEBUG(GROUP, "group '%.200s': %llu member(s) in %zu page(s)", name,
                    (unsigned long long)total, npages);
cleanup:
  for (size_t i = 0; i < npages; i++)
    mstro__proto_free(pages[i]);
  free(pages);
  return st;
}
