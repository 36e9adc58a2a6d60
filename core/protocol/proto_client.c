/* SPDX-License-Identifier: BSD-3-Clause */
/* The component side of membership: JOIN, HEARTBEAT, LEAVE over a link,
 * by default an OFI endpoint (see proto_client.h). */
#include "proto_client.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mstro_log.h"

struct mstro__proto_client {
  struct mstro__proto_link *link;
  uint64_t seq;
  uint64_t appid;
  uint64_t session;
  uint32_t heartbeat_ms;
  Mstro__Proto__TransportKind transport; /* the PM's choice (WELCOME) */
  uint32_t ack_kinds, event_kinds;       /* WELCOME's AckMask */
  int timeout_ms;
  uint8_t *rxbuf;
};

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the default link: an endpoint of the transport layer ---- */

struct mtr_link {
  struct mstro__proto_link base;
  mtr_ep *ep;
  mtr_peer pm;
};

static mstro_status mtr_link_addr(struct mstro__proto_link *l, char *buf, size_t len)
{
  return mtr_ep_addr(((struct mtr_link *)l)->ep, buf, len) == MTR_OK ? MSTRO_OK : MSTRO_TRANSPORT;
}

static mstro_status mtr_link_connect(struct mstro__proto_link *l, const char *addr)
{
  struct mtr_link *m = (struct mtr_link *)l;
  return mtr_ep_peer_insert(m->ep, addr, &m->pm) == MTR_OK ? MSTRO_OK : MSTRO_INVARG;
}

static mstro_status mtr_link_send(struct mstro__proto_link *l, const void *buf, size_t len,
                                  int timeout_ms)
{
  struct mtr_link *m = (struct mtr_link *)l;
  mtr_status ms = mtr_ep_send(m->ep, m->pm, MSTRO__PROTO_TAG, buf, len, timeout_ms);
  if (ms != MTR_OK)
    MSTRO_LOG_ERR(PROTO, "cannot send to the Pool Manager: %s", mtr_status_description(ms));
  return ms == MTR_OK ? MSTRO_OK : MSTRO_NO_PM;
}

static mstro_status mtr_link_recv(struct mstro__proto_link *l, void *buf, size_t cap, size_t *len,
                                  int timeout_ms)
{
  uint64_t tag = 0;
  mtr_status ms = mtr_ep_recv(((struct mtr_link *)l)->ep, NULL, &tag, buf, cap, len, timeout_ms);
  if (ms == MTR_TIMEOUT)
    return MSTRO_TIMEOUT;
  if (ms == MTR_OK && tag == MSTRO__PROTO_TAG)
    return MSTRO_OK;
  if (ms == MTR_OK || ms == MTR_TRUNCATED)
    return MSTRO_INVMSG;
  MSTRO_LOG_ERR(PROTO, "receiving from the Pool Manager failed: %s", mtr_status_description(ms));
  return MSTRO_NO_PM;
}

static mtr_ep *mtr_link_ep(struct mstro__proto_link *l)
{
  return ((struct mtr_link *)l)->ep;
}

static void mtr_link_close(struct mstro__proto_link *l)
{
  mtr_ep_close(((struct mtr_link *)l)->ep);
  free(l);
}

static const struct mstro__proto_link_ops mtr_link_ops = {
    .name = "mtr",
    .addr = mtr_link_addr,
    .connect = mtr_link_connect,
    .send = mtr_link_send,
    .recv = mtr_link_recv,
    .ep = mtr_link_ep,
    .close = mtr_link_close,
};

