/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager client's data path (pmc.h): the transport of offers and
 * its stores, the peers RMA reads go to, fetching the bytes a transfer
 * ticket names, and transfers the PM started at require (prefetch).
 *
 * One OFI endpoint per component (the link's) carries both the control
 * messages and the data: an offer exposes the producer's buffer as a region
 * of that endpoint (OFI), or stores the bytes under a key (GFS, MIO); the
 * consumer pulls the bytes (one-sided RMA read, or a store get) into
 * Maestro-provided memory and only then hands them to the application, so
 * partial data is never visible.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "data_fill.h"
#include "mem.h"
#include "mstro_log.h"
#include "pmc.h"

/* The TRANSFER_COMPLETED of ticket t in env (c holds its body). */
static void completed_msg(Mstro__Proto__Envelope *env, Mstro__Proto__TransferCompleted *c,
                          const Mstro__Proto__TransferTicket *t, mstro_status status)
{
  mstro__proto__envelope__init(env);
  mstro__proto__transfer_completed__init(c);
  c->ticket_id = t->ticket_id;
  c->cdo_id = t->cdo_id;
  c->status = (uint32_t)status;
  c->size = t->size;
  env->msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED;
  env->transfer_completed = c;
}

/* Tell the PM a ticket is done (lock held). */
static void completed_locked(const Mstro__Proto__TransferTicket *t, mstro_status status)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__TransferCompleted c;
  completed_msg(&env, &c, t, status);
  mstro__pmc_send_locked(&env, NULL);
}

/* A ticket nobody waits for: released at once, or the producer's withdraw
 * would wait for it forever. */
void mstro__pmc_drop_ticket_locked(const Mstro__Proto__TransferTicket *t)
{
  completed_locked(t, MSTRO_NOENT);
}

static void *prefetch_main(void *arg)
{
  struct mstro__pmc_prefetch *p = arg;
  void *data = NULL;
  const char *via = NULL;
  const Mstro__Proto__TransferTicket *t = p->ticket->transfer_ticket;
  mstro__pmc_transfer_started(t);
  mstro_status st = mstro__pmc_fetch(p->cdo, t, &data, &via);
  /* the demand waiting for this prefetch is held until the release */
  mstro__pmc_completed(t, st);
  pthread_mutex_lock(&mstro__pmc.lock);
  p->data = data;
  p->via = via;
  p->state = st == MSTRO_OK ? PF_DONE : PF_FAILED;
  pthread_cond_broadcast(&mstro__pmc.pf_cv);
  pthread_mutex_unlock(&mstro__pmc.lock);
  return NULL;
}

/* The ticket answers a REQUIRE: start its transfer now (lock held). */
bool mstro__pmc_ticket_for_prefetch_locked(Mstro__Proto__Envelope *e)
{
  for (struct mstro__pmc_prefetch *p = mstro__pmc.prefetches; p != NULL; p = p->next) {
    if (p->seq != e->in_reply_to || p->state != PF_WAITING)
      continue;
    p->ticket = e;
    p->state = PF_FETCHING;
    if (pthread_create(&p->th, NULL, prefetch_main, p) == 0) {
      p->th_started = true;
    } else {
      mstro__pmc_drop_ticket_locked(e->transfer_ticket);
      p->ticket = NULL;
      p->state = PF_FAILED;
      return false; /* e is freed by the caller */
    }
    return true;
  }
  return false;
}

