/* The component side of the cross-process pool: what the pool operations do
 * when mstro_init joined a Pool Manager (MSTRO_POOL_MANAGER_INFO).
 *
 * One OFI endpoint per component (proto_client's) carries both the control
 * messages and the data: an offer exposes the producer's buffer as a region
 * of that endpoint (OFI), or stores the bytes under a key (GFS, MIO), and
 * tells the PM where they are; a demand asks the PM, which answers with a
 * transfer ticket naming an offer; the consumer pulls the bytes (one-sided
 * RMA read, or a store get) into Maestro-provided memory and only then hands
 * them to the application, so partial data is never visible.
 *
 * Receiving is one poll at a time under pm.rx_lock, each message dispatched
 * before the lock is released, so messages are handled in their order
 * whoever receives them. A call waiting for its answer polls the endpoint
 * itself for MSTRO_PM_SPIN_US before it sleeps: the answer then reaches the
 * waiting thread without a hand-off through another thread, which on a busy
 * node costs a wake-up of a sleeping thread (tens of microseconds on a
 * virtual machine) per round trip. A receiver thread (pm_rx) polls whenever
 * no call does: it delivers events and answers nobody polls for, answers
 * heartbeats and notices a PM that left or went silent for MSTRO_PM_TIMEOUT:
 * every waiting and later call then returns MSTRO_NO_PM. Polling progresses
 * the endpoint, which serves the reads of this component's exposed regions.
 *
 * Sends are serialized by pm.lock (the client's sequence numbers); a call
 * that expects an answer registers itself under that same lock before the
 * answer can arrive.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#include "core_internal.h"
#include "mtr.h"
#include "proto_client.h"

#define RX_IDLE_NS     50000 /* the receiver thread's pause when nothing is going on */
#define RETRY_PAUSE_MS 100

struct call {
  uint64_t seq;
  Mstro__Proto__Envelope__MsgCase want;
  Mstro__Proto__Envelope *answer;
  mstro_status st;
  bool done;
  pthread_cond_t cv;
  struct call *next;
};

/* An offer of this component. */
struct offer_rec {
  mstro_cdo cdo;
  uint64_t id;
  mtr_region *region;
  char key[MTR_KEY_MAX + 1]; /* GFS / MIO key, "" for OFI */
  struct offer_rec *next;
};

/* A require whose bytes the PM started moving before the demand: its ticket
 * is served by a worker thread into Maestro-provided memory. */
enum { PF_WAITING, PF_FETCHING, PF_DONE, PF_FAILED };
struct prefetch {
  mstro_cdo cdo;
  uint64_t seq; /* of the REQUIRE; the ticket answers it */
  int state;
  Mstro__Proto__Envelope *ticket;
  void *data;
  const char *via;
  pthread_t th;
  bool th_started;
  struct prefetch *next;
};

struct peer_rec {
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
  mtr_peer peer;
  struct peer_rec *next;
};

static struct {
  struct mstro__proto_client *c;
  mtr_ep *ep;
  uint64_t appid;
  pthread_t rx;
  bool rx_started;
  pthread_mutex_t lock;
  pthread_mutex_t rx_lock; /* held for one receive poll and its dispatch */
  unsigned polling;        /* calls polling for their answers (pm.lock) */
  uint64_t spin_ns;        /* MSTRO_PM_SPIN_US */
  struct call *calls;
  struct offer_rec *offers;
  struct peer_rec *peers;
  struct prefetch *prefetches;
  pthread_cond_t pf_cv; /* a prefetch changed state */
  bool stop;
  mstro_status dead; /* MSTRO_OK while the PM is there */
  uint64_t last_heard_ns;
  uint64_t last_sent_ns;
  int timeout_ms;
  const struct mtr_ops *data_ops; /* the transport offers use */
  Mstro__Proto__TransportKind data_kind;
  mtr_store *store;
  mtr_store *read_stores[2]; /* other stores offers were read from */
  uint64_t key_serial;
} pm = {.lock = PTHREAD_MUTEX_INITIALIZER,
        .rx_lock = PTHREAD_MUTEX_INITIALIZER,
        .pf_cv = PTHREAD_COND_INITIALIZER};

static atomic_bool pm_active;

/* The kinds of this component's operations that other members hold
 * (_REQUIRE_ACK) and watch: the PM's ACK_MASK. An operation of a held kind
 * is sent with wait_ack and returns only after the PM's EVENT_ACK; SEAL and
 * TRANSFER_STARTED are told to the PM only when watched. */
static atomic_uint ack_kinds, event_kinds;

bool mstro__pm_holds(mstro_pool_event_kind kind)
{
  return (atomic_load_explicit(&ack_kinds, memory_order_acquire) & (unsigned)kind) != 0;
}

bool mstro__pm_watched(mstro_pool_event_kind kind)
{
  return (atomic_load_explicit(&event_kinds, memory_order_acquire) & (unsigned)kind) != 0;
}

bool mstro__pm_active(void)
{
  return atomic_load_explicit(&pm_active, memory_order_acquire);
}

uint64_t mstro__pm_appid(void)
{
  return pm.appid;
}

/* ---- sending and waiting ----------------------------------------------- */

static void call_init(struct call *c, Mstro__Proto__Envelope__MsgCase want)
{
  memset(c, 0, sizeof *c);
  c->want = want;
  pthread_cond_init(&c->cv, NULL);
}

static void call_register_locked(struct call *c, uint64_t seq)
{
  c->seq = seq;
  c->next = pm.calls;
  pm.calls = c;
}

/* Send under the lock; if `call` is given it is registered for the answer;
 * if `rel` is given the message goes with wait_ack and `rel` is registered
 * for the PM's EVENT_ACK releasing it (a call not sent is done with the
 * error, so it can always be waited for). */
static mstro_status send_locked_calls(Mstro__Proto__Envelope *env, struct call *call,
                                      struct call *rel, uint64_t *seq_out)
{
  mstro_status st = pm.dead;
  uint64_t seq = 0;
  if (rel != NULL)
    env->wait_ack = true;
  if (st == MSTRO_OK)
    st = mstro__proto_client_send(pm.c, env, &seq);
  if (st == MSTRO_OK) {
    pm.last_sent_ns = mstro_clock();
    if (call != NULL)
      call_register_locked(call, seq);
    if (rel != NULL)
      call_register_locked(rel, seq);
  } else {
    if (st == MSTRO_NO_PM)
      pm.dead = MSTRO_NO_PM;
    if (rel != NULL) {
      rel->done = true;
      rel->st = st;
    }
  }
  if (seq_out != NULL)
    *seq_out = seq;
  return st;
}

