/* SPDX-License-Identifier: BSD-3-Clause */
/* Control channel over a transport-layer endpoint (see pm_chan.h): OFI
 * control messages through include/mtr.h, tagged MSTRO__PROTO_TAG. */
#include <stdlib.h>

#include "mstro_log.h"
#include "mtr.h"
#include "pm_chan.h"
#include "proto_codec.h"

struct mtr_chan {
  struct mstro__pm_chan base;
  mtr_ep *ep;
};

static mstro_status from_mtr(mtr_status s)
{
  switch (s) {
  case MTR_OK:
    return MSTRO_OK;
  case MTR_TIMEOUT:
    return MSTRO_TIMEOUT;
  case MTR_INVALID_ARG:
    return MSTRO_INVARG;
  case MTR_NOMEM:
    return MSTRO_NOMEM;
  case MTR_TRUNCATED:
    return MSTRO_INVMSG;
  case MTR_AGAIN:
    return MSTRO_WOULDBLOCK;
  default:
    return MSTRO_TRANSPORT;
  }
}

static mstro_status chan_addr(struct mstro__pm_chan *c, char *buf, size_t len)
{
  mtr_status s = mtr_ep_addr(((struct mtr_chan *)c)->ep, buf, len);
  return s == MTR_TRUNCATED ? MSTRO_INVOUT : from_mtr(s);
}

static mstro_status chan_peer_insert(struct mstro__pm_chan *c, const char *addr,
                                     mstro__pm_peer *peer)
{
  mtr_peer p = MTR_PEER_UNKNOWN;
  mtr_status s = mtr_ep_peer_insert(((struct mtr_chan *)c)->ep, addr, &p);
  if (s == MTR_OK)
    *peer = p == MTR_PEER_UNKNOWN ? MSTRO__PM_PEER_UNKNOWN : (mstro__pm_peer)p;
  return from_mtr(s);
}

static mstro_status chan_peer_remove(struct mstro__pm_chan *c, mstro__pm_peer peer)
{
  return from_mtr(mtr_ep_peer_remove(((struct mtr_chan *)c)->ep, (mtr_peer)peer));
}

static mstro_status chan_send(struct mstro__pm_chan *c, mstro__pm_peer peer, const void *buf,
                              size_t len, int timeout_ms)
{
  return from_mtr(mtr_ep_send(((struct mtr_chan *)c)->ep, (mtr_peer)peer, MSTRO__PROTO_TAG, buf,
                              len, timeout_ms));
}

static mstro_status chan_try_send(struct mstro__pm_chan *c, mstro__pm_peer peer, const void *buf,
                                  size_t len)
{
  return from_mtr(
      mtr_ep_try_send(((struct mtr_chan *)c)->ep, (mtr_peer)peer, MSTRO__PROTO_TAG, buf, len));
}

static mstro_status chan_recv(struct mstro__pm_chan *c, mstro__pm_peer *from, void *buf, size_t cap,
                              size_t *len, int timeout_ms)
{
  mtr_peer p = MTR_PEER_UNKNOWN;
  uint64_t tag = 0;
  mtr_status s = mtr_ep_recv(((struct mtr_chan *)c)->ep, &p, &tag, buf, cap, len, timeout_ms);
  if (from != NULL)
    *from = p == MTR_PEER_UNKNOWN ? MSTRO__PM_PEER_UNKNOWN : (mstro__pm_peer)p;
  if (s == MTR_OK && tag != MSTRO__PROTO_TAG) {
    MSTRO_LOG_WARN(PM, "dropped a message with the foreign tag 0x%016llx", (unsigned long long)tag);
    return MSTRO_INVMSG;
  }
  return from_mtr(s);
}

static void chan_close(struct mstro__pm_chan *c)
{
  struct mtr_chan *m = (struct mtr_chan *)c;
  mtr_ep_close(m->ep);
  free(m);
}

static const struct mstro__pm_chan_ops mtr_chan_ops = {
    .name = "mtr",
    .addr = chan_addr,
    .peer_insert = chan_peer_insert,
    .peer_remove = chan_peer_remove,
    .send = chan_send,
    .try_send = chan_try_send,
    .recv = chan_recv,
    .close = chan_close,
};

mstro_status mstro__pm_chan_mtr_open(const char *transport, struct mstro__pm_chan **chan)
{
  const struct mtr_ops *ops = NULL;
  char why[256] = "";
  if (chan == NULL)
    return MSTRO_INVARG;
  if (transport == NULL)
    transport = "OFI";
  mtr_status s = mtr_transport_find(transport, &ops);
  if (s != MTR_OK) {
    MSTRO_LOG_ERR(PM, "transport '%s' for control messages: %s", transport,
                  mtr_status_description(s));
    return s == MTR_INVALID_ARG ? MSTRO_INVARG : MSTRO_TRANSPORT;
  }
  if ((ops->caps & MTR_CAP_MSG) == 0) {
    MSTRO_LOG_ERR(PM, "transport '%s' carries no control messages", transport);
    return MSTRO_TRANSPORT;
  }
  if (mtr_transport_probe(ops, why, sizeof why) != MTR_OK) {
    MSTRO_LOG_ERR(PM, "transport '%s' is unavailable here: %s", transport, why);
    return MSTRO_TRANSPORT;
  }
  struct mtr_chan *m = calloc(1, sizeof *m);
  if (m == NULL)
    return MSTRO_NOMEM;
  struct mtr_ep_config cfg = {
      .size = sizeof cfg, .msg_max = MSTRO__PROTO_FRAME_MAX, .rx_depth = 32};
  s = mtr_ep_open(ops, &cfg, &m->ep);
  if (s != MTR_OK) {
    MSTRO_LOG_ERR(PM, "cannot open a %s endpoint: %s", transport, mtr_status_description(s));
    free(m);
    return MSTRO_TRANSPORT;
  }
  m->base.ops = &mtr_chan_ops;
  *chan = &m->base;
  return MSTRO_OK;
}