/* Unlink and free a prefetch, waiting for its worker (lock held). */
void mstro__pmc_prefetch_free_locked(struct mstro__pmc_prefetch *p)
{
  for (struct mstro__pmc_prefetch **pp = &mstro__pmc.prefetches; *pp != NULL; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  if (p->th_started) {
    pthread_mutex_unlock(&mstro__pmc.lock);
    pthread_join(p->th, NULL);
    pthread_mutex_lock(&mstro__pmc.lock);
  }
  if (p->data != NULL)
    mstro__mem_free(p->data);
  mstro__proto_free(p->ticket);
  free(p);
}

struct mstro__pmc_prefetch *mstro__pmc_prefetch_of_locked(mstro_cdo cdo)
{
  for (struct mstro__pmc_prefetch *p = mstro__pmc.prefetches; p != NULL; p = p->next)
    if (p->cdo == cdo)
      return p;
  return NULL;
}

/* ---- join and leave --------------------------------------------------- */

/* The transport of offers. The PM decides for the workflow (its
 * MSTRO_TRANSPORT_DEFAULT, with its fallback) and says so in WELCOME; a
 * component whose own environment sets MSTRO_TRANSPORT_DEFAULT uses that
 * instead (the transport layer's fallback, logged by it). A store that cannot
 * be opened here falls back to OFI (logged). Consumers read an offer by
 * whatever transport its producer used (reader_store). */
mstro_status mstro__pmc_choose_transport(void)
{
  mstro_status st = MSTRO_OK;
  const struct mtr_ops *ops = NULL;
  Mstro__Proto__TransportKind told = mstro__proto_client_transport(mstro__pmc.c);
  const char *requested = NULL;
  MSTRO_CHECK(POOL, mtr_transport_requested(&requested) == MTR_OK, st, MSTRO_INVARG,
              "bad MSTRO_TRANSPORT_DEFAULT");
  bool own = requested != NULL;
  if (!own && told != MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED) {
    const char *name = mstro__proto_transport_name((int)told);
    MSTRO_CHECK(POOL, mtr_transport_find(name, &ops) == MTR_OK, st, MSTRO_TRANSPORT,
                "the Pool Manager chose transport %s, which this component cannot use", name);
    MSTRO_LOG_INFO(POOL, "transport %s chosen by the Pool Manager", name);
  } else {
    mtr_status ms = mtr_transport_default(&ops);
    MSTRO_CHECK(POOL, ms == MTR_OK, st, MSTRO_TRANSPORT,
                "no transport for data between components: %s", mtr_status_description(ms));
    if (own)
      MSTRO_LOG_INFO(POOL, "transport %s from this component's MSTRO_TRANSPORT_DEFAULT", ops->name);
  }
  if (ops->caps & MTR_CAP_STORE) {
    mtr_status ms = mtr_store_open(ops, NULL, &mstro__pmc.store);
    if (ms != MTR_OK) {
      MSTRO_LOG_WARN(POOL, "transport %s cannot be used (%s): falling back to OFI", ops->name,
                     mtr_status_description(ms));
      mstro__pmc.store = NULL;
      MSTRO_CHECK(POOL, mtr_transport_find("OFI", &ops) == MTR_OK, st, MSTRO_TRANSPORT,
                  "no OFI transport to fall back to");
    }
  }
  mstro__pmc.data_ops = ops;
  mstro__pmc.data_kind = mstro__proto_transport_kind(ops->name);
  MSTRO_LOG_INFO(POOL, "CDO data between components moves by %s", ops->name);
cleanup:
  return st;
}

/* The store to read an offer from: ours when the producer used the same
 * one, else one opened on first use and kept until leave (a producer with its
 * own MSTRO_TRANSPORT_DEFAULT, or one that fell back). */
static mstro_status reader_store(const char *name, mtr_store **store)
{
  mstro_status st = MSTRO_OK;
  const struct mtr_ops *ops = NULL;
  mtr_store *opened = NULL;
  *store = NULL;
  if (mstro__pmc.store != NULL && strcmp(mtr_store_ops(mstro__pmc.store)->name, name) == 0) {
    *store = mstro__pmc.store;
    goto cleanup;
  }
  pthread_mutex_lock(&mstro__pmc.lock);
  for (size_t i = 0;
       i < sizeof mstro__pmc.read_stores / sizeof mstro__pmc.read_stores[0] && *store == NULL; i++)
    if (mstro__pmc.read_stores[i] != NULL &&
        strcmp(mtr_store_ops(mstro__pmc.read_stores[i])->name, name) == 0)
      *store = mstro__pmc.read_stores[i];
  pthread_mutex_unlock(&mstro__pmc.lock);
  if (*store != NULL)
    goto cleanup;
  MSTRO_CHECK(POOL, mtr_transport_find(name, &ops) == MTR_OK, st, MSTRO_TRANSPORT,
              "transport %s is not usable in this component", name);
  mtr_status ms = mtr_store_open(ops, NULL, &opened);
  MSTRO_CHECK(POOL, ms == MTR_OK, st, MSTRO_TRANSPORT, "cannot open the %s store to read from: %s",
              name, mtr_status_description(ms));
  pthread_mutex_lock(&mstro__pmc.lock);
  for (size_t i = 0;
       i < sizeof mstro__pmc.read_stores / sizeof mstro__pmc.read_stores[0] && *store == NULL;
       i++) {
    if (mstro__pmc.read_stores[i] == NULL) {
      mstro__pmc.read_stores[i] = opened;
      *store = opened;
    } else if (strcmp(mtr_store_ops(mstro__pmc.read_stores[i])->name, name) == 0) {
      *store = mstro__pmc.read_stores[i]; /* another thread opened it meanwhile */
    }
  }
  pthread_mutex_unlock(&mstro__pmc.lock);
  if (*store != opened)
    mtr_store_close(opened);
  MSTRO_CHECK(POOL, *store != NULL, st, MSTRO_TRANSPORT, "no room for another %s store", name);
  MSTRO_LOG_INFO(POOL, "opened the %s store to read offers made through it", name);
cleanup:
  return st;
}

void mstro__pmc_release_offer_rec(struct mstro__pmc_offer *r)
{
  if (r->region != NULL) {
    mtr_region_release(r->region);
    /* the user may free its buffer once withdrawn: no stale registration */
    if (r->cdo->has_user_buffer && mstro__pmc.ep != NULL)
      mtr_ep_invalidate(mstro__pmc.ep, r->cdo->data, (size_t)r->cdo->size);
  }
  if (r->key[0] != '\0' && mstro__pmc.store != NULL)
    mtr_store_remove(mstro__pmc.store, r->key);
  free(r);
}

static mstro_status peer_of(const ProtobufCBinaryData *addr, mtr_peer *peer)
{
  mstro_status st = MSTRO_OK;
  char a[MSTRO__PROTO_ADDR_MAX + 1];
  memcpy(a, addr->data, addr->len);
  a[addr->len] = '\0';
  pthread_mutex_lock(&mstro__pmc.lock);
  for (struct mstro__pmc_peer *p = mstro__pmc.peers; p != NULL; p = p->next)
    if (strcmp(p->addr, a) == 0) {
      *peer = p->peer;
      goto cleanup;
    }
  struct mstro__pmc_peer *p = calloc(1, sizeof *p);
  MSTRO_CHECK(POOL, p != NULL, st, MSTRO_NOMEM, "out of memory");
  if (mtr_ep_peer_insert(mstro__pmc.ep, a, &p->peer) != MTR_OK) {
    free(p);
    MSTRO_CHECK(POOL, false, st, MSTRO_TRANSPORT, "the producer's address is unusable");
  }
  snprintf(p->addr, sizeof p->addr, "%s", a);
  p->next = mstro__pmc.peers;
  mstro__pmc.peers = p;
  *peer = p->peer;
cleanup:
  pthread_mutex_unlock(&mstro__pmc.lock);
  return st;
}

void mstro__pmc_completed(const Mstro__Proto__TransferTicket *t, mstro_status status)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__TransferCompleted c;
  completed_msg(&env, &c, t, status);
  /* held: the demand returns after the subscribers acked (a PM gone is the
   * demand's concern, not this message's) */
  mstro__pmc_send_op(&env, MSTRO_POOL_EVENT_TRANSFER_COMPLETED, "transfer", t->cdo_name);
}

