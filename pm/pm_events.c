/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's events: forwarding to subscribers, operations held
 * for _REQUIRE_ACK subscribers, the ACK_MASK each member is told, and
 * SUBSCRIBE / UNSUBSCRIBE. See pm_server.h. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pm_server_internal.h"

static void hold_settle(struct mstro__pm_server *srv, struct pm_hold *h);
static void send_release(struct mstro__pm_server *srv, uint64_t appid, uint64_t seq);

/* ---- events ------------------------------------------------------------------ */

void mstro__pm_emit(struct mstro__pm_server *srv, const struct pm_event *ev)
{
  uint64_t serial = ++srv->event_serial;
  for (struct pm_sub *sb = srv->subs; sb != NULL; sb = sb->next) {
    if (!(sb->mask & ev->kind) || sb->appid == ev->appid)
      continue;
    struct member *m = mstro__pm_member_by_appid(srv, sb->appid);
    if (m == NULL)
      continue;
    Mstro__Proto__Envelope out;
    Mstro__Proto__Event e;
    mstro__pm_env_init(srv, &out, 0);
    mstro__proto__event__init(&e);
    e.subscription_id = sb->id;
    e.kind = ev->kind;
    e.serial = serial;
    e.ctime = (uint64_t)time(NULL) * 1000000000ull;
    e.appid = ev->appid;
    e.cdo_name = (char *)(ev->cdo_name ? ev->cdo_name : "");
    e.component_name = (char *)(ev->component_name ? ev->component_name : "");
    e.size = ev->size;
    e.event_id = serial;
    e.component_index = ev->component_index;
    e.crashed = ev->crashed;
    e.src_appid = ev->src_appid;
    e.transport = (Mstro__Proto__TransportKind)ev->transport;
    e.attributes = (ProtobufCBinaryData){ev->attrs_len, (uint8_t *)ev->attrs};
    struct pm_ack_wait *aw = NULL;
    if (ev->hold != NULL && (sb->opts & MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK) &&
        (aw = calloc(1, sizeof *aw)) != NULL) {
      aw->sub_appid = sb->appid;
      aw->sub_id = sb->id;
      aw->event_id = serial;
      aw->h = ev->hold;
      e.needs_ack = true;
    } else if (ev->hold != NULL && (sb->opts & MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK)) {
      MSTRO_LOG_ERR(PM, "out of memory: event %llu forwarded without holding its operation",
                    (unsigned long long)serial);
    }
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT;
    out.event = &e;
    if (mstro__pm_send_env(srv, m->peer, &out) != MSTRO_OK) {
      free(aw); /* a subscriber we cannot reach cannot ack; heartbeats drop it */
      continue;
    }
    if (aw != NULL) {
      aw->next = srv->ack_waits;
      srv->ack_waits = aw;
      ev->hold->pending++;
    }
  }
}

/* ---- _REQUIRE_ACK across processes --------------------------------------- */

/* The operation's answer: EVENT_ACK in reply to its request (the component
 * waits for it whenever the operation may be held). */
static void send_release(struct mstro__pm_server *srv, uint64_t appid, uint64_t seq)
{
  struct member *m = mstro__pm_member_by_appid(srv, appid);
  if (m == NULL)
    return;
  Mstro__Proto__Envelope out;
  Mstro__Proto__EventAck a;
  mstro__pm_env_init(srv, &out, seq);
  mstro__proto__event_ack__init(&a);
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK;
  out.event_ack = &a;
  /* counted and logged so that tests can tell an extra round trip */
  atomic_fetch_add(&srv->releases, 1);
  MSTRO_LOG_DEBUG(PM, "EVENT_ACK releases request %llu of appid %llu", (unsigned long long)seq,
                  (unsigned long long)appid);
  mstro__pm_send_env(srv, m->peer, &out);
}

/* An operation sent with wait_ack gets a hold (NULL otherwise, or without
 * memory: then it is released at once rather than never). */
struct pm_hold *mstro__pm_hold_begin(const struct member *m, const Mstro__Proto__Envelope *env)
{
  struct pm_hold *h = env->wait_ack ? calloc(1, sizeof *h) : NULL;
  if (h != NULL) {
    h->appid = m->appid;
    h->seq = env->seq;
  }
  return h;
}

void mstro__pm_hold_end(struct mstro__pm_server *srv, const struct member *m,
                        const Mstro__Proto__Envelope *env, struct pm_hold *h)
{
  if (h != NULL)
    hold_settle(srv, h);
  else if (env->wait_ack)
    send_release(srv, m->appid, env->seq);
}

static void hold_release(struct mstro__pm_server *srv, struct pm_hold *h)
{
  for (struct pm_hold **pp = &srv->holds; *pp != NULL; pp = &(*pp)->next)
    if (*pp == h) {
      *pp = h->next;
      break;
    }
  send_release(srv, h->appid, h->seq);
  free(h);
}

