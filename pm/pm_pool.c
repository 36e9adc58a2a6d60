/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's pool: offers, demands, requires, transfer tickets
 * and withdraw. See pm_server.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pm_server_internal.h"

static void serve_requires(struct mstro__pm_server *srv, struct pm_offer *o);

/* Each operation finds what it needs in one lookup (pool_dir.c matches by
 * name; offers, tickets and requires are indexed here) and unlinks in O(1):
 * only a member's departure walks the lists. */
mstro_status mstro__pm_pool_init(struct mstro__pm_server *srv)
{
  mstro_status st = mstro__pm_hash_init(&srv->offer_index);
  if (st == MSTRO_OK)
    st = mstro__pm_hash_init(&srv->ticket_index);
  if (st == MSTRO_OK)
    st = mstro__pm_hash_init(&srv->require_index);
  return st;
}

/* The tickets and requires indexed by a key, as their structs. */
static struct pm_ticket *ticket_of(struct pm_hnode *n)
{
  return (struct pm_ticket *)n;
}
static struct pm_require *require_of(struct pm_hnode *n)
{
  return (struct pm_require *)n;
}

/* ---- the pool ----------------------------------------------------------------
 *
 * Matching is pool_dir.c's (the module the in-process pool uses); this adds
 * the tickets: a demand that finds an offer (at once, or when one arrives) is
 * answered with a TRANSFER_TICKET naming where the bytes are; the offer counts
 * the tickets in flight, and a WITHDRAW is acknowledged only when none is. */

static void offer_free(struct pm_offer *o)
{
  free(o->name);
  free(o->attrs);
  free(o->key);
  free(o);
}

static void waiter_free(struct pm_waiter *w)
{
  free(w->name);
  free(w);
}

static void send_withdraw_ack(struct mstro__pm_server *srv, uint64_t appid, uint64_t seq,
                              uint64_t cdo_id, mstro_status status)
{
  struct member *m = mstro__pm_member_by_appid(srv, appid);
  if (m == NULL)
    return;
  Mstro__Proto__Envelope out;
  Mstro__Proto__WithdrawAck a;
  mstro__pm_env_init(srv, &out, seq);
  mstro__proto__withdraw_ack__init(&a);
  a.cdo_id = cdo_id;
  a.status = (uint32_t)status;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK;
  out.withdraw_ack = &a;
  mstro__pm_send_env(srv, m->peer, &out);
}

/* An offer nobody reads any more: answer a pending withdraw, free it when it
 * is out of the directory. */
static void offer_settle(struct mstro__pm_server *srv, struct pm_offer *o)
{
  if (o->inflight > 0)
    return;
  if (o->withdraw_pending) {
    o->withdraw_pending = false;
    send_withdraw_ack(srv, o->appid, o->withdraw_seq, o->cdo_id, MSTRO_OK);
  }
  if (o->listed)
    return;
  PM_DLIST_UNLINK(srv->offers, o);
  mstro__pm_hash_remove(&srv->offer_index, &o->hn);
  mstro__pm_lifetimes_remove(srv->lifetimes, o);
  offer_free(o);
}