static mstro_status send_locked_seq(Mstro__Proto__Envelope *env, struct call *call,
                                    uint64_t *seq_out)
{
  return send_locked_calls(env, call, NULL, seq_out);
}

static mstro_status send_locked(Mstro__Proto__Envelope *env, struct call *call)
{
  return send_locked_seq(env, call, NULL);
}

static mstro_status send_msg(Mstro__Proto__Envelope *env)
{
  pthread_mutex_lock(&pm.lock);
  mstro_status st = send_locked(env, NULL);
  pthread_mutex_unlock(&pm.lock);
  return st;
}

static bool rx_poll(void);

/* Wait until `c` is done (lock held): poll for the answer from this thread
 * for up to MSTRO_PM_SPIN_US, then sleep and leave it to the receiver
 * thread. Another thread's poll may bring the answer: `done` is checked
 * between polls. */
static void call_wait_locked(struct call *c)
{
  uint64_t t0 = pm.spin_ns > 0 ? mstro_clock() : 0;
  pm.polling++;
  while (!c->done && pm.spin_ns > 0 && mstro_clock() - t0 < pm.spin_ns) {
    pthread_mutex_unlock(&pm.lock);
    if (!rx_poll())
      sched_yield();
    pthread_mutex_lock(&pm.lock);
  }
  pm.polling--;
  while (!c->done)
    pthread_cond_wait(&c->cv, &pm.lock);
}

/* ---- _REQUIRE_ACK across processes ------------------------------------- */

/* The release of an operation of event kind `kind`: `rel` when another
 * member holds that kind (to pass to send_locked_calls and rel_wait), NULL
 * when not (no round trip). */
static struct call *rel_prepare(struct call *rel, mstro_pool_event_kind kind)
{
  if (!mstro__pm_holds(kind))
    return NULL;
  call_init(rel, MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK);
  return rel;
}

/* Wait until the PM releases the operation: every _REQUIRE_ACK subscriber
 * of another member acked its event, or unsubscribed, left or was dropped.
 * A dead PM ends the wait with MSTRO_NO_PM within MSTRO_PM_TIMEOUT. */
static mstro_status rel_wait(struct call *rel, const char *op, const char *name)
{
  mstro_status st = MSTRO_OK;
  if (rel == NULL)
    return MSTRO_OK;
  pthread_mutex_lock(&pm.lock);
  call_wait_locked(rel);
  st = rel->st;
  pthread_mutex_unlock(&pm.lock);
  pthread_cond_destroy(&rel->cv);
  mstro__proto_free(rel->answer);
  if (st != MSTRO_OK)
    MSTRO_LOG_ERR(POOL, "%s of '%.200s': no release from the Pool Manager: %s", op, name,
                  mstro_status_description(st));
  return st;
}

/* A one-way operation message, held when its kind is. */
static mstro_status send_op(Mstro__Proto__Envelope *env, mstro_pool_event_kind kind, const char *op,
                            const char *name)
{
  struct call relc;
  struct call *rel = rel_prepare(&relc, kind);
  pthread_mutex_lock(&pm.lock);
  mstro_status st = send_locked_calls(env, NULL, rel, NULL);
  pthread_mutex_unlock(&pm.lock);
  mstro_status rs = rel_wait(rel, op, name);
  /* a one-way message that cannot be sent is the next waiting call's
   * concern (as before); a held operation fails with it */
  return rel == NULL ? MSTRO_OK : st != MSTRO_OK ? st : rs;
}

/* Send a request and wait for its answer of kind `want` (a REFUSE answering
 * it gives its status). No deadline while the PM is alive: a demand may wait
 * for an offer as long as the workflow runs. With `rel` (rel_prepare), that
 * is registered for the release of the same message; the caller waits for
 * it with rel_wait when it suits it. */
static mstro_status request_rel(Mstro__Proto__Envelope *env, Mstro__Proto__Envelope__MsgCase want,
                                Mstro__Proto__Envelope **answer, struct call *rel)
{
  mstro_status st = MSTRO_OK;
  struct call call;
  call_init(&call, want);
  pthread_mutex_lock(&pm.lock);
  st = send_locked_calls(env, &call, rel, NULL);
  if (st == MSTRO_OK) {
    call_wait_locked(&call);
    st = call.st;
  }
  pthread_mutex_unlock(&pm.lock);
  pthread_cond_destroy(&call.cv);
  if (st == MSTRO_OK)
    *answer = call.answer;
  else
    mstro__proto_free(call.answer);
  return st;
}

static mstro_status request(Mstro__Proto__Envelope *env, Mstro__Proto__Envelope__MsgCase want,
                            Mstro__Proto__Envelope **answer)
{
  return request_rel(env, want, answer, NULL);
}

/* The PM is gone: fail every waiting call (lock held). */
static void fail_all_locked(mstro_status why)
{
  if (pm.dead == MSTRO_OK)
    pm.dead = why;
  pthread_cond_broadcast(&pm.pf_cv);
  for (struct call *c = pm.calls; c != NULL; c = c->next) {
    c->done = true;
    c->st = pm.dead;
    pthread_cond_signal(&c->cv);
  }
  pm.calls = NULL;
}

static mstro_status fetch(mstro_cdo cdo, const Mstro__Proto__TransferTicket *t, void **buf,
                          const char **via);
static void completed(const Mstro__Proto__TransferTicket *t, mstro_status status);
static void transfer_started(const Mstro__Proto__TransferTicket *t);

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
  send_locked(&env, NULL);
}

/* A ticket nobody waits for: released at once, or the producer's withdraw
 * would wait for it forever. */
static void drop_ticket_locked(const Mstro__Proto__TransferTicket *t)
{
  completed_locked(t, MSTRO_NOENT);
}

static void *prefetch_main(void *arg)
{
  struct prefetch *p = arg;
  void *data = NULL;
  const char *via = NULL;
  const Mstro__Proto__TransferTicket *t = p->ticket->transfer_ticket;
  transfer_started(t);
  mstro_status st = fetch(p->cdo, t, &data, &via);
  /* the demand waiting for this prefetch is held until the release */
  completed(t, st);
  pthread_mutex_lock(&pm.lock);
  p->data = data;
  p->via = via;
  p->state = st == MSTRO_OK ? PF_DONE : PF_FAILED;
  pthread_cond_broadcast(&pm.pf_cv);
  pthread_mutex_unlock(&pm.lock);
  return NULL;
}

