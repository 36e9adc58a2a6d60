/* SPDX-License-Identifier: BSD-3-Clause */
/* Pool events and subscriptions of the in-process pool.
 *
 * One mutex (ev_lock) guards every subscription, its queue and its pending
 * acks. An operation raises its event twice: before it takes effect (for
 * _SIGNAL_BEFORE subscriptions) and after (for the others); two atomic masks
 * let an operation skip both without taking the lock when nobody listens.
 * A _REQUIRE_ACK delivery creates an ack token in the subscription; the
 * raising thread waits (ack_cv) until every token it created is acked or the
 * subscription disposed. The pool's own lock is never held while raising.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "events.h"
#include "mstro_log.h"
#include "selector_internal.h"
#include "telemetry.h"

atomic_uint mstro__ev_wanted[2];

struct ack_token {
  uint64_t id;
  bool done;
  struct ack_token *next; /* in the subscription's pending list */
};

/* An event as allocated: the public node first. */
struct ev_node {
  struct mstro_pool_event_ pub;
  struct mstro_subscription_ *ack_sub; /* REQUIRE_ACK: where the token is */
  uint64_t ack_id;                     /* 0: nothing to ack */
  uint64_t remote_ack;                 /* an event of another component whose operation the
                                          PM holds until we ack it (EVENT_ACK); 0: none */
  bool remote_noack;                   /* an event of another component for a REQUIRE_ACK
                                          subscription that holds nothing (APP_*, or an
                                          operation not held): its ack is accepted, a no-op */
  char *str1, *str2;                   /* owned copies of the payload strings */
};

struct mstro_subscription_ {
  uint32_t magic;
  mstro_cdo_selector sel; /* private copy */
  unsigned mask;
  unsigned opts;
  mstro__ev_phase phase;
  struct ev_node *head, *tail;
  uint64_t serial;
  pthread_cond_t cv;
  struct ack_token *pending;
  struct mstro_subscription_ *next;
  uint64_t remote_id; /* its id at the Pool Manager; 0: local events only */
  int waiters;        /* threads in wait/timedwait */
  bool disposed;      /* dispose started: waiters leave, then it is freed */
};

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ack_cv = PTHREAD_COND_INITIALIZER;
static struct mstro_subscription_ *subs;
static uint64_t ack_counter;
static uint64_t remote_counter;
/* MSTRO_NO_PM once the Pool Manager is gone (mstro__events_remote_lost):
 * a wait of a subscription that takes other components' events then ends
 * with it instead of waiting for events that can no longer come. */
static mstro_status remote_lost = MSTRO_OK;
/* Where subscriptions and acks of other components' events go (NULL: no
 * Pool Manager); installed and removed by the PM-client backend. */
static _Atomic(const struct mstro__event_remote *) remote_hook;

void mstro__events_set_remote(const struct mstro__event_remote *remote)
{
  atomic_store_explicit(&remote_hook, remote, memory_order_release);
}

static const struct mstro__event_remote *remote_of(void)
{
  return atomic_load_explicit(&remote_hook, memory_order_acquire);
}

/* Release an operation of another component held for our ack; nothing to
 * release once the Pool Manager is left. */
static mstro_status remote_ack(uint64_t remote_id, uint64_t event_id)
{
  const struct mstro__event_remote *r = remote_of();
  return r != NULL ? r->ack(remote_id, event_id) : MSTRO_OK;
}

#define CDO_KINDS                                                                                  \
  (MSTRO_POOL_EVENT_DECLARE | MSTRO_POOL_EVENT_SEAL | MSTRO_POOL_EVENT_OFFER |                     \
   MSTRO_POOL_EVENT_REQUIRE | MSTRO_POOL_EVENT_RETRACT | MSTRO_POOL_EVENT_DEMAND |                 \
   MSTRO_POOL_EVENT_WITHDRAW | MSTRO_POOL_EVENT_DISPOSE)
#define TRANSFER_KINDS (MSTRO_POOL_EVENT_TRANSFER_STARTED | MSTRO_POOL_EVENT_TRANSFER_COMPLETED)
#define GROUP_KINDS                                                                                \
  (MSTRO_POOL_EVENT_GROUP_SEAL | MSTRO_POOL_EVENT_GROUP_OFFER | MSTRO_POOL_EVENT_GROUP_DEMAND |    \
   MSTRO_POOL_EVENT_GROUP_WITHDRAW)