static void send_ticket(struct mstro__pm_server *srv, struct pm_offer *o, uint64_t dst_appid,
                        uint64_t in_reply_to)
{
  struct member *m = mstro__pm_member_by_appid(srv, dst_appid);
  struct pm_ticket *t = calloc(1, sizeof *t);
  if (m == NULL || t == NULL) {
    free(t);
    return;
  }
  t->id = ++srv->next_ticket;
  t->o = o;
  t->dst_appid = dst_appid;
  Mstro__Proto__Envelope out;
  Mstro__Proto__TransferTicket tk;
  mstro__pm_env_init(srv, &out, in_reply_to);
  mstro__proto__transfer_ticket__init(&tk);
  tk.ticket_id = t->id;
  tk.cdo_id = o->cdo_id;
  tk.cdo_name = o->name;
  tk.src_appid = o->appid;
  tk.src_endpoint_address = (ProtobufCBinaryData){strlen(o->addr), (uint8_t *)o->addr};
  tk.transport = (Mstro__Proto__TransportKind)o->transport;
  tk.region_desc = (ProtobufCBinaryData){o->desc_len, o->desc};
  if (o->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS)
    tk.gfs_path = o->key ? o->key : (char *)"";
  else if (o->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_MIO)
    tk.mio_object = o->key ? o->key : (char *)"";
  tk.size = o->size;
  tk.attributes = (ProtobufCBinaryData){o->attrs_len, o->attrs};
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET;
  out.transfer_ticket = &tk;
  if (mstro__pm_send_env(srv, m->peer, &out) != MSTRO_OK) {
    free(t);
    return;
  }
  o->inflight++;
  PM_DLIST_PUSH(srv->tickets, t);
  mstro__pm_hash_insert(&srv->ticket_index, &t->hn, t->id);
  MSTRO_LOG_DEBUG(PM, "ticket %llu: '%.200s' (%llu bytes) from appid %llu to appid %llu",
                  (unsigned long long)t->id, o->name, (unsigned long long)o->size,
                  (unsigned long long)o->appid, (unsigned long long)dst_appid);
}

static void match_waiter(void *waiter, void *offer, void *ctx)
{
  struct mstro__pm_server *srv = ctx;
  struct pm_waiter *w = waiter;
  PM_DLIST_UNLINK(srv->waiters, w);
  send_ticket(srv, offer, w->appid, w->seq);
  waiter_free(w);
}

struct pm_offer *mstro__pm_offer_find(struct mstro__pm_server *srv, uint64_t appid, uint64_t cdo_id,
                                      bool listed_only)
{
  for (struct pm_hnode *n =
           mstro__pm_hash_first(&srv->offer_index, mstro__pm_hash_pair(appid, cdo_id));
       n != NULL; n = mstro__pm_hash_next(n)) {
    struct pm_offer *o = (struct pm_offer *)n;
    if (o->appid == appid && o->cdo_id == cdo_id && (!listed_only || o->listed))
      return o;
  }
  return NULL;
}

/* .maestro.core.cdo.lifetime: the offer leaves the directory that many
 * seconds after it was listed (pm_lifetime.h). */
static void offer_set_lifetime(struct mstro__pm_server *srv, struct pm_offer *o, uint64_t seconds)
{
  const uint64_t max_s = 100ull * 365 * 24 * 3600; /* no overflow of the ns clock */
  uint64_t deadline = mstro_clock() + (seconds < max_s ? seconds : max_s) * 1000000000ull;
  if (mstro__pm_lifetimes_add(srv->lifetimes, o, deadline) != MSTRO_OK)
    MSTRO_LOG_ERR(PM, "out of memory: the lifetime of '%.200s' is not enforced", o->name);
}