/* The ticket answers a REQUIRE: start its transfer now (lock held). */
static bool ticket_for_prefetch_locked(Mstro__Proto__Envelope *e)
{
  for (struct prefetch *p = pm.prefetches; p != NULL; p = p->next) {
    if (p->seq != e->in_reply_to || p->state != PF_WAITING)
      continue;
    p->ticket = e;
    p->state = PF_FETCHING;
    if (pthread_create(&p->th, NULL, prefetch_main, p) == 0) {
      p->th_started = true;
    } else {
      drop_ticket_locked(e->transfer_ticket);
      p->ticket = NULL;
      p->state = PF_FAILED;
      return false; /* e is freed by the caller */
    }
    return true;
  }
  return false;
}

/* Unlink and free a prefetch, waiting for its worker (lock held). */
static void prefetch_free_locked(struct prefetch *p)
{
  for (struct prefetch **pp = &pm.prefetches; *pp != NULL; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  if (p->th_started) {
    pthread_mutex_unlock(&pm.lock);
    pthread_join(p->th, NULL);
    pthread_mutex_lock(&pm.lock);
  }
  if (p->data != NULL)
    mstro__mem_free(p->data);
  mstro__proto_free(p->ticket);
  free(p);
}

static struct prefetch *prefetch_of_locked(mstro_cdo cdo)
{
  for (struct prefetch *p = pm.prefetches; p != NULL; p = p->next)
    if (p->cdo == cdo)
      return p;
  return NULL;
}

void mstro__pm_forget_cdo(mstro_cdo cdo)
{
  if (!mstro__pm_active())
    return;
  pthread_mutex_lock(&pm.lock);
  struct prefetch *p = prefetch_of_locked(cdo);
  if (p != NULL)
    prefetch_free_locked(p);
  pthread_mutex_unlock(&pm.lock);
}

/* An event of another component, for one of our subscriptions. */
static void deliver_event(const Mstro__Proto__Event *ev)
{
  mstro__attr_dict *attrs = NULL;
  if (ev->attributes.len > 0 &&
      mstro__attr_dict_deserialize(ev->attributes.data, ev->attributes.len, &attrs) != MSTRO_OK)
    attrs = NULL; /* logged; the selector then sees no attributes */
  /* Events that carry no attributes (DISPOSE, RETRACT, ...) still name their
   * CDO: give the subscriber's selector at least the name to match on. */
  if (attrs == NULL && ev->cdo_name != NULL && ev->cdo_name[0] != '\0' &&
      mstro__attr_dict_create(&attrs) == MSTRO_OK) {
    const char *name = ev->cdo_name;
    if (mstro__attr_dict_set(attrs, MSTRO_ATTR_CORE_CDO_NAME, &name, true, false) != MSTRO_OK) {
      mstro__attr_dict_destroy(attrs);
      attrs = NULL;
    }
  }
  struct mstro__ev_info info = {
      .cdo_name = ev->cdo_name,
      .attrs = attrs,
      .size = ev->size,
      .transport = mstro__proto_transport_name((int)ev->transport),
      .component_name = ev->component_name,
      .component_index = ev->component_index,
  };
  if (ev->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED)
    info.transport = NULL;
  mstro__event_deliver_remote(ev->subscription_id, (mstro_pool_event_kind)ev->kind, ev->appid,
                              ev->src_appid, ev->needs_ack ? ev->event_id : 0, &info);
  mstro__attr_dict_destroy(attrs);
}

static void dispatch(Mstro__Proto__Envelope *e)
{
  if (e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_EVENT) {
    pthread_mutex_lock(&pm.lock);
    pm.last_heard_ns = mstro_clock();
    pthread_mutex_unlock(&pm.lock);
    deliver_event(e->event);
    mstro__proto_free(e);
    return;
  }
  pthread_mutex_lock(&pm.lock);
  pm.last_heard_ns = mstro_clock();
  if (e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE) {
    MSTRO_LOG_ERR(POOL, "the Pool Manager left: %s", e->pm_leave->reason);
    fail_all_locked(MSTRO_NO_PM);
    mstro__proto_free(e);
    e = NULL;
  } else if (e->in_reply_to != 0 && e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET &&
             ticket_for_prefetch_locked(e)) {
    e = NULL;
  } else if (e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK) {
    /* applied before it is confirmed: the SUBSCRIBE that caused it returns
     * only after the confirmation, so every later operation sees it */
    atomic_store_explicit(&ack_kinds, e->ack_mask->ack_kinds, memory_order_release);
    atomic_store_explicit(&event_kinds, e->ack_mask->event_kinds, memory_order_release);
    MSTRO_LOG_DEBUG(POOL, "other components hold kinds 0x%x and watch kinds 0x%x",
                    e->ack_mask->ack_kinds, e->ack_mask->event_kinds);
    Mstro__Proto__Envelope out;
    Mstro__Proto__AckMaskConfirm cf;
    mstro__proto__envelope__init(&out);
    mstro__proto__ack_mask_confirm__init(&cf);
    cf.serial = e->ack_mask->serial;
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM;
    out.ack_mask_confirm = &cf;
    send_locked(&out, NULL);
  } else if (e->in_reply_to != 0) {
    /* A request may wait for two answers (its reply and the release of a
     * held operation); a REFUSE ends both. */
    bool refused = e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_REFUSE, matched = false;
    for (struct call **pp = &pm.calls; *pp != NULL && e != NULL;) {
      struct call *c = *pp;
      if (c->seq != e->in_reply_to || (!refused && e->msg_case != c->want)) {
        pp = &c->next; /* not the answer it waits for (e.g. a DECLARE_ACK): dropped */
        continue;
      }
      if (refused) {
        c->st = (mstro_status)e->refuse->status;
        if (!matched)
          MSTRO_LOG_ERR(POOL, "the Pool Manager refused: %s (%s)", e->refuse->reason,
                        mstro_status_description(c->st));
        if (c->st == MSTRO_OK)
          c->st = MSTRO_FAIL;
      } else {
        c->answer = e;
        e = NULL;
      }
      matched = true;
      c->done = true;
      *pp = c->next;
      pthread_cond_signal(&c->cv);
    }
    if (matched && e != NULL) {
      mstro__proto_free(e);
      e = NULL;
    }
  }
  if (e != NULL && e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET)
    drop_ticket_locked(e->transfer_ticket); /* its require was retracted meanwhile */
  if (e != NULL && e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_REFUSE && e->refuse->status != 0)
    MSTRO_LOG_WARN(POOL, "the Pool Manager refused message %" PRIu64 ": %s", e->in_reply_to,
                   e->refuse->reason);
  pthread_mutex_unlock(&pm.lock);
  mstro__proto_free(e);
}

/* One receive poll, if no other thread is polling: dispatches the message
 * that came, if any (true then). A failed endpoint fails every call. */
static bool rx_poll(void)
{
  Mstro__Proto__Envelope *e = NULL;
  mstro_status st;
  if (pthread_mutex_trylock(&pm.rx_lock) != 0)
    return false;
  st = mstro__proto_client_recv(pm.c, &e, 0);
  if (st == MSTRO_OK) {
    dispatch(e);
  } else if (st != MSTRO_TIMEOUT) {
    pthread_mutex_lock(&pm.lock);
    if (pm.dead == MSTRO_OK)
      MSTRO_LOG_ERR(POOL, "the connection to the Pool Manager failed: %s",
                    mstro_status_description(st));
    fail_all_locked(MSTRO_NO_PM);
    pthread_mutex_unlock(&pm.lock);
  }
  pthread_mutex_unlock(&pm.rx_lock);
  return st == MSTRO_OK;
}

static void *rx_main(void *arg)
{
  (void)arg;
  uint32_t hb_ms = mstro__proto_client_heartbeat_ms(pm.c);
  uint64_t hb_ns = (uint64_t)(hb_ms ? hb_ms : 1000) * 1000000ull;
  uint64_t limit = (uint64_t)pm.timeout_ms * 1000000ull;
  for (;;) {
    pthread_mutex_lock(&pm.lock);
    bool stop = pm.stop || pm.dead != MSTRO_OK;
    pthread_mutex_unlock(&pm.lock);
    if (stop)
      break;
    bool got = rx_poll();
    pthread_mutex_lock(&pm.lock);
    /* read under the lock: a call's poll may have just heard the PM */
    uint64_t now = mstro_clock();
    /* Polled for MSTRO_PM_SPIN_US after the last message, unless a waiting
     * call polls (two pollers would only take turns on the endpoint). */
    bool spin = pm.polling == 0 && now - pm.last_heard_ns < pm.spin_ns;
    if (pm.dead == MSTRO_OK && now - pm.last_heard_ns > limit) {
      MSTRO_LOG_ERR(POOL,
                    "the Pool Manager has been silent for more than MSTRO_PM_TIMEOUT (%d s): "
                    "taken as gone",
                    pm.timeout_ms / 1000);
      fail_all_locked(MSTRO_NO_PM);
    } else if (pm.dead == MSTRO_OK && now - pm.last_sent_ns >= hb_ns / 2) {
      /* The PM answers each heartbeat, which proves it alive to us. */
      if (mstro__proto_client_heartbeat(pm.c) == MSTRO_OK)
        pm.last_sent_ns = now;
      else
        fail_all_locked(MSTRO_NO_PM);
    }
    pthread_mutex_unlock(&pm.lock);
    if (got) {
      continue; /* more may be queued */
    } else if (spin) {
      sched_yield();
    } else {
      struct timespec idle = {0, RX_IDLE_NS};
      nanosleep(&idle, NULL);
    }
  }
  return NULL;
}

/* ---- join and leave --------------------------------------------------- */

/* The transport of offers. The PM decides for the workflow (its
 * MSTRO_TRANSPORT_DEFAULT, with its fallback) and says so in WELCOME; a
 * component whose own environment sets MSTRO_TRANSPORT_DEFAULT uses that
 * instead (the transport layer's fallback, logged by it). A store that cannot
 * be opened here falls back to OFI (logged). Consumers read an offer by
 * whatever transport its producer used (reader_store). */
static mstro_status choose_transport(void)
{
  mstro_status st = MSTRO_OK;
  const struct mtr_ops *ops = NULL;
  Mstro__Proto__TransportKind told = mstro__proto_client_transport(pm.c);
  const char *own = getenv("MSTRO_TRANSPORT_DEFAULT");
  if ((own == NULL || own[0] == '\0') &&
      told != MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED) {
    const char *name = mstro__proto_transport_name((int)told);
    MSTRO_CHECK(POOL, mtr_transport_find(name, &ops) == MTR_OK, st, MSTRO_TRANSPORT,
                "the Pool Manager chose transport %s, which this component cannot use", name);
    MSTRO_LOG_INFO(POOL, "transport %s chosen by the Pool Manager", name);
  } else {
    mtr_status ms = mtr_transport_default(&ops);
    MSTRO_CHECK(POOL, ms == MTR_OK, st, MSTRO_TRANSPORT,
                "no transport for data between components: %s", mtr_status_description(ms));
    if (own != NULL && own[0] != '\0')
      MSTRO_LOG_INFO(POOL, "transport %s from this component's MSTRO_TRANSPORT_DEFAULT", ops->name);
  }
  if (ops->caps & MTR_CAP_STORE) {
    mtr_status ms = mtr_store_open(ops, NULL, &pm.store);
    if (ms != MTR_OK) {
      MSTRO_LOG_WARN(POOL, "transport %s cannot be used (%s): falling back to OFI", ops->name,
                     mtr_status_description(ms));
      pm.store = NULL;
      MSTRO_CHECK(POOL, mtr_transport_find("OFI", &ops) == MTR_OK, st, MSTRO_TRANSPORT,
                  "no OFI transport to fall back to");
    }
  }
  pm.data_ops = ops;
  pm.data_kind = mstro__proto_transport_kind(ops->name);
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
  if (pm.store != NULL && strcmp(mtr_store_ops(pm.store)->name, name) == 0) {
    *store = pm.store;
    goto cleanup;
  }
  pthread_mutex_lock(&pm.lock);
  for (size_t i = 0; i < sizeof pm.read_stores / sizeof pm.read_stores[0] && *store == NULL; i++)
    if (pm.read_stores[i] != NULL && strcmp(mtr_store_ops(pm.read_stores[i])->name, name) == 0)
      *store = pm.read_stores[i];
  pthread_mutex_unlock(&pm.lock);
  if (*store != NULL)
    goto cleanup;
  MSTRO_CHECK(POOL, mtr_transport_find(name, &ops) == MTR_OK, st, MSTRO_TRANSPORT,
              "transport %s is not usable in this component", name);
  mtr_status ms = mtr_store_open(ops, NULL, &opened);
  MSTRO_CHECK(POOL, ms == MTR_OK, st, MSTRO_TRANSPORT, "cannot open the %s store to read from: %s",
              name, mtr_status_description(ms));
  pthread_mutex_lock(&pm.lock);
  for (size_t i = 0; i < sizeof pm.read_stores / sizeof pm.read_stores[0] && *store == NULL; i++) {
    if (pm.read_stores[i] == NULL) {
      pm.read_stores[i] = opened;
      *store = opened;
    } else if (strcmp(mtr_store_ops(pm.read_stores[i])->name, name) == 0) {
      *store = pm.read_stores[i]; /* another thread opened it meanwhile */
    }
  }
  pthread_mutex_unlock(&pm.lock);
  if (*store != opened)
    mtr_store_close(opened);
  MSTRO_CHECK(POOL, *store != NULL, st, MSTRO_TRANSPORT, "no room for another %s store", name);
  MSTRO_LOG_INFO(POOL, "opened the %s store to read offers made through it", name);
cleanup:
  return st;
}

mstro_status mstro__pm_join(void)
{
  mstro_status st = MSTRO_OK;
  struct mstro__proto_client_config cfg = {
      .info = mstro__g.opts.pm_info,
      .workflow_name = mstro__g.workflow_name,
      .component_name = mstro__g.component_name,
      .component_index = mstro__g.component_index,
      .timeout_ms = (int)(mstro__g.opts.pm_timeout * 1000),
  };
  pm.timeout_ms = cfg.timeout_ms;
  pm.spin_ns = (uint64_t)mstro__g.opts.pm_spin_us * 1000u;
  pm.dead = MSTRO_OK;
  pm.stop = false;
  pm.calls = NULL;
  pm.offers = NULL;
  pm.peers = NULL;
  pm.store = NULL;
  MSTRO_CHECK_CALL(POOL, st, mstro__proto_client_join(&cfg, &pm.c),
                   "mstro_init: cannot join the Pool Manager");
  pm.ep = mstro__proto_client_ep(pm.c);
  pm.appid = mstro__proto_client_appid(pm.c);
  {
    uint32_t held = 0, watched = 0;
    mstro__proto_client_welcome_kinds(pm.c, &held, &watched);
    atomic_store(&ack_kinds, held);
    atomic_store(&event_kinds, watched);
  }
  MSTRO_CHECK_CALL(POOL, st, choose_transport(), "mstro_init: no data transport");
  pm.last_heard_ns = pm.last_sent_ns = mstro_clock();
  MSTRO_CHECK(POOL, pthread_create(&pm.rx, NULL, rx_main, NULL) == 0, st, MSTRO_FAIL,
              "mstro_init: cannot start the Pool Manager receiver thread");
  pm.rx_started = true;
  atomic_store_explicit(&pm_active, true, memory_order_release);
cleanup:
  if (st != MSTRO_OK && pm.c != NULL) {
    mtr_store_close(pm.store);
    pm.store = NULL;
    mstro__proto_client_leave(pm.c);
    pm.c = NULL;
  }
  return st;
}

void mstro__pm_forget_buffer(const void *buf, size_t len)
{
  /* the endpoint is gone after leave; its cache with it */
  if (buf != NULL && len > 0 && mstro__pm_active() && pm.ep != NULL)
    mtr_ep_invalidate(pm.ep, buf, len);
}

static void release_offer_rec(struct offer_rec *r)
{
  if (r->region != NULL) {
    mtr_region_release(r->region);
    /* the user may free its buffer once withdrawn: no stale registration */
    if (r->cdo->has_user_buffer && pm.ep != NULL)
      mtr_ep_invalidate(pm.ep, r->cdo->data, (size_t)r->cdo->size);
  }
  if (r->key[0] != '\0' && pm.store != NULL)
    mtr_store_remove(pm.store, r->key);
  free(r);
}

mstro_status mstro__pm_leave(void)
{
  mstro_status st = MSTRO_OK;
  if (!mstro__pm_active())
    return MSTRO_OK;
  atomic_store(&pm_active, false);
  atomic_store(&ack_kinds, 0u);
  atomic_store(&event_kinds, 0u);
  pthread_mutex_lock(&pm.lock);
  pm.stop = true;
  bool alive = pm.dead == MSTRO_OK;
  pthread_mutex_unlock(&pm.lock);
  if (pm.rx_started)
    pthread_join(pm.rx, NULL);
  pm.rx_started = false;
  /* nobody dispatches answers any more: a prefetch worker still waiting
   * for the release of its TRANSFER_COMPLETED must not hang the leave */
  pthread_mutex_lock(&pm.lock);
  fail_all_locked(MSTRO_NO_PM);
  pthread_mutex_unlock(&pm.lock);
  pthread_mutex_lock(&pm.lock);
  while (pm.prefetches != NULL)
    prefetch_free_locked(pm.prefetches);
  pthread_mutex_unlock(&pm.lock);
  /* The PM forgets this component's offers when it leaves. */
  for (struct offer_rec *r = pm.offers, *n; r != NULL; r = n) {
    n = r->next;
    r->cdo->offer = NULL;
    release_offer_rec(r);
  }
  pm.offers = NULL;
  for (struct peer_rec *p = pm.peers, *n; p != NULL; p = n) {
    n = p->next;
    free(p);
  }
  pm.peers = NULL;
  mtr_store_close(pm.store);
  pm.store = NULL;
  for (size_t i = 0; i < sizeof pm.read_stores / sizeof pm.read_stores[0]; i++) {
    mtr_store_close(pm.read_stores[i]);
    pm.read_stores[i] = NULL;
  }
  if (alive) {
    st = mstro__proto_client_leave(pm.c);
  } else {
    mstro__proto_client_close(pm.c);
    st = MSTRO_NO_PM;
  }
  pm.c = NULL;
  pm.ep = NULL;
  return st;
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

mstro_status mstro__pm_subscribe(uint64_t remote_id, unsigned mask, unsigned opts, bool subscribe)
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
     * we ack (mstro__pm_event_ack) */
    s.options = opts;
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE;
    env.subscribe = &s;
    /* answered once every member applies the kinds this holds or watches:
     * their operations started after this returns are seen (and held) */
    Mstro__Proto__Envelope *answer = NULL;
    mstro_status st = request(&env, MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK, &answer);
    mstro__proto_free(answer);
    return st;
  }
  Mstro__Proto__Unsubscribe u;
  mstro__proto__unsubscribe__init(&u);
  u.subscription_id = remote_id;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE;
  env.unsubscribe = &u;
  return send_msg(&env);
}

