/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers the components share (internal to libmaestro-components): their
 * log domain and check macros, the event loop's wait slice, and copying
 * attributes between CDO handles through the public API. */
#ifndef MSTRO_COMP_COMMON_H
#define MSTRO_COMP_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "log.h"
#include "maestro.h"
#include "maestro_components.h"

#define MSTRO__COMP_MODULE_LIST(X)                                                                 \
  X(LIBRARIAN, "components.librarian")                                                             \
  X(KEEPALIVE, "components.keepalive")

#define MSTRO__COMP_ENUM(id, name) MSTRO__COMP_##id,
enum { MSTRO__COMP_MODULE_LIST(MSTRO__COMP_ENUM) MSTRO__COMP_COUNT };
#undef MSTRO__COMP_ENUM

extern struct mmb__log_domain mstro__comp_log_domain;

#define COMP_LOG(mod, lvl, ...)                                                                    \
  MMB__LOG(&mstro__comp_log_domain, MSTRO__COMP_##mod, lvl, __VA_ARGS__)
#define COMP_ERR(mod, ...)   COMP_LOG(mod, MMB__LOG_ERR, __VA_ARGS__)
#define COMP_WARN(mod, ...)  COMP_LOG(mod, MMB__LOG_WARN, __VA_ARGS__)
#define COMP_INFO(mod, ...)  COMP_LOG(mod, MMB__LOG_INFO, __VA_ARGS__)
#define COMP_DEBUG(mod, ...) COMP_LOG(mod, MMB__LOG_DEBUG, __VA_ARGS__)
#define COMP_CHECK(mod, cond, st, code, ...)                                                       \
  MMB__CHECK_DOM(&mstro__comp_log_domain, MSTRO__COMP_##mod, cond, st, code, __VA_ARGS__)
#define COMP_CHECK_CALL(mod, st, expr, ...)                                                        \
  MMB__CHECK_CALL_DOM(&mstro__comp_log_domain, MSTRO__COMP_##mod, st, MSTRO_OK, expr, __VA_ARGS__)

/* Seconds on the monotonic clock. */
double mstro__comp_now(void);

/* Why a component's loop ends: should_stop, or its time limit (then
 * MSTRO_TIMEOUT); MSTRO_OK to go on. */
mstro_status mstro__comp_should_stop(bool (*should_stop)(void *), void *ctx, double t0,
                                     double timeout_s, bool *stopped);

/* Wait at most one slice (50 ms) for events: *ev NULL when none came.
 * @return MSTRO_OK (with or without events); what the wait failed with. */
mstro_status mstro__comp_wait_slice(mstro_subscription s, mstro_pool_event *ev);

/* The CDO name of a CDO or transfer event (the CDO payloads share one layout). */
const char *mstro__comp_event_cdo(mstro_pool_event e);

/* Copy `key` from one handle to another (not sealed) if it has a value
 * there. @return MSTRO_OK (also when there is nothing to copy); what
 * mstro_cdo_attribute_set refused. */
mstro_status mstro__comp_copy_attr(mstro_cdo from, mstro_cdo to, const char *key);

/* A local SEAL subscription tells whether a CDO matches a selector: the core
 * evaluates the selector on the sealed attributes and queues the event for
 * the selector's subscription in the sealing call itself. */
struct mstro__comp_probe {
  mstro_subscription seals; /* NULL: no selector, everything matches */
};
mstro_status mstro__comp_probe_open(struct mstro__comp_probe *p, mstro_cdo_selector sel);
/* Seal `cdo` and say whether the selector matched it. */
mstro_status mstro__comp_probe_seal(struct mstro__comp_probe *p, mstro_cdo cdo, bool *match);
void mstro__comp_probe_close(struct mstro__comp_probe *p);

#endif