void mstro__pm_handle_offer(struct mstro__pm_server *srv, struct member *m,
                            const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__Offer *in = env->offer;
  const char *why = NULL;
  struct pm_offer *o = NULL;
  if (mstro__pm_offer_find(srv, m->appid, in->cdo_id, false) != NULL) {
    why = "this CDO is already offered";
  } else if (in->size > 0 && in->n_transports == 0) {
    why = "an offer with data names no transport";
  } else if (in->size > 0 && in->transports[0] == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI &&
             in->region_desc.len == 0) {
    why = "an OFI offer with data carries no region descriptor";
  } else if ((o = calloc(1, sizeof *o)) == NULL || (o->name = strdup(in->cdo_name)) == NULL ||
             (in->attributes.len > 0 && (o->attrs = malloc(in->attributes.len)) == NULL)) {
    why = "the Pool Manager is out of memory";
  }
  if (why == NULL) {
    o->appid = m->appid;
    o->cdo_id = in->cdo_id;
    o->attrs_len = in->attributes.len;
    if (o->attrs_len > 0)
      memcpy(o->attrs, in->attributes.data, o->attrs_len);
    o->desc_len = in->region_desc.len;
    if (o->desc_len > 0)
      memcpy(o->desc, in->region_desc.data, o->desc_len);
    o->size = in->size;
    o->transport =
        in->n_transports > 0 ? (int)in->transports[0] : MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
    const char *key = in->gfs_path && in->gfs_path[0] ? in->gfs_path : in->mio_object;
    if (key != NULL && key[0] != '\0' && (o->key = strdup(key)) == NULL)
      why = "the Pool Manager is out of memory";
    snprintf(o->addr, sizeof o->addr, "%s", m->addr);
  }
  if (why == NULL) {
    o->listed = true;
    PM_DLIST_PUSH(srv->offers, o);
    mstro__pm_hash_insert(&srv->offer_index, &o->hn, mstro__pm_hash_pair(o->appid, o->cdo_id));
    if (mstro__pool_dir_offer(srv->dir, o->name, o, match_waiter, srv) != MSTRO_OK) {
      PM_DLIST_UNLINK(srv->offers, o);
      mstro__pm_hash_remove(&srv->offer_index, &o->hn);
      why = "the pool directory refused the offer";
    } else {
      /* Sent with wait_ack, the offer is answered (EVENT_ACK) once every
       * _REQUIRE_ACK subscriber has acked its OFFER event. */
      struct pm_hold *h = mstro__pm_hold_begin(m, env);
      struct pm_event ev = {.kind = MSTRO_POOL_EVENT_OFFER,
                            .appid = m->appid,
                            .cdo_name = o->name,
                            .size = o->size,
                            .attrs = in->attributes.data,
                            .attrs_len = in->attributes.len,
                            .hold = h};
      mstro__pm_emit(srv, &ev);
      mstro__pm_hold_end(srv, m, env, h);
      serve_requires(srv, o);
      if (in->lifetime > 0)
        offer_set_lifetime(srv, o, in->lifetime);
      MSTRO_LOG_INFO(PM, "appid %llu offers '%.200s' (%llu bytes by %s)",
                     (unsigned long long)m->appid, o->name, (unsigned long long)o->size,
                     mstro__proto_transport_name(o->transport));
      return;
    }
  }
  MSTRO_LOG_WARN(PM, "OFFER of '%.200s' from appid %llu refused: %s", in->cdo_name,
                 (unsigned long long)m->appid, why);
  mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_INVSTATE, why);
  if (o != NULL)
    offer_free(o);
}

void mstro__pm_handle_demand(struct mstro__pm_server *srv, struct member *m,
                             const Mstro__Proto__Envelope *env)
{
  struct pm_waiter *w = calloc(1, sizeof *w);
  void *found = NULL;
  if (w == NULL || (w->name = strdup(env->demand->cdo_name)) == NULL) {
    free(w);
    mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory");
    return;
  }
  w->appid = m->appid;
  w->seq = env->seq;
  /* held: the EVENT_ACK (besides the ticket) comes once the subscribers acked */
  struct pm_hold *h = mstro__pm_hold_begin(m, env);
  mstro__pm_emit_cdo(srv, MSTRO_POOL_EVENT_DEMAND, m, w->name, &env->demand->attributes, 0, h);
  mstro__pm_hold_end(srv, m, env, h);
  if (env->demand->prefetched) {
    waiter_free(w);
    return;
  }
  if (mstro__pool_dir_demand(srv->dir, w->name, w, &found) != MSTRO_OK) {
    waiter_free(w);
    mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM,
                          "the pool directory refused the demand");
    return;
  }
  if (found != NULL) {
    send_ticket(srv, found, m->appid, env->seq);
    waiter_free(w);
  } else {
    PM_DLIST_PUSH(srv->waiters, w);
  }
}

