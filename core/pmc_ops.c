/* SPDX-License-Identifier: BSD-3-Clause */
/* The PM-client pool backend (pool_backend.h): the pool operations of a
 * component that joined a Pool Manager, as messages to it (pmc_link.c) and
 * transfers between components (pmc_data.c).
 *
 * An offer exposes or stores the producer's bytes and tells the PM where
 * they are; a demand asks the PM, which answers with a transfer ticket
 * naming an offer; the consumer pulls the bytes and fills its handle
 * (data_fill.c). Group operations across processes are not built yet: they
 * return MSTRO_UNIMPL (logged) rather than staying local in silence.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "data_fill.h"
#include "events.h"
#include "launcher_env.h"
#include "mem.h"
#include "mstro_log.h"
#include "pmc.h"
#include "pool_backend.h"

#define RETRY_PAUSE_MS 100

/* Whether this process is joined: set once the receiver runs, cleared
 * first at leave (the hooks that may come after leave do nothing then). */
static atomic_bool pm_active;

static bool mstro__pm_active(void)
{
  return atomic_load_explicit(&pm_active, memory_order_acquire);
}

void mstro__pmc_use_link(mstro__proto_link_open_fn open)
{
  mstro__pmc.open_link = open;
}

static const struct mstro__event_remote pmc_event_remote;

/* ---- join and leave --------------------------------------------------- */

static mstro_status pmc_start(void)
{
  mstro_status st = MSTRO_OK;
  char line[MSTRO__PROTO_INFO_MAX + 1]; /* the contact string of a whole maestro-pm line */
  struct mstro__proto_client_config cfg = {
      .info = mstro__pm_info_unwrap(mstro__g.opts.pm_info, line, sizeof line),
      .workflow_name = mstro__g.workflow_name,
      .component_name = mstro__g.component_name,
      .component_index = mstro__g.component_index,
      .timeout_ms = (int)(mstro__g.opts.pm_timeout * 1000),
      .open_link = mstro__pmc.open_link,
  };
  mstro__pmc.timeout_ms = cfg.timeout_ms;
  mstro__pmc.spin_ns = (uint64_t)mstro__g.opts.pm_spin_us * 1000u;
  mstro__pmc.block = mstro__g.opts.pm_block;
  mstro__pmc.spin_cur_ns = mstro__pmc_spin_start();
  mstro__pmc.rx_blocking = false;
  mstro__pmc.dead = MSTRO_OK;
  mstro__pmc.stop = false;
  mstro__pmc.calls = NULL;
  mstro__pmc.offers = NULL;
  mstro__pmc.peers = NULL;
  mstro__pmc.store = NULL;
  MSTRO_CHECK_CALL(POOL, st, mstro__proto_client_join(&cfg, &mstro__pmc.c),
                   "mstro_init: cannot join the Pool Manager");
  mstro__pmc.ep = mstro__proto_client_ep(mstro__pmc.c);
  mstro__pmc.appid = mstro__proto_client_appid(mstro__pmc.c);
  {
    uint32_t held = 0, watched = 0;
    mstro__proto_client_welcome_kinds(mstro__pmc.c, &held, &watched);
    atomic_store(&mstro__pmc.ack_kinds, held);
    atomic_store(&mstro__pmc.event_kinds, watched);
  }
  MSTRO_CHECK_CALL(POOL, st, mstro__pmc_choose_transport(), "mstro_init: no data transport");
  mstro__pmc.last_heard_ns = mstro__pmc.last_sent_ns = mstro_clock();
  MSTRO_CHECK(POOL, pthread_create(&mstro__pmc.rx, NULL, mstro__pmc_rx_main, NULL) == 0, st,
              MSTRO_FAIL, "mstro_init: cannot start the Pool Manager receiver thread");
  mstro__pmc.rx_started = true;
  atomic_store_explicit(&pm_active, true, memory_order_release);
  /* other components' events and our acks of them go through the PM */
  mstro__events_set_remote(&pmc_event_remote);
cleanup:
  if (st != MSTRO_OK && mstro__pmc.c != NULL) {
    mtr_store_close(mstro__pmc.store);
    mstro__pmc.store = NULL;
    mstro__proto_client_leave(mstro__pmc.c);
    mstro__pmc.c = NULL;
  }
  return st;
}