mstro_status mstro__pm_event_ack(uint64_t remote_id, uint64_t event_id)
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
  return send_msg(&env);
}

mstro_status mstro__pm_notify(mstro_cdo cdo, bool declare)
{
  mstro_status st = MSTRO_OK;
  Mstro__Proto__Envelope env;
  mstro_pool_event_kind kind = declare ? MSTRO_POOL_EVENT_DECLARE : MSTRO_POOL_EVENT_DISPOSE;
  /* The PM needs them only for other members' subscriptions (as SEAL): no
   * message, and no DECLARE_ACK to receive, otherwise. */
  if (!mstro__pm_watched(kind) && !mstro__pm_holds(kind))
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
    st = send_op(&env, MSTRO_POOL_EVENT_DECLARE, "declare", cdo->name);
  } else {
    Mstro__Proto__Dispose d;
    mstro__proto__dispose__init(&d);
    d.cdo_name = cdo->name;
    d.cdo_id = cdo->id;
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DISPOSE;
    env.dispose = &d;
    st = send_op(&env, MSTRO_POOL_EVENT_DISPOSE, "dispose", cdo->name);
  }
  return st;
}

mstro_status mstro__pm_seal(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL;
  size_t alen = 0;
  Mstro__Proto__Envelope env;
  Mstro__Proto__Seal sl;
  /* only when another member subscribes to SEAL: no message otherwise */
  if (!mstro__pm_active() || !mstro__pm_watched(MSTRO_POOL_EVENT_SEAL))
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
  st = send_op(&env, MSTRO_POOL_EVENT_SEAL, "seal", cdo->name);
  free(abuf);
  return st;
}