static mstro_status mtr_link_open(const char *transport, struct mstro__proto_link **link)
{
  mstro_status st = MSTRO_OK;
  const struct mtr_ops *ops = NULL;
  char why[256] = "";
  struct mtr_link *m = NULL;
  const char *tname = transport ? transport : "OFI";
  MSTRO_CHECK(PROTO, mtr_transport_find(tname, &ops) == MTR_OK && (ops->caps & MTR_CAP_MSG), st,
              MSTRO_TRANSPORT, "join: no transport '%s' for control messages", tname);
  MSTRO_CHECK(PROTO, mtr_transport_probe(ops, why, sizeof why) == MTR_OK, st, MSTRO_TRANSPORT,
              "join: transport '%s' unavailable here: %s", tname, why);
  m = calloc(1, sizeof *m);
  MSTRO_CHECK(PROTO, m != NULL, st, MSTRO_NOMEM, "join: out of memory");
  m->base.ops = &mtr_link_ops;
  struct mtr_ep_config ecfg = {
      .size = sizeof ecfg, .msg_max = MSTRO__PROTO_FRAME_MAX, .rx_depth = 16};
  MSTRO_CHECK(PROTO, mtr_ep_open(ops, &ecfg, &m->ep) == MTR_OK, st, MSTRO_TRANSPORT,
              "join: cannot open a %s endpoint", tname);
  *link = &m->base;
  m = NULL;
cleanup:
  free(m);
  return st;
}

/* ---- the client ---- */

void mstro__proto_client_close(struct mstro__proto_client *c)
{
  if (c == NULL)
    return;
  if (c->link != NULL)
    c->link->ops->close(c->link);
  free(c->rxbuf);
  free(c);
}

mtr_ep *mstro__proto_client_ep(struct mstro__proto_client *c)
{
  return c && c->link ? c->link->ops->ep(c->link) : NULL;
}

uint64_t mstro__proto_client_appid(const struct mstro__proto_client *c)
{
  return c ? c->appid : 0;
}

uint32_t mstro__proto_client_heartbeat_ms(const struct mstro__proto_client *c)
{
  return c ? c->heartbeat_ms : 0;
}

Mstro__Proto__TransportKind mstro__proto_client_transport(const struct mstro__proto_client *c)
{
  return c ? c->transport : MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED;
}

void mstro__proto_client_welcome_kinds(const struct mstro__proto_client *c, uint32_t *ack_kinds,
                                       uint32_t *event_kinds)
{
  *ack_kinds = c ? c->ack_kinds : 0;
  *event_kinds = c ? c->event_kinds : 0;
}

mstro_status mstro__proto_client_send(struct mstro__proto_client *c, Mstro__Proto__Envelope *env,
                                      uint64_t *seq)
{
  if (c == NULL || env == NULL)
    return MSTRO_INVARG;
  uint8_t *buf = NULL;
  size_t len = 0;
  env->version = MSTRO__PROTO_VERSION;
  env->seq = ++c->seq;
  env->sender_appid = c->appid;
  env->session = c->session;
  mstro_status st = mstro__proto_encode_alloc(env, &buf, &len);
  if (st != MSTRO_OK)
    return st;
  st = c->link->ops->send(c->link, buf, len, c->timeout_ms);
  free(buf);
  if (st != MSTRO_OK) {
    MSTRO_LOG_ERR(PROTO, "cannot send %s to the Pool Manager",
                  mstro__proto_msg_name(env->msg_case));
    return MSTRO_NO_PM;
  }
  if (seq != NULL)
    *seq = env->seq;
  return MSTRO_OK;
}

mstro_status mstro__proto_client_recv(struct mstro__proto_client *c, Mstro__Proto__Envelope **env,
                                      int timeout_ms)
{
  if (c == NULL || env == NULL)
    return MSTRO_INVARG;
  *env = NULL;
  uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
  for (;;) {
    uint64_t now = now_ms();
    int left = now >= deadline ? 0 : (int)(deadline - now);
    size_t len = 0;
    mstro_status st = c->link->ops->recv(c->link, c->rxbuf, MSTRO__PROTO_FRAME_MAX, &len, left);
    if (st == MSTRO_TIMEOUT || st == MSTRO_NO_PM)
      return st;
    if (st == MSTRO_OK) {
      char why[MSTRO__PROTO_WHY_MAX];
      if (mstro__proto_decode(c->rxbuf, len, env, why, sizeof why) == MSTRO_OK)
        return MSTRO_OK;
      MSTRO_LOG_WARN(PROTO, "dropped a malformed control message: %s", why);
    } else {
      MSTRO_LOG_WARN(PROTO, "dropped a message that is not a control frame");
    }
    if (left == 0)
      return MSTRO_TIMEOUT;
  }
}