void mstro__events_remote_lost(mstro_status why)
{
  pthread_mutex_lock(&ev_lock);
  if (remote_lost == MSTRO_OK)
    remote_lost = why;
  for (struct mstro_subscription_ *s = subs; s != NULL; s = s->next)
    if (s->remote_id != 0)
      pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&ev_lock);
}

/* Whether a wait of s must end for want of the Pool Manager (ev_lock held). */
static bool lost_locked(const struct mstro_subscription_ *s)
{
  return s->remote_id != 0 && remote_lost != MSTRO_OK;
}

/* Recompute the lock-free masks (ev_lock held). */
static void update_masks(void)
{
  unsigned m[2] = {0, 0};
  for (struct mstro_subscription_ *s = subs; s != NULL; s = s->next)
    m[s->phase] |= s->mask;
  atomic_store_explicit(&mstro__ev_wanted[0], m[0], memory_order_release);
  atomic_store_explicit(&mstro__ev_wanted[1], m[1], memory_order_release);
}

mstro_status mstro__events_init(void)
{
  pthread_mutex_lock(&ev_lock);
  subs = NULL;
  remote_lost = MSTRO_OK;
  update_masks();
  pthread_mutex_unlock(&ev_lock);
  return MSTRO_OK;
}

static void free_nodes(struct ev_node *n)
{
  while (n != NULL) {
    struct ev_node *next = (struct ev_node *)n->pub.next;
    free(n->str1);
    free(n->str2);
    free(n);
    n = next;
  }
}

/* Unlink and free a subscription (ev_lock held); releases its acks. */
static void sub_destroy_locked(struct mstro_subscription_ *s)
{
  struct mstro_subscription_ **pp = &subs;
  while (*pp != NULL && *pp != s)
    pp = &(*pp)->next;
  if (*pp == s)
    *pp = s->next;
  for (struct ack_token *t = s->pending; t != NULL;) {
    struct ack_token *n = t->next;
    t->done = true; /* the raiser frees it */
    t = n;
  }
  s->pending = NULL;
  pthread_cond_broadcast(&ack_cv);
  free_nodes(s->head);
  s->head = s->tail = NULL;
  update_masks();
  /* threads blocked in wait/timedwait return; the memory goes after them */
  s->disposed = true;
  pthread_cond_broadcast(&s->cv);
  while (s->waiters > 0)
    pthread_cond_wait(&s->cv, &ev_lock);
  s->magic = 0;
}

/* A waiter leaves (ev_lock held); MSTRO_INVARG when the subscription was
 * disposed meanwhile. */
static mstro_status leave_wait(struct mstro_subscription_ *s, const char *func)
{
  s->waiters--;
  if (s->disposed) {
    pthread_cond_broadcast(&s->cv);
    MSTRO_LOG_INFO(EVENT, "%s: the subscription was disposed while waiting", func);
    return MSTRO_INVARG;
  }
  return MSTRO_OK;
}

void mstro__events_fini(void)
{
  size_t n = 0;
  pthread_mutex_lock(&ev_lock);
  while (subs != NULL) {
    struct mstro_subscription_ *s = subs;
    sub_destroy_locked(s);
    pthread_cond_destroy(&s->cv);
    mstro_cdo_selector_dispose(s->sel);
    free(s);
    n++;
  }
  pthread_mutex_unlock(&ev_lock);
  if (n > 0)
    MSTRO_LOG_INFO(EVENT, "mstro_finalize: disposed %zu subscription(s) left open", n);
}

static uint64_t realtime_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

