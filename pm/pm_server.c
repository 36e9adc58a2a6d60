/* The Pool Manager's server: membership over a control channel (see
 * pm_server.h). */
#include "pm_server.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "maestro.h"
#include "mstro_log.h"
#include "pm_lifetime.h"
#include "pm_transport.h"
#include "pool_dir.h"
#include "proto_codec.h"

/* Bounds on one send: to a member, and a refusal to an endpoint that is not
 * one (its address may be bogus; the PM must not stall on it). */
#define SEND_TIMEOUT_MS   1000
#define REFUSE_TIMEOUT_MS 250
/* A peer that was answered (REFUSE, BYE) is forgotten only after this delay,
 * so that tearing its connection down cannot overtake the answer. */
#define REMOVE_DELAY_NS      (2ull * 1000000000ull)
#define PENDING_REMOVALS_MAX 64
#define LOG_NAME_MAX         80

struct member {
  uint64_t appid;
  uint64_t session;
  mstro__pm_peer peer;
  char addr[MSTRO__PROTO_ADDR_MAX + 1]; /* the address `peer` was inserted with */
  char *component_name;
  int64_t component_index;
  uint32_t pid;
  char host[MSTRO__PROTO_HOST_MAX + 1];
  uint64_t last_seen_ns;
  unsigned bad;
  /* the ACK_MASK it was told (WELCOME or ACK_MASK) and whether it confirmed it */
  uint32_t ack_kinds, event_kinds;
  uint64_t mask_sent, mask_confirmed;
};

/* An offer in the pool: where its bytes are and who reads them. It leaves
 * the directory at withdraw (or when its producer goes) and is freed once no
 * ticket reads it any more. */
struct pm_offer {
  uint64_t appid, cdo_id;
  char *name;
  uint8_t *attrs;
  size_t attrs_len;
  uint8_t desc[MSTRO__PROTO_REGION_DESC_MAX];
  size_t desc_len;
  uint64_t size;
  int transport;
  char *key; /* GFS path or MIO object */
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
  unsigned inflight;
  bool listed;
  bool withdraw_pending;
  uint64_t withdraw_seq;
  struct pm_offer *next;
};

/* A demand waiting for an offer. */
struct pm_waiter {
  uint64_t appid, seq;
  char *name;
  struct pm_waiter *next;
};

/* A member's subscription: the PM forwards other members' events of its
 * kinds (the member evaluates its selector on the attributes sent along). */
struct pm_sub {
  uint64_t appid, id;
  uint32_t mask;
  uint32_t opts; /* mstro_subscription_opts: REQUIRE_ACK holds the causing operation */
  struct pm_sub *next;
};

/* A require not yet served: when an offer of its name (with data) is listed,
 * the requirer gets a ticket at once, so that the bytes move before the
 * demand (prefetch). */
struct pm_require {
  uint64_t appid, seq, cdo_id;
  char *name;
  struct pm_require *next;
};

/* A transfer handed to a consumer and not yet reported complete. */
struct pm_ticket {
  uint64_t id;
  struct pm_offer *o;
  uint64_t dst_appid;
  struct pm_ticket *next;
};

/* _REQUIRE_ACK across processes: an operation whose answer waits until every
 * subscriber that must ack has acked (or left), and one ack it waits for. */
struct pm_hold {
  uint64_t appid, seq; /* the operation's member and request */
  unsigned pending;
  struct pm_hold *next;
};

struct pm_ack_wait {
  uint64_t sub_appid, sub_id, event_id;
  struct pm_hold *h;
  struct pm_ack_wait *next;
};

/* A SUBSCRIBE answered (EVENT_ACK) once every member confirmed the ACK_MASK
 * in force, so that an operation started after mstro_subscribe returned is
 * held or seen. */
struct pm_barrier {
  uint64_t appid, seq;
  struct pm_barrier *next;
};

/* The kinds whose causing operation a _REQUIRE_ACK subscriber can hold: the
 * operation is a call in the component that raised them. */
#define HOLD_KINDS                                                                                 \
  (MSTRO_POOL_EVENT_DECLARE | MSTRO_POOL_EVENT_SEAL | MSTRO_POOL_EVENT_OFFER |                     \
   MSTRO_POOL_EVENT_REQUIRE | MSTRO_POOL_EVENT_RETRACT | MSTRO_POOL_EVENT_DEMAND |                 \
   MSTRO_POOL_EVENT_WITHDRAW | MSTRO_POOL_EVENT_DISPOSE | MSTRO_POOL_EVENT_TRANSFER_STARTED |      \
   MSTRO_POOL_EVENT_TRANSFER_COMPLETED)

struct pending_removal {
  mstro__pm_peer peer;
  uint64_t when_ns;
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
};

struct mstro__pm_server {
  struct mstro__pm_config cfg;
  char *workflow;
  struct mstro__pm_chan *chan;
  uint8_t secret[MSTRO__PROTO_SECRET_LEN];
  char addr[MSTRO__PM_ADDR_MAX];
  struct member *members;
  size_t n_members, cap_members;
  struct pending_removal pending[PENDING_REMOVALS_MAX];
  size_t n_pending;
  uint64_t next_appid;
  uint64_t seq;
  uint8_t *rxbuf;
  uint64_t unknown_bad;
  atomic_bool stop;
  atomic_size_t live;
  atomic_uint_fast64_t joined;
  atomic_uint_fast64_t bad_total;
  /* The channel named a source for a sender that was never inserted (or
   * another endpoint's): malformed frames can no longer be pinned on a member. */
  bool sources_unreliable;
  /* the pool (only the server thread touches it) */
  mstro__pool_dir *dir;
  struct pm_offer *offers;
  struct pm_waiter *waiters;
  struct pm_ticket *tickets;
  uint64_t next_ticket;
  uint64_t next_cdo_id;
  struct pm_sub *subs;
  uint64_t event_serial;
  struct pm_require *requires;
  mstro__pm_lifetimes *lifetimes; /* offers with a lifetime, by deadline */
  struct pm_hold *holds;
  struct pm_ack_wait *ack_waits;
  struct pm_barrier *barriers;
  uint64_t mask_serial;
  atomic_uint_fast64_t releases; /* EVENT_ACKs that released a held operation or SUBSCRIBE */
};

struct pm_event {
  uint32_t kind;
  uint64_t appid, src_appid, size;
  const char *cdo_name, *component_name;
  int64_t component_index;
  bool crashed;
  int transport;
  const uint8_t *attrs;
  size_t attrs_len;
  struct pm_hold *hold; /* the operation that waits for REQUIRE_ACK subscribers; may be NULL */
};
static void emit(struct mstro__pm_server *srv, const struct pm_event *ev);
static void emit_cdo(struct mstro__pm_server *srv, uint32_t kind, const struct member *m,
                     const char *name, const ProtobufCBinaryData *attrs, uint64_t size,
                     struct pm_hold *hold);
