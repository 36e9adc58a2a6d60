/* SPDX-License-Identifier: BSD-3-Clause */
/* The component side of the control protocol's membership (internal,
 * mstro__proto_client_*): what mstro_init / mstro_finalize will do to join and
 * leave a Pool Manager, over an OFI endpoint of the transport layer.
 *
 * Not thread-safe: one thread uses a client at a time (the caller serializes).
 */
#ifndef MSTRO_PROTO_CLIENT_H
#define MSTRO_PROTO_CLIENT_H

#include <stdint.h>

#include "maestro/status.h"
#include "mtr.h"
#include "proto_codec.h"

struct mstro__proto_client;

/* Where the client's frames go: an endpoint of the transport layer (the
 * default), or another channel of the same semantics (tests: pm/'s
 * in-process loopback). One link per client; the client closes it. */
struct mstro__proto_link;
struct mstro__proto_link_ops {
  const char *name;
  /** This side's printable address (JOIN's endpoint_address). */
  mstro_status (*addr)(struct mstro__proto_link *l, char *buf, size_t len);
  /** Make the PM at `addr` the peer: MSTRO_OK; MSTRO_INVARG when unusable. */
  mstro_status (*connect)(struct mstro__proto_link *l, const char *addr);
  /** Send one frame to the PM: MSTRO_OK; MSTRO_NO_PM (logged). */
  mstro_status (*send)(struct mstro__proto_link *l, const void *buf, size_t len, int timeout_ms);
  /** Receive one frame: MSTRO_OK (*len); MSTRO_TIMEOUT; MSTRO_INVMSG for
   * one that is not a control frame (dropped); MSTRO_NO_PM (failed). */
  mstro_status (*recv)(struct mstro__proto_link *l, void *buf, size_t cap, size_t *len,
                       int timeout_ms);
  /** The endpoint data move through (regions, RMA reads); NULL: none. */
  mtr_ep *(*ep)(struct mstro__proto_link *l);
  void (*close)(struct mstro__proto_link *l);
};
/** Every link starts with this. */
struct mstro__proto_link {
  const struct mstro__proto_link_ops *ops;
};
/** Open a link for control messages (transport: NULL for "OFI"):
 * MSTRO_OK; MSTRO_TRANSPORT (logged) when none can be opened; MSTRO_NOMEM. */
typedef mstro_status (*mstro__proto_link_open_fn)(const char *transport,
                                                  struct mstro__proto_link **link);

struct mstro__proto_client_config {
  const char *info;           /**< MSTRO_POOL_MANAGER_INFO */
  const char *workflow_name;  /**< must match the PM's */
  const char *component_name; /**< non-empty */
  int64_t component_index;
  int timeout_ms;                      /**< bound on each wait for the PM; <= 0: 10000 */
  const char *transport;               /**< NULL: "OFI" */
  mstro__proto_link_open_fn open_link; /**< NULL: a transport-layer endpoint */
};

/** Open an endpoint, send JOIN, wait for the answer.
 * @return MSTRO_OK (*client set); MSTRO_INVARG for a malformed info string or
 *         a missing name; MSTRO_AUTH, MSTRO_NOT_TWICE, ... as the PM's REFUSE
 *         says (logged with its reason); MSTRO_NO_PM when the PM does not
 *         answer in time or cannot be reached; MSTRO_TRANSPORT when no
 *         endpoint can be opened; MSTRO_NOMEM. */
mstro_status mstro__proto_client_join(const struct mstro__proto_client_config *cfg,
                                      struct mstro__proto_client **client);

/** The appid the PM assigned, and its heartbeat interval (ms). */
uint64_t mstro__proto_client_appid(const struct mstro__proto_client *c);
uint32_t mstro__proto_client_heartbeat_ms(const struct mstro__proto_client *c);
/* The event kinds other members hold (_REQUIRE_ACK) and watch, as WELCOME
 * gave them (later changes come as ACK_MASK messages). */
void mstro__proto_client_welcome_kinds(const struct mstro__proto_client *c, uint32_t *ack_kinds,
                                       uint32_t *event_kinds);

/** The data transport the PM told this component to use (WELCOME);
 * UNSPECIFIED when the PM did not say. */
Mstro__Proto__TransportKind mstro__proto_client_transport(const struct mstro__proto_client *c);

/** Send a message: sets its sequence number, appid and session, encodes and
 * sends it; *seq (may be NULL) gets the sequence number for matching the
 * answer's in_reply_to.
 * @return MSTRO_OK; MSTRO_INVMSG (invalid message); MSTRO_NO_PM when the PM
 *         cannot be reached. */
mstro_status mstro__proto_client_send(struct mstro__proto_client *c, Mstro__Proto__Envelope *env,
                                      uint64_t *seq);

/** Receive the next message from the PM (free it with mstro__proto_free).
 * Frames from other senders and malformed frames are dropped (logged).
 * @return MSTRO_OK; MSTRO_TIMEOUT; MSTRO_NO_PM when the endpoint failed. */
mstro_status mstro__proto_client_recv(struct mstro__proto_client *c, Mstro__Proto__Envelope **env,
                                      int timeout_ms);

/** Send a HEARTBEAT (the PM answers with one; read it with recv).
 * @return as mstro__proto_client_send. */
mstro_status mstro__proto_client_heartbeat(struct mstro__proto_client *c);

/** Send LEAVE, wait for BYE (other messages meanwhile are dropped), then
 * close. The client is freed in every case.
 * @return MSTRO_OK; MSTRO_NO_PM when no BYE came in time (or the PM had
 *         already left: PM_LEAVE); MSTRO_INVARG for NULL. */
mstro_status mstro__proto_client_leave(struct mstro__proto_client *c);

/** The client's endpoint (also used for the data: exposed regions, RMA reads);
 * NULL when its link has none. */
mtr_ep *mstro__proto_client_ep(struct mstro__proto_client *c);

/** Close without leaving (the PM will notice the silence); NULL is a no-op. */
void mstro__proto_client_close(struct mstro__proto_client *c);

#endif