/* Build the event for one subscription (ev_lock held). NULL: out of memory. */
static struct ev_node *make_node(mstro_pool_event_kind kind, const struct mstro__ev_info *info)
{
  struct ev_node *n = calloc(1, sizeof *n);
  if (n == NULL)
    return NULL;
  n->pub.kind = kind;
  n->pub.ctime = realtime_ns();
  if (kind & (CDO_KINDS | TRANSFER_KINDS)) {
    n->str1 = dup_or_null(info->cdo_name);
    if (info->cdo_name && !n->str1)
      goto oom;
  }
  if (kind & CDO_KINDS) {
    struct mstro_pool_event_cdo_info *ci = &n->pub.payload.declare;
    switch (kind) {
    case MSTRO_POOL_EVENT_SEAL:
      ci = &n->pub.payload.seal;
      break;
    case MSTRO_POOL_EVENT_OFFER:
      ci = &n->pub.payload.offer;
      break;
    case MSTRO_POOL_EVENT_REQUIRE:
      ci = &n->pub.payload.require;
      break;
    case MSTRO_POOL_EVENT_RETRACT:
      ci = &n->pub.payload.retract;
      break;
    case MSTRO_POOL_EVENT_DEMAND:
      ci = &n->pub.payload.demand;
      break;
    case MSTRO_POOL_EVENT_WITHDRAW:
      ci = &n->pub.payload.withdraw;
      break;
    case MSTRO_POOL_EVENT_DISPOSE:
      ci = &n->pub.payload.dispose;
      break;
    default:
      break;
    }
    ci->appid = MSTRO__LOCAL_APPID;
    ci->cdo_name = n->str1;
  } else if (kind & TRANSFER_KINDS) {
    struct mstro_pool_event_transfer_info *ti = kind == MSTRO_POOL_EVENT_TRANSFER_STARTED
                                                    ? &n->pub.payload.transfer_started
                                                    : &n->pub.payload.transfer_completed;
    ti->appid = ti->src_appid = MSTRO__LOCAL_APPID;
    ti->cdo_name = n->str1;
    ti->size = info->size;
    ti->transport = info->transport ? info->transport : "LOCAL"; /* static strings */
  } else if (kind & GROUP_KINDS) {
    n->str1 = dup_or_null(info->group_name);
    if (info->group_name && !n->str1)
      goto oom;
    n->pub.payload.group.appid = MSTRO__LOCAL_APPID;
    n->pub.payload.group.group_name = n->str1;
  } else if (kind == MSTRO_POOL_EVENT_APP_JOIN) {
    n->str1 = dup_or_null(info->component_name);
    n->pub.payload.join.appid = MSTRO__LOCAL_APPID;
    n->pub.payload.join.component_name = n->str1;
    n->pub.payload.join.component_index = info->component_index;
  } else if (kind == MSTRO_POOL_EVENT_APP_LEAVE) {
    n->str1 = dup_or_null(info->component_name);
    n->pub.payload.leave.appid = MSTRO__LOCAL_APPID;
    n->pub.payload.leave.component_name = n->str1;
  }
  return n;
oom:
  free_nodes(n);
  return NULL;
}

/* Append n to s's queue and wake its waiters (ev_lock held). */
static void queue_locked(struct mstro_subscription_ *s, struct ev_node *n)
{
  if (s->tail)
    s->tail->pub.next = &n->pub;
  else
    s->head = n;
  s->tail = n;
  pthread_cond_broadcast(&s->cv);
}

