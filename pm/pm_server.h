/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's server (internal): membership over a control channel.
 *
 * What it serves now: JOIN (workflow name and secret checked; WELCOME with an
 * appid, or REFUSE with MSTRO_AUTH / MSTRO_NOT_TWICE / MSTRO_INVMSG and a log
 * line naming the component and the reason), HEARTBEAT (answered; a member
 * silent for heartbeat_ms * heartbeat_grace is dropped as crashed), LEAVE
 * (answered with BYE), and PM_LEAVE to every member when it stops.
 * Malformed frames are counted per sender; a member that sends
 * max_bad_msgs of them is dropped.
 *
 * The pool: DECLARE (answered with DECLARE_ACK), OFFER (listed in a pool
 * directory, core/pool_dir.c), DEMAND (answered with a TRANSFER_TICKET naming
 * the oldest offer of that name, at once or when one arrives),
 * TRANSFER_COMPLETED (the ticket is done), WITHDRAW (answered with
 * WITHDRAW_ACK once no ticket of that offer is in flight). A member that
 * leaves or is dropped takes its offers, waiting demands and tickets with it.
 * REQUIRE is answered with a ticket as soon as an offer is there (prefetch);
 * RETRACT and DISPOSE are forwarded as events.
 *
 * Events: SUBSCRIBE / UNSUBSCRIBE; the other members' events are forwarded.
 * An OFFER is answered with EVENT_ACK once every subscription with
 * _REQUIRE_ACK that got its OFFER event has sent EVENT_ACK for it, or its
 * member left, was dropped or unsubscribed (_REQUIRE_ACK across processes).
 * An EVENT_ACK nobody waits for is refused with MSTRO_NOENT.
 *
 * Transport: the workflow's data transport is decided at create
 * (pm_transport.h) and told to each member in WELCOME.
 *
 * Thread safety: one thread runs the server (step/run); stop, member_count,
 * info and joined may be called from any thread.
 */
#ifndef MSTRO_PM_SERVER_H
#define MSTRO_PM_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maestro/status.h"
#include "pm_chan.h"

struct mstro__pm_config {
  const char *workflow_name; /**< required: JOINs must name it */
  uint32_t heartbeat_ms;     /**< interval told to members; 0: 1000 */
  uint32_t heartbeat_grace;  /**< silent intervals before a member is dropped; 0: 10 */
  unsigned max_bad_msgs;     /**< malformed frames before a member is dropped; 0: 8 */
  bool exit_when_idle;       /**< run returns once every member that joined has left */
  /** the workflow's data transport (a Mstro__Proto__TransportKind) told to
   * members in WELCOME; 0: decided by create from MSTRO_TRANSPORT_DEFAULT
   * with a logged fallback (pm_transport.h) */
  int transport;
  /** frames queued for one member that cannot take them yet before it is
   * dropped; 0: 4096 */
  unsigned send_queue_max;
  /** a member whose queue has not moved for this long is dropped; 0:
   * heartbeat_ms * heartbeat_grace */
  uint32_t send_stall_ms;
};

struct mstro__pm_server;

/** Create a server on `chan` (taken over: closed by destroy, or here on
 * failure); draws the workflow secret from getrandom().
 * @return MSTRO_OK; MSTRO_INVARG (NULL, no or an overlong workflow name);
 *         MSTRO_NOMEM; MSTRO_FAIL when no random secret can be drawn. */
mstro_status mstro__pm_server_create(const struct mstro__pm_config *cfg,
                                     struct mstro__pm_chan *chan, struct mstro__pm_server **srv);

/** The contact string (caller frees).
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_NOMEM. */
mstro_status mstro__pm_server_info(struct mstro__pm_server *srv, char **info);

/** Wait up to timeout_ms for one frame, handle it, then check heartbeats.
 * @return MSTRO_OK (a frame handled or none arrived); MSTRO_TRANSPORT when
 *         the channel failed. Malformed frames are not an error here. */
mstro_status mstro__pm_server_step(struct mstro__pm_server *srv, int timeout_ms);

/** Serve until mstro__pm_server_stop, a non-zero *signal_flag (may be NULL)
 * or, with exit_when_idle, until every member has left; then send PM_LEAVE to
 * the remaining members.
 * @return MSTRO_OK; MSTRO_TRANSPORT when the channel failed for good. */
mstro_status mstro__pm_server_run(struct mstro__pm_server *srv,
                                  const volatile sig_atomic_t *signal_flag);

/** Ask a running server to stop (from any thread). */
void mstro__pm_server_stop(struct mstro__pm_server *srv);

/** Members currently joined. */
size_t mstro__pm_server_member_count(struct mstro__pm_server *srv);
/** Components ever welcomed. */
uint64_t mstro__pm_server_joined(struct mstro__pm_server *srv);
/** Malformed frames received so far (all senders). */
uint64_t mstro__pm_server_bad_msgs(struct mstro__pm_server *srv);
/** EVENT_ACKs sent to release a held operation (_REQUIRE_ACK) or a SUBSCRIBE:
 * none for operations of a kind no other member holds. */
uint64_t mstro__pm_server_releases(struct mstro__pm_server *srv);

/** Send PM_LEAVE to every member and forget them (run does it on exit).
 * @return MSTRO_OK. */
mstro_status mstro__pm_server_shutdown(struct mstro__pm_server *srv, const char *reason);

/** Free the server and close its channel; NULL is a no-op. */
void mstro__pm_server_destroy(struct mstro__pm_server *srv);

/** What mstro_pm_start does, on a given channel (taken over) and
 * configuration: a server on a thread of this process, reachable through
 * mstro_pm_getinfo and stopped by mstro_pm_terminate.
 * @return MSTRO_OK; MSTRO_NOT_TWICE when one runs already; as
 *         mstro__pm_server_create; MSTRO_FAIL when no thread can start. */
mstro_status mstro__pm_start_with(const struct mstro__pm_config *cfg, struct mstro__pm_chan *chan);

#endif