static mstro_status pmc_stop(size_t *left_offered)
{
  mstro_status st = MSTRO_OK;
  *left_offered = 0; /* the PM forgets this component's offers when it leaves */
  if (!mstro__pm_active())
    return MSTRO_OK;
  atomic_store(&pm_active, false);
  mstro__events_set_remote(NULL);
  atomic_store(&mstro__pmc.ack_kinds, 0u);
  atomic_store(&mstro__pmc.event_kinds, 0u);
  pthread_mutex_lock(&mstro__pmc.lock);
  mstro__pmc.stop = true;
  bool alive = mstro__pmc.dead == MSTRO_OK;
  pthread_mutex_unlock(&mstro__pmc.lock);
  if (mstro__pmc.rx_started)
    pthread_join(mstro__pmc.rx, NULL);
  mstro__pmc.rx_started = false;
  /* nobody dispatches answers any more: a prefetch worker still waiting
   * for the release of its TRANSFER_COMPLETED must not hang the leave */
  pthread_mutex_lock(&mstro__pmc.lock);
  mstro__pmc_fail_all_locked(MSTRO_NO_PM);
  while (mstro__pmc.prefetches != NULL)
    mstro__pmc_prefetch_free_locked(mstro__pmc.prefetches);
  pthread_mutex_unlock(&mstro__pmc.lock);
  for (struct mstro__pmc_offer *r = mstro__pmc.offers, *n; r != NULL; r = n) {
    n = r->next;
    r->cdo->offer = NULL;
    mstro__pmc_release_offer_rec(r);
  }
  mstro__pmc.offers = NULL;
  mstro__pmc_data_close();
  if (alive) {
    st = mstro__proto_client_leave(mstro__pmc.c);
  } else {
    mstro__proto_client_close(mstro__pmc.c);
    st = MSTRO_NO_PM;
  }
  mstro__pmc.c = NULL;
  mstro__pmc.ep = NULL;
  return st;
}

/* The handle's storage goes away: drop what was fetched for it ahead, and
 * cached RMA registrations of a user buffer bytes were read into (before
 * the user may free it). The endpoint is gone after leave, its cache with
 * it. */
static void pmc_release(mstro_cdo cdo)
{
  if (!mstro__pm_active())
    return;
  pthread_mutex_lock(&mstro__pmc.lock);
  struct mstro__pmc_prefetch *p = mstro__pmc_prefetch_of_locked(cdo);
  if (p != NULL)
    mstro__pmc_prefetch_free_locked(p);
  pthread_mutex_unlock(&mstro__pmc.lock);
  if (!cdo->data_owned && cdo->rma_into_user && cdo->data != NULL && cdo->size > 0 &&
      mstro__pmc.ep != NULL)
    mtr_ep_invalidate(mstro__pmc.ep, cdo->data, (size_t)cdo->size);
}

/* ---- pool operations -------------------------------------------------- */

static mstro_status serialize_attrs(mstro_cdo cdo, void **buf, size_t *len)
{
  mstro_status st = mstro__attr_dict_serialize(cdo->attrs, buf, len);
  if (st == MSTRO_OK && *len > MSTRO__PROTO_ATTR_MAX) {
    MSTRO_LOG_ERR(POOL, "'%.200s': its attributes take %zu bytes, more than the %u a message holds",
                  cdo->name, *len, MSTRO__PROTO_ATTR_MAX);
    free(*buf);
    *buf = NULL;
    st = MSTRO_INVARG;
  }
  return st;
}