mstro_status mstro__pm_offer(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL;
  size_t alen = 0;
  uint8_t desc[MTR_REGION_DESC_SIZE];
  struct offer_rec *r = calloc(1, sizeof *r);
  Mstro__Proto__Envelope env;
  Mstro__Proto__Offer o;
  Mstro__Proto__TransportKind kind = pm.data_kind;
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
    if (pm.store != NULL) {
      pthread_mutex_lock(&pm.lock);
      uint64_t serial = ++pm.key_serial;
      pthread_mutex_unlock(&pm.lock);
      snprintf(r->key, sizeof r->key, "mstro-%s-%" PRIu64 "-%" PRIu64, mstro__g.workflow_name,
               pm.appid, serial);
      mtr_status ms = mtr_store_put(pm.store, r->key, cdo->data, (size_t)cdo->size);
      if (ms != MTR_OK) {
        MSTRO_LOG_WARN(POOL, "offer of '%.200s': %s put failed (%s): offered by OFI instead",
                       cdo->name, pm.data_ops->name, mtr_status_description(ms));
        r->key[0] = '\0';
        kind = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
      } else if (kind == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS) {
        o.gfs_path = r->key;
      } else {
        o.mio_object = r->key;
      }
    }
    if (kind == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI) {
      mtr_status ms = mtr_region_expose(pm.ep, cdo->data, (size_t)cdo->size, &r->region);
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
  pthread_mutex_lock(&pm.lock);
  r->next = pm.offers;
  pm.offers = r;
  pthread_mutex_unlock(&pm.lock);
  /* When another component holds OFFER (_REQUIRE_ACK), the PM answers with
   * EVENT_ACK once every such subscriber has acked the OFFER event (or
   * left): the offer is held until then, across processes as in the
   * process. A dead PM fails the call within MSTRO_PM_TIMEOUT (heartbeats).
   * Otherwise the offer is one message, no round trip. */
  if (mstro__pm_holds(MSTRO_POOL_EVENT_OFFER)) {
    env.wait_ack = true;
    st = request(&env, MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK, &answer);
    mstro__proto_free(answer);
  } else {
    st = send_msg(&env);
  }
  if (st != MSTRO_OK) {
    pthread_mutex_lock(&pm.lock);
    for (struct offer_rec **pp = &pm.offers; *pp != NULL; pp = &(*pp)->next)
      if (*pp == r) {
        *pp = r->next;
        break;
      }
    pthread_mutex_unlock(&pm.lock);
  }
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "offer of '%.200s': %s", cdo->name,
              st == MSTRO_NO_PM ? "the Pool Manager is unreachable"
                                : "the Pool Manager refused it");
  cdo->offer = (struct mstro__offer *)r; /* marks it offered; never dereferenced as such */
  r = NULL;
cleanup:
  if (r != NULL)
    release_offer_rec(r);
  free(abuf);
  return st;
}