/* Waits for the answer to request `seq` of kind `want`; a REFUSE answering it
 * gives its status. PM_LEAVE is MSTRO_NO_PM. Other messages are dropped. */
static mstro_status await_answer(struct mstro__proto_client *c, uint64_t seq,
                                 Mstro__Proto__Envelope__MsgCase want,
                                 Mstro__Proto__Envelope **answer)
{
  uint64_t deadline = now_ms() + (uint64_t)c->timeout_ms;
  for (;;) {
    uint64_t now = now_ms();
    Mstro__Proto__Envelope *e = NULL;
    mstro_status st = mstro__proto_client_recv(c, &e, now >= deadline ? 0 : (int)(deadline - now));
    if (st == MSTRO_TIMEOUT)
      return MSTRO_NO_PM;
    if (st != MSTRO_OK)
      return st;
    if (e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE) {
      MSTRO_LOG_ERR(PROTO, "the Pool Manager left: %s", e->pm_leave->reason);
      mstro__proto_free(e);
      return MSTRO_NO_PM;
    }
    if (e->in_reply_to == seq && e->msg_case == want) {
      *answer = e;
      return MSTRO_OK;
    }
    if (e->in_reply_to == seq && e->msg_case == MSTRO__PROTO__ENVELOPE__MSG_REFUSE) {
      mstro_status refusal = (mstro_status)e->refuse->status;
      MSTRO_LOG_ERR(PROTO, "the Pool Manager refused: %s (%s)", e->refuse->reason,
                    mstro_status_description(refusal));
      mstro__proto_free(e);
      return refusal;
    }
    MSTRO_LOG_DEBUG(PROTO, "dropped %s while waiting", mstro__proto_msg_name(e->msg_case));
    mstro__proto_free(e);
  }
}

mstro_status mstro__proto_client_join(const struct mstro__proto_client_config *cfg,
                                      struct mstro__proto_client **client)
{
  mstro_status st = MSTRO_OK;
  struct mstro__proto_client *c = NULL;
  struct mstro__proto_pm_info info;
  Mstro__Proto__Envelope *answer = NULL;
  char addr[MTR_ADDR_MAX], host[MSTRO__PROTO_HOST_MAX + 1] = "";
  Mstro__Proto__TransportKind kinds[MSTRO__PROTO_TRANSPORTS_MAX];
  size_t n_kinds = 0;

  MSTRO_CHECK(PROTO, cfg != NULL && client != NULL, st, MSTRO_INVARG, "join: NULL argument");
  MSTRO_CHECK(PROTO,
              cfg->workflow_name != NULL && cfg->workflow_name[0] != '\0' &&
                  cfg->component_name != NULL && cfg->component_name[0] != '\0',
              st, MSTRO_INVARG, "join: a workflow name and a component name are needed");
  MSTRO_CHECK_CALL(PROTO, st, mstro__proto_info_parse(cfg->info, &info, NULL, 0),
                   "join: cannot use the Pool Manager's contact string");
  c = calloc(1, sizeof *c);
  MSTRO_CHECK(PROTO, c != NULL, st, MSTRO_NOMEM, "join: out of memory");
  c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
  c->rxbuf = malloc(MSTRO__PROTO_FRAME_MAX);
  MSTRO_CHECK(PROTO, c->rxbuf != NULL, st, MSTRO_NOMEM, "join: out of memory");
  MSTRO_CHECK_CALL(PROTO, st,
                   (cfg->open_link ? cfg->open_link : mtr_link_open)(cfg->transport, &c->link),
                   "join: no link to the Pool Manager");
  MSTRO_CHECK(PROTO, c->link->ops->addr(c->link, addr, sizeof addr) == MSTRO_OK, st,
              MSTRO_TRANSPORT, "join: the endpoint has no address");
  mstro_status cs = MSTRO_INVARG;
  for (size_t i = 0; i < info.n_addrs && cs != MSTRO_OK; i++)
    cs = c->link->ops->connect(c->link, info.addrs[i]);
  MSTRO_CHECK(PROTO, cs == MSTRO_OK, st, MSTRO_NO_PM,
              "join: none of the Pool Manager's %zu address(es) can be used here", info.n_addrs);