void mstro__pm_handle_withdraw(struct mstro__pm_server *srv, struct member *m,
                               const Mstro__Proto__Envelope *env)
{
  struct pm_offer *o = mstro__pm_offer_find(srv, m->appid, env->withdraw->cdo_id, false);
  if (o == NULL || o->withdraw_pending) {
    send_withdraw_ack(srv, m->appid, env->seq, env->withdraw->cdo_id, MSTRO_NOENT);
    mstro__pm_hold_end(srv, m, env, NULL);
    return;
  }
  if (o->listed) {
    mstro__pool_dir_withdraw(srv->dir, o->name, o);
    ProtobufCBinaryData oa = {o->attrs_len, o->attrs};
    struct pm_hold *h = mstro__pm_hold_begin(m, env);
    mstro__pm_emit_cdo(srv, MSTRO_POOL_EVENT_WITHDRAW, m, o->name, &oa, o->size, h);
    mstro__pm_hold_end(srv, m, env, h);
  } else {
    /* expired (mstro__pm_offers_expire): its WITHDRAW event was sent then */
    mstro__pm_hold_end(srv, m, env, NULL);
  }
  o->listed = false;
  o->withdraw_pending = true;
  o->withdraw_seq = env->seq;
  if (o->inflight > 0)
    MSTRO_LOG_DEBUG(PM, "withdraw of '%.200s' waits for %u transfer(s)", o->name, o->inflight);
  offer_settle(srv, o);
}

/* Expired offers leave the directory as at a withdraw (subscribers see
 * WITHDRAW); the producer's own withdraw later is answered at once, or once
 * the transfers still reading the offer have completed. */
void mstro__pm_offers_expire(struct mstro__pm_server *srv)
{
  struct pm_offer *o;
  while ((o = mstro__pm_lifetimes_pop_expired(srv->lifetimes, mstro_clock())) != NULL) {
    if (!o->listed)
      continue;
    mstro__pool_dir_withdraw(srv->dir, o->name, o);
    o->listed = false;
    struct pm_event ev = {.kind = MSTRO_POOL_EVENT_WITHDRAW,
                          .appid = o->appid,
                          .cdo_name = o->name,
                          .size = o->size,
                          .attrs = o->attrs,
                          .attrs_len = o->attrs_len};
    mstro__pm_emit(srv, &ev);
    MSTRO_LOG_INFO(PM, "the lifetime of '%.200s' (appid %llu) is over: withdrawn from the pool",
                   o->name, (unsigned long long)o->appid);
    offer_settle(srv, o);
  }
}

/* The ticket `id` that member `appid` holds, or NULL. */
static struct pm_ticket *ticket_held(struct mstro__pm_server *srv, uint64_t id, uint64_t appid)
{
  for (struct pm_hnode *n = mstro__pm_hash_first(&srv->ticket_index, id); n != NULL;
       n = mstro__pm_hash_next(n)) {
    struct pm_ticket *t = ticket_of(n);
    if (t->id == id && t->dst_appid == appid)
      return t;
  }
  return NULL;
}

void mstro__pm_handle_completed(struct mstro__pm_server *srv, struct member *m,
                                const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__TransferCompleted *c = env->transfer_completed;
  struct pm_ticket *t = ticket_held(srv, c->ticket_id, m->appid);
  if (t != NULL) {
    PM_DLIST_UNLINK(srv->tickets, t);
    mstro__pm_hash_remove(&srv->ticket_index, &t->hn);
    if (c->status != MSTRO_OK)
      MSTRO_LOG_WARN(PM, "transfer of '%.200s' from appid %llu to appid %llu failed: %s",
                     t->o->name, (unsigned long long)t->o->appid, (unsigned long long)m->appid,
                     mstro_status_description((mstro_status)c->status));
    struct pm_event ev = {.kind = MSTRO_POOL_EVENT_TRANSFER_COMPLETED,
                          .appid = m->appid,
                          .src_appid = t->o->appid,
                          .cdo_name = t->o->name,
                          .size = c->status == MSTRO_OK ? t->o->size : 0,
                          .transport = t->o->transport,
                          .attrs = t->o->attrs,
                          .attrs_len = t->o->attrs_len,
                          .hold = mstro__pm_hold_begin(m, env)};
    mstro__pm_emit(srv, &ev);
    mstro__pm_hold_end(srv, m, env, ev.hold);
    t->o->inflight--;
    offer_settle(srv, t->o);
    free(t);
    return;
  }
  mstro__pm_hold_end(srv, m, env, NULL); /* a bad message, but its sender must not hang */
  mstro__pm_member_bad(srv, m, "TRANSFER_COMPLETED for a ticket it does not hold");
}