static mstro_status pmc_subscribe(uint64_t remote_id, unsigned mask, unsigned opts, bool subscribe)
{
  Mstro__Proto__Envelope env;
  mstro__proto__envelope__init(&env);
  if (!mstro__pm_active())
    return MSTRO_OK;
  if (subscribe) {
    Mstro__Proto__Subscribe s;
    mstro__proto__subscribe__init(&s);
    s.subscription_id = remote_id;
    s.kind_mask = mask;
    /* with _REQUIRE_ACK the PM holds the other components' operations until
     * we ack (pmc_event_ack) */
    s.options = opts;
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE;
    env.subscribe = &s;
    /* answered once every member applies the kinds this holds or watches:
     * their operations started after this returns are seen (and held) */
    Mstro__Proto__Envelope *answer = NULL;
    mstro_status st = mstro__pmc_request(&env, MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK, &answer);
    mstro__proto_free(answer);
    return st;
  }
  Mstro__Proto__Unsubscribe u;
  mstro__proto__unsubscribe__init(&u);
  u.subscription_id = remote_id;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE;
  env.unsubscribe = &u;
  return mstro__pmc_send_msg(&env);
}

static mstro_status pmc_event_ack(uint64_t remote_id, uint64_t event_id)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__EventAck a;
  mstro__proto__envelope__init(&env);
  mstro__proto__event_ack__init(&a);
  if (!mstro__pm_active())
    return MSTRO_OK;
  a.subscription_id = remote_id;
  a.event_id = event_id;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK;
  env.event_ack = &a;
  /* no answer unless the PM no longer waits for it (REFUSE MSTRO_NOENT, logged) */
  return mstro__pmc_send_msg(&env);
}

/* Tell the PM of a declare (true) or dispose (false); waits only for the
 * release when another member holds the kind (_REQUIRE_ACK): MSTRO_NO_PM
 * when the PM went away meanwhile, MSTRO_OK otherwise. */
static mstro_status notify(mstro_cdo cdo, bool declare)
{
  mstro_status st = MSTRO_OK;
  Mstro__Proto__Envelope env;
  mstro_pool_event_kind kind = declare ? MSTRO_POOL_EVENT_DECLARE : MSTRO_POOL_EVENT_DISPOSE;
  /* The PM needs them only for other members' subscriptions (as SEAL): no
   * message, and no DECLARE_ACK to receive, otherwise. */
  if (!mstro__pmc_watched(kind) && !mstro__pmc_holds(kind))
    return MSTRO_OK;
  mstro__proto__envelope__init(&env);
  if (declare) {
    Mstro__Proto__Declare d;
    mstro__proto__declare__init(&d);
    d.cdo_name = cdo->name;
    d.local_id = cdo->id;
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DECLARE;
    env.declare = &d;
    /* its DECLARE_ACK is not waited for; the release is when DECLARE is held */
    st = mstro__pmc_send_op(&env, MSTRO_POOL_EVENT_DECLARE, "declare", cdo->name);
  } else {
    Mstro__Proto__Dispose d;
    mstro__proto__dispose__init(&d);
    d.cdo_name = cdo->name;
    d.cdo_id = cdo->id;
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DISPOSE;
    env.dispose = &d;
    st = mstro__pmc_send_op(&env, MSTRO_POOL_EVENT_DISPOSE, "dispose", cdo->name);
  }
  return st;
}

/* A sealed CDO: told to the PM when another member subscribes to SEAL (and
 * held until acked when one holds it, _REQUIRE_ACK). */
static mstro_status pmc_sealed(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL;
  size_t alen = 0;
  Mstro__Proto__Envelope env;
  Mstro__Proto__Seal sl;
  /* only when another member subscribes to SEAL: no message otherwise */
  if (!mstro__pm_active() || !mstro__pmc_watched(MSTRO_POOL_EVENT_SEAL))
    return MSTRO_OK;
  if (serialize_attrs(cdo, &abuf, &alen) != MSTRO_OK)
    alen = 0; /* logged; the subscriber's selector then sees the name only */
  mstro__proto__envelope__init(&env);
  mstro__proto__seal__init(&sl);
  sl.cdo_id = cdo->id;
  sl.cdo_name = cdo->name;
  sl.attributes = (ProtobufCBinaryData){alen, abuf};
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SEAL;
  env.seal = &sl;
  st = mstro__pmc_send_op(&env, MSTRO_POOL_EVENT_SEAL, "seal", cdo->name);
  free(abuf);
  return st;
}