/* The bytes of a ticket start moving: told to the PM only when another
 * member subscribes to TRANSFER_STARTED, and held when one holds it. */
void mstro__pmc_transfer_started(const Mstro__Proto__TransferTicket *t)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__TransferStarted ts;
  if (!mstro__pmc_watched(MSTRO_POOL_EVENT_TRANSFER_STARTED))
    return;
  mstro__proto__envelope__init(&env);
  mstro__proto__transfer_started__init(&ts);
  ts.ticket_id = t->ticket_id;
  ts.cdo_id = t->cdo_id;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED;
  env.transfer_started = &ts;
  mstro__pmc_send_op(&env, MSTRO_POOL_EVENT_TRANSFER_STARTED, "transfer", t->cdo_name);
}

/* Bring the bytes a ticket names into Maestro-provided memory (*buf). */
/* Whether the bytes may land in the consumer's own buffer directly: it gave
 * one that is large enough and asks for no layout of its own (a transform
 * needs the producer's bytes apart). A failed transfer then leaves the
 * buffer's content undefined, as the demand's error says. */
bool mstro__pmc_into_user_buffer(mstro_cdo cdo, uint64_t size)
{
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  int64_t cap = -1;
  if (!cdo->has_user_buffer || cdo->data == NULL)
    return false;
  if (mstro__attr_dict_get(cdo->attrs, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &t, &v) == MSTRO_OK &&
      v != NULL && t == MSTRO_CDO_ATTR_VALUE_int64)
    cap = *(const int64_t *)v;
  return cap >= 0 && (uint64_t)cap >= size && !mstro__data_wants_layout(cdo);
}

