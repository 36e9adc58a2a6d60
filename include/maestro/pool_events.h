/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Pool events and subscriptions.
 *
 * Every pool operation raises an event. A subscription selects events by kind
 * (a mask of mstro_pool_event_kind flags) and by a CDO selector; its events are
 * collected in a queue and read with poll, wait or timedwait. With
 * MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK the operation that caused an event waits
 * until the subscriber acks it.
 *
 * Thread safety: a subscription may be polled, waited on and acked from any
 * thread; events returned are owned by the caller until
 * mstro_pool_event_dispose.
 */
#ifndef MAESTRO_POOL_EVENTS_H
#define MAESTRO_POOL_EVENTS_H

#include <stdint.h>
#include <time.h>

#include "maestro/core.h"
#include "maestro/export.h"
#include "maestro/selector.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of pool events: distinct bit flags that OR together. */
typedef enum {
  MSTRO_POOL_EVENT_DECLARE = 1 << 0,             /**< a CDO was declared */
  MSTRO_POOL_EVENT_SEAL = 1 << 1,                /**< a CDO was sealed */
  MSTRO_POOL_EVENT_OFFER = 1 << 2,               /**< a CDO was offered */
  MSTRO_POOL_EVENT_REQUIRE = 1 << 3,             /**< a CDO was required */
  MSTRO_POOL_EVENT_RETRACT = 1 << 4,             /**< a require was retracted */
  MSTRO_POOL_EVENT_DEMAND = 1 << 5,              /**< a CDO was demanded */
  MSTRO_POOL_EVENT_WITHDRAW = 1 << 6,            /**< an offer was withdrawn */
  MSTRO_POOL_EVENT_DISPOSE = 1 << 7,             /**< a CDO handle was disposed */
  MSTRO_POOL_EVENT_TRANSFER_STARTED = 1 << 8,    /**< data started to move */
  MSTRO_POOL_EVENT_TRANSFER_COMPLETED = 1 << 9,  /**< data arrived */
  MSTRO_POOL_EVENT_APP_JOIN = 1 << 10,           /**< a component joined */
  MSTRO_POOL_EVENT_APP_LEAVE = 1 << 11,          /**< a component left or died */
  MSTRO_POOL_EVENT_GROUP_SEAL = 1 << 12,         /**< a group was sealed */
  MSTRO_POOL_EVENT_GROUP_OFFER = 1 << 13,        /**< a group was offered */
  MSTRO_POOL_EVENT_GROUP_DEMAND = 1 << 14,       /**< a group was demanded */
  MSTRO_POOL_EVENT_GROUP_WITHDRAW = 1 << 15,     /**< a group was withdrawn */
  MSTRO_POOL_EVENT_POOL_MANAGER_LEAVE = 1 << 16, /**< the Pool Manager is stopping */
} mstro_pool_event_kind;

/** Every kind at once, for listeners. */
#define MSTRO_POOL_EVENT__ALL ((mstro_pool_event_kind)((1 << 17) - 1))

/** Subscription options: distinct bit flags that OR together. */
typedef enum {
  MSTRO_SUBSCRIPTION_OPTS_DEFAULT = 0,               /**< after the fact, no ack */
  MSTRO_SUBSCRIPTION_OPTS_SIGNAL_BEFORE = 1 << 0,    /**< before the operation takes effect */
  MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK = 1 << 1,      /**< the operation waits for the ack */
  MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS = 1 << 2,  /**< skip this component's events */
  MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS = 1 << 3, /**< skip other components' events */
} mstro_subscription_opts;

/** Payload of CDO events. */
struct mstro_pool_event_cdo_info {
  mstro_app_id appid;   /**< component that did the operation */
  const char *cdo_name; /**< the CDO's name */
};

/** Payload of transfer events. */
struct mstro_pool_event_transfer_info {
  mstro_app_id appid;     /**< destination component */
  mstro_app_id src_appid; /**< source component */
  const char *cdo_name;   /**< the CDO's name */
  uint64_t size;          /**< bytes */
  const char *transport;  /**< "LOCAL", "OFI", "GFS" or "MIO" */
};