static struct pm_hold *hold_begin(const struct member *m, const Mstro__Proto__Envelope *env);
static void hold_end(struct mstro__pm_server *srv, const struct member *m,
                     const Mstro__Proto__Envelope *env, struct pm_hold *h);
static void masks_update(struct mstro__pm_server *srv);
static void acks_member_gone(struct mstro__pm_server *srv, uint64_t appid);
struct pm_hold;
static void hold_settle(struct mstro__pm_server *srv, struct pm_hold *h);
static void send_release(struct mstro__pm_server *srv, uint64_t appid, uint64_t seq);

static void pool_member_gone(struct mstro__pm_server *srv, uint64_t appid);
struct pm_offer;
static void serve_requires(struct mstro__pm_server *srv, struct pm_offer *o);

/* ---- helpers ------------------------------------------------------------- */

/* Copies a peer-supplied string for a log line: printable ASCII only, cut. */
static const char *printable(const char *s, char *buf, size_t len)
{
  size_t o = 0;
  for (; s != NULL && *s != '\0' && o + 4 < len; s++)
    buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
  if (s != NULL && *s != '\0') {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
  return buf;
}

static mstro_status random_bytes(void *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom((char *)buf + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      MSTRO_LOG_ERR(PM, "getrandom: %s", strerror(errno));
      return MSTRO_FAIL;
    }
    got += (size_t)r;
  }
  return MSTRO_OK;
}

static bool secret_equal(const uint8_t *a, const uint8_t *b)
{
  uint8_t diff = 0;
  for (size_t i = 0; i < MSTRO__PROTO_SECRET_LEN; i++)
    diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

static void env_init(struct mstro__pm_server *srv, Mstro__Proto__Envelope *env,
                     uint64_t in_reply_to)
{
  mstro__proto_envelope_init(env, ++srv->seq);
  env->in_reply_to = in_reply_to;
}

static mstro_status send_env_within(struct mstro__pm_server *srv, mstro__pm_peer peer,
                                    const Mstro__Proto__Envelope *env, int timeout_ms)
{
  uint8_t *buf = NULL;
  size_t len = 0;
  mstro_status st = mstro__proto_encode_alloc(env, &buf, &len);
  if (st == MSTRO_OK) {
    st = srv->chan->ops->send(srv->chan, peer, buf, len, timeout_ms);
    if (st != MSTRO_OK)
      MSTRO_LOG_WARN(PM, "could not send %s: %s", mstro__proto_msg_name(env->msg_case),
                     mstro_status_description(st));
  }
  free(buf);
  return st;
}

static mstro_status send_env(struct mstro__pm_server *srv, mstro__pm_peer peer,
                             const Mstro__Proto__Envelope *env)
{
  return send_env_within(srv, peer, env, SEND_TIMEOUT_MS);
}

static void send_refuse(struct mstro__pm_server *srv, mstro__pm_peer peer, uint64_t in_reply_to,
                        mstro_status status, const char *reason, int timeout_ms)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__Refuse r;
  env_init(srv, &env, in_reply_to);
  mstro__proto__refuse__init(&r);
  r.status = (uint32_t)status;
  r.reason = (char *)reason;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_REFUSE;
  env.refuse = &r;
  send_env_within(srv, peer, &env, timeout_ms);
}

static void remove_peer_later(struct mstro__pm_server *srv, mstro__pm_peer peer, const char *addr)
{
  if (peer == MSTRO__PM_PEER_UNKNOWN)
    return;
  if (srv->n_pending == PENDING_REMOVALS_MAX) {
    srv->chan->ops->peer_remove(srv->chan, srv->pending[0].peer);
    memmove(srv->pending, srv->pending + 1, (PENDING_REMOVALS_MAX - 1) * sizeof srv->pending[0]);
    srv->n_pending--;
  }
  struct pending_removal *r = &srv->pending[srv->n_pending++];
  r->peer = peer;
  r->when_ns = mstro_clock() + REMOVE_DELAY_NS;
  snprintf(r->addr, sizeof r->addr, "%s", addr);
}

static void remove_due_peers(struct mstro__pm_server *srv, bool all)
{
  uint64_t now = mstro_clock();
  size_t keep = 0;
  for (size_t i = 0; i < srv->n_pending; i++) {
    if (all || srv->pending[i].when_ns <= now)
      srv->chan->ops->peer_remove(srv->chan, srv->pending[i].peer);
    else
      srv->pending[keep++] = srv->pending[i];
  }
  srv->n_pending = keep;
}

/* The peer to answer a JOIN on: a peer of the same address that awaits
 * removal (a component that was refused or left and tries again: a second
 * insertion of its address could share, and later tear down, the
 * connection), otherwise the address inserted anew. */
static mstro_status peer_for_join(struct mstro__pm_server *srv, const char *addr,
                                  mstro__pm_peer *peer)
{
  for (size_t i = 0; i < srv->n_pending; i++)
    if (strcmp(srv->pending[i].addr, addr) == 0) {
      *peer = srv->pending[i].peer;
      srv->pending[i] = srv->pending[--srv->n_pending];
      return MSTRO_OK;
    }
  return srv->chan->ops->peer_insert(srv->chan, addr, peer);
}

static struct member *member_by_peer(struct mstro__pm_server *srv, mstro__pm_peer peer)
{
  for (size_t i = 0; i < srv->n_members; i++)
    if (srv->members[i].peer == peer)
      return &srv->members[i];
  return NULL;
}

static struct member *member_by_appid(struct mstro__pm_server *srv, uint64_t appid)
{
  for (size_t i = 0; i < srv->n_members; i++)
    if (srv->members[i].appid == appid)
      return &srv->members[i];
  return NULL;
}

/* Forget a member; its peer is removed after a delay. */
static void member_remove_as(struct mstro__pm_server *srv, struct member *m, bool crashed)
{
  pool_member_gone(srv, m->appid);
  acks_member_gone(srv, m->appid);
  for (struct pm_sub **pp = &srv->subs; *pp != NULL;) {
    struct pm_sub *sb = *pp;
    if (sb->appid == m->appid) {
      *pp = sb->next;
      free(sb);
    } else {
      pp = &sb->next;
    }
  }
  struct pm_event ev = {.kind = MSTRO_POOL_EVENT_APP_LEAVE,
                        .appid = m->appid,
                        .component_name = m->component_name,
                        .component_index = m->component_index,
                        .crashed = crashed};
  emit(srv, &ev);
  remove_peer_later(srv, m->peer, m->addr);
  free(m->component_name);
  size_t i = (size_t)(m - srv->members);
  srv->members[i] = srv->members[--srv->n_members];
  atomic_store(&srv->live, srv->n_members);
  /* its subscriptions no longer hold anybody; a SUBSCRIBE no longer waits for it */
  masks_update(srv);
}

