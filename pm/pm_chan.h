/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's control channel (internal): where its frames come from
 * and go to. Two implementations:
 *
 * - "mtr": an endpoint of the transport layer (OFI control messages through
 *   include/mtr.h), what maestro-pm and mstro_pm_start use;
 * - "loop": an in-process loopback fabric for tests, with the same semantics
 *   (printable addresses, peers inserted by address, bounded messages, the
 *   sender known only when it has been inserted on the receiving side).
 *
 * Thread safety: a channel may be used from several threads.
 */
#ifndef MSTRO_PM_CHAN_H
#define MSTRO_PM_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "maestro/status.h"

typedef uint64_t mstro__pm_peer;
/** A sender that was not inserted here (or whose address the fabric hides). */
#define MSTRO__PM_PEER_UNKNOWN UINT64_MAX
/** Largest printable channel address, NUL included. */
#define MSTRO__PM_ADDR_MAX 512

struct mstro__pm_chan;

struct mstro__pm_chan_ops {
  const char *name;
  /** This side's address, for the contact string. MSTRO_INVOUT if too small. */
  mstro_status (*addr)(struct mstro__pm_chan *c, char *buf, size_t len);
  /** Insert a peer by address. MSTRO_INVARG for a malformed address. */
  mstro_status (*peer_insert)(struct mstro__pm_chan *c, const char *addr, mstro__pm_peer *peer);
  /** Forget a peer. */
  mstro_status (*peer_remove)(struct mstro__pm_chan *c, mstro__pm_peer peer);
  /** Send one frame. MSTRO_TRANSPORT if the peer is gone, MSTRO_TIMEOUT. */
  mstro_status (*send)(struct mstro__pm_chan *c, mstro__pm_peer peer, const void *buf, size_t len,
                       int timeout_ms);
  /** Send one frame if it can go now, never waiting: MSTRO_OK (the buffer
   * may be reused), MSTRO_WOULDBLOCK (nothing sent: the peer's side is full;
   * try again later), MSTRO_TRANSPORT if the peer is gone or refused. */
  mstro_status (*try_send)(struct mstro__pm_chan *c, mstro__pm_peer peer, const void *buf,
                           size_t len);
  /** Receive one frame into buf (capacity cap): MSTRO_OK with *len and *from;
   * MSTRO_TIMEOUT when none arrived; MSTRO_INVMSG when one was dropped for
   * being oversized or not a control frame (*from set when known);
   * MSTRO_TRANSPORT when the channel failed. */
  mstro_status (*recv)(struct mstro__pm_chan *c, mstro__pm_peer *from, void *buf, size_t cap,
                       size_t *len, int timeout_ms);
  /** Close and free the channel. */
  void (*close)(struct mstro__pm_chan *c);
};

/** Every channel starts with this. */
struct mstro__pm_chan {
  const struct mstro__pm_chan_ops *ops;
};

/** An in-process loopback endpoint ("loop:<n>"), for tests.
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_NOMEM. */
mstro_status mstro__pm_chan_loop_open(struct mstro__pm_chan **chan);

/** Tests: make a loopback endpoint report `peer` as the source of messages
 * from senders it has not inserted, as some fabric providers do (shm). */
void mstro__pm_chan_loop_fake_source(struct mstro__pm_chan *chan, mstro__pm_peer peer);

/** Tests: bound a loopback endpoint's inbox to `frames` frames (0: none, the
 * default). A sender to a full inbox waits (send) or is told MSTRO_WOULDBLOCK
 * (try_send), as with a consumer that stops draining its fabric queue. */
void mstro__pm_chan_loop_set_capacity(struct mstro__pm_chan *chan, size_t frames);

/** A transport-layer endpoint of the transport named `transport` (NULL:
 * "OFI"), with messages bounded by the protocol's frame limit.
 * @return MSTRO_OK; MSTRO_TRANSPORT (logged with the reason) when no endpoint
 *         can be opened; MSTRO_INVARG; MSTRO_NOMEM. */
mstro_status mstro__pm_chan_mtr_open(const char *transport, struct mstro__pm_chan **chan);

#endif