mstro_status mstro__event_raise_slow(mstro_pool_event_kind kind, mstro__ev_phase phase,
                                     const struct mstro__ev_info *info)
{
  mstro_status st = MSTRO_OK;
  struct ack_token **wait_list = NULL;
  size_t nwait = 0, capwait = 0;
  static const struct mstro__ev_info empty;

  if (info == NULL)
    info = &empty;
  pthread_mutex_lock(&ev_lock);
  for (struct mstro_subscription_ *s = subs; s != NULL; s = s->next) {
    struct ev_node *n;
    if (!(s->mask & (unsigned)kind) || s->phase != phase)
      continue;
    if (s->opts & MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS)
      continue; /* every event of an in-process pool is local */
    if (kind & (CDO_KINDS | TRANSFER_KINDS)) {
      bool match = false;
      if (mstro__selector_eval(s->sel, info->attrs, &match) != MSTRO_OK || !match)
        continue;
    }
    n = make_node(kind, info);
    if (n == NULL) {
      MSTRO_LOG_ERR(EVENT, "out of memory: %s event lost for a subscription",
                    mstro_pool_event_description(kind));
      st = MSTRO_NOMEM;
      continue;
    }
    n->pub.serial = ++s->serial;
    if (s->opts & MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK) {
      struct ack_token *t = calloc(1, sizeof *t);
      if (t != NULL && nwait == capwait) {
        size_t cap = capwait ? 2 * capwait : 4;
        struct ack_token **nw = realloc(wait_list, cap * sizeof *nw);
        if (nw == NULL) {
          free(t);
          t = NULL;
        } else {
          wait_list = nw;
          capwait = cap;
        }
      }
      if (t == NULL) {
        MSTRO_LOG_ERR(EVENT, "out of memory: %s event delivered without waiting for its ack",
                      mstro_pool_event_description(kind));
        st = MSTRO_NOMEM;
      } else {
        t->id = ++ack_counter;
        t->next = s->pending;
        s->pending = t;
        n->ack_sub = s;
        n->ack_id = t->id;
        wait_list[nwait++] = t;
      }
    }
    queue_locked(s, n);
  }
  /* The operation resumes when every subscriber that asked has acked. */
  for (size_t i = 0; i < nwait; i++)
    while (!wait_list[i]->done)
      pthread_cond_wait(&ack_cv, &ev_lock);
  pthread_mutex_unlock(&ev_lock);
  for (size_t i = 0; i < nwait; i++)
    free(wait_list[i]);
  free(wait_list);
  mstro__tm_count(MSTRO__TM_EVENT);
  return st;
}

/* The appid fields of a node's payload. */
static void set_appid(struct ev_node *n, mstro_pool_event_kind kind, uint64_t appid,
                      uint64_t src_appid)
{
  if (kind & CDO_KINDS) {
    n->pub.payload.declare.appid = appid; /* the CDO payloads share one layout */
  } else if (kind == MSTRO_POOL_EVENT_TRANSFER_STARTED) {
    n->pub.payload.transfer_started.appid = appid;
    n->pub.payload.transfer_started.src_appid = src_appid;
  } else if (kind == MSTRO_POOL_EVENT_TRANSFER_COMPLETED) {
    n->pub.payload.transfer_completed.appid = appid;
    n->pub.payload.transfer_completed.src_appid = src_appid;
  } else if (kind & GROUP_KINDS) {
    n->pub.payload.group.appid = appid;
  } else if (kind == MSTRO_POOL_EVENT_APP_JOIN) {
    n->pub.payload.join.appid = appid;
  } else if (kind == MSTRO_POOL_EVENT_APP_LEAVE) {
    n->pub.payload.leave.appid = appid;
  }
}

void mstro__event_deliver_remote(uint64_t remote_id, mstro_pool_event_kind kind, uint64_t appid,
                                 uint64_t src_appid, uint64_t ack_event_id,
                                 const struct mstro__ev_info *info)
{
  bool taken = false;
  pthread_mutex_lock(&ev_lock);
  for (struct mstro_subscription_ *s = subs; s != NULL; s = s->next) {
    if (s->remote_id != remote_id || !(s->mask & (unsigned)kind))
      continue;
    if (kind & (CDO_KINDS | TRANSFER_KINDS)) {
      bool match = false;
      if (mstro__selector_eval(s->sel, info->attrs, &match) != MSTRO_OK || !match)
        break;
    }
    struct ev_node *n = make_node(kind, info);
    if (n == NULL) {
      MSTRO_LOG_ERR(EVENT, "out of memory: a remote %s event is lost",
                    mstro_pool_event_description(kind));
      break;
    }
    set_appid(n, kind, appid, src_appid);
    n->pub.serial = ++s->serial;
    if (ack_event_id != 0 && (s->opts & MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK)) {
      n->ack_sub = s;
      n->remote_ack = ack_event_id;
      taken = true;
    } else if (s->opts & MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK) {
      n->ack_sub = s;
      n->remote_noack = true;
    }
    queue_locked(s, n);
    break;
  }
  pthread_mutex_unlock(&ev_lock);
  /* Not for us after all (selector, a disposed subscription, no memory): the
   * other component's operation must not wait for an ack nobody will give. */
  if (ack_event_id != 0 && !taken)
    remote_ack(remote_id, ack_event_id);
}