static void member_remove(struct mstro__pm_server *srv, struct member *m)
{
  member_remove_as(srv, m, false);
}

static void member_drop(struct mstro__pm_server *srv, struct member *m, mstro_status why_status,
                        const char *why, bool notify)
{
  char name[LOG_NAME_MAX];
  MSTRO_LOG_WARN(PM, "dropping component '%s' index %lld (appid %llu): %s",
                 printable(m->component_name, name, sizeof name), (long long)m->component_index,
                 (unsigned long long)m->appid, why);
  if (notify)
    send_refuse(srv, m->peer, 0, why_status, why, SEND_TIMEOUT_MS);
  member_remove_as(srv, m, true);
}

/* One more malformed or forbidden message from member `m`. */
static void member_bad(struct mstro__pm_server *srv, struct member *m, const char *why)
{
  char name[LOG_NAME_MAX];
  atomic_fetch_add(&srv->bad_total, 1);
  m->bad++;
  MSTRO_LOG_WARN(PM,
                 "malformed control message %u of at most %u from component '%s' (appid "
                 "%llu): %s",
                 m->bad, srv->cfg.max_bad_msgs, printable(m->component_name, name, sizeof name),
                 (unsigned long long)m->appid, why);
  if (m->bad >= srv->cfg.max_bad_msgs)
    member_drop(srv, m, MSTRO_INVMSG, "too many malformed control messages", true);
}

/* One more malformed message from `from`: pinned on the member of that peer
 * when the channel's sources can be trusted, otherwise only counted. */
static void count_bad(struct mstro__pm_server *srv, mstro__pm_peer from, const char *why)
{
  struct member *m =
      from == MSTRO__PM_PEER_UNKNOWN || srv->sources_unreliable ? NULL : member_by_peer(srv, from);
  if (m != NULL) {
    member_bad(srv, m, why);
    return;
  }
  atomic_fetch_add(&srv->bad_total, 1);
  uint64_t n = ++srv->unknown_bad;
  /* 1, 10, 100, ...: a flood from strangers must not flood the log. */
  uint64_t p = 1;
  while (p < n && p <= UINT64_MAX / 10)
    p *= 10;
  if (p == n)
    MSTRO_LOG_WARN(PM,
                   "malformed control message from a sender that is not a member (%llu so "
                   "far): %s",
                   (unsigned long long)n, why);
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
  struct member *m = member_by_appid(srv, appid);
  if (m == NULL)
    return;
  Mstro__Proto__Envelope out;
  Mstro__Proto__WithdrawAck a;
  env_init(srv, &out, seq);
  mstro__proto__withdraw_ack__init(&a);
  a.cdo_id = cdo_id;
  a.status = (uint32_t)status;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK;
  out.withdraw_ack = &a;
  send_env(srv, m->peer, &out);
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
  for (struct pm_offer **pp = &srv->offers; *pp != NULL; pp = &(*pp)->next)
    if (*pp == o) {
      *pp = o->next;
      break;
    }
  mstro__pm_lifetimes_remove(srv->lifetimes, o);
  offer_free(o);
}

static void send_ticket(struct mstro__pm_server *srv, struct pm_offer *o, uint64_t dst_appid,
                        uint64_t in_reply_to)
{
  struct member *m = member_by_appid(srv, dst_appid);
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
  env_init(srv, &out, in_reply_to);
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
  if (send_env(srv, m->peer, &out) != MSTRO_OK) {
    free(t);
    return;
  }
  o->inflight++;
  t->next = srv->tickets;
  srv->tickets = t;
  MSTRO_LOG_DEBUG(PM, "ticket %llu: '%.200s' (%llu bytes) from appid %llu to appid %llu",
                  (unsigned long long)t->id, o->name, (unsigned long long)o->size,
                  (unsigned long long)o->appid, (unsigned long long)dst_appid);
}

static void match_waiter(void *waiter, void *offer, void *ctx)
{
  struct mstro__pm_server *srv = ctx;
  struct pm_waiter *w = waiter;
  for (struct pm_waiter **pp = &srv->waiters; *pp != NULL; pp = &(*pp)->next)
    if (*pp == w) {
      *pp = w->next;
      break;
    }
  send_ticket(srv, offer, w->appid, w->seq);
  waiter_free(w);
}