/** Payload of APP_JOIN. */
struct mstro_pool_event_join_info {
  mstro_app_id appid;         /**< the new component's id */
  const char *component_name; /**< its name */
  int64_t component_index;    /**< its index */
};

/** Payload of APP_LEAVE. */
struct mstro_pool_event_leave_info {
  mstro_app_id appid;         /**< the component that left */
  const char *component_name; /**< its name */
  int crashed;                /**< nonzero when it died without leaving */
};

/** Payload of group events. */
struct mstro_pool_event_group_info {
  mstro_app_id appid;     /**< component that did the operation */
  const char *group_name; /**< the group's name */
};

/** The payload members of an event, one per kind (shared by
 * mstro_pool_event_payload and the anonymous union of mstro_pool_event_). */
#define MSTRO__POOL_EVENT_PAYLOADS                                                                 \
  struct mstro_pool_event_cdo_info declare;                                                        \
  struct mstro_pool_event_cdo_info seal;                                                           \
  struct mstro_pool_event_cdo_info offer;                                                          \
  struct mstro_pool_event_cdo_info require;                                                        \
  struct mstro_pool_event_cdo_info retract;                                                        \
  struct mstro_pool_event_cdo_info demand;                                                         \
  struct mstro_pool_event_cdo_info withdraw;                                                       \
  struct mstro_pool_event_cdo_info dispose;                                                        \
  struct mstro_pool_event_transfer_info transfer_started;                                          \
  struct mstro_pool_event_transfer_info transfer_completed;                                        \
  struct mstro_pool_event_join_info join;                                                          \
  struct mstro_pool_event_leave_info leave;                                                        \
  struct mstro_pool_event_group_info group;

/** Per-kind payloads of an event. */
union mstro_pool_event_payload {
  MSTRO__POOL_EVENT_PAYLOADS
};
/** @var mstro_pool_event_payload::declare
 * Payload of MSTRO_POOL_EVENT_DECLARE. */
/** @var mstro_pool_event_payload::seal
 * Payload of MSTRO_POOL_EVENT_SEAL. */
/** @var mstro_pool_event_payload::offer
 * Payload of MSTRO_POOL_EVENT_OFFER. */
/** @var mstro_pool_event_payload::require
 * Payload of MSTRO_POOL_EVENT_REQUIRE. */
/** @var mstro_pool_event_payload::retract
 * Payload of MSTRO_POOL_EVENT_RETRACT. */
/** @var mstro_pool_event_payload::demand
 * Payload of MSTRO_POOL_EVENT_DEMAND. */
/** @var mstro_pool_event_payload::withdraw
 * Payload of MSTRO_POOL_EVENT_WITHDRAW. */
/** @var mstro_pool_event_payload::dispose
 * Payload of MSTRO_POOL_EVENT_DISPOSE. */
/** @var mstro_pool_event_payload::transfer_started
 * Payload of MSTRO_POOL_EVENT_TRANSFER_STARTED. */
/** @var mstro_pool_event_payload::transfer_completed
 * Payload of MSTRO_POOL_EVENT_TRANSFER_COMPLETED. */
/** @var mstro_pool_event_payload::join
 * Payload of MSTRO_POOL_EVENT_APP_JOIN. */
/** @var mstro_pool_event_payload::leave
 * Payload of MSTRO_POOL_EVENT_APP_LEAVE. */
/** @var mstro_pool_event_payload::group
 * Payload of the group events (MSTRO_POOL_EVENT_GROUP_*). */

/** An event: a node of a list chained through `next`. The payload is reached
 * as `ev->payload.offer.cdo_name` or, aliasing the same storage,
 * `ev->offer.cdo_name`. */
struct mstro_pool_event_ {
  mstro_pool_event_kind kind;     /**< what happened */
  uint64_t serial;                /**< per-subscription sequence number */
  mstro_nanosec_t ctime;          /**< creation time, ns since the epoch */
  struct mstro_pool_event_ *next; /**< next event of the list, or NULL */
  union {
    union mstro_pool_event_payload payload;
    union {
      MSTRO__POOL_EVENT_PAYLOADS
    };
  };
};
/** Handle of an event (the head of a list chained through `next`). */
typedef struct mstro_pool_event_ *mstro_pool_event;