static mstro_status pmc_offer(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL;
  size_t alen = 0;
  uint8_t desc[MTR_REGION_DESC_SIZE];
  struct mstro__pmc_offer *r = calloc(1, sizeof *r);
  Mstro__Proto__Envelope env;
  Mstro__Proto__Offer o;
  Mstro__Proto__TransportKind kind = mstro__pmc.data_kind;
  Mstro__Proto__Envelope *answer = NULL;

  MSTRO_CHECK(POOL, r != NULL, st, MSTRO_NOMEM, "offer of '%.200s': out of memory", cdo->name);
  r->cdo = cdo;
  r->id = cdo->id;
  MSTRO_CHECK_CALL(POOL, st, serialize_attrs(cdo, &abuf, &alen),
                   "offer of '%.200s': cannot serialize its attributes", cdo->name);
  mstro__proto__envelope__init(&env);
  mstro__proto__offer__init(&o);
  o.cdo_id = cdo->id;
  o.cdo_name = cdo->name;
  o.attributes = (ProtobufCBinaryData){alen, abuf};
  o.size = cdo->data != NULL && cdo->size > 0 ? (uint64_t)cdo->size : 0;
  /* the PM withdraws the offer itself once its lifetime is over (pm/pm_lifetime.h) */
  enum mstro_cdo_attr_value_type lt;
  const void *lv = NULL;
  if (mstro__attr_dict_get(cdo->attrs, MSTRO_ATTR_CORE_CDO_LIFETIME, &lt, &lv) == MSTRO_OK &&
      lt == MSTRO_CDO_ATTR_VALUE_int64 && lv != NULL && *(const int64_t *)lv > 0)
    o.lifetime = (uint64_t) * (const int64_t *)lv;
  if (o.size > 0) {
    if (mstro__pmc.store != NULL) {
      pthread_mutex_lock(&mstro__pmc.lock);
      uint64_t serial = ++mstro__pmc.key_serial;
      pthread_mutex_unlock(&mstro__pmc.lock);
      snprintf(r->key, sizeof r->key, "mstro-%s-%" PRIu64 "-%" PRIu64, mstro__g.workflow_name,
               mstro__pmc.appid, serial);
      mtr_status ms = mtr_store_put(mstro__pmc.store, r->key, cdo->data, (size_t)cdo->size);
      if (ms != MTR_OK) {
        MSTRO_LOG_WARN(POOL, "offer of '%.200s': %s put failed (%s): offered by OFI instead",
                       cdo->name, mstro__pmc.data_ops->name, mtr_status_description(ms));
        r->key[0] = '\0';
        kind = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
      } else if (kind == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS) {
        o.gfs_path = r->key;
      } else {
        o.mio_object = r->key;
      }
    }
    if (kind == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI) {
      mtr_status ms = mtr_region_expose(mstro__pmc.ep, cdo->data, (size_t)cdo->size, &r->region);
      MSTRO_CHECK(POOL, ms == MTR_OK, st, MSTRO_TRANSPORT,
                  "offer of '%.200s': cannot expose its %lld bytes: %s", cdo->name,
                  (long long)cdo->size, mtr_status_description(ms));
      MSTRO_CHECK(POOL, mtr_region_desc(r->region, desc, sizeof desc) == MTR_OK, st,
                  MSTRO_TRANSPORT, "offer of '%.200s': no region descriptor", cdo->name);
      o.region_desc = (ProtobufCBinaryData){sizeof desc, desc};
    }
  }
  o.n_transports = 1;
  o.transports = &kind;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER;
  env.offer = &o;
  /* Listed before the answer: a ticket for it may come first (our own demand). */
  pthread_mutex_lock(&mstro__pmc.lock);
  r->next = mstro__pmc.offers;
  mstro__pmc.offers = r;
  pthread_mutex_unlock(&mstro__pmc.lock);
  /* When another component holds OFFER (_REQUIRE_ACK), the PM answers with
   * EVENT_ACK once every such subscriber has acked the OFFER event (or
   * left): the offer is held until then, across processes as in the
   * process. A dead PM fails the call within MSTRO_PM_TIMEOUT (heartbeats).
   * Otherwise the offer is one message, no round trip. */
  if (mstro__pmc_holds(MSTRO_POOL_EVENT_OFFER)) {
    env.wait_ack = true;
    st = mstro__pmc_request(&env, MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK, &answer);
    mstro__proto_free(answer);
  } else {
    st = mstro__pmc_send_msg(&env);
  }
  if (st != MSTRO_OK) {
    pthread_mutex_lock(&mstro__pmc.lock);
    for (struct mstro__pmc_offer **pp = &mstro__pmc.offers; *pp != NULL; pp = &(*pp)->next)
      if (*pp == r) {
        *pp = r->next;
        break;
      }
    pthread_mutex_unlock(&mstro__pmc.lock);
  }
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "offer of '%.200s': %s", cdo->name,
              st == MSTRO_NO_PM ? "the Pool Manager is unreachable"
                                : "the Pool Manager refused it");
  cdo->offer = r;
  r = NULL;
