/* SPDX-License-Identifier: BSD-3-Clause */
/* In-process loopback control channel (see pm_chan.h), for tests: endpoints
 * live in one process-wide registry and a send copies the frame into the
 * receiver's queue. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mstro_log.h"
#include "pm_chan.h"
#include "proto_codec.h"

struct loop_msg {
  struct loop_msg *next;
  char src[MSTRO__PM_ADDR_MAX];
  size_t len;
  unsigned char data[];
};

struct loop_ep {
  struct mstro__pm_chan base;
  struct loop_ep *next_ep; /* registry list */
  char addr[MSTRO__PM_ADDR_MAX];
  pthread_mutex_t lock;
  pthread_cond_t cond;
  struct loop_msg *head, *tail;
  size_t queued, capacity; /* frames in the inbox; its bound (0: none) */
  char **peers;            /* peer id = index; NULL = removed */
  size_t n_peers;
  mstro__pm_peer fake_source; /* reported for unknown senders (tests) */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loop_ep *registry;
static atomic_uint_fast64_t next_id = 1;

static mstro_status loop_addr(struct mstro__pm_chan *c, char *buf, size_t len)
{
  struct loop_ep *e = (struct loop_ep *)c;
  if (buf == NULL || strlen(e->addr) + 1 > len)
    return MSTRO_INVOUT;
  strcpy(buf, e->addr);
  return MSTRO_OK;
}

static mstro_status loop_peer_insert(struct mstro__pm_chan *c, const char *addr,
                                     mstro__pm_peer *peer)
{
  struct loop_ep *e = (struct loop_ep *)c;
  if (addr == NULL || peer == NULL || strncmp(addr, "loop:", 5) != 0 ||
      strlen(addr) >= MSTRO__PM_ADDR_MAX) {
    MSTRO_LOG_ERR(PM, "loopback: malformed peer address");
    return MSTRO_INVARG;
  }
  mstro_status st = MSTRO_OK;
  pthread_mutex_lock(&e->lock);
  char **p = realloc(e->peers, (e->n_peers + 1) * sizeof *p);
  char *copy = strdup(addr);
  if (p != NULL)
    e->peers = p;
  if (p == NULL || copy == NULL) {
    free(copy);
    st = MSTRO_NOMEM;
  } else {
    e->peers[e->n_peers] = copy;
    *peer = e->n_peers++;
  }
  pthread_mutex_unlock(&e->lock);
  return st;
}

static mstro_status loop_peer_remove(struct mstro__pm_chan *c, mstro__pm_peer peer)
{
  struct loop_ep *e = (struct loop_ep *)c;
  mstro_status st = MSTRO_INVARG;
  pthread_mutex_lock(&e->lock);
  if (peer < e->n_peers && e->peers[peer] != NULL) {
    free(e->peers[peer]);
    e->peers[peer] = NULL;
    st = MSTRO_OK;
  }
  pthread_mutex_unlock(&e->lock);
  return st;
}

/* Append to the inbox of `dst`: MSTRO_TRANSPORT when it is gone,
 * MSTRO_WOULDBLOCK when it is full. Takes `m` only on MSTRO_OK. */
static mstro_status deliver(const char *dst, struct loop_msg *m)
{
  mstro_status st = MSTRO_TRANSPORT; /* the peer is gone */
  pthread_mutex_lock(&registry_lock);
  struct loop_ep *t = registry;
  while (t != NULL && strcmp(t->addr, dst) != 0)
    t = t->next_ep;
  if (t != NULL) {
    pthread_mutex_lock(&t->lock);
    if (t->capacity != 0 && t->queued >= t->capacity) {
      st = MSTRO_WOULDBLOCK;
    } else {
      if (t->tail != NULL)
        t->tail->next = m;
      else
        t->head = m;
      t->tail = m;
      t->queued++;
      pthread_cond_signal(&t->cond);
      st = MSTRO_OK;
    }
    pthread_mutex_unlock(&t->lock);
  }
  pthread_mutex_unlock(&registry_lock);
  return st;
}

/* A frame from `e` to `peer`, waiting up to timeout_ms while
 * the receiver's inbox is full (<= 0: not at all). */
static mstro_status loop_send_within(struct loop_ep *e, mstro__pm_peer peer, const void *buf,
                                     size_t len, int timeout_ms)
{
  char dst[MSTRO__PM_ADDR_MAX];
  if ((buf == NULL && len > 0) || len > MSTRO__PROTO_FRAME_MAX)
    return MSTRO_INVARG;
  pthread_mutex_lock(&e->lock);
  bool known = peer < e->n_peers && e->peers[peer] != NULL;
  if (known)
    snprintf(dst, sizeof dst, "%s", e->peers[peer]);
  pthread_mutex_unlock(&e->lock);
  if (!known)
    return MSTRO_INVARG;

  struct loop_msg *m = malloc(sizeof *m + len);
  if (m == NULL)
    return MSTRO_NOMEM;
  m->next = NULL;
  snprintf(m->src, sizeof m->src, "%s", e->addr);
  m->len = len;
  if (len > 0)
    memcpy(m->data, buf, len);

  mstro_status st;
  for (int waited_ms = 0;; waited_ms++) {
    st = deliver(dst, m);
    if (st != MSTRO_WOULDBLOCK || waited_ms >= timeout_ms)
      break;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  }
  if (st != MSTRO_OK)
    free(m);
  if (st == MSTRO_WOULDBLOCK && timeout_ms > 0)
    st = MSTRO_TIMEOUT;
  return st;
}