/* After emitting the operation's events: answer now if nobody must ack,
 * otherwise keep it until the last ack. */
static void hold_settle(struct mstro__pm_server *srv, struct pm_hold *h)
{
  if (h->pending == 0) {
    hold_release(srv, h);
    return;
  }
  MSTRO_LOG_DEBUG(PM, "request %llu of appid %llu waits for %u ack(s)", (unsigned long long)h->seq,
                  (unsigned long long)h->appid, h->pending);
  h->next = srv->holds;
  srv->holds = h;
}

/* One awaited ack is in (or its subscriber gone): unlink it, release its
 * operation when it was the last. */
static void ack_wait_done(struct mstro__pm_server *srv, struct pm_ack_wait **pp)
{
  struct pm_ack_wait *aw = *pp;
  *pp = aw->next;
  if (--aw->h->pending == 0)
    hold_release(srv, aw->h);
  free(aw);
}

/* Acks owed by a subscription (sub_id != NULL) or by a whole member are
 * released: a subscriber that leaves, dies or unsubscribes never holds an
 * operation. */
static void acks_release(struct mstro__pm_server *srv, uint64_t appid, const uint64_t *sub_id)
{
  for (struct pm_ack_wait **pp = &srv->ack_waits; *pp != NULL;) {
    if ((*pp)->sub_appid == appid && (sub_id == NULL || (*pp)->sub_id == *sub_id))
      ack_wait_done(srv, pp);
    else
      pp = &(*pp)->next;
  }
}

void mstro__pm_acks_member_gone(struct mstro__pm_server *srv, uint64_t appid)
{
  size_t n = 0;
  for (struct pm_ack_wait *aw = srv->ack_waits; aw != NULL; aw = aw->next)
    n += aw->sub_appid == appid;
  if (n > 0)
    MSTRO_LOG_INFO(PM, "%zu pending ack(s) of appid %llu released: it left", n,
                   (unsigned long long)appid);
  acks_release(srv, appid, NULL);
  /* its own held operations: nobody waits for their answer any more */
  for (struct pm_ack_wait **pp = &srv->ack_waits; *pp != NULL;) {
    struct pm_ack_wait *aw = *pp;
    if (aw->h->appid == appid) {
      *pp = aw->next;
      aw->h->pending--;
      free(aw);
    } else {
      pp = &aw->next;
    }
  }
  for (struct pm_hold **pp = &srv->holds; *pp != NULL;) {
    struct pm_hold *h = *pp;
    if (h->appid == appid) {
      *pp = h->next;
      free(h);
    } else {
      pp = &h->next;
    }
  }
}

void mstro__pm_handle_event_ack(struct mstro__pm_server *srv, struct member *m,
                                const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__EventAck *a = env->event_ack;
  for (struct pm_ack_wait **pp = &srv->ack_waits; *pp != NULL; pp = &(*pp)->next) {
    struct pm_ack_wait *aw = *pp;
    if (aw->sub_appid == m->appid && aw->sub_id == a->subscription_id &&
        aw->event_id == a->event_id) {
      ack_wait_done(srv, pp);
      return;
    }
  }
  /* not a bad message: the operation may have been released already (its
   * component left) */
  mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_NOENT, "no operation waits for this ack");
}

void mstro__pm_emit_cdo(struct mstro__pm_server *srv, uint32_t kind, const struct member *m,
                        const char *name, const ProtobufCBinaryData *attrs, uint64_t size,
                        struct pm_hold *hold)
{
  struct pm_event ev = {
      .kind = kind, .appid = m->appid, .cdo_name = name, .size = size, .hold = hold};
  if (attrs != NULL) {
    ev.attrs = attrs->data;
    ev.attrs_len = attrs->len;
  }
  mstro__pm_emit(srv, &ev);
}

/* ---- the ACK_MASK ------------------------------------------------------------
 *
 * Each member knows which kinds of its own operations another member holds
 * (_REQUIRE_ACK) or watches, so that it waits for the PM's release, or sends
 * a SEAL / TRANSFER_STARTED, only then: no round trip and no message when
 * nobody asked. */

static bool members_settled(const struct mstro__pm_server *srv)
{
  for (size_t i = 0; i < srv->n_members; i++)
    if (srv->members[i].mask_confirmed != srv->members[i].mask_sent)
      return false;
  return true;
}

/* Answer the SUBSCRIBEs that waited, once every member confirmed. */
static void barriers_check(struct mstro__pm_server *srv)
{
  if (srv->barriers == NULL || !members_settled(srv))
    return;
  while (srv->barriers != NULL) {
    struct pm_barrier *b = srv->barriers;
    srv->barriers = b->next;
    send_release(srv, b->appid, b->seq); /* nothing when it left meanwhile */
    free(b);
  }
}