  /* The transports built in; not probed here (probing MIO connects to the
   * cluster): the PM falls back when one turns out unusable. */
  for (size_t i = 0; i < mtr_transport_count() && n_kinds < MSTRO__PROTO_TRANSPORTS_MAX; i++) {
    const struct mtr_ops *t = mtr_transport_get(i);
    if (t != NULL &&
        mstro__proto_transport_kind(t->name) != MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED)
      kinds[n_kinds++] = mstro__proto_transport_kind(t->name);
  }
  gethostname(host, sizeof host - 1);

  Mstro__Proto__Envelope env;
  Mstro__Proto__Join j;
  mstro__proto__envelope__init(&env);
  mstro__proto__join__init(&j);
  j.protocol_version = MSTRO__PROTO_VERSION;
  j.workflow_name = (char *)cfg->workflow_name;
  j.component_name = (char *)cfg->component_name;
  j.component_index = cfg->component_index;
  j.workflow_secret = (ProtobufCBinaryData){sizeof info.secret, info.secret};
  j.endpoint_address = (ProtobufCBinaryData){strlen(addr), (uint8_t *)addr};
  j.pid = (uint32_t)getpid();
  j.hostname = host;
  j.n_transports = n_kinds;
  j.transports = kinds;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_JOIN;
  env.join = &j;
  uint64_t seq = 0;
  MSTRO_CHECK_CALL(PROTO, st, mstro__proto_client_send(c, &env, &seq),
                   "join: cannot reach the Pool Manager");
  st = await_answer(c, seq, MSTRO__PROTO__ENVELOPE__MSG_WELCOME, &answer);
  MSTRO_CHECK(PROTO, st == MSTRO_OK, st, st, "join: component '%s' index %lld not admitted: %s",
              cfg->component_name, (long long)cfg->component_index, mstro_status_description(st));
  c->appid = answer->welcome->appid;
  c->session = answer->welcome->session;
  c->heartbeat_ms = answer->welcome->heartbeat_interval_ms;
  c->transport = answer->welcome->transport;
  c->ack_kinds = answer->welcome->ack_kinds;
  c->event_kinds = answer->welcome->event_kinds;
  MSTRO_LOG_INFO(PROTO, "joined workflow '%s' as '%s' index %lld: appid %llu", cfg->workflow_name,
                 cfg->component_name, (long long)cfg->component_index,
                 (unsigned long long)c->appid);
  *client = c;
  c = NULL;
cleanup:
  mstro__proto_free(answer);
  mstro__proto_client_close(c);
  return st;
}

mstro_status mstro__proto_client_heartbeat(struct mstro__proto_client *c)
{
  Mstro__Proto__Envelope env;
  Mstro__Proto__Heartbeat h;
  mstro__proto__envelope__init(&env);
  mstro__proto__heartbeat__init(&h);
  h.timestamp_ns = (uint64_t)now_ms() * 1000000u;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT;
  env.heartbeat = &h;
  return mstro__proto_client_send(c, &env, NULL);
}

mstro_status mstro__proto_client_leave(struct mstro__proto_client *c)
{
  if (c == NULL)
    return MSTRO_INVARG;
  Mstro__Proto__Envelope env, *answer = NULL;
  Mstro__Proto__Leave l;
  mstro__proto__envelope__init(&env);
  mstro__proto__leave__init(&l);
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_LEAVE;
  env.leave = &l;
  uint64_t seq = 0;
  mstro_status st = mstro__proto_client_send(c, &env, &seq);
  if (st == MSTRO_OK)
    st = await_answer(c, seq, MSTRO__PROTO__ENVELOPE__MSG_BYE, &answer);
  if (st == MSTRO_OK)
    MSTRO_LOG_INFO(PROTO, "left the workflow (appid %llu)", (unsigned long long)c->appid);
  else
    MSTRO_LOG_ERR(PROTO, "leave: no goodbye from the Pool Manager: %s",
                  mstro_status_description(st));
  mstro__proto_free(answer);
  mstro__proto_client_close(c);
  return st;
}