cleanup:
  if (r != NULL)
    mstro__pmc_release_offer_rec(r);
  free(abuf);
  return st;
}

static mstro_status pmc_withdraw(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  Mstro__Proto__Envelope env, *ans = NULL;
  Mstro__Proto__Withdraw w;
  struct mstro__pmc_offer *r = NULL;
  mstro__proto__envelope__init(&env);
  mstro__proto__withdraw__init(&w);
  w.cdo_id = cdo->id;
  w.cdo_name = cdo->name;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW;
  env.withdraw = &w;
  /* The PM answers once no transfer from this offer is in flight, and
   * releases it (EVENT_ACK) once the subscribers that hold WITHDRAW acked. */
  struct mstro__pmc_call relc;
  struct mstro__pmc_call *rel = mstro__pmc_rel_prepare(&relc, MSTRO_POOL_EVENT_WITHDRAW);
  mstro_status rs =
      mstro__pmc_request_rel(&env, MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK, &ans, rel);
  mstro_status rls = mstro__pmc_rel_wait(rel, "withdraw", cdo->name);
  if (rs == MSTRO_OK)
    rs = rls;
  pthread_mutex_lock(&mstro__pmc.lock);
  for (struct mstro__pmc_offer **pp = &mstro__pmc.offers; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->cdo == cdo) {
      r = *pp;
      *pp = r->next;
      break;
    }
  pthread_mutex_unlock(&mstro__pmc.lock);
  cdo->offer = NULL;
  MSTRO_CHECK(POOL, r != NULL, st, MSTRO_INVSTATE, "withdraw of '%.200s': not offered", cdo->name);
  /* Without a PM no one can read it any more: the data are ours again. */
  if (rs != MSTRO_OK && rs != MSTRO_NO_PM)
    st = rs;
  else if (rs == MSTRO_NO_PM)
    MSTRO_LOG_WARN(POOL, "withdraw of '%.200s': the Pool Manager is gone", cdo->name);
  mstro__pmc_release_offer_rec(r);
cleanup:
  mstro__proto_free(ans);
  return st;
}