/** A subscription. */
typedef struct mstro_subscription_ *mstro_subscription;

/** Subscribe to events of the given kinds whose CDO matches `cdos`.
 * @param cdos   selector (its semantics apply to CDO events; group and app
 *               events are delivered regardless); NULL: every CDO, as a
 *               selector with a NULL query
 * @param events mask of kinds
 * @param flags  options
 * @param[out] result the new subscription (release with mstro_subscription_dispose)
 * @return MSTRO_OK; MSTRO_INVARG for a NULL result, an empty mask or
 *         contradictory options; MSTRO_NOMEM; MSTRO_UNINIT. */
MSTRO_API mstro_status mstro_subscribe(mstro_cdo_selector cdos, mstro_pool_event_kind events,
                                       mstro_subscription_opts flags, mstro_subscription *result);

/** Take every pending event without waiting; *event is NULL when none.
 * @param s the subscription
 * @param[out] event receives the list of pending events, or NULL
 * @return MSTRO_OK; MSTRO_INVARG for NULL arguments. */
MSTRO_API mstro_status mstro_subscription_poll(mstro_subscription s, mstro_pool_event *event);

/** Wait until at least one event is pending, then take all pending ones.
 * @param s the subscription
 * @param[out] event receives the list of events
 * @return MSTRO_OK; MSTRO_INVARG for NULL arguments, or when another thread
 *         disposes the subscription meanwhile (*event NULL; this is how a
 *         blocked listener is stopped); MSTRO_NO_PM when the Pool Manager
 *         went away. */
MSTRO_API mstro_status mstro_subscription_wait(mstro_subscription s, mstro_pool_event *event);

/** As mstro_subscription_wait, until an absolute CLOCK_REALTIME deadline.
 * Events already pending are returned at once, whatever the deadline.
 * @param s the subscription
 * @param abstime absolute deadline (CLOCK_REALTIME)
 * @param[out] event receives the list of events, or NULL on timeout
 * @return MSTRO_OK; MSTRO_TIMEOUT (and *event NULL) when the deadline passes
 *         with no event, at once for a past deadline; MSTRO_INVARG for NULL
 *         arguments or a tv_nsec outside [0, 1e9); MSTRO_NO_PM (and *event
 *         NULL) when the Pool Manager went away and no event is pending, for
 *         a subscription that takes other components' events. */
MSTRO_API mstro_status mstro_subscription_timedwait(mstro_subscription s,
                                                    const struct timespec *abstime,
                                                    mstro_pool_event *event);

/** Acknowledge an event of a REQUIRE_ACK subscription (the list it heads);
 * the operations waiting on it resume.
 * @param s     the subscription (with MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK)
 * @param event the event (list) to acknowledge, as returned by poll or wait
 * @return MSTRO_OK; MSTRO_INVARG for NULL, a subscription without
 *         REQUIRE_ACK, or an event with nothing to ack. */
MSTRO_API mstro_status mstro_subscription_ack(mstro_subscription s, mstro_pool_event event);

/** End a subscription; pending events are dropped, pending acks released,
 * and threads blocked in wait/timedwait on it return MSTRO_INVARG.
 * @param s the subscription
 * @return MSTRO_OK; MSTRO_INVARG for NULL. */
MSTRO_API mstro_status mstro_subscription_dispose(mstro_subscription s);

/** Free an event and the whole ->next list after it.
 * @param e the event
 * @return MSTRO_OK; MSTRO_INVARG for NULL. */
MSTRO_API mstro_status mstro_pool_event_dispose(mstro_pool_event e);

/** Name of an event kind.
 * @param kind one event kind
 * @return "OFFER", ...; "unknown" for anything else. */
MSTRO_API const char *mstro_pool_event_description(mstro_pool_event_kind kind);

#ifdef __cplusplus
}
#endif
#endif