static struct pm_offer *offer_find(struct mstro__pm_server *srv, uint64_t appid, uint64_t cdo_id,
                                   bool listed_only)
{
  for (struct pm_offer *o = srv->offers; o != NULL; o = o->next)
    if (o->appid == appid && o->cdo_id == cdo_id && (!listed_only || o->listed))
      return o;
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

static void handle_offer(struct mstro__pm_server *srv, struct member *m,
                         const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__Offer *in = env->offer;
  const char *why = NULL;
  struct pm_offer *o = NULL;
  if (offer_find(srv, m->appid, in->cdo_id, false) != NULL) {
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
    o->next = srv->offers;
    srv->offers = o;
    if (mstro__pool_dir_offer(srv->dir, o->name, o, match_waiter, srv) != MSTRO_OK) {
      srv->offers = o->next;
      why = "the pool directory refused the offer";
    } else {
      /* Sent with wait_ack, the offer is answered (EVENT_ACK) once every
       * _REQUIRE_ACK subscriber has acked its OFFER event. */
      struct pm_hold *h = hold_begin(m, env);
      struct pm_event ev = {.kind = MSTRO_POOL_EVENT_OFFER,
                            .appid = m->appid,
                            .cdo_name = o->name,
                            .size = o->size,
                            .attrs = in->attributes.data,
                            .attrs_len = in->attributes.len,
                            .hold = h};
      emit(srv, &ev);
      hold_end(srv, m, env, h);
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
  send_refuse(srv, m->peer, env->seq, MSTRO_INVSTATE, why, SEND_TIMEOUT_MS);
  if (o != NULL)
    offer_free(o);
}

static void handle_demand(struct mstro__pm_server *srv, struct member *m,
                          const Mstro__Proto__Envelope *env)
{
  struct pm_waiter *w = calloc(1, sizeof *w);
  void *found = NULL;
  if (w == NULL || (w->name = strdup(env->demand->cdo_name)) == NULL) {
    free(w);
    send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory",
                SEND_TIMEOUT_MS);
    return;
  }
  w->appid = m->appid;
  w->seq = env->seq;
  /* held: the EVENT_ACK (besides the ticket) comes once the subscribers acked */
  struct pm_hold *h = hold_begin(m, env);
  emit_cdo(srv, MSTRO_POOL_EVENT_DEMAND, m, w->name, &env->demand->attributes, 0, h);
  hold_end(srv, m, env, h);
  if (env->demand->prefetched) {
    waiter_free(w);
    return;
  }
  if (mstro__pool_dir_demand(srv->dir, w->name, w, &found) != MSTRO_OK) {
    waiter_free(w);
    send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM, "the pool directory refused the demand",
                SEND_TIMEOUT_MS);
    return;
  }
  if (found != NULL) {
    send_ticket(srv, found, m->appid, env->seq);
    waiter_free(w);
  } else {
    w->next = srv->waiters;
    srv->waiters = w;
  }
}

static void handle_withdraw(struct mstro__pm_server *srv, struct member *m,
                            const Mstro__Proto__Envelope *env)
{
  struct pm_offer *o = offer_find(srv, m->appid, env->withdraw->cdo_id, false);
  if (o == NULL || o->withdraw_pending) {
    send_withdraw_ack(srv, m->appid, env->seq, env->withdraw->cdo_id, MSTRO_NOENT);
    hold_end(srv, m, env, NULL);
    return;
  }
  if (o->listed) {
    mstro__pool_dir_withdraw(srv->dir, o->name, o);
    ProtobufCBinaryData oa = {o->attrs_len, o->attrs};
    struct pm_hold *h = hold_begin(m, env);
    emit_cdo(srv, MSTRO_POOL_EVENT_WITHDRAW, m, o->name, &oa, o->size, h);
    hold_end(srv, m, env, h);
  } else {
    hold_end(srv, m, env, NULL); /* expired (offers_expire): its WITHDRAW event was sent then */
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
static void offers_expire(struct mstro__pm_server *srv)
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
    emit(srv, &ev);
    MSTRO_LOG_INFO(PM, "the lifetime of '%.200s' (appid %llu) is over: withdrawn from the pool",
                   o->name, (unsigned long long)o->appid);
    offer_settle(srv, o);
  }
}

static void handle_completed(struct mstro__pm_server *srv, struct member *m,
                             const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__TransferCompleted *c = env->transfer_completed;
  for (struct pm_ticket **pp = &srv->tickets; *pp != NULL; pp = &(*pp)->next) {
    struct pm_ticket *t = *pp;
    if (t->id != c->ticket_id || t->dst_appid != m->appid)
      continue;
    *pp = t->next;
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
                          .hold = hold_begin(m, env)};
    emit(srv, &ev);
    hold_end(srv, m, env, ev.hold);
    t->o->inflight--;
    offer_settle(srv, t->o);
    free(t);
    return;
  }
  hold_end(srv, m, env, NULL); /* a bad message, but its sender must not hang */
  member_bad(srv, m, "TRANSFER_COMPLETED for a ticket it does not hold");
}

/* TRANSFER_STARTED: a consumer starts reading the bytes of a ticket it holds
 * (sent only when another member subscribes to that kind). */
static void handle_started(struct mstro__pm_server *srv, struct member *m,
                           const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__TransferStarted *ts = env->transfer_started;
  for (struct pm_ticket *t = srv->tickets; t != NULL; t = t->next) {
    if (t->id != ts->ticket_id || t->dst_appid != m->appid)
      continue;
    struct pm_event ev = {.kind = MSTRO_POOL_EVENT_TRANSFER_STARTED,
                          .appid = m->appid,
                          .src_appid = t->o->appid,
                          .cdo_name = t->o->name,
                          .size = t->o->size,
                          .transport = t->o->transport,
                          .attrs = t->o->attrs,
                          .attrs_len = t->o->attrs_len,
                          .hold = hold_begin(m, env)};
    emit(srv, &ev);
    hold_end(srv, m, env, ev.hold);
    return;
  }
  hold_end(srv, m, env, NULL);
  member_bad(srv, m, "TRANSFER_STARTED for a ticket it does not hold");
}

static void handle_declare(struct mstro__pm_server *srv, struct member *m,
                           const Mstro__Proto__Envelope *env)
{
  Mstro__Proto__Envelope out;
  Mstro__Proto__DeclareAck a;
  env_init(srv, &out, env->seq);
  mstro__proto__declare_ack__init(&a);
  a.local_id = env->declare->local_id;
  a.cdo_id = ++srv->next_cdo_id;
  a.status = MSTRO_OK;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK;
  out.declare_ack = &a;
  send_env(srv, m->peer, &out);
  struct pm_hold *h = hold_begin(m, env);
  emit_cdo(srv, MSTRO_POOL_EVENT_DECLARE, m, env->declare->cdo_name, NULL, 0, h);
  hold_end(srv, m, env, h);
}

static void require_free(struct pm_require *r)
{
  free(r->name);
  free(r);
}

/* REQUIRE: the bytes start moving now when an offer is there, otherwise as
 * soon as one is offered. */
static void handle_require(struct mstro__pm_server *srv, struct member *m,
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
  r->next = srv->requires;
  srv->requires = r;
}

static void drop_requires(struct mstro__pm_server *srv, uint64_t appid, const uint64_t *cdo_id)
{
  for (struct pm_require **pp = &srv->requires; *pp != NULL;) {
    struct pm_require *r = *pp;
    if (r->appid == appid && (cdo_id == NULL || r->cdo_id == *cdo_id)) {
      *pp = r->next;
      require_free(r);
    } else {
      pp = &r->next;
    }
  }
}

/* A new offer serves the requires waiting for its name. */
static void serve_requires(struct mstro__pm_server *srv, struct pm_offer *o)
{
  for (struct pm_require **pp = &srv->requires; *pp != NULL;) {
    struct pm_require *r = *pp;
    if (strcmp(r->name, o->name) == 0) {
      *pp = r->next;
      if (o->size > 0)
        send_ticket(srv, o, r->appid, r->seq);
      require_free(r);
    } else {
      pp = &r->next;
    }
  }
}

/* A member left or was dropped: its offers leave the pool (readers holding a
 * ticket find the source gone and demand again), its waiting demands and the
 * tickets it held are forgotten. */
