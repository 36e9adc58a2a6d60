/* SPDX-License-Identifier: BSD-3-Clause */
/* The event bus (events.c): operations raise events, subscriptions take
 * them. The bus calls no module of the pool area: events of other
 * components are handed to it (mstro__event_deliver_remote), and what it
 * must tell the Pool Manager (subscriptions, acks) goes through the remote
 * hook the PM-client backend installs while it is joined. */
#ifndef MSTRO_EVENTS_H
#define MSTRO_EVENTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "attr.h"
#include "maestro.h"

#define MSTRO__SUB_MAGIC UINT32_C(0x4d535542) /* "MSUB" */

mstro_status mstro__events_init(void);
void mstro__events_fini(void);

typedef enum { MSTRO__EV_BEFORE = 0, MSTRO__EV_AFTER = 1 } mstro__ev_phase;

/* What an event is about (fields as apply to the kind). */
struct mstro__ev_info {
  const char *cdo_name;
  const mstro__attr_dict *attrs; /* for the selectors; NULL: empty */
  const char *group_name;
  uint64_t size;
  const char *transport;
  const char *component_name;
  int64_t component_index;
};

/* Nonzero when some subscription wants `kind` in `phase` (lock-free). */
extern atomic_uint mstro__ev_wanted[2];
static inline bool mstro__events_wanted(mstro_pool_event_kind kind, mstro__ev_phase phase)
{
  return (atomic_load_explicit(&mstro__ev_wanted[phase], memory_order_acquire) & (unsigned)kind) !=
         0;
}
/* Deliver an event to the subscriptions of that phase and wait for the acks
 * they require. Never called with a lock of the pool held. */
mstro_status mstro__event_raise_slow(mstro_pool_event_kind kind, mstro__ev_phase phase,
                                     const struct mstro__ev_info *info);
static inline mstro_status mstro__event_raise(mstro_pool_event_kind kind, mstro__ev_phase phase,
                                              const struct mstro__ev_info *info)
{
  if (!mstro__events_wanted(kind, phase))
    return MSTRO_OK;
  return mstro__event_raise_slow(kind, phase, info);
}

/* Where subscriptions and acks of other components' events go. */
struct mstro__event_remote {
  /* Announce (subscribe true) or cancel a subscription, which then gets the
   * events of the other components (kind mask, options). */
  mstro_status (*subscribe)(uint64_t remote_id, unsigned mask, unsigned opts, bool subscribe);
  /* Release an operation of another component held for our ack. */
  mstro_status (*ack)(uint64_t remote_id, uint64_t event_id);
};
/* Install (NULL: remove) the remote hook; subscriptions made while none is
 * installed take local events only. */
void mstro__events_set_remote(const struct mstro__event_remote *remote);

/* The Pool Manager is gone (`why`, MSTRO_NO_PM): waits of subscriptions
 * that take other components' events return it once their queue is empty.
 * Called by the PM-client backend without its locks held. */
void mstro__events_remote_lost(mstro_status why);

/* An event of another component for subscription `remote_id`.
 * `ack_event_id` != 0: the causing operation waits (REQUIRE_ACK) until the
 * remote hook's ack(remote_id, ack_event_id); an event the subscription
 * does not take is acked at once. */
void mstro__event_deliver_remote(uint64_t remote_id, mstro_pool_event_kind kind, uint64_t appid,
                                 uint64_t src_appid, uint64_t ack_event_id,
                                 const struct mstro__ev_info *info);

#endif