mstro_status mstro__pm_withdraw(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  Mstro__Proto__Envelope env, *ans = NULL;
  Mstro__Proto__Withdraw w;
  struct offer_rec *r = NULL;
  mstro__proto__envelope__init(&env);
  mstro__proto__withdraw__init(&w);
  w.cdo_id = cdo->id;
  w.cdo_name = cdo->name;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW;
  env.withdraw = &w;
  /* The PM answers once no transfer from this offer is in flight, and
   * releases it (EVENT_ACK) once the subscribers that hold WITHDRAW acked. */
  struct call relc;
  struct call *rel = rel_prepare(&relc, MSTRO_POOL_EVENT_WITHDRAW);
  mstro_status rs = request_rel(&env, MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK, &ans, rel);
  mstro_status rls = rel_wait(rel, "withdraw", cdo->name);
  if (rs == MSTRO_OK)
    rs = rls;
  pthread_mutex_lock(&pm.lock);
  for (struct offer_rec **pp = &pm.offers; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->cdo == cdo) {
      r = *pp;
      *pp = r->next;
      break;
    }
  pthread_mutex_unlock(&pm.lock);
  cdo->offer = NULL;
  MSTRO_CHECK(POOL, r != NULL, st, MSTRO_INVSTATE, "withdraw of '%.200s': not offered", cdo->name);
  /* Without a PM no one can read it any more: the data are ours again. */
  if (rs != MSTRO_OK && rs != MSTRO_NO_PM)
    st = rs;
  else if (rs == MSTRO_NO_PM)
    MSTRO_LOG_WARN(POOL, "withdraw of '%.200s': the Pool Manager is gone", cdo->name);
  release_offer_rec(r);
cleanup:
  mstro__proto_free(ans);
  return st;
}