static mstro_status loop_send(struct mstro__pm_chan *c, mstro__pm_peer peer, const void *buf,
                              size_t len, int timeout_ms)
{
  return loop_send_within((struct loop_ep *)c, peer, buf, len, timeout_ms);
}

static mstro_status loop_try_send(struct mstro__pm_chan *c, mstro__pm_peer peer, const void *buf,
                                  size_t len)
{
  return loop_send_within((struct loop_ep *)c, peer, buf, len, 0);
}

static mstro_status loop_recv(struct mstro__pm_chan *c, mstro__pm_peer *from, void *buf, size_t cap,
                              size_t *len, int timeout_ms)
{
  struct loop_ep *e = (struct loop_ep *)c;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&e->lock);
  while (e->head == NULL) {
    if (timeout_ms <= 0 || pthread_cond_timedwait(&e->cond, &e->lock, &deadline) == ETIMEDOUT) {
      if (e->head != NULL)
        break;
      pthread_mutex_unlock(&e->lock);
      return MSTRO_TIMEOUT;
    }
  }
  struct loop_msg *m = e->head;
  e->head = m->next;
  if (e->head == NULL)
    e->tail = NULL;
  e->queued--;
  mstro__pm_peer src = e->fake_source;
  for (size_t i = 0; i < e->n_peers; i++)
    if (e->peers[i] != NULL && strcmp(e->peers[i], m->src) == 0)
      src = i;
  pthread_mutex_unlock(&e->lock);

  mstro_status st = MSTRO_OK;
  if (from != NULL)
    *from = src;
  *len = m->len;
  if (m->len > cap)
    st = MSTRO_INVMSG;
  else if (m->len > 0)
    memcpy(buf, m->data, m->len);
  free(m);
  return st;
}

static void loop_close(struct mstro__pm_chan *c)
{
  struct loop_ep *e = (struct loop_ep *)c;
  pthread_mutex_lock(&registry_lock);
  for (struct loop_ep **pp = &registry; *pp != NULL; pp = &(*pp)->next_ep) {
    if (*pp == e) {
      *pp = e->next_ep;
      break;
    }
  }
  pthread_mutex_unlock(&registry_lock);
  while (e->head != NULL) {
    struct loop_msg *m = e->head;
    e->head = m->next;
    free(m);
  }
  for (size_t i = 0; i < e->n_peers; i++)
    free(e->peers[i]);
  free(e->peers);
  pthread_mutex_destroy(&e->lock);
  pthread_cond_destroy(&e->cond);
  free(e);
}

static const struct mstro__pm_chan_ops loop_ops = {
    .name = "loop",
    .addr = loop_addr,
    .peer_insert = loop_peer_insert,
    .peer_remove = loop_peer_remove,
    .send = loop_send,
    .try_send = loop_try_send,
    .recv = loop_recv,
    .close = loop_close,
};

mstro_status mstro__pm_chan_loop_open(struct mstro__pm_chan **chan)
{
  if (chan == NULL)
    return MSTRO_INVARG;
  struct loop_ep *e = calloc(1, sizeof *e);
  if (e == NULL)
    return MSTRO_NOMEM;
  e->base.ops = &loop_ops;
  e->fake_source = MSTRO__PM_PEER_UNKNOWN;
  snprintf(e->addr, sizeof e->addr, "loop:%llu", (unsigned long long)atomic_fetch_add(&next_id, 1));
  pthread_mutex_init(&e->lock, NULL);
  pthread_cond_init(&e->cond, NULL);
  pthread_mutex_lock(&registry_lock);
  e->next_ep = registry;
  registry = e;
  pthread_mutex_unlock(&registry_lock);
  *chan = &e->base;
  return MSTRO_OK;
}

void mstro__pm_chan_loop_fake_source(struct mstro__pm_chan *chan, mstro__pm_peer peer)
{
  struct loop_ep *e = (struct loop_ep *)chan;
  pthread_mutex_lock(&e->lock);
  e->fake_source = peer;
  pthread_mutex_unlock(&e->lock);
}

void mstro__pm_chan_loop_set_capacity(struct mstro__pm_chan *chan, size_t frames)
{
  struct loop_ep *e = (struct loop_ep *)chan;
  pthread_mutex_lock(&e->lock);
  e->capacity = frames;
  pthread_mutex_unlock(&e->lock);
}