/* ------------------------------------------------------------------ public */

static mstro_status sub_check(mstro_subscription s, const char *func)
{
  if (s == NULL) {
    MSTRO_LOG_ERR(EVENT, "%s: NULL subscription", func);
    return MSTRO_INVARG;
  }
  if (s->magic != MSTRO__SUB_MAGIC) {
    MSTRO_LOG_ERR(EVENT, "%s: %p is not a live subscription", func, (void *)s);
    return MSTRO_INVARG;
  }
  return MSTRO_OK;
}

mstro_status mstro_subscribe(mstro_cdo_selector cdos, mstro_pool_event_kind events,
                             mstro_subscription_opts flags, mstro_subscription *result)
{
  mstro_status st = MSTRO_OK;
  struct mstro_subscription_ *s = NULL;
  MSTRO__REQUIRE_INIT();
  MSTRO_CHECK(EVENT, result != NULL, st, MSTRO_INVARG, "mstro_subscribe: NULL result");
  MSTRO_CHECK(EVENT, ((unsigned)events & ~(unsigned)MSTRO_POOL_EVENT__ALL) == 0 && events != 0, st,
              MSTRO_INVARG, "mstro_subscribe: event mask 0x%x is empty or has unknown bits",
              (unsigned)events);
  MSTRO_CHECK(EVENT, ((unsigned)flags & ~0xfu) == 0, st, MSTRO_INVARG,
              "mstro_subscribe: unknown option bits 0x%x", (unsigned)flags);
  MSTRO_CHECK(
      EVENT,
      (flags &
       (MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS | MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS)) !=
          (MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS | MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS),
      st, MSTRO_INVARG,
      "mstro_subscribe: NO_LOCAL_EVENTS together with NO_REMOTE_EVENTS selects nothing");
  s = calloc(1, sizeof *s);
  MSTRO_CHECK(EVENT, s != NULL, st, MSTRO_NOMEM, "mstro_subscribe: out of memory");
  /* A private copy of the selector: the caller may dispose its own at once.
   * NULL means every CDO, as a selector with a NULL query does (how
   * maestro-core clients watch components come and go). */
  MSTRO_CHECK_CALL(
      EVENT, st,
      cdos == NULL
          ? mstro__selector_create_ex(NULL, NULL, NULL, &s->sel, NULL, 0, NULL)
          : mstro__selector_create_ex(mstro__selector_schema(cdos), mstro__selector_namespace(cdos),
                                      mstro__selector_to_string(cdos), &s->sel, NULL, 0, NULL),
      "mstro_subscribe: cannot copy the selector");
  s->magic = MSTRO__SUB_MAGIC;
  s->mask = (unsigned)events;
  s->opts = (unsigned)flags;
  s->phase = (flags & MSTRO_SUBSCRIPTION_OPTS_SIGNAL_BEFORE) ? MSTRO__EV_BEFORE : MSTRO__EV_AFTER;
  pthread_cond_init(&s->cv, NULL);
  pthread_mutex_lock(&ev_lock);
  s->next = subs;
  subs = s;
  update_masks();
  const struct mstro__event_remote *remote = remote_of();
  if (remote != NULL && !(flags & MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS))
    s->remote_id = ++remote_counter;
  pthread_mutex_unlock(&ev_lock);
  /* Other components' events come through the Pool Manager. */
  if (s->remote_id != 0)
    MSTRO_CHECK_CALL(EVENT, st, remote->subscribe(s->remote_id, s->mask, s->opts, true),
                     "mstro_subscribe: the Pool Manager did not take the subscription");
  mstro__tm_count(MSTRO__TM_SUBSCRIBE);
  *result = s;
  s = NULL;
cleanup:
  if (s != NULL && s->magic == MSTRO__SUB_MAGIC) {
    pthread_mutex_lock(&ev_lock);
    sub_destroy_locked(s);
    pthread_mutex_unlock(&ev_lock);
    pthread_cond_destroy(&s->cv);
  }
  if (s != NULL) {
    if (s->sel)
      mstro_cdo_selector_dispose(s->sel);
    free(s);
  }
  return st;
}