mstro_status mstro__pmc_fetch(mstro_cdo cdo, const Mstro__Proto__TransferTicket *t, void **buf,
                              const char **via)
{
  mstro_status st = MSTRO_OK;
  void *b = NULL;
  *via = mstro__proto_transport_name((int)t->transport);
  if (*buf != NULL)
    b = *buf; /* the consumer's buffer */
  else
    MSTRO_CHECK_CALL(POOL, st, mstro__mem_alloc((size_t)t->size, NULL, &b),
                     "demand of '%.200s': cannot allocate %" PRIu64 " bytes", cdo->name, t->size);
  if (t->src_appid == mstro__pmc.appid) {
    /* our own offer: the PM keeps it from being withdrawn until completion */
    const struct mstro__pmc_offer *r = NULL;
    pthread_mutex_lock(&mstro__pmc.lock);
    for (r = mstro__pmc.offers; r != NULL && r->id != t->cdo_id; r = r->next)
      ;
    pthread_mutex_unlock(&mstro__pmc.lock);
    MSTRO_CHECK(POOL, r != NULL && (uint64_t)r->cdo->size == t->size, st, MSTRO_TRANSPORT,
                "demand of '%.200s': the offer of this component is gone", cdo->name);
    memcpy(b, r->cdo->data, (size_t)t->size);
    *via = "LOCAL";
  } else if (t->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI) {
    mtr_peer peer;
    MSTRO_CHECK_CALL(POOL, st, peer_of(&t->src_endpoint_address, &peer),
                     "demand of '%.200s': cannot reach the producer", cdo->name);
    mtr_status ms = mtr_ep_read(mstro__pmc.ep, peer, t->region_desc.data, t->region_desc.len, 0, b,
                                (size_t)t->size, mstro__pmc.timeout_ms);
    MSTRO_CHECK(POOL, ms == MTR_OK, st, MSTRO_TRANSPORT,
                "demand of '%.200s': RMA read of %" PRIu64 " bytes from appid %" PRIu64
                " failed: %s",
                cdo->name, t->size, t->src_appid, mtr_status_description(ms));
  } else {
    const char *key =
        t->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS ? t->gfs_path : t->mio_object;
    mtr_store *store = NULL;
    size_t len = 0;
    MSTRO_CHECK_CALL(POOL, st, reader_store(*via, &store),
                     "demand of '%.200s': the producer stored it by %s", cdo->name, *via);
    mtr_status ms = mtr_store_get(store, key, b, (size_t)t->size, &len);
    MSTRO_CHECK(POOL, ms == MTR_OK && len == t->size, st, MSTRO_TRANSPORT,
                "demand of '%.200s': %s get of '%s' failed: %s (%zu of %" PRIu64 " bytes)",
                cdo->name, *via, key, mtr_status_description(ms), len, t->size);
  }
  *buf = b;
  b = NULL;
cleanup:
  if (b != NULL && b != *buf)
    mstro__mem_free(b);
  return st;
}

void mstro__pmc_data_close(void)
{
  for (struct mstro__pmc_peer *p = mstro__pmc.peers, *n; p != NULL; p = n) {
    n = p->next;
    free(p);
  }
  mstro__pmc.peers = NULL;
  mtr_store_close(mstro__pmc.store);
  mstro__pmc.store = NULL;
  for (size_t i = 0; i < sizeof mstro__pmc.read_stores / sizeof mstro__pmc.read_stores[0]; i++) {
    mtr_store_close(mstro__pmc.read_stores[i]);
    mstro__pmc.read_stores[i] = NULL;
  }
}