/* TRANSFER_STARTED: a consumer starts reading the bytes of a ticket it holds
 * (sent only when another member subscribes to that kind). */
void mstro__pm_handle_started(struct mstro__pm_server *srv, struct member *m,
                              const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__TransferStarted *ts = env->transfer_started;
  struct pm_ticket *t = ticket_held(srv, ts->ticket_id, m->appid);
  if (t != NULL) {
    struct pm_event ev = {.kind = MSTRO_POOL_EVENT_TRANSFER_STARTED,
                          .appid = m->appid,
                          .src_appid = t->o->appid,
                          .cdo_name = t->o->name,
                          .size = t->o->size,
                          .transport = t->o->transport,
                          .attrs = t->o->attrs,
                          .attrs_len = t->o->attrs_len,
                          .hold = mstro__pm_hold_begin(m, env)};
    mstro__pm_emit(srv, &ev);
    mstro__pm_hold_end(srv, m, env, ev.hold);
    return;
  }
  mstro__pm_hold_end(srv, m, env, NULL);
  mstro__pm_member_bad(srv, m, "TRANSFER_STARTED for a ticket it does not hold");
}

void mstro__pm_handle_declare(struct mstro__pm_server *srv, struct member *m,
                              const Mstro__Proto__Envelope *env)
{
  Mstro__Proto__Envelope out;
  Mstro__Proto__DeclareAck a;
  mstro__pm_env_init(srv, &out, env->seq);
  mstro__proto__declare_ack__init(&a);
  a.local_id = env->declare->local_id;
  a.cdo_id = ++srv->next_cdo_id;
  a.status = MSTRO_OK;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK;
  out.declare_ack = &a;
  mstro__pm_send_env(srv, m->peer, &out);
  struct pm_hold *h = mstro__pm_hold_begin(m, env);
  mstro__pm_emit_cdo(srv, MSTRO_POOL_EVENT_DECLARE, m, env->declare->cdo_name, NULL, 0, h);
  mstro__pm_hold_end(srv, m, env, h);
}

static void require_free(struct pm_require *r)
{
  free(r->name);
  free(r);
}

/* REQUIRE: the bytes start moving now when an offer is there, otherwise as
 * soon as one is offered. */
void mstro__pm_handle_require(struct mstro__pm_server *srv, struct member *m,
                              const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__Require *q = env->require;
  struct pm_offer *o = mstro__pool_dir_lookup(srv->dir, q->cdo_name);
  if (o != NULL) {
    if (o->size > 0)
      send_ticket(srv, o, m->appid, env->seq);
    return;
  }
  struct pm_require *r = calloc(1, sizeof *r);
  if (r == NULL || (r->name = strdup(q->cdo_name)) == NULL) {
    free(r);
    return; /* no prefetch; the demand still works */
  }
  r->appid = m->appid;
  r->seq = env->seq;
  r->cdo_id = q->cdo_id;
  PM_DLIST_PUSH(srv->requires, r);
  mstro__pm_hash_insert(&srv->require_index, &r->hn, mstro__pm_hash_str(r->name));
}

static void require_drop(struct mstro__pm_server *srv, struct pm_require *r)
{
  PM_DLIST_UNLINK(srv->requires, r);
  mstro__pm_hash_remove(&srv->require_index, &r->hn);
  require_free(r);
}

/* The requires of `appid` (of one CDO when cdo_id is given), found by their
 * name when it is given (a RETRACT), otherwise by a walk (a member gone). */