static mstro_status require_msg(mstro_cdo cdo, bool require)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL;
  size_t alen = 0;
  Mstro__Proto__Envelope env;
  struct mstro__pmc_call relc, *rel = NULL;
  mstro__proto__envelope__init(&env);
  if (require) {
    Mstro__Proto__Require r;
    struct mstro__pmc_prefetch *p = calloc(1, sizeof *p);
    mstro__proto__require__init(&r);
    MSTRO_CHECK_CALL(POOL, st, serialize_attrs(cdo, &abuf, &alen),
                     "require of '%.200s': cannot serialize its attributes", cdo->name);
    r.cdo_id = cdo->id;
    r.cdo_name = cdo->name;
    r.attributes = (ProtobufCBinaryData){alen, abuf};
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_REQUIRE;
    env.require = &r;
    rel = mstro__pmc_rel_prepare(&relc, MSTRO_POOL_EVENT_REQUIRE);
    pthread_mutex_lock(&mstro__pmc.lock);
    st = mstro__pmc_send_locked_calls(&env, NULL, rel, p != NULL ? &p->seq : NULL);
    if (st == MSTRO_OK && p != NULL) {
      /* registered before the answer can be dispatched (same lock) */
      p->cdo = cdo;
      p->state = PF_WAITING;
      p->next = mstro__pmc.prefetches;
      mstro__pmc.prefetches = p;
      p = NULL;
    }
    pthread_mutex_unlock(&mstro__pmc.lock);
    free(p);
  } else {
    Mstro__Proto__Retract r;
    mstro__proto__retract__init(&r);
    r.cdo_id = cdo->id;
    r.cdo_name = cdo->name;
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_RETRACT;
    env.retract = &r;
    rel = mstro__pmc_rel_prepare(&relc, MSTRO_POOL_EVENT_RETRACT);
    pthread_mutex_lock(&mstro__pmc.lock);
    st = mstro__pmc_send_locked_calls(&env, NULL, rel, NULL);
    /* a transfer not started yet will not be; one under way is kept for the
     * demand that usually follows (freed at dispose otherwise) */
    struct mstro__pmc_prefetch *p = mstro__pmc_prefetch_of_locked(cdo);
    if (p != NULL && p->state == PF_WAITING)
      mstro__pmc_prefetch_free_locked(p);
    pthread_mutex_unlock(&mstro__pmc.lock);
  }
  {
    mstro_status rs = mstro__pmc_rel_wait(rel, require ? "require" : "retract", cdo->name);
    if (st == MSTRO_OK)
      st = rs;
  }
  cdo->in_pool_require = require && st == MSTRO_OK;
cleanup:
  free(abuf);
  return st;
}

static mstro_status pmc_declared(mstro_cdo cdo)
{
  return notify(cdo, true);
}

static mstro_status pmc_disposed(mstro_cdo cdo)
{
  return notify(cdo, false);
}

static mstro_status pmc_require(mstro_cdo cdo)
{
  return require_msg(cdo, true);
}

static mstro_status pmc_retract(mstro_cdo cdo)
{
  return cdo->in_pool_require ? require_msg(cdo, false) : MSTRO_OK;
}

/* A demand of a required CDO waits for the transfer its require started. */
static void pmc_demand_prepare(mstro_cdo cdo)
{
  (void)cdo;
}

/* The DEMAND message: `prefetched` when its bytes came with the require
 * (the PM then only tells the subscribers). */
static void demand_msg(Mstro__Proto__Envelope *env, Mstro__Proto__Demand *d, mstro_cdo cdo,
                       const void *abuf, size_t alen, bool prefetched)
{
  mstro__proto__envelope__init(env);
  mstro__proto__demand__init(d);
  d->cdo_id = cdo->id;
  d->cdo_name = cdo->name;
  d->attributes = (ProtobufCBinaryData){alen, (uint8_t *)abuf};
  d->prefetched = prefetched;
  env->msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND;
  env->demand = d;
}

/* What a demand brings: the ticket that named the offer, the bytes and the
 * transport they came by. */
struct demand_result {
  Mstro__Proto__Envelope *ticket;
  void *data;
  bool in_place; /* data is the consumer's own buffer */
  const char *via;
};

/* Bytes already on their way since the require: wait for them. A require
 * not served yet is served when an offer comes, like a demand: its ticket
 * and transfer are waited for instead of asking again. MSTRO_OK with
 * r->ticket NULL when there was no require in flight. */