mstro_status mstro__pm_require(mstro_cdo cdo, bool require)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL;
  size_t alen = 0;
  Mstro__Proto__Envelope env;
  struct call relc, *rel = NULL;
  mstro__proto__envelope__init(&env);
  if (require) {
    Mstro__Proto__Require r;
    struct prefetch *p = calloc(1, sizeof *p);
    mstro__proto__require__init(&r);
    MSTRO_CHECK_CALL(POOL, st, serialize_attrs(cdo, &abuf, &alen),
                     "require of '%.200s': cannot serialize its attributes", cdo->name);
    r.cdo_id = cdo->id;
    r.cdo_name = cdo->name;
    r.attributes = (ProtobufCBinaryData){alen, abuf};
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_REQUIRE;
    env.require = &r;
    rel = rel_prepare(&relc, MSTRO_POOL_EVENT_REQUIRE);
    pthread_mutex_lock(&pm.lock);
    st = send_locked_calls(&env, NULL, rel, p != NULL ? &p->seq : NULL);
    if (st == MSTRO_OK && p != NULL) {
      /* registered before the answer can be dispatched (same lock) */
      p->cdo = cdo;
      p->state = PF_WAITING;
      p->next = pm.prefetches;
      pm.prefetches = p;
      p = NULL;
    }
    pthread_mutex_unlock(&pm.lock);
    free(p);
  } else {
    Mstro__Proto__Retract r;
    mstro__proto__retract__init(&r);
    r.cdo_id = cdo->id;
    r.cdo_name = cdo->name;
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_RETRACT;
    env.retract = &r;
    rel = rel_prepare(&relc, MSTRO_POOL_EVENT_RETRACT);
    pthread_mutex_lock(&pm.lock);
    st = send_locked_calls(&env, NULL, rel, NULL);
    /* a transfer not started yet will not be; one under way is kept for the
     * demand that usually follows (freed at dispose otherwise) */
    struct prefetch *p = prefetch_of_locked(cdo);
    if (p != NULL && p->state == PF_WAITING)
      prefetch_free_locked(p);
    pthread_mutex_unlock(&pm.lock);
  }
  {
    mstro_status rs = rel_wait(rel, require ? "require" : "retract", cdo->name);
    if (st == MSTRO_OK)
      st = rs;
  }
  cdo->in_pool_require = require && st == MSTRO_OK;
cleanup:
  free(abuf);
  return st;
}

static mstro_status peer_of(const ProtobufCBinaryData *addr, mtr_peer *peer)
{
  mstro_status st = MSTRO_OK;
  char a[MSTRO__PROTO_ADDR_MAX + 1];
  memcpy(a, addr->data, addr->len);
  a[addr->len] = '\0';
  pthread_mutex_lock(&pm.lock);
  for (struct peer_rec *p = pm.peers; p != NULL; p = p->next)
    if (strcmp(p->addr, a) == 0) {
      *peer = p->peer;
      goto cleanup;
    }
  struct peer_rec *p = calloc(1, sizeof *p);
  MSTRO_CHECK(POOL, p != NULL, st, MSTRO_NOMEM, "out of memory");
  if (mtr_ep_peer_insert(pm.ep, a, &p->peer) != MTR_OK) {
    free(p);
    MSTRO_CHECK(POOL, false, st, MSTRO_TRANSPORT, "the producer's address is unusable");
  }
  snprintf(p->addr, sizeof p->addr, "%s", a);
  p->next = pm.peers;
  pm.peers = p;
  *peer = p->peer;
cleanup:
  pthread_mutex_unlock(&pm.lock);
  return st;
}

static void completed(const Mstro__Proto__TransferTicket *t, mstro_status status)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__TransferCompleted c;
  completed_msg(&env, &c, t, status);
  /* held: the demand returns after the subscribers acked (a PM gone is the
   * demand's concern, not this message's) */
  send_op(&env, MSTRO_POOL_EVENT_TRANSFER_COMPLETED, "transfer", t->cdo_name);
}

/* The bytes of a ticket start moving: told to the PM only when another
 * member subscribes to TRANSFER_STARTED, and held when one holds it. */
static void transfer_started(const Mstro__Proto__TransferTicket *t)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__TransferStarted ts;
  if (!mstro__pm_watched(MSTRO_POOL_EVENT_TRANSFER_STARTED))
    return;
  mstro__proto__envelope__init(&env);
  mstro__proto__transfer_started__init(&ts);
  ts.ticket_id = t->ticket_id;
  ts.cdo_id = t->cdo_id;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED;
  env.transfer_started = &ts;
  send_op(&env, MSTRO_POOL_EVENT_TRANSFER_STARTED, "transfer", t->cdo_name);
}

/* Bring the bytes a ticket names into Maestro-provided memory (*buf). */
/* Whether the bytes may land in the consumer's own buffer directly: it gave
 * one that is large enough and asks for no layout of its own (a transform
 * needs the producer's bytes apart). A failed transfer then leaves the
 * buffer's content undefined, as the demand's error says. */
static bool into_user_buffer(mstro_cdo cdo, uint64_t size)
{
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  int64_t cap = -1;
  if (!cdo->has_user_buffer || cdo->data == NULL)
    return false;
  if (mstro__attr_dict_get(cdo->attrs, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &t, &v) == MSTRO_OK &&
      v != NULL && t == MSTRO_CDO_ATTR_VALUE_int64)
    cap = *(const int64_t *)v;
  const struct mstro__attr_def *order =
      mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER);
  return cap >= 0 && (uint64_t)cap >= size &&
         (order == NULL || !mstro__attr_dict_is_set(cdo->attrs, order));
}

