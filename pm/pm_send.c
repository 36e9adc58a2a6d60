/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's sending: no peer can stall it. Every frame is sent with
 * the channel's try_send, which never waits; a frame a member cannot take now
 * waits in that member's bounded queue (in order), which each step flushes.
 * A member whose queue overflows (send_queue_max frames), does not move for
 * send_stall_ms, or whose send fails, is marked and dropped at the next safe
 * point (mstro__pm_reap_doomed: no handler holds a member pointer then), with
 * APP_LEAVE and its offers removed, like a member gone silent. A frame to a
 * peer that is no member (a refusal) is tried once and dropped if it cannot
 * go: strangers cost nothing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pm_server_internal.h"

struct pm_outmsg {
  struct pm_outmsg *next;
  uint8_t *buf;
  size_t len;
};

void mstro__pm_env_init(struct mstro__pm_server *srv, Mstro__Proto__Envelope *env,
                        uint64_t in_reply_to)
{
  mstro__proto_envelope_init(env, ++srv->seq);
  env->in_reply_to = in_reply_to;
}

static void doom(struct mstro__pm_server *srv, struct member *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void doom(struct mstro__pm_server *srv, struct member *m, const char *fmt, ...)
{
  if (m->doomed)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->doomed_why, sizeof m->doomed_why, fmt, ap);
  va_end(ap);
  m->doomed = true;
  srv->any_doomed = true;
}

static void outq_pop(struct mstro__pm_server *srv, struct member *m)
{
  struct pm_outmsg *o = m->out_head;
  m->out_head = o->next;
  if (m->out_head == NULL)
    m->out_tail = NULL;
  m->out_n--;
  srv->out_total--;
  free(o->buf);
  free(o);
}

/* Sends what the member's queue holds until the channel says it is full. */
static void flush_member(struct mstro__pm_server *srv, struct member *m, uint64_t now)
{
  while (m->out_head != NULL && !m->doomed) {
    mstro_status st =
        srv->chan->ops->try_send(srv->chan, m->peer, m->out_head->buf, m->out_head->len);
    if (st == MSTRO_WOULDBLOCK)
      return;
    if (st != MSTRO_OK) {
      doom(srv, m, "sending to it failed: %s", mstro_status_description(st));
      return;
    }
    outq_pop(srv, m);
    m->out_moved_ns = now;
  }
}

void mstro__pm_send_flush(struct mstro__pm_server *srv)
{
  if (srv->out_total == 0)
    return;
  uint64_t now = mstro_clock();
  uint64_t stall_ns = (uint64_t)srv->cfg.send_stall_ms * 1000000ull;
  for (size_t i = 0; i < srv->n_members; i++) {
    struct member *m = &srv->members[i];
    if (m->out_head == NULL)
      continue;
    flush_member(srv, m, now);
    if (m->out_head != NULL && now - m->out_moved_ns > stall_ns)
      doom(srv, m, "%zu control message(s) have waited for it for more than %u ms", m->out_n,
           srv->cfg.send_stall_ms);
  }
}

bool mstro__pm_send_pending(const struct mstro__pm_server *srv)
{
  return srv->out_total > 0;
}

void mstro__pm_send_forget(struct mstro__pm_server *srv, struct member *m)
{
  if (!m->doomed)
    flush_member(srv, m, mstro_clock()); /* a BYE or PM_LEAVE that waited */
  while (m->out_head != NULL)
    outq_pop(srv, m);
}

static struct member *member_of(struct mstro__pm_server *srv, mstro__pm_peer peer)
{
  for (size_t i = 0; i < srv->n_members; i++)
    if (srv->members[i].peer == peer)
      return &srv->members[i];
  return NULL;
}

mstro_status mstro__pm_send_env(struct mstro__pm_server *srv, mstro__pm_peer peer,
                                const Mstro__Proto__Envelope *env)
{
  uint8_t *buf = NULL;
  size_t len = 0;
  struct pm_outmsg *o = NULL;
  struct member *m = member_of(srv, peer);
  mstro_status st = m != NULL && m->doomed ? MSTRO_TRANSPORT : MSTRO_OK;
  if (st == MSTRO_OK)
    st = mstro__proto_encode_alloc(env, &buf, &len);
  if (st != MSTRO_OK)
    goto cleanup;
  if (m == NULL || m->out_head == NULL) {
    st = srv->chan->ops->try_send(srv->chan, peer, buf, len);
    if (st == MSTRO_OK || m == NULL) {
      if (st != MSTRO_OK)
        MSTRO_LOG_DEBUG(PM, "%s to a peer that is no member dropped: %s",
                        mstro__proto_msg_name(env->msg_case), mstro_status_description(st));
      goto cleanup;
    }
    if (st != MSTRO_WOULDBLOCK) {
      doom(srv, m, "sending %s to it failed: %s", mstro__proto_msg_name(env->msg_case),
           mstro_status_description(st));
      st = MSTRO_TRANSPORT;
      goto cleanup;
    }
    m->out_moved_ns = mstro_clock();
  }
  if (m->out_n >= srv->cfg.send_queue_max) {
    doom(srv, m, "more than %u control messages wait for it", srv->cfg.send_queue_max);
    st = MSTRO_TRANSPORT;
    goto cleanup;
  }
  o = malloc(sizeof *o);
  if (o == NULL) {
    doom(srv, m, "the Pool Manager is out of memory for its send queue");
    st = MSTRO_NOMEM;
    goto cleanup;
  }
  o->next = NULL;
  o->buf = buf;
  o->len = len;
  buf = NULL;
  if (m->out_tail != NULL)
    m->out_tail->next = o;
  else
    m->out_head = o;
  m->out_tail = o;
  m->out_n++;
  srv->out_total++;
  st = MSTRO_OK;
cleanup:
  if (st != MSTRO_OK && m != NULL)
    MSTRO_LOG_DEBUG(PM, "could not send %s to appid %llu: %s", mstro__proto_msg_name(env->msg_case),
                    (unsigned long long)m->appid, mstro_status_description(st));
  free(buf);
  return st;
}

void mstro__pm_send_refuse(struct mstro__pm_server *srv, mstro__pm_peer peer, uint64_t in_reply_to,
                           mstro_status status, const char *reason)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__Refuse r;
  mstro__pm_env_init(srv, &env, in_reply_to);
  mstro__proto__refuse__init(&r);
  r.status = (uint32_t)status;
  r.reason = (char *)reason;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_REFUSE;
  env.refuse = &r;
  mstro__pm_send_env(srv, peer, &env);
}

void mstro__pm_reap_doomed(struct mstro__pm_server *srv)
{
  while (srv->any_doomed) {
    srv->any_doomed = false; /* dropping one may doom another (its APP_LEAVE) */
    for (size_t i = 0; i < srv->n_members; i++)
      if (srv->members[i].doomed) {
        char why[sizeof srv->members[i].doomed_why];
        snprintf(why, sizeof why, "%s", srv->members[i].doomed_why);
        mstro__pm_member_drop(srv, &srv->members[i], MSTRO_TRANSPORT, why, false);
        srv->any_doomed = true; /* the array changed: look again */
        break;
      }
  }
}