static mstro_status take_prefetch(mstro_cdo cdo, struct demand_result *r)
{
  mstro_status st = MSTRO_OK;
  pthread_mutex_lock(&mstro__pmc.lock);
  struct mstro__pmc_prefetch *pf = mstro__pmc_prefetch_of_locked(cdo);
  while (pf != NULL && (pf->state == PF_WAITING || pf->state == PF_FETCHING) &&
         mstro__pmc.dead == MSTRO_OK)
    pthread_cond_wait(&mstro__pmc.pf_cv, &mstro__pmc.lock);
  if (pf != NULL && mstro__pmc.dead != MSTRO_OK && pf->state != PF_DONE)
    st = mstro__pmc.dead;
  if (pf != NULL && pf->state == PF_DONE) {
    r->ticket = pf->ticket;
    r->data = pf->data;
    r->via = pf->via;
    pf->ticket = NULL;
    pf->data = NULL;
  }
  if (pf != NULL)
    mstro__pmc_prefetch_free_locked(pf); /* joins a worker still running (PM gone) */
  pthread_mutex_unlock(&mstro__pmc.lock);
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s': the Pool Manager is gone",
              cdo->name);
cleanup:
  return st;
}

/* Ask the PM for a ticket and move its bytes. A ticket whose source
 * vanished (a producer that died) is given up and the demand asked again:
 * the PM serves it from another offer. */
static mstro_status ask_and_fetch(mstro_cdo cdo, const void *abuf, size_t alen,
                                  struct demand_result *r)
{
  mstro_status st = MSTRO_OK;
  for (unsigned attempt = 0;; attempt++) {
    Mstro__Proto__Envelope env;
    Mstro__Proto__Demand d;
    demand_msg(&env, &d, cdo, abuf, alen, false);
    /* held: the transfer starts once the subscribers that hold DEMAND acked */
    struct mstro__pmc_call relc, *rel = mstro__pmc_rel_prepare(&relc, MSTRO_POOL_EVENT_DEMAND);
    st = mstro__pmc_request_rel(&env, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET, &r->ticket, rel);
    mstro_status rs = mstro__pmc_rel_wait(rel, "demand", cdo->name);
    if (st == MSTRO_OK)
      st = rs;
    MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s' failed", cdo->name);
    const Mstro__Proto__TransferTicket *t = r->ticket->transfer_ticket;
    if (t->size == 0) {
      mstro__pmc_completed(t, MSTRO_OK);
      break;
    }
    r->in_place = mstro__pmc_into_user_buffer(cdo, t->size);
    r->data = r->in_place ? cdo->data : NULL;
    mstro__pmc_transfer_started(t);
    st = mstro__pmc_fetch(cdo, t, &r->data, &r->via);
    if (r->in_place && t->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI)
      cdo->rma_into_user = true;
    mstro__pmc_completed(t, st);
    if (st != MSTRO_TRANSPORT ||
        (uint64_t)attempt * RETRY_PAUSE_MS >= (uint64_t)mstro__pmc.timeout_ms * 4)
      break;
    /* the PM drops a dead producer after its heartbeat grace; until then
     * it may name the same offer again */
    struct timespec pause = {0, RETRY_PAUSE_MS * 1000000L};
    nanosleep(&pause, NULL);
    MSTRO_LOG_WARN(POOL,
                   "demand of '%.200s': transfer from appid %" PRIu64
                   " failed; asking the Pool Manager again",
                   cdo->name, t->src_appid);
    mstro__proto_free(r->ticket);
    r->ticket = NULL;
    st = MSTRO_OK;
  }
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s' failed", cdo->name);
cleanup:
  return st;
}

/* The producer's attributes, as the ticket carries them. */
static mstro_status producer_attrs(mstro_cdo cdo, const Mstro__Proto__Envelope *ticket,
                                   mstro__attr_dict **attrs)
{
  mstro_status st = MSTRO_OK;
  const Mstro__Proto__TransferTicket *t = ticket->transfer_ticket;
  MSTRO_CHECK_CALL(POOL, st,
                   mstro__attr_dict_deserialize(t->attributes.data, t->attributes.len, attrs),
                   "demand of '%.200s': the producer's attributes are unusable", cdo->name);
cleanup:
  return st;
}

