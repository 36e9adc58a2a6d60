/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager client's link (pmc.h): requests and answers, receiving
 * and dispatch.
 *
 * The client (the PM-client pool backend, pmc_ops.c) is what the pool
 * operations do when mstro_init joined a Pool Manager
 * (MSTRO_POOL_MANAGER_INFO); its messages go over proto_client's link.
 *
 * Receiving is one poll at a time under mstro__pmc.rx_lock, each message dispatched
 * before the lock is released, so messages are handled in their order
 * whoever receives them. A call waiting for its answer polls the endpoint
 * itself for a short adaptive spin (at most MSTRO_PM_SPIN_US) before it
 * sleeps: the answer then reaches the
 * waiting thread without a hand-off through another thread, which on a busy
 * node costs a wake-up of a sleeping thread (tens of microseconds on a
 * virtual machine) per round trip. A receiver thread (pmc_rx) polls whenever
 * no call does: it delivers events and answers nobody polls for, answers
 * heartbeats and notices a PM that left or went silent for MSTRO_PM_TIMEOUT:
 * every waiting and later call then returns MSTRO_NO_PM. Polling progresses
 * the endpoint, which serves the reads of this component's exposed regions.
 *
 * Sends are serialized by mstro__pmc.lock (the client's sequence numbers); a call
 * that expects an answer registers itself under that same lock before the
 * answer can arrive.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "mstro_log.h"
#include "pmc.h"

#define RX_IDLE_NS    50000 /* the receiver thread's pause when nothing is going on (spin mode) */
#define RX_BLOCK_MS   20    /* the receiver thread's blocking receive (MSTRO_PM_BLOCK) */
#define SPIN_START_NS 50000u
#define SPIN_MIN_NS   2000u

struct mstro__pmc mstro__pmc = {.lock = PTHREAD_MUTEX_INITIALIZER,
                                .rx_lock = PTHREAD_MUTEX_INITIALIZER,
                                .pf_cv = PTHREAD_COND_INITIALIZER};

bool mstro__pmc_holds(mstro_pool_event_kind kind)
{
  return (atomic_load_explicit(&mstro__pmc.ack_kinds, memory_order_acquire) & (unsigned)kind) != 0;
}

bool mstro__pmc_watched(mstro_pool_event_kind kind)
{
  return (atomic_load_explicit(&mstro__pmc.event_kinds, memory_order_acquire) & (unsigned)kind) !=
         0;
}

/* ---- sending and waiting ----------------------------------------------- */

void mstro__pmc_call_init(struct mstro__pmc_call *c, Mstro__Proto__Envelope__MsgCase want)
{
  memset(c, 0, sizeof *c);
  c->want = want;
  pthread_cond_init(&c->cv, NULL);
}

static void call_register_locked(struct mstro__pmc_call *c, uint64_t seq)
{
  c->seq = seq;
  c->next = mstro__pmc.calls;
  mstro__pmc.calls = c;
}

/* Send under the lock; if `call` is given it is registered for the answer;
 * if `rel` is given the message goes with wait_ack and `rel` is registered
 * for the PM's EVENT_ACK releasing it (a call not sent is done with the
 * error, so it can always be waited for). */
mstro_status mstro__pmc_send_locked_calls(Mstro__Proto__Envelope *env, struct mstro__pmc_call *call,
                                          struct mstro__pmc_call *rel, uint64_t *seq_out)
{
  mstro_status st = mstro__pmc.dead;
  uint64_t seq = 0;
  if (rel != NULL)
    env->wait_ack = true;
  if (st == MSTRO_OK)
    st = mstro__proto_client_send(mstro__pmc.c, env, &seq);
  if (st == MSTRO_OK) {
    mstro__pmc.last_sent_ns = mstro_clock();
    if (call != NULL)
      call_register_locked(call, seq);
    if (rel != NULL)
      call_register_locked(rel, seq);
  } else {
    if (st == MSTRO_NO_PM)
      mstro__pmc.dead = MSTRO_NO_PM;
    if (rel != NULL) {
      rel->done = true;
      rel->st = st;
    }
  }
  if (seq_out != NULL)
    *seq_out = seq;
  return st;
}

static mstro_status send_locked_seq(Mstro__Proto__Envelope *env, struct mstro__pmc_call *call,
                                    uint64_t *seq_out)
{
  return mstro__pmc_send_locked_calls(env, call, NULL, seq_out);
}

mstro_status mstro__pmc_send_locked(Mstro__Proto__Envelope *env, struct mstro__pmc_call *call)
{
  return send_locked_seq(env, call, NULL);
}

mstro_status mstro__pmc_send_msg(Mstro__Proto__Envelope *env)
{
  pthread_mutex_lock(&mstro__pmc.lock);
  mstro_status st = mstro__pmc_send_locked(env, NULL);
  pthread_mutex_unlock(&mstro__pmc.lock);
  return st;
}

/* The first spin: with MSTRO_PM_BLOCK a short one that adapts, without it
 * MSTRO_PM_SPIN_US always. */
uint64_t mstro__pmc_spin_start(void)
{
  if (!mstro__pmc.block || mstro__pmc.spin_ns < SPIN_START_NS)
    return mstro__pmc.spin_ns;
  return SPIN_START_NS;
}

/* Adapts the spin (lock held) to a wait of `waited` ns: a wait a spin of
 * at most MSTRO_PM_SPIN_US would have covered doubles the spin (and makes it
 * at least twice that wait), so that answers that come soon are caught by
 * spinning, as without MSTRO_PM_BLOCK; a longer wait halves it (spinning
 * would only have taken a core from the processes this one waits for, which
 * on an oversubscribed node delays the answer). */
static void spin_adapt_locked(uint64_t waited)
{
  uint64_t s = mstro__pmc.spin_cur_ns, max = mstro__pmc.spin_ns;
  if (!mstro__pmc.block)
    return;
  if (waited < max) {
    s = s * 2 > 2 * waited ? s * 2 : 2 * waited;
    s = s < max ? s : max;
  } else {
    s = s / 2 > SPIN_MIN_NS ? s / 2 : SPIN_MIN_NS;
  }
  mstro__pmc.spin_cur_ns = s < max ? s : max;
}

/* Wait until `c` is done (lock held): poll for the answer from this thread
 * for up to the spin, then sleep and leave it to the receiver thread.
 * Another thread's poll may bring the answer: `done` is checked between
 * polls. While the receiver thread blocks in a receive it has the endpoint:
 * the answer comes through it, and the spin only saves the call's own
 * wake-up. */
void mstro__pmc_call_wait_locked(struct mstro__pmc_call *c)
{
  uint64_t spin = mstro__pmc.spin_cur_ns;
  uint64_t t0 = spin > 0 ? mstro_clock() : 0;
  bool spun = false;
  mstro__pmc.polling++;
  while (!c->done && spin > 0 && mstro_clock() - t0 < spin) {
    spun = true;
    bool rx_has_it = mstro__pmc.rx_blocking;
    pthread_mutex_unlock(&mstro__pmc.lock);
    if (rx_has_it || !mstro__pmc_rx_poll())
      sched_yield();
    pthread_mutex_lock(&mstro__pmc.lock);
  }
  mstro__pmc.polling--;
  while (!c->done)
    pthread_cond_wait(&c->cv, &mstro__pmc.lock);
  if (spun)
    spin_adapt_locked(mstro_clock() - t0);
}

/* ---- _REQUIRE_ACK across processes ------------------------------------- */

/* The release of an operation of event kind `kind`: `rel` when another
 * member holds that kind (to pass to send_locked_calls and rel_wait), NULL
 * when not (no round trip). */
struct mstro__pmc_call *mstro__pmc_rel_prepare(struct mstro__pmc_call *rel,
                                               mstro_pool_event_kind kind)
{
  if (!mstro__pmc_holds(kind))
    return NULL;
  mstro__pmc_call_init(rel, MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK);
  return rel;
}

/* Wait until the PM releases the operation: every _REQUIRE_ACK subscriber
 * of another member acked its event, or unsubscribed, left or was dropped.
 * A dead PM ends the wait with MSTRO_NO_PM within MSTRO_PM_TIMEOUT. */
mstro_status mstro__pmc_rel_wait(struct mstro__pmc_call *rel, const char *op, const char *name)
{
  mstro_status st = MSTRO_OK;
  if (rel == NULL)
    return MSTRO_OK;
  pthread_mutex_lock(&mstro__pmc.lock);
  mstro__pmc_call_wait_locked(rel);
  st = rel->st;
  pthread_mutex_unlock(&mstro__pmc.lock);
  pthread_cond_destroy(&rel->cv);
  mstro__proto_free(rel->answer);
  if (st != MSTRO_OK)
    MSTRO_LOG_ERR(POOL, "%s of '%.200s': no release from the Pool Manager: %s", op, name,
                  mstro_status_description(st));
  return st;
}

/* A one-way operation message, held when its kind is. */
mstro_status mstro__pmc_send_op(Mstro__Proto__Envelope *env, mstro_pool_event_kind kind,
                                const char *op, const char *name)
{
  struct mstro__pmc_call relc;
  struct mstro__pmc_call *rel = mstro__pmc_rel_prepare(&relc, kind);
  pthread_mutex_lock(&mstro__pmc.lock);
  mstro_status st = mstro__pmc_send_locked_calls(env, NULL, rel, NULL);
  pthread_mutex_unlock(&mstro__pmc.lock);
  mstro_status rs = mstro__pmc_rel_wait(rel, op, name);
  /* a one-way message that cannot be sent is the next waiting call's
   * concern (as before); a held operation fails with it */
  return rel == NULL ? MSTRO_OK : st != MSTRO_OK ? st : rs;
}

/* Send a request and wait for its answer of kind `want` (a REFUSE answering
 * it gives its status). No deadline while the PM is alive: a demand may wait
 * for an offer as long as the workflow runs. With `rel` (rel_prepare), that
 * is registered for the release of the same message; the caller waits for
 * it with rel_wait when it suits it. */
mstro_status mstro__pmc_request_rel(Mstro__Proto__Envelope *env,
                                    Mstro__Proto__Envelope__MsgCase want,
                                    Mstro__Proto__Envelope **answer, struct mstro__pmc_call *rel)
{
  mstro_status st = MSTRO_OK;
  struct mstro__pmc_call call;
  mstro__pmc_call_init(&call, want);
  pthread_mutex_lock(&mstro__pmc.lock);
  st = mstro__pmc_send_locked_calls(env, &call, rel, NULL);
  if (st == MSTRO_OK) {
    mstro__pmc_call_wait_locked(&call);
    st = call.st;
  }
  pthread_mutex_unlock(&mstro__pmc.lock);
  pthread_cond_destroy(&call.cv);
  if (st == MSTRO_OK)
    *answer = call.answer;
  else
    mstro__proto_free(call.answer);
  return st;
}

mstro_status mstro__pmc_request(Mstro__Proto__Envelope *env, Mstro__Proto__Envelope__MsgCase want,
                                Mstro__Proto__Envelope **answer)
{
  return mstro__pmc_request_rel(env, want, answer, NULL);
}

/* The PM is gone: fail every waiting call (lock held). */
void mstro__pmc_fail_all_locked(mstro_status why)
{
  if (mstro__pmc.dead == MSTRO_OK)
    mstro__pmc.dead = why;
  pthread_cond_broadcast(&mstro__pmc.pf_cv);
  for (struct mstro__pmc_call *c = mstro__pmc.calls; c != NULL; c = c->next) {
    c->done = true;
    c->st = mstro__pmc.dead;
    pthread_cond_signal(&c->cv);
  }
  mstro__pmc.calls = NULL;
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
  if (ev->kind & (MSTRO_POOL_EVENT_GROUP_SEAL | MSTRO_POOL_EVENT_GROUP_OFFER |
                  MSTRO_POOL_EVENT_GROUP_DEMAND | MSTRO_POOL_EVENT_GROUP_WITHDRAW))
    info.group_name = ev->cdo_name; /* group events name their group there */
  mstro__event_deliver_remote(ev->subscription_id, (mstro_pool_event_kind)ev->kind, ev->appid,
                              ev->src_appid, ev->needs_ack ? ev->event_id : 0, &info);
  mstro__attr_dict_destroy(attrs);
}

static void dispatch(Mstro__Proto__Envelope *e)
{
  if (e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_EVENT) {
    pthread_mutex_lock(&mstro__pmc.lock);
    mstro__pmc.last_heard_ns = mstro_clock();
    pthread_mutex_unlock(&mstro__pmc.lock);
    deliver_event(e->event);
    mstro__proto_free(e);
    return;
  }
  pthread_mutex_lock(&mstro__pmc.lock);
  mstro__pmc.last_heard_ns = mstro_clock();
  if (e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE) {
    MSTRO_LOG_ERR(POOL, "the Pool Manager left: %s", e->pm_leave->reason);
    mstro__pmc_fail_all_locked(MSTRO_NO_PM);
    mstro__proto_free(e);
    e = NULL;
  } else if (e->in_reply_to != 0 && e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET &&
             mstro__pmc_ticket_for_prefetch_locked(e)) {
    e = NULL;
  } else if (e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK) {
    /* applied before it is confirmed: the SUBSCRIBE that caused it returns
     * only after the confirmation, so every later operation sees it */
    atomic_store_explicit(&mstro__pmc.ack_kinds, e->ack_mask->ack_kinds, memory_order_release);
    atomic_store_explicit(&mstro__pmc.event_kinds, e->ack_mask->event_kinds, memory_order_release);
    MSTRO_LOG_DEBUG(POOL, "other components hold kinds 0x%x and watch kinds 0x%x",
                    e->ack_mask->ack_kinds, e->ack_mask->event_kinds);
    Mstro__Proto__Envelope out;
    Mstro__Proto__AckMaskConfirm cf;
    mstro__proto__envelope__init(&out);
    mstro__proto__ack_mask_confirm__init(&cf);
    cf.serial = e->ack_mask->serial;
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM;
    out.ack_mask_confirm = &cf;
    mstro__pmc_send_locked(&out, NULL);
  } else if (e->in_reply_to != 0) {
    /* A request may wait for two answers (its reply and the release of a
     * held operation); a REFUSE ends both. */
    bool refused = e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_REFUSE, matched = false;
    for (struct mstro__pmc_call **pp = &mstro__pmc.calls; *pp != NULL && e != NULL;) {
      struct mstro__pmc_call *c = *pp;
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
    mstro__pmc_drop_ticket_locked(e->transfer_ticket); /* its require was retracted meanwhile */
  if (e != NULL && e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_REFUSE && e->refuse->status != 0)
    MSTRO_LOG_WARN(POOL, "the Pool Manager refused message %" PRIu64 ": %s", e->in_reply_to,
                   e->refuse->reason);
  pthread_mutex_unlock(&mstro__pmc.lock);
  mstro__proto_free(e);
}

/* One receive, if no other thread is receiving, waiting up to timeout_ms
 * for a message: dispatches the message that came, if any (true then). A
 * failed endpoint fails every call. */
static bool rx_poll_for(int timeout_ms)
{
  Mstro__Proto__Envelope *e = NULL;
  mstro_status st;
  if (pthread_mutex_trylock(&mstro__pmc.rx_lock) != 0)
    return false;
  st = mstro__proto_client_recv(mstro__pmc.c, &e, timeout_ms);
  if (st == MSTRO_OK) {
    dispatch(e);
  } else if (st != MSTRO_TIMEOUT) {
    pthread_mutex_lock(&mstro__pmc.lock);
    if (mstro__pmc.dead == MSTRO_OK)
      MSTRO_LOG_ERR(POOL, "the connection to the Pool Manager failed: %s",
                    mstro_status_description(st));
    mstro__pmc_fail_all_locked(MSTRO_NO_PM);
    pthread_mutex_unlock(&mstro__pmc.lock);
  }
  pthread_mutex_unlock(&mstro__pmc.rx_lock);
  return st == MSTRO_OK;
}

bool mstro__pmc_rx_poll(void)
{
  return rx_poll_for(0);
}

void *mstro__pmc_rx_main(void *arg)
{
  (void)arg;
  uint32_t hb_ms = mstro__proto_client_heartbeat_ms(mstro__pmc.c);
  uint64_t hb_ns = (uint64_t)(hb_ms ? hb_ms : 1000) * 1000000ull;
  uint64_t limit = (uint64_t)mstro__pmc.timeout_ms * 1000000ull;
  for (;;) {
    pthread_mutex_lock(&mstro__pmc.lock);
    bool stop = mstro__pmc.stop || mstro__pmc.dead != MSTRO_OK;
    pthread_mutex_unlock(&mstro__pmc.lock);
    if (stop)
      break;
    bool got = mstro__pmc_rx_poll();
    pthread_mutex_lock(&mstro__pmc.lock);
    /* read under the lock: a call's poll may have just heard the PM */
    uint64_t now = mstro_clock();
    /* Polled for the spin after the last message, unless a waiting call
     * polls (two pollers would only take turns on the endpoint). */
    bool spin = mstro__pmc.polling == 0 && now - mstro__pmc.last_heard_ns < mstro__pmc.spin_cur_ns;
    if (mstro__pmc.dead == MSTRO_OK && now - mstro__pmc.last_heard_ns > limit) {
      MSTRO_LOG_ERR(POOL,
                    "the Pool Manager has been silent for more than MSTRO_PM_TIMEOUT (%d s): "
                    "taken as gone",
                    mstro__pmc.timeout_ms / 1000);
      mstro__pmc_fail_all_locked(MSTRO_NO_PM);
    } else if (mstro__pmc.dead == MSTRO_OK && now - mstro__pmc.last_sent_ns >= hb_ns / 2) {
      /* The PM answers each heartbeat, which proves it alive to us. */
      if (mstro__proto_client_heartbeat(mstro__pmc.c) == MSTRO_OK)
        mstro__pmc.last_sent_ns = now;
      else
        mstro__pmc_fail_all_locked(MSTRO_NO_PM);
    }
    /* With MSTRO_PM_BLOCK an idle receiver blocks on the endpoint's wait
     * object (a receive with a timeout), not in naps of RX_IDLE_NS. */
    bool block =
        mstro__pmc.block && !got && !spin && mstro__pmc.polling == 0 && mstro__pmc.dead == MSTRO_OK;
    mstro__pmc.rx_blocking = block;
    pthread_mutex_unlock(&mstro__pmc.lock);
    if (got) {
      continue; /* more may be queued */
    } else if (spin) {
      sched_yield();
    } else if (block) {
      uint64_t t0 = mstro_clock();
      bool came = rx_poll_for(RX_BLOCK_MS);
      pthread_mutex_lock(&mstro__pmc.lock);
      mstro__pmc.rx_blocking = false;
      uint64_t waited = mstro_clock() - t0;
      /* a receive that did not start (a call took the endpoint) says nothing */
      if (came || waited >= RX_BLOCK_MS * 500000ull)
        spin_adapt_locked(came ? waited : UINT64_MAX);
      pthread_mutex_unlock(&mstro__pmc.lock);
    } else {
      struct timespec idle = {0, RX_IDLE_NS};
      nanosleep(&idle, NULL);
    }
  }
  pthread_mutex_lock(&mstro__pmc.lock);
  mstro_status dead = mstro__pmc.dead;
  pthread_mutex_unlock(&mstro__pmc.lock);
  if (dead != MSTRO_OK)
    mstro__events_remote_lost(dead); /* no lock of ours held: the bus takes its own */
  return NULL;
}