/* Take the whole queue (ev_lock held). */
static mstro_pool_event take_all(struct mstro_subscription_ *s)
{
  struct ev_node *h = s->head;
  s->head = s->tail = NULL;
  return h ? &h->pub : NULL;
}

mstro_status mstro_subscription_poll(mstro_subscription s, mstro_pool_event *event)
{
  mstro_status st;
  if (event == NULL) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_poll: NULL event pointer");
    return MSTRO_INVARG;
  }
  *event = NULL;
  if ((st = sub_check(s, __func__)) != MSTRO_OK)
    return st;
  pthread_mutex_lock(&ev_lock);
  *event = take_all(s);
  pthread_mutex_unlock(&ev_lock);
  return MSTRO_OK;
}

mstro_status mstro_subscription_wait(mstro_subscription s, mstro_pool_event *event)
{
  mstro_status st;
  if (event == NULL) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_wait: NULL event pointer");
    return MSTRO_INVARG;
  }
  *event = NULL;
  if ((st = sub_check(s, __func__)) != MSTRO_OK)
    return st;
  pthread_mutex_lock(&ev_lock);
  s->waiters++;
  while (s->head == NULL && !s->disposed && !lost_locked(s))
    pthread_cond_wait(&s->cv, &ev_lock);
  st = leave_wait(s, __func__);
  if (st == MSTRO_OK && s->head == NULL && lost_locked(s)) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_wait: the Pool Manager is gone");
    st = remote_lost;
  } else if (st == MSTRO_OK) {
    *event = take_all(s);
  }
  pthread_mutex_unlock(&ev_lock);
  return st;
}

mstro_status mstro_subscription_timedwait(mstro_subscription s, const struct timespec *abstime,
                                          mstro_pool_event *event)
{
  mstro_status st = MSTRO_OK;
  if (event == NULL || abstime == NULL) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_timedwait: NULL %s",
                  event == NULL ? "event pointer" : "deadline");
    if (event)
      *event = NULL;
    return MSTRO_INVARG;
  }
  *event = NULL;
  if ((st = sub_check(s, __func__)) != MSTRO_OK)
    return st;
  if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_timedwait: tv_nsec %ld out of range",
                  (long)abstime->tv_nsec);
    return MSTRO_INVARG;
  }
  pthread_mutex_lock(&ev_lock);
  s->waiters++;
  while (s->head == NULL && !s->disposed && !lost_locked(s)) {
    int rc = pthread_cond_timedwait(&s->cv, &ev_lock, abstime); /* CLOCK_REALTIME */
    if (rc == ETIMEDOUT) {
      if (s->head == NULL)
        st = MSTRO_TIMEOUT;
      break;
    }
  }
  if (leave_wait(s, __func__) != MSTRO_OK) {
    st = MSTRO_INVARG;
  } else if (s->head == NULL && lost_locked(s)) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_timedwait: the Pool Manager is gone");
    st = remote_lost;
  } else {
    *event = take_all(s);
  }
  pthread_mutex_unlock(&ev_lock);
  return st;
}

