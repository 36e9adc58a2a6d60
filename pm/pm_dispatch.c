/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's server: what goes in and out (encoding, sending,
 * handling one frame, dispatching a member's message to its module) and the
 * server's lifecycle (create, step, run, shutdown, destroy). See pm_server.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "pm_server_internal.h"
#include "pm_transport.h"

/* ---- helpers ------------------------------------------------------------- */

/* Copies a peer-supplied string for a log line: mstro__pm_printable ASCII only, cut. */
const char *mstro__pm_printable(const char *s, char *buf, size_t len)
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

mstro_status mstro__pm_random_bytes(void *buf, size_t n)
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
    mstro__pm_env_init(srv, &out, env->seq);
    mstro__proto__heartbeat__init(&h);
    h.timestamp_ns = mstro_clock();
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT;
    out.heartbeat = &h;
    mstro__pm_send_env(srv, m->peer, &out);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_LEAVE: {
    Mstro__Proto__Envelope out;
    Mstro__Proto__Bye b;
    mstro__pm_env_init(srv, &out, env->seq);
    mstro__proto__bye__init(&b);
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_BYE;
    out.bye = &b;
    mstro__pm_send_env(srv, m->peer, &out);
    MSTRO_LOG_INFO(PM, "component '%s' index %lld (appid %llu) left",
                   mstro__pm_printable(m->component_name, name, sizeof name),
                   (long long)m->component_index, (unsigned long long)m->appid);
    mstro__pm_member_remove(srv, m);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE:
    mstro__pm_handle_declare(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_OFFER:
    mstro__pm_handle_offer(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_DEMAND:
    mstro__pm_handle_demand(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW:
    mstro__pm_handle_withdraw(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED:
    mstro__pm_handle_completed(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_REQUIRE: {
    /* The transfer starts before the demand when it can (prefetch). */
    struct pm_hold *h = mstro__pm_hold_begin(m, env);
    mstro__pm_emit_cdo(srv, MSTRO_POOL_EVENT_REQUIRE, m, env->require->cdo_name,
                       &env->require->attributes, 0, h);
    mstro__pm_hold_end(srv, m, env, h);
    mstro__pm_handle_require(srv, m, env);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_RETRACT: {
    struct pm_hold *h = mstro__pm_hold_begin(m, env);
    mstro__pm_emit_cdo(srv, MSTRO_POOL_EVENT_RETRACT, m, env->retract->cdo_name, NULL, 0, h);
    mstro__pm_hold_end(srv, m, env, h);
    mstro__pm_drop_requires(srv, m->appid, &env->retract->cdo_id, env->retract->cdo_name);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_DISPOSE: {
    struct pm_hold *h = mstro__pm_hold_begin(m, env);
    mstro__pm_emit_cdo(srv, MSTRO_POOL_EVENT_DISPOSE, m, env->dispose->cdo_name, NULL, 0, h);
    mstro__pm_hold_end(srv, m, env, h);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_SEAL: {
    struct pm_hold *h = mstro__pm_hold_begin(m, env);
    mstro__pm_emit_cdo(srv, MSTRO_POOL_EVENT_SEAL, m, env->seal->cdo_name, &env->seal->attributes,
                       0, h);
    mstro__pm_hold_end(srv, m, env, h);
    return;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED:
    mstro__pm_handle_started(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM:
    mstro__pm_handle_mask_confirm(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER:
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_WITHDRAW:
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_REQUIRE:
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_DEMAND:
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_SEAL:
    mstro__pm_handle_group(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE:
  case MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE:
    mstro__pm_handle_subscribe(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK:
    mstro__pm_handle_event_ack(srv, m, env);
    return;
  case MSTRO__PROTO__ENVELOPE__MSG_REFUSE: {
    char reason[LOG_NAME_MAX];
    MSTRO_LOG_INFO(PM, "component '%s' (appid %llu) refused message %llu: %s (%s)",
                   mstro__pm_printable(m->component_name, name, sizeof name),
                   (unsigned long long)m->appid, (unsigned long long)env->in_reply_to,
                   mstro_status_description((mstro_status)env->refuse->status),
                   mstro__pm_printable(env->refuse->reason, reason, sizeof reason));
    return;
  }
  default: {
    /* WELCOME, BYE, PM_LEAVE, DECLARE_ACK, WITHDRAW_ACK, TRANSFER_TICKET and
     * EVENT only ever go from the PM to a component. */
    char why[MSTRO__PROTO_WHY_MAX];
    snprintf(why, sizeof why, "%s may only be sent by the Pool Manager", kind);
    mstro__pm_send_refuse(srv, m->peer, env->seq, MSTRO_INVMSG, why);
    mstro__pm_member_bad(srv, m, why);
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
    mstro__pm_count_bad(srv, from, why);
    return;
  }
  MSTRO_LOG_DEBUG(PM, "%s (seq %llu) from peer %lld", mstro__proto_msg_name(env->msg_case),
                  (unsigned long long)env->seq,
                  from == MSTRO__PM_PEER_UNKNOWN ? -1ll : (long long)from);
  if (env->msg_case == MSTRO__PROTO__ENVELOPE__MSG_JOIN) {
    mstro__pm_handle_join(srv, from, env);
  } else {
    /* A member is known by its appid and proven by its session key. */
    struct member *m = mstro__pm_member_by_appid(srv, env->sender_appid);
    if (m == NULL || env->session != m->session) {
      snprintf(why, sizeof why, "%s with a wrong appid or session (appid %llu)",
               mstro__proto_msg_name(env->msg_case), (unsigned long long)env->sender_appid);
      mstro__pm_count_bad(srv, from, why);
    } else {
      handle_member_msg(srv, m, env);
    }
  }
  mstro__proto_free(env);
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
  if (srv->cfg.send_queue_max == 0)
    srv->cfg.send_queue_max = 4096;
  if (srv->cfg.send_stall_ms == 0)
    srv->cfg.send_stall_ms = srv->cfg.heartbeat_ms * srv->cfg.heartbeat_grace;
  srv->next_appid = 1;
  if (srv->cfg.transport == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED) {
    Mstro__Proto__TransportKind kind = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
    MSTRO_CHECK_CALL(PM, st, mstro__pm_transport_choose(&kind),
                     "no transport for the workflow's data");
    srv->cfg.transport = (int)kind;
  }
  MSTRO_CHECK_CALL(PM, st, mstro__pool_dir_create(&srv->dir), "cannot create the pool directory");
  MSTRO_CHECK_CALL(PM, st, mstro__pm_pool_init(srv), "cannot create the pool's indexes");
  MSTRO_CHECK_CALL(PM, st, mstro__pm_lifetimes_create(&srv->lifetimes),
                   "cannot create the lifetime heap");
  srv->workflow = strdup(cfg->workflow_name);
  srv->rxbuf = malloc(MSTRO__PROTO_FRAME_MAX);
  MSTRO_CHECK(PM, srv->workflow != NULL && srv->rxbuf != NULL, st, MSTRO_NOMEM,
              "cannot allocate the server");
  srv->cfg.workflow_name = srv->workflow;
  MSTRO_CHECK_CALL(PM, st, mstro__pm_random_bytes(srv->secret, sizeof srv->secret),
                   "cannot draw the workflow secret");
  MSTRO_CHECK_CALL(PM, st, chan->ops->addr(chan, srv->addr, sizeof srv->addr),
                   "cannot read the channel's address");
  *out = srv;
  srv = NULL;
  chan = NULL;
cleanup:
  if (srv != NULL) {
    mstro__pm_pool_free(srv);
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
  mstro__pm_send_flush(srv);
  timeout_ms = mstro__pm_lifetimes_timeout_ms(srv->lifetimes, mstro_clock(), timeout_ms);
  /* frames wait for a member: come back soon to send them */
  if (mstro__pm_send_pending(srv) && timeout_ms > 1)
    timeout_ms = 1;
  mstro_status st =
      srv->chan->ops->recv(srv->chan, &from, srv->rxbuf, MSTRO__PROTO_FRAME_MAX, &len, timeout_ms);
  if (st == MSTRO_OK) {
    handle_frame(srv, from, srv->rxbuf, len);
  } else if (st == MSTRO_INVMSG) {
    char why[96];
    snprintf(why, sizeof why, "a message of %zu bytes that is not a control frame", len);
    mstro__pm_count_bad(srv, from, why);
  } else if (st != MSTRO_TIMEOUT) {
    MSTRO_LOG_ERR(PM, "receiving on the control channel failed: %s", mstro_status_description(st));
    mstro__pm_reap_doomed(srv);
    mstro__pm_check_heartbeats(srv);
    return MSTRO_TRANSPORT;
  }
  mstro__pm_reap_doomed(srv);
  mstro__pm_offers_expire(srv);
  mstro__pm_check_heartbeats(srv);
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
    mstro__pm_env_init(srv, &out, 0);
    mstro__proto__pmleave__init(&l);
    l.reason = (char *)(reason ? reason : "");
    out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE;
    out.pm_leave = &l;
    mstro__pm_send_env(srv, m->peer, &out);
    mstro__pm_member_remove(srv, m);
  }
  return MSTRO_OK;
}

void mstro__pm_server_destroy(struct mstro__pm_server *srv)
{
  if (srv == NULL)
    return;
  for (size_t i = 0; i < srv->n_members; i++) {
    mstro__pm_send_forget(srv, &srv->members[i]);
    free(srv->members[i].component_name);
  }
  mstro__pm_groups_free(srv);
  mstro__pm_pool_free(srv);
  mstro__pm_events_free(srv);
  mstro__pool_dir_destroy(srv->dir);
  mstro__pm_lifetimes_destroy(srv->lifetimes);
  mstro__pm_remove_due_peers(srv, true);
  srv->chan->ops->close(srv->chan);
  free(srv->members);
  free(srv->workflow);
  free(srv->rxbuf);
  free(srv);
}