static void pool_member_gone(struct mstro__pm_server *srv, uint64_t appid)
{
  drop_requires(srv, appid, NULL);
  for (struct pm_waiter **pp = &srv->waiters; *pp != NULL;) {
    struct pm_waiter *w = *pp;
    if (w->appid == appid) {
      *pp = w->next;
      mstro__pool_dir_cancel_demand(srv->dir, w->name, w);
      waiter_free(w);
    } else {
      pp = &w->next;
    }
  }
  for (struct pm_ticket **pp = &srv->tickets; *pp != NULL;) {
    struct pm_ticket *t = *pp;
    if (t->dst_appid == appid) {
      *pp = t->next;
      t->o->inflight--;
      offer_settle(srv, t->o);
      free(t);
    } else {
      pp = &t->next;
    }
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

/* ---- events ------------------------------------------------------------------ */

static void emit(struct mstro__pm_server *srv, const struct pm_event *ev)
{
  uint64_t serial = ++srv->event_serial;
  for (struct pm_sub *sb = srv->subs; sb != NULL; sb = sb->next) {
    if (!(sb->mask & ev->kind) || sb->appid == ev->appid)
      continue;
    struct member *m = member_by_appid(srv, sb->appid);
    if (m == NULL)
      continue;
    Mstro__Proto__Envelope out;
    Mstro__Proto__Event e;
    env_init(srv, &out, 0);
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
    if (send_env(srv, m->peer, &out) != MSTRO_OK) {
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
  struct member *m = member_by_appid(srv, appid);
  if (m == NULL)
    return;
  Mstro__Proto__Envelope out;
  Mstro__Proto__EventAck a;
  env_init(srv, &out, seq);
  mstro__proto__event_ack__init(&a);
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK;
  out.event_ack = &a;
  /* counted and logged so that tests can tell an extra round trip */
  atomic_fetch_add(&srv->releases, 1);
  MSTRO_LOG_DEBUG(PM, "EVENT_ACK releases request %llu of appid %llu", (unsigned long long)seq,
                  (unsigned long long)appid);
  send_env(srv, m->peer, &out);
}

/* An operation sent with wait_ack gets a hold (NULL otherwise, or without
 * memory: then it is released at once rather than never). */
static struct pm_hold *hold_begin(const struct member *m, const Mstro__Proto__Envelope *env)
{
  struct pm_hold *h = env->wait_ack ? calloc(1, sizeof *h) : NULL;
  if (h != NULL) {
    h->appid = m->appid;
    h->seq = env->seq;
  }
  return h;
}

static void hold_end(struct mstro__pm_server *srv, const struct member *m,
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

static void acks_member_gone(struct mstro__pm_server *srv, uint64_t appid)
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

static void handle_event_ack(struct mstro__pm_server *srv, struct member *m,
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
  send_refuse(srv, m->peer, env->seq, MSTRO_NOENT, "no operation waits for this ack",
              SEND_TIMEOUT_MS);
}

static void emit_cdo(struct mstro__pm_server *srv, uint32_t kind, const struct member *m,
                     const char *name, const ProtobufCBinaryData *attrs, uint64_t size,
                     struct pm_hold *hold)
{
  struct pm_event ev = {
      .kind = kind, .appid = m->appid, .cdo_name = name, .size = size, .hold = hold};
  if (attrs != NULL) {
    ev.attrs = attrs->data;
    ev.attrs_len = attrs->len;
  }
  emit(srv, &ev);
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
static void masks_of(const struct mstro__pm_server *srv, uint64_t appid, uint32_t *ack,
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
static void masks_update(struct mstro__pm_server *srv)
{
  for (size_t i = 0; i < srv->n_members; i++) {
    struct member *m = &srv->members[i];
    uint32_t ack, watched;
    masks_of(srv, m->appid, &ack, &watched);
    if (ack == m->ack_kinds && watched == m->event_kinds)
      continue;
    Mstro__Proto__Envelope out;
    Mstro__Proto__AckMask am;
    env_init(srv, &out, 0);
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
    if (send_env(srv, m->peer, &out) != MSTRO_OK)
      m->mask_confirmed = m->mask_sent;
    MSTRO_LOG_DEBUG(PM, "appid %llu: held kinds 0x%x, watched kinds 0x%x (mask %llu)",
                    (unsigned long long)m->appid, ack, watched, (unsigned long long)am.serial);
  }
  barriers_check(srv);
}

static void handle_mask_confirm(struct mstro__pm_server *srv, struct member *m,
                                const Mstro__Proto__Envelope *env)
{
  if (env->ack_mask_confirm->serial > m->mask_sent) {
    member_bad(srv, m, "ACK_MASK_CONFIRM of a mask it was never sent");
    return;
  }
  if (env->ack_mask_confirm->serial == m->mask_sent) {
    m->mask_confirmed = m->mask_sent;
    barriers_check(srv);
  }
}

static void handle_subscribe(struct mstro__pm_server *srv, struct member *m,
                             const Mstro__Proto__Envelope *env)
{
  if (env->msg_case == MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE) {
    for (struct pm_sub **pp = &srv->subs; *pp != NULL; pp = &(*pp)->next)
      if ((*pp)->appid == m->appid && (*pp)->id == env->unsubscribe->subscription_id) {
        struct pm_sub *sb = *pp;
        *pp = sb->next;
        acks_release(srv, sb->appid, &sb->id);
        free(sb);
        masks_update(srv);
        return;
      }
    return;
  }
  struct pm_sub *sb = calloc(1, sizeof *sb);
  if (sb == NULL) {
    send_refuse(srv, m->peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory",
                SEND_TIMEOUT_MS);
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
  masks_update(srv);
}

/* ---- messages -------------------------------------------------------------- */

/* A JOIN says which address it comes from; the channel says which peer. A
 * peer that is not ours, or ours under another address, means the channel
 * reports sources it should not (seen with the shm provider, which names a
 * peer for senders never inserted). From then on garbage is only counted, so
 * that a stranger cannot get a member dropped. */
static void check_source(struct mstro__pm_server *srv, mstro__pm_peer from, const char *addr)
{
  if (from == MSTRO__PM_PEER_UNKNOWN || srv->sources_unreliable)
    return;
  const char *ours = NULL;
  struct member *m = member_by_peer(srv, from);
  if (m != NULL)
    ours = m->addr;
  for (size_t i = 0; ours == NULL && i < srv->n_pending; i++)
    if (srv->pending[i].peer == from)
      ours = srv->pending[i].addr;
  if (ours == NULL || strcmp(ours, addr) != 0) {
    srv->sources_unreliable = true;
    MSTRO_LOG_WARN(PM,
                   "the control channel reports message sources it cannot know (peer %llu "
                   "for a JOIN from another address): malformed messages are no longer "
                   "attributed to members",
                   (unsigned long long)from);
  }
}

static void handle_join(struct mstro__pm_server *srv, mstro__pm_peer from,
                        const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__Join *j = env->join;
  char name[LOG_NAME_MAX], host[LOG_NAME_MAX], wf[LOG_NAME_MAX];
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
  memcpy(addr, j->endpoint_address.data, j->endpoint_address.len);
  addr[j->endpoint_address.len] = '\0';
  printable(j->component_name, name, sizeof name);
  printable(j->hostname, host, sizeof host);
  check_source(srv, from, addr);

  const char *reason = NULL;
  mstro_status refusal = MSTRO_AUTH;
  /* The sender's own claim decides, not the fabric's idea of the source
   * (some providers report a source for senders never inserted). */
  struct member *known = NULL;
  for (size_t i = 0; i < srv->n_members; i++)
    if (strcmp(srv->members[i].addr, addr) == 0)
      known = &srv->members[i];
  if (strcmp(j->workflow_name, srv->workflow) != 0) {
    reason = "wrong workflow name";
  } else if (!secret_equal(j->workflow_secret.data, srv->secret)) {
    reason = "wrong workflow secret";
  } else if (known != NULL) {
    reason = "this endpoint has already joined";
    refusal = MSTRO_NOT_TWICE;
  } else {
    for (size_t i = 0; i < srv->n_members; i++)
      if (srv->members[i].component_index == j->component_index &&
          strcmp(srv->members[i].component_name, j->component_name) == 0) {
        reason = "a component of this name and index is already a member";
        refusal = MSTRO_NOT_TWICE;
      }
  }

  if (reason != NULL) {
    if (refusal == MSTRO_AUTH && strcmp(reason, "wrong workflow name") == 0)
      MSTRO_LOG_WARN(PM,
                     "refused JOIN of component '%s' index %lld (pid %u on '%s'): %s '%s' "
                     "(this Pool Manager serves '%s')",
                     name, (long long)j->component_index, j->pid, host, reason,
                     printable(j->workflow_name, wf, sizeof wf), srv->workflow);
    else
      MSTRO_LOG_WARN(PM, "refused JOIN of component '%s' index %lld (pid %u on '%s'): %s", name,
                     (long long)j->component_index, j->pid, host, reason);
    mstro__pm_peer peer = known ? known->peer : MSTRO__PM_PEER_UNKNOWN;
    if (peer == MSTRO__PM_PEER_UNKNOWN && peer_for_join(srv, addr, &peer) != MSTRO_OK) {
      MSTRO_LOG_WARN(PM, "cannot answer component '%s': its endpoint address is unusable", name);
      return;
    }
    send_refuse(srv, peer, env->seq, refusal, reason, known ? SEND_TIMEOUT_MS : REFUSE_TIMEOUT_MS);
    if (known == NULL)
      remove_peer_later(srv, peer, addr);
    return;
  }

  mstro__pm_peer peer = MSTRO__PM_PEER_UNKNOWN;
  uint64_t session = 0;
  if (peer_for_join(srv, addr, &peer) != MSTRO_OK) {
    MSTRO_LOG_WARN(PM,
                   "cannot admit component '%s' index %lld: its endpoint address is "
                   "unusable",
                   name, (long long)j->component_index);
    return;
  }
  while (session == 0)
    if (random_bytes(&session, sizeof session) != MSTRO_OK) {
      remove_peer_later(srv, peer, addr);
      return;
    }
  if (srv->n_members == srv->cap_members) {
    size_t cap = srv->cap_members ? 2 * srv->cap_members : 16;
    struct member *mm = realloc(srv->members, cap * sizeof *mm);
    if (mm == NULL) {
      send_refuse(srv, peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory",
                  REFUSE_TIMEOUT_MS);
      remove_peer_later(srv, peer, addr);
      return;
    }
    srv->members = mm;
    srv->cap_members = cap;
  }
  char *cname = strdup(j->component_name);
  if (cname == NULL) {
    send_refuse(srv, peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory",
                REFUSE_TIMEOUT_MS);
    remove_peer_later(srv, peer, addr);
    return;
  }
  struct member *m = &srv->members[srv->n_members];
  memset(m, 0, sizeof *m);
  m->appid = srv->next_appid++;
  m->session = session;
  m->peer = peer;
  snprintf(m->addr, sizeof m->addr, "%s", addr);
  m->component_name = cname;
  m->component_index = j->component_index;
  m->pid = j->pid;
  snprintf(m->host, sizeof m->host, "%s", j->hostname);
  m->last_seen_ns = mstro_clock();

  Mstro__Proto__Envelope out;
  Mstro__Proto__Welcome w;
  env_init(srv, &out, env->seq);
  mstro__proto__welcome__init(&w);
  w.appid = m->appid;
  w.heartbeat_interval_ms = srv->cfg.heartbeat_ms;
  w.session = session;
  w.transport = mstro__pm_transport_for_member((Mstro__Proto__TransportKind)srv->cfg.transport,
                                               j->transports, j->n_transports, cname);
  /* the masks in force: its operations are held from the first one on */
  masks_of(srv, m->appid, &m->ack_kinds, &m->event_kinds);
  w.ack_kinds = m->ack_kinds;
  w.event_kinds = m->event_kinds;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WELCOME;
  out.welcome = &w;
  if (send_env(srv, peer, &out) != MSTRO_OK) {
    MSTRO_LOG_WARN(PM, "component '%s' index %lld could not be welcomed", name,
                   (long long)j->component_index);
    free(cname);
    remove_peer_later(srv, peer, addr);
    return;
  }
  srv->n_members++;
  atomic_store(&srv->live, srv->n_members);
  atomic_fetch_add(&srv->joined, 1);
  {
    struct pm_event ev = {.kind = MSTRO_POOL_EVENT_APP_JOIN,
                          .appid = m->appid,
                          .component_name = m->component_name,
                          .component_index = m->component_index};
    emit(srv, &ev);
  }
  MSTRO_LOG_INFO(PM,
                 "component '%s' index %lld (pid %u on '%s') joined workflow '%s' as appid "
                 "%llu",
                 name, (long long)j->component_index, j->pid, host, srv->workflow,
                 (unsigned long long)m->appid);
}

static void handle_member_msg(struct mstro__pm_server *srv, struct member *m,
                              const Mstro__Proto__Envelope *env)
{
  char name[LOG_NAME_MAX];
  const char *kind = mstro__proto_msg_name(env->msg_case);
  m->last_seen_ns = mstro_clock();
  switch (env->msg_case) {
  case MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT: {
    Mstro__Proto__Envelope out;
    Mstro__Proto__Heartbeat h;
    env_init(srv, &out, env->seq);
    mstro__proto__heartbeat__init(&h);
    h.timestamp_ns = mstro_clock();
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT;
    out.heartbeat = &h;
    send_env(srv, m->peer, &out);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_LEAVE: {
    Mstro__Proto__Envelope out;
    Mstro__Proto__Bye b;
    env_init(srv, &out, env->seq);
    mstro__proto__bye__init(&b);
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_BYE;
    out.bye = &b;
    send_env(srv, m->peer, &out);
    MSTRO_LOG_INFO(PM, "component '%s' index %lld (appid %llu) left",
                   printable(m->component_name, name, sizeof name), (long long)m->component_index,
                   (unsigned long long)m->appid);
    member_remove(srv, m);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE:
    handle_declare(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_OFFER:
    handle_offer(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_DEMAND:
    handle_demand(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW:
    handle_withdraw(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED:
    handle_completed(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_REQUIRE: {
    /* The transfer starts before the demand when it can (prefetch). */
    struct pm_hold *h = hold_begin(m, env);
    emit_cdo(srv, MSTRO_POOL_EVENT_REQUIRE, m, env->require->cdo_name, &env->require->attributes, 0,
             h);
    hold_end(srv, m, env, h);
    handle_require(srv, m, env);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_RETRACT: {
    struct pm_hold *h = hold_begin(m, env);
    emit_cdo(srv, MSTRO_POOL_EVENT_RETRACT, m, env->retract->cdo_name, NULL, 0, h);
    hold_end(srv, m, env, h);
    drop_requires(srv, m->appid, &env->retract->cdo_id);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_DISPOSE: {
    struct pm_hold *h = hold_begin(m, env);
    emit_cdo(srv, MSTRO_POOL_EVENT_DISPOSE, m, env->dispose->cdo_name, NULL, 0, h);
    hold_end(srv, m, env, h);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_SEAL: {
    struct pm_hold *h = hold_begin(m, env);
    emit_cdo(srv, MSTRO_POOL_EVENT_SEAL, m, env->seal->cdo_name, &env->seal->attributes, 0, h);
    hold_end(srv, m, env, h);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED:
    handle_started(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM:
    handle_mask_confirm(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE:
  case MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE:
    handle_subscribe(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK:
    handle_event_ack(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_REFUSE: {
    char reason[LOG_NAME_MAX];
    MSTRO_LOG_INFO(PM, "component '%s' (appid %llu) refused message %llu: %s (%s)",
                   printable(m->component_name, name, sizeof name), (unsigned long long)m->appid,
                   (unsigned long long)env->in_reply_to,
                   mstro_status_description((mstro_status)env->refuse->status),
                   printable(env->refuse->reason, reason, sizeof reason));
    return;
  }
  default: {
    /* WELCOME, BYE, PM_LEAVE, DECLARE_ACK, WITHDRAW_ACK, TRANSFER_TICKET and
     * EVENT only ever go from the PM to a component. */
    char why[MSTRO__PROTO_WHY_MAX];
    snprintf(why, sizeof why, "%s may only be sent by the Pool Manager", kind);
    send_refuse(srv, m->peer, env->seq, MSTRO_INVMSG, why, SEND_TIMEOUT_MS);
    member_bad(srv, m, why);
    return;
  }
  }
}

static void handle_frame(struct mstro__pm_server *srv, mstro__pm_peer from, const uint8_t *buf,
                         size_t len)
{
  char why[MSTRO__PROTO_WHY_MAX] = "";
  Mstro__Proto__Envelope *env = NULL;
  if (mstro__proto_decode(buf, len, &env, why, sizeof why) != MSTRO_OK) {
    count_bad(srv, from, why);
    return;
  }
  MSTRO_LOG_DEBUG(PM, "%s (seq %llu) from peer %lld", mstro__proto_msg_name(env->msg_case),
                  (unsigned long long)env->seq,
                  from == MSTRO__PM_PEER_UNKNOWN ? -1ll : (long long)from);
  if (env->msg_case == MSTRO__PROTO__ENVELOPE__MSG_JOIN) {
    handle_join(srv, from, env);
  } else {
    /* A member is known by its appid and proven by its session key. */
    struct member *m = member_by_appid(srv, env->sender_appid);
    if (m == NULL || env->session != m->session) {
      snprintf(why, sizeof why, "%s with a wrong appid or session (appid %llu)",
               mstro__proto_msg_name(env->msg_case), (unsigned long long)env->sender_appid);
      count_bad(srv, from, why);
    } else {
      handle_member_msg(srv, m, env);
    }
  }
  mstro__proto_free(env);
}

static void check_heartbeats(struct mstro__pm_server *srv)
{
  uint64_t now = mstro_clock();
  uint64_t limit = (uint64_t)srv->cfg.heartbeat_ms * srv->cfg.heartbeat_grace * 1000000ull;
  for (size_t i = 0; i < srv->n_members;) {
    struct member *m = &srv->members[i];
    if (now - m->last_seen_ns > limit) {
      char why[128];
      snprintf(why, sizeof why, "silent for %llu ms: taken as crashed",
               (unsigned long long)((now - m->last_seen_ns) / 1000000ull));
      member_drop(srv, m, MSTRO_TIMEOUT, why, false);
      continue; /* the last member moved into slot i */
    }
    i++;
  }
  remove_due_peers(srv, false);
}

/* ---- the server ----------------------------------------------------------- */

mstro_status mstro__pm_server_create(const struct mstro__pm_config *cfg,
                                     struct mstro__pm_chan *chan, struct mstro__pm_server **out)
{
  mstro_status st = MSTRO_OK;
  struct mstro__pm_server *srv = NULL;
  MSTRO_CHECK(PM, cfg != NULL && chan != NULL && out != NULL, st, MSTRO_INVARG,
              "NULL configuration, channel or result");
  MSTRO_CHECK(PM,
              cfg->workflow_name != NULL && cfg->workflow_name[0] != '\0' &&
                  strlen(cfg->workflow_name) <= MSTRO__PROTO_NAME_MAX,
              st, MSTRO_INVARG, "the Pool Manager needs a workflow name of 1 to %u bytes",
              MSTRO__PROTO_NAME_MAX);
  srv = calloc(1, sizeof *srv);
  MSTRO_CHECK(PM, srv != NULL, st, MSTRO_NOMEM, "cannot allocate the server");
  srv->chan = chan;
  srv->cfg = *cfg;
  if (srv->cfg.heartbeat_ms == 0)
    srv->cfg.heartbeat_ms = 1000;
  if (srv->cfg.heartbeat_grace == 0)
    srv->cfg.heartbeat_grace = 10;
  if (srv->cfg.max_bad_msgs == 0)
    srv->cfg.max_bad_msgs = 8;
  srv->next_appid = 1;
  if (srv->cfg.transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED) {
    Mstro__Proto__TransportKind kind = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
    MSTRO_CHECK_CALL(PM, st, mstro__pm_transport_choose(&kind),
                     "no transport for the workflow's data");
    srv->cfg.transport = (int)kind;
  }
  MSTRO_CHECK_CALL(PM, st, mstro__pool_dir_create(&srv->dir), "cannot create the pool directory");
  MSTRO_CHECK_CALL(PM, st, mstro__pm_lifetimes_create(&srv->lifetimes),
                   "cannot create the lifetime heap");
  srv->workflow = strdup(cfg->workflow_name);
  srv->rxbuf = malloc(MSTRO__PROTO_FRAME_MAX);
  MSTRO_CHECK(PM, srv->workflow != NULL && srv->rxbuf != NULL, st, MSTRO_NOMEM,
              "cannot allocate the server");
  srv->cfg.workflow_name = srv->workflow;
  MSTRO_CHECK_CALL(PM, st, random_bytes(srv->secret, sizeof srv->secret),
                   "cannot draw the workflow secret");
  MSTRO_CHECK_CALL(PM, st, chan->ops->addr(chan, srv->addr, sizeof srv->addr),
                   "cannot read the channel's address");
  *out = srv;
  srv = NULL;
  chan = NULL;
cleanup:
  if (srv != NULL) {
    mstro__pool_dir_destroy(srv->dir);
    mstro__pm_lifetimes_destroy(srv->lifetimes);
    free(srv->workflow);
    free(srv->rxbuf);
    free(srv);
  }
  if (chan != NULL)
    chan->ops->close(chan);
  return st;
}

mstro_status mstro__pm_server_info(struct mstro__pm_server *srv, char **info)
{
  if (srv == NULL || info == NULL)
    return MSTRO_INVARG;
  struct mstro__proto_pm_info pi;
  memset(&pi, 0, sizeof pi);
  memcpy(pi.secret, srv->secret, sizeof pi.secret);
  pi.n_addrs = 1;
  snprintf(pi.addrs[0], sizeof pi.addrs[0], "%s", srv->addr);
  return mstro__proto_info_format(&pi, info);
}

mstro_status mstro__pm_server_step(struct mstro__pm_server *srv, int timeout_ms)
{
  mstro__pm_peer from = MSTRO__PM_PEER_UNKNOWN;
  size_t len = 0;
  timeout_ms = mstro__pm_lifetimes_timeout_ms(srv->lifetimes, mstro_clock(), timeout_ms);
  mstro_status st =
      srv->chan->ops->recv(srv->chan, &from, srv->rxbuf, MSTRO__PROTO_FRAME_MAX, &len, timeout_ms);
  if (st == MSTRO_OK) {
    handle_frame(srv, from, srv->rxbuf, len);
  } else if (st == MSTRO_INVMSG) {
    char why[96];
    snprintf(why, sizeof why, "a message of %zu bytes that is not a control frame", len);
    count_bad(srv, from, why);
  } else if (st != MSTRO_TIMEOUT) {
    MSTRO_LOG_ERR(PM, "receiving on the control channel failed: %s", mstro_status_description(st));
    check_heartbeats(srv);
    return MSTRO_TRANSPORT;
  }
  offers_expire(srv);
  check_heartbeats(srv);
  return MSTRO_OK;
}

mstro_status mstro__pm_server_run(struct mstro__pm_server *srv,
                                  const volatile sig_atomic_t *signal_flag)
{
  mstro_status st = MSTRO_OK;
  unsigned failures = 0;
  if (srv == NULL)
    return MSTRO_INVARG;
  while (!atomic_load(&srv->stop) && (signal_flag == NULL || *signal_flag == 0)) {
    if (srv->cfg.exit_when_idle && atomic_load(&srv->joined) > 0 && atomic_load(&srv->live) == 0) {
      MSTRO_LOG_INFO(PM, "every component has left: stopping");
      break;
    }
    if (mstro__pm_server_step(srv, 100) == MSTRO_OK) {
      failures = 0;
    } else if (++failures >= 50) {
      MSTRO_LOG_ERR(PM, "the control channel keeps failing: stopping");
      st = MSTRO_TRANSPORT;
      break;
    }
  }
  mstro__pm_server_shutdown(srv, "the Pool Manager is stopping");
  return st;
}

void mstro__pm_server_stop(struct mstro__pm_server *srv)
{
  if (srv != NULL)
    atomic_store(&srv->stop, true);
}

size_t mstro__pm_server_member_count(struct mstro__pm_server *srv)
{
  return srv ? atomic_load(&srv->live) : 0;
}

uint64_t mstro__pm_server_joined(struct mstro__pm_server *srv)
{
  return srv ? atomic_load(&srv->joined) : 0;
}

uint64_t mstro__pm_server_bad_msgs(struct mstro__pm_server *srv)
{
  return srv ? atomic_load(&srv->bad_total) : 0;
}

uint64_t mstro__pm_server_releases(struct mstro__pm_server *srv)
{
  return srv ? atomic_load(&srv->releases) : 0;
}

mstro_status mstro__pm_server_shutdown(struct mstro__pm_server *srv, const char *reason)
{
  if (srv == NULL)
    return MSTRO_INVARG;
  if (srv->n_members > 0)
    MSTRO_LOG_INFO(PM, "telling %zu component(s) that the Pool Manager leaves", srv->n_members);
  while (srv->n_members > 0) {
    struct member *m = &srv->members[srv->n_members - 1];
    Mstro__Proto__Envelope out;
    Mstro__Proto__PMLeave l;
    env_init(srv, &out, 0);
    mstro__proto__pmleave__init(&l);
    l.reason = (char *)(reason ? reason : "");
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE;
    out.pm_leave = &l;
    send_env(srv, m->peer, &out);
    member_remove(srv, m);
  }
  return MSTRO_OK;
}

void mstro__pm_server_destroy(struct mstro__pm_server *srv)
{
  if (srv == NULL)
    return;
  for (size_t i = 0; i < srv->n_members; i++)
    free(srv->members[i].component_name);
  for (struct pm_ticket *t = srv->tickets, *n; t != NULL; t = n) {
    n = t->next;
    free(t);
  }
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
  mstro__pool_dir_destroy(srv->dir);
  mstro__pm_lifetimes_destroy(srv->lifetimes);
  remove_due_peers(srv, true);
  srv->chan->ops->close(srv->chan);
  free(srv->members);
  free(srv->workflow);
  free(srv->rxbuf);
  free(srv);
}