mstro_status mstro_subscription_ack(mstro_subscription s, mstro_pool_event event)
{
  mstro_status st;
  size_t acked = 0;
  if ((st = sub_check(s, __func__)) != MSTRO_OK)
    return st;
  if (event == NULL) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_ack: NULL event");
    return MSTRO_INVARG;
  }
  if (!(s->opts & MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK)) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_ack: the subscription was made without REQUIRE_ACK");
    return MSTRO_INVARG;
  }
  size_t nremote = 0;
  for (struct mstro_pool_event_ *e = event; e != NULL; e = e->next)
    nremote++;
  /* remote acks are sent after ev_lock is released (sending takes the PM
   * connection's lock) */
  uint64_t *remote = calloc(nremote > 0 ? nremote : 1, sizeof *remote);
  uint64_t remote_id = s->remote_id;
  nremote = 0;
  if (remote == NULL) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_ack: out of memory");
    return MSTRO_NOMEM;
  }
  pthread_mutex_lock(&ev_lock);
  for (struct mstro_pool_event_ *e = event; e != NULL; e = e->next) {
    struct ev_node *n = (struct ev_node *)e;
    if (n->ack_sub == s && n->remote_ack != 0) {
      remote[nremote++] = n->remote_ack;
      n->remote_ack = 0;
      acked++;
      continue;
    }
    if (n->ack_sub == s && n->remote_noack) {
      n->remote_noack = false;
      acked++;
      continue;
    }
    if (n->ack_sub != s || n->ack_id == 0)
      continue;
    for (struct ack_token **pp = &s->pending; *pp != NULL; pp = &(*pp)->next) {
      if ((*pp)->id == n->ack_id) {
        struct ack_token *t = *pp;
        *pp = t->next;
        t->done = true;
        acked++;
        break;
      }
    }
    n->ack_id = 0;
  }
  if (acked > 0)
    pthread_cond_broadcast(&ack_cv);
  pthread_mutex_unlock(&ev_lock);
  for (size_t i = 0; i < nremote; i++)
    if (remote_ack(remote_id, remote[i]) != MSTRO_OK)
      st = MSTRO_NO_PM; /* nothing to release any more: the PM is gone */
  free(remote);
  if (st != MSTRO_OK) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_ack: the Pool Manager is unreachable");
    return st;
  }
  if (acked == 0) {
    MSTRO_LOG_ERR(EVENT, "mstro_subscription_ack: no event of this list waits for an ack "
                         "(already acked, or not from this subscription)");
    return MSTRO_INVARG;
  }
  return MSTRO_OK;
}

mstro_status mstro_subscription_dispose(mstro_subscription s)
{
  mstro_status st;
  if ((st = sub_check(s, __func__)) != MSTRO_OK)
    return st;
  const struct mstro__event_remote *remote = remote_of();
  if (s->remote_id != 0 && remote != NULL)
    remote->subscribe(s->remote_id, 0, 0, false);
  pthread_mutex_lock(&ev_lock);
  sub_destroy_locked(s);
  pthread_mutex_unlock(&ev_lock);
  pthread_cond_destroy(&s->cv);
  mstro_cdo_selector_dispose(s->sel);
  free(s);
  return MSTRO_OK;
}

mstro_status mstro_pool_event_dispose(mstro_pool_event e)
{
  if (e == NULL) {
    MSTRO_LOG_ERR(EVENT, "mstro_pool_event_dispose: NULL event");
    return MSTRO_INVARG;
  }
  free_nodes((struct ev_node *)e);
  return MSTRO_OK;
}

const char *mstro_pool_event_description(mstro_pool_event_kind kind)
{
  switch (kind) {
  case MSTRO_POOL_EVENT_DECLARE:
    return "DECLARE";
  case MSTRO_POOL_EVENT_SEAL:
    return "SEAL";
  case MSTRO_POOL_EVENT_OFFER:
    return "OFFER";
  case MSTRO_POOL_EVENT_REQUIRE:
    return "REQUIRE";
  case MSTRO_POOL_EVENT_RETRACT:
    return "RETRACT";
  case MSTRO_POOL_EVENT_DEMAND:
    return "DEMAND";
  case MSTRO_POOL_EVENT_WITHDRAW:
    return "WITHDRAW";
  case MSTRO_POOL_EVENT_DISPOSE:
    return "DISPOSE";
  case MSTRO_POOL_EVENT_TRANSFER_STARTED:
    return "TRANSFER_STARTED";
  case MSTRO_POOL_EVENT_TRANSFER_COMPLETED:
    return "TRANSFER_COMPLETED";
  case MSTRO_POOL_EVENT_APP_JOIN:
    return "APP_JOIN";
  case MSTRO_POOL_EVENT_APP_LEAVE:
    return "APP_LEAVE";
  case MSTRO_POOL_EVENT_GROUP_SEAL:
    return "GROUP_SEAL";
  case MSTRO_POOL_EVENT_GROUP_OFFER:
    return "GROUP_OFFER";
  case MSTRO_POOL_EVENT_GROUP_DEMAND:
    return "GROUP_DEMAND";
  case MSTRO_POOL_EVENT_GROUP_WITHDRAW:
    return "GROUP_WITHDRAW";
  case MSTRO_POOL_EVENT_POOL_MANAGER_LEAVE:
    return "POOL_MANAGER_LEAVE";
  default:
    return "unknown";
  }
}