void mstro__pm_drop_requires(struct mstro__pm_server *srv, uint64_t appid, const uint64_t *cdo_id,
                             const char *name)
{
  if (name != NULL) {
    for (struct pm_hnode *n = mstro__pm_hash_first(&srv->require_index, mstro__pm_hash_str(name)),
                         *next;
         n != NULL; n = next) {
      next = mstro__pm_hash_next(n);
      struct pm_require *r = require_of(n);
      if (r->appid == appid && (cdo_id == NULL || r->cdo_id == *cdo_id))
        require_drop(srv, r);
    }
    return;
  }
  for (struct pm_require *r = srv->requires, *next; r != NULL; r = next) {
    next = r->next;
    if (r->appid == appid && (cdo_id == NULL || r->cdo_id == *cdo_id))
      require_drop(srv, r);
  }
}

/* A new offer serves the requires waiting for its name. */
static void serve_requires(struct mstro__pm_server *srv, struct pm_offer *o)
{
  for (struct pm_hnode *n = mstro__pm_hash_first(&srv->require_index, mstro__pm_hash_str(o->name)),
                       *next;
       n != NULL; n = next) {
    next = mstro__pm_hash_next(n);
    struct pm_require *r = require_of(n);
    if (strcmp(r->name, o->name) != 0)
      continue;
    if (o->size > 0)
      send_ticket(srv, o, r->appid, r->seq);
    require_drop(srv, r);
  }
}

/* A member left or was dropped: its offers leave the pool (readers holding a
 * ticket find the source gone and demand again), its waiting demands and the
 * tickets it held are forgotten. */
void mstro__pm_pool_member_gone(struct mstro__pm_server *srv, uint64_t appid)
{
  mstro__pm_drop_requires(srv, appid, NULL, NULL);
  for (struct pm_waiter *w = srv->waiters, *next; w != NULL; w = next) {
    next = w->next;
    if (w->appid != appid)
      continue;
    PM_DLIST_UNLINK(srv->waiters, w);
    mstro__pool_dir_cancel_demand(srv->dir, w->name, w);
    waiter_free(w);
  }
  for (struct pm_ticket *t = srv->tickets, *next; t != NULL; t = next) {
    next = t->next;
    if (t->dst_appid != appid)
      continue;
    PM_DLIST_UNLINK(srv->tickets, t);
    mstro__pm_hash_remove(&srv->ticket_index, &t->hn);
    t->o->inflight--;
    offer_settle(srv, t->o);
    free(t);
  }
  size_t removed = 0;
  for (struct pm_offer *o = srv->offers, *next; o != NULL; o = next) {
    next = o->next;
    if (o->appid != appid)
      continue;
    if (o->listed) {
      mstro__pool_dir_withdraw(srv->dir, o->name, o);
      o->listed = false;
      removed++;
    }
    o->withdraw_pending = false;
    if (o->inflight == 0)
      offer_settle(srv, o);
  }
  if (removed > 0)
    MSTRO_LOG_INFO(PM, "%zu offer(s) of appid %llu left the pool with it", removed,
                   (unsigned long long)appid);
}

/* At destroy: everything the pool still holds. */
void mstro__pm_pool_free(struct mstro__pm_server *srv)
{
  for (struct pm_ticket *t = srv->tickets, *n; t != NULL; t = n) {
    n = t->next;
    free(t);
  }
  for (struct pm_require *r = srv->requires, *n; r != NULL; r = n) {
    n = r->next;
    require_free(r);
  }
  for (struct pm_waiter *w = srv->waiters, *n; w != NULL; w = n) {
    n = w->next;
    waiter_free(w);
  }
  for (struct pm_offer *o = srv->offers, *n; o != NULL; o = n) {
    n = o->next;
    offer_free(o);
  }
  mstro__pm_hash_destroy(&srv->offer_index);
  mstro__pm_hash_destroy(&srv->ticket_index);
  mstro__pm_hash_destroy(&srv->require_index);
}