/* The kinds other members' subscriptions hold and watch for `appid`. */
void mstro__pm_masks_of(const struct mstro__pm_server *srv, uint64_t appid, uint32_t *ack,
                        uint32_t *watched)
{
  *ack = *watched = 0;
  for (const struct pm_sub *sb = srv->subs; sb != NULL; sb = sb->next) {
    if (sb->appid == appid)
      continue;
    *watched |= sb->mask;
    if (sb->opts & MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK)
      *ack |= sb->mask & HOLD_KINDS;
  }
}

/* After subscriptions changed: tell each member whose masks changed. */
void mstro__pm_masks_update(struct mstro__pm_server *srv)
{
  for (size_t i = 0; i < srv->n_members; i++) {
    struct member *m = &srv->members[i];
    uint32_t ack, watched;
    mstro__pm_masks_of(srv, m->appid, &ack, &watched);
    if (ack == m->ack_kinds && watched == m->event_kinds)
      continue;
    Mstro__Proto__Envelope out;
    Mstro__Proto__AckMask am;
    mstro__pm_env_init(srv, &out, 0);
    mstro__proto__ack_mask__init(&am);
    am.ack_kinds = ack;
    am.event_kinds = watched;
    am.serial = ++srv->mask_serial;
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK;
    out.ack_mask = &am;
    m->ack_kinds = ack;
    m->event_kinds = watched;
    m->mask_sent = am.serial;
    /* one it cannot be told is not waited for: heartbeats drop it */
    if (mstro__pm_send_env(srv, m->peer, &out) != MSTRO_OK)
      m->mask_confirmed = m->mask_sent;
    MSTRO_LOG_DEBUG(PM, "appid %llu: held kinds 0x%x, watched kinds 0x%x (mask %llu)",
                    (unsigned long long)m->appid, ack, watched, (unsigned long long)am.serial);
  }
  barriers_check(srv);
}

void mstro__pm_handle_mask_confirm(struct mstro__pm_server *srv, struct member *m,
                                   const Mstro__Proto__Envelope *env)
{
  if (env->ack_mask_confirm->serial > m->mask_sent) {
    mstro__pm_member_bad(srv, m, "ACK_MASK_CONFIRM of a mask it was never sent");
    return;
  }
  if (env->ack_mask_confirm->serial == m->mask_sent) {
    m->mask_confirmed = m->mask_sent;
    barriers_check(srv);
  }
}

void mstro__pm_handle_subscribe(struct mstro__pm_server *srv, struct member *m,
                                const Mstro__Proto__Envelope *env)
{
  if (env->msg_case == MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE) {
    for (struct pm_sub **pp = &srv->subs; *pp != NULL; pp = &(*pp)->next)
      if ((*pp)->appid == m->appid && (*pp)->id == env->unsubscribe->subscription_id) {
        struct pm_sub *sb = *pp;
        *pp = sb->next;
        acks_release(srv, sb->appid, &sb->id);
        free(sb);
        mstro__pm_masks_update(srv);
        return;
      }
    return;
  }
  struct pm_sub *sb = calloc(1, sizeof *sb);
  if (sb == NULL) {
    mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory");
    return;
  }
  sb->appid = m->appid;
  sb->id = env->subscribe->subscription_id;
  sb->mask = env->subscribe->kind_mask;
  sb->opts = env->subscribe->options;
  sb->next = srv->subs;
  srv->subs = sb;
  MSTRO_LOG_DEBUG(PM, "appid %llu subscribed to events 0x%x", (unsigned long long)m->appid,
                  sb->mask);
  /* answered (EVENT_ACK) once every member applies the new masks */
  struct pm_barrier *b = calloc(1, sizeof *b);
  if (b == NULL) {
    send_release(srv, m->appid, env->seq);
  } else {
    b->appid = m->appid;
    b->seq = env->seq;
    b->next = srv->barriers;
    srv->barriers = b;
  }
  mstro__pm_masks_update(srv);
}

/* At destroy: subscriptions, holds, awaited acks and waiting SUBSCRIBEs. */
void mstro__pm_events_free(struct mstro__pm_server *srv)
{
  for (struct pm_sub *sb = srv->subs, *n; sb != NULL; sb = n) {
    n = sb->next;
    free(sb);
  }
  for (struct pm_ack_wait *aw = srv->ack_waits, *n; aw != NULL; aw = n) {
    n = aw->next;
    free(aw);
  }
  for (struct pm_hold *h = srv->holds, *n; h != NULL; h = n) {
    n = h->next;
    free(h);
  }
  for (struct pm_barrier *b = srv->barriers, *n; b != NULL; b = n) {
    n = b->next;
    free(b);
  }
}