static mstro_status pmc_demand(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL;
  size_t alen = 0;
  mstro__attr_dict *pattrs = NULL;
  struct demand_result r = {.via = "OFI"};

  MSTRO_CHECK_CALL(POOL, st, take_prefetch(cdo, &r), "demand of '%.200s' failed", cdo->name);
  if (r.ticket != NULL) {
    MSTRO_CHECK_CALL(POOL, st, producer_attrs(cdo, r.ticket, &pattrs), "demand of '%.200s' failed",
                     cdo->name);
    MSTRO_LOG_INFO(POOL, "demand of '%.200s': served by the transfer started at require",
                   cdo->name);
    /* subscribers of other components still see the demand */
    if (serialize_attrs(cdo, &abuf, &alen) == MSTRO_OK) {
      Mstro__Proto__Envelope env;
      Mstro__Proto__Demand d;
      demand_msg(&env, &d, cdo, abuf, alen, true);
      MSTRO_CHECK_CALL(POOL, st,
                       mstro__pmc_send_op(&env, MSTRO_POOL_EVENT_DEMAND, "demand", cdo->name),
                       "demand of '%.200s' failed", cdo->name);
    }
  } else {
    MSTRO_CHECK_CALL(POOL, st, serialize_attrs(cdo, &abuf, &alen),
                     "demand of '%.200s': cannot serialize its attributes", cdo->name);
    MSTRO_CHECK_CALL(POOL, st, ask_and_fetch(cdo, abuf, alen, &r), "demand of '%.200s' failed",
                     cdo->name);
    MSTRO_CHECK_CALL(POOL, st, producer_attrs(cdo, r.ticket, &pattrs), "demand of '%.200s' failed",
                     cdo->name);
  }
  {
    const Mstro__Proto__TransferTicket *t = r.ticket->transfer_ticket;
    void *data = r.data;
    MSTRO_CHECK_CALL(POOL, st,
                     mstro__data_fill(cdo, pattrs, data, data != NULL ? (int64_t)t->size : 0,
                                      &r.data, r.via, NULL),
                     "demand of '%.200s' failed", cdo->name);
  }
cleanup:
  if (r.data != NULL && !r.in_place)
    mstro__mem_free(r.data);
  mstro__attr_dict_destroy(pattrs);
  mstro__proto_free(r.ticket);
  free(abuf);
  return st;
}

/* ---- groups (pmc_groups.c) ---------------------------------------------- */

/* Only the local backend's group demand asks for one offer's metadata; the
 * Pool Manager sends every member's with the group (GROUP_MEMBERS). */
static mstro_status pmc_offer_attrs(const char *name, mstro__offer_attrs_fn fn, void *ctx)
{
  (void)fn;
  (void)ctx;
  MSTRO_LOG_ERR(GROUP, "metadata of '%.200s': not asked of the Pool Manager one by one", name);
  return MSTRO_UNIMPL;
}

static const struct mstro__event_remote pmc_event_remote = {
    .subscribe = pmc_subscribe,
    .ack = pmc_event_ack,
};

const struct mstro__pool_backend mstro__pool_pm = {
    .version = MSTRO__POOL_BACKEND_VERSION,
    .size = sizeof(struct mstro__pool_backend),
    .name = "pm",
    .description = "pool through the Pool Manager",
    .start = pmc_start,
    .stop = pmc_stop,
    .declared = pmc_declared,
    .sealed = pmc_sealed,
    .disposed = pmc_disposed,
    .release = pmc_release,
    .offer = pmc_offer,
    .withdraw = pmc_withdraw,
    .require = pmc_require,
    .retract = pmc_retract,
    .demand_prepare = pmc_demand_prepare,
    .demand = pmc_demand,
    .group_offer = mstro__pmc_group_offer,
    .group_withdraw = mstro__pmc_group_withdraw,
    .group_require = mstro__pmc_group_require,
    .group_demand = mstro__pmc_group_demand,
    .offer_attrs = pmc_offer_attrs,
    .group_sealed = mstro__pmc_group_sealed,
};