static mstro_status fetch(mstro_cdo cdo, const Mstro__Proto__TransferTicket *t, void **buf,
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
  if (t->src_appid == pm.appid) {
    /* our own offer: the PM keeps it from being withdrawn until completion */
    const struct offer_rec *r = NULL;
    pthread_mutex_lock(&pm.lock);
    for (r = pm.offers; r != NULL && r->id != t->cdo_id; r = r->next)
      ;
    pthread_mutex_unlock(&pm.lock);
    MSTRO_CHECK(POOL, r != NULL && (uint64_t)r->cdo->size == t->size, st, MSTRO_TRANSPORT,
                "demand of '%.200s': the offer of this component is gone", cdo->name);
    memcpy(b, r->cdo->data, (size_t)t->size);
    *via = "LOCAL";
  } else if (t->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI) {
    mtr_peer peer;
    MSTRO_CHECK_CALL(POOL, st, peer_of(&t->src_endpoint_address, &peer),
                     "demand of '%.200s': cannot reach the producer", cdo->name);
    mtr_status ms = mtr_ep_read(pm.ep, peer, t->region_desc.data, t->region_desc.len, 0, b,
                                (size_t)t->size, pm.timeout_ms);
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

mstro_status mstro__pm_demand(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  void *abuf = NULL, *data = NULL;
  size_t alen = 0;
  Mstro__Proto__Envelope env, *ans = NULL;
  Mstro__Proto__Demand d;
  mstro__attr_dict *pattrs = NULL;
  const char *via = "OFI";
  bool in_place = false;

  /* Bytes already on their way since the require: wait for them. */
  pthread_mutex_lock(&pm.lock);
  struct prefetch *pf = prefetch_of_locked(cdo);
  /* A require not served yet is served when an offer comes, like a demand:
   * wait for its ticket and transfer instead of asking again. */
  while (pf != NULL && (pf->state == PF_WAITING || pf->state == PF_FETCHING) && pm.dead == MSTRO_OK)
    pthread_cond_wait(&pm.pf_cv, &pm.lock);
  if (pf != NULL && pm.dead != MSTRO_OK && pf->state != PF_DONE)
    st = pm.dead;
  if (pf != NULL && pf->state == PF_DONE) {
    ans = pf->ticket;
    data = pf->data;
    via = pf->via;
    pf->ticket = NULL;
    pf->data = NULL;
  }
  if (pf != NULL)
    prefetch_free_locked(pf); /* joins a worker still running (PM gone) */
  pthread_mutex_unlock(&pm.lock);
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s': the Pool Manager is gone",
              cdo->name);
  if (ans != NULL) {
    const Mstro__Proto__TransferTicket *t = ans->transfer_ticket;
    MSTRO_CHECK_CALL(POOL, st,
                     mstro__attr_dict_deserialize(t->attributes.data, t->attributes.len, &pattrs),
                     "demand of '%.200s': the producer's attributes are unusable", cdo->name);
    MSTRO_LOG_INFO(POOL, "demand of '%.200s': served by the transfer started at require",
                   cdo->name);
    /* subscribers of other components still see the demand */
    if (serialize_attrs(cdo, &abuf, &alen) == MSTRO_OK) {
      mstro__proto__envelope__init(&env);
      mstro__proto__demand__init(&d);
      d.cdo_id = cdo->id;
      d.cdo_name = cdo->name;
      d.attributes = (ProtobufCBinaryData){alen, abuf};
      d.prefetched = true;
      env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND;
      env.demand = &d;
      st = send_op(&env, MSTRO_POOL_EVENT_DEMAND, "demand", cdo->name);
      MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s' failed", cdo->name);
    }
    goto satisfy;
  }

  MSTRO_CHECK_CALL(POOL, st, serialize_attrs(cdo, &abuf, &alen),
                   "demand of '%.200s': cannot serialize its attributes", cdo->name);
  /* A ticket whose source vanished (a producer that died) is given up and
   * the demand asked again: the PM serves it from another offer. */
  for (unsigned attempt = 0;; attempt++) {
    mstro__proto__envelope__init(&env);
    mstro__proto__demand__init(&d);
    d.cdo_id = cdo->id;
    d.cdo_name = cdo->name;
    d.attributes = (ProtobufCBinaryData){alen, abuf};
    env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND;
    env.demand = &d;
    {
      /* held: the transfer starts once the subscribers that hold DEMAND acked */
      struct call relc, *rel = rel_prepare(&relc, MSTRO_POOL_EVENT_DEMAND);
      st = request_rel(&env, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET, &ans, rel);
      mstro_status rs = rel_wait(rel, "demand", cdo->name);
      if (st == MSTRO_OK)
        st = rs;
    }
    MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s' failed", cdo->name);
    const Mstro__Proto__TransferTicket *t = ans->transfer_ticket;
    MSTRO_CHECK_CALL(POOL, st,
                     mstro__attr_dict_deserialize(t->attributes.data, t->attributes.len, &pattrs),
                     "demand of '%.200s': the producer's attributes are unusable", cdo->name);
    if (t->size > 0) {
      in_place = into_user_buffer(cdo, t->size);
      data = in_place ? cdo->data : NULL;
      transfer_started(t);
      st = fetch(cdo, t, &data, &via);
      if (in_place && t->transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI)
        cdo->rma_into_user = true;
      completed(t, st);
      if (st == MSTRO_TRANSPORT &&
          (uint64_t)attempt * RETRY_PAUSE_MS < (uint64_t)pm.timeout_ms * 4) {
        /* the PM drops a dead producer after its heartbeat grace; until then
         * it may name the same offer again */
        struct timespec pause = {0, RETRY_PAUSE_MS * 1000000L};
        nanosleep(&pause, NULL);
        MSTRO_LOG_WARN(POOL,
                       "demand of '%.200s': transfer from appid %" PRIu64
                       " failed; asking the Pool Manager again",
                       cdo->name, t->src_appid);
        mstro__attr_dict_destroy(pattrs);
        pattrs = NULL;
        mstro__proto_free(ans);
        ans = NULL;
        st = MSTRO_OK;
        continue;
      }
      MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s' failed", cdo->name);
    } else {
      completed(t, MSTRO_OK);
    }
    break;
  }
satisfy:
  MSTRO_CHECK_CALL(
      POOL, st,
      mstro__pool_satisfy_from(cdo, pattrs, &data, (int64_t)ans->transfer_ticket->size, via),
      "demand of '%.200s' failed", cdo->name);
cleanup:
  if (data != NULL && !in_place)
    mstro__mem_free(data);
  mstro__attr_dict_destroy(pattrs);
  mstro__proto_free(ans);
  free(abuf);
  return st;
}
