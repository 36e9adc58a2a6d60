/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers the components share: see comp_common.h. */
#include "comp_common.h"

#include <string.h>
#include <time.h>

static const char *const comp_modules[] = {
#define MSTRO__COMP_NAME(id, name) name,
    MSTRO__COMP_MODULE_LIST(MSTRO__COMP_NAME)
#undef MSTRO__COMP_NAME
};

/* The same variables as libmaestro's (MSTRO_LOG_LEVEL, _MODULES, _DST). */
struct mmb__log_domain mstro__comp_log_domain =
    MMB__LOG_DOMAIN_INIT("maestro-components", "MSTRO", NULL, comp_modules, MSTRO__COMP_COUNT);

double mstro__comp_now(void)
{
  return (double)mstro_clock() * 1e-9;
}

mstro_status mstro__comp_should_stop(bool (*should_stop)(void *), void *ctx, double t0,
                                     double timeout_s, bool *stopped)
{
  *stopped = should_stop != NULL && should_stop(ctx);
  if (*stopped)
    return MSTRO_OK;
  if (timeout_s > 0 && mstro__comp_now() - t0 >= timeout_s) {
    *stopped = true;
    return MSTRO_TIMEOUT;
  }
  return MSTRO_OK;
}

mstro_status mstro__comp_wait_slice(mstro_subscription s, mstro_pool_event *ev)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 50000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  mstro_status st = mstro_subscription_timedwait(s, &ts, ev);
  return st == MSTRO_TIMEOUT ? MSTRO_OK : st;
}

const char *mstro__comp_event_cdo(mstro_pool_event e)
{
  if (e->kind == MSTRO_POOL_EVENT_TRANSFER_STARTED)
    return e->payload.transfer_started.cdo_name;
  if (e->kind == MSTRO_POOL_EVENT_TRANSFER_COMPLETED)
    return e->payload.transfer_completed.cdo_name;
  return e->payload.offer.cdo_name;
}

mstro_status mstro__comp_copy_attr(mstro_cdo from, mstro_cdo to, const char *key)
{
  enum mstro_cdo_attr_value_type t = MSTRO_CDO_ATTR_VALUE_INVALID;
  const void *v = NULL;
  if (mstro_cdo_attribute_get(from, key, &t, &v) != MSTRO_OK || v == NULL ||
      t == MSTRO_CDO_ATTR_VALUE_INVALID || t == MSTRO_CDO_ATTR_VALUE_NA)
    return MSTRO_OK;
  /* a value of the key's type, as attribute_get handed it out */
  return mstro_cdo_attribute_set(to, key, (void *)v, true, false);
}

mstro_status mstro__comp_probe_open(struct mstro__comp_probe *p, mstro_cdo_selector sel)
{
  p->seals = NULL;
  if (sel == NULL)
    return MSTRO_OK;
  return mstro_subscribe(sel, MSTRO_POOL_EVENT_SEAL, MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS,
                         &p->seals);
}

mstro_status mstro__comp_probe_seal(struct mstro__comp_probe *p, mstro_cdo cdo, bool *match)
{
  mstro_status st = mstro_cdo_seal(cdo);
  mstro_pool_event ev = NULL;
  *match = p->seals == NULL;
  if (st != MSTRO_OK || p->seals == NULL)
    return st;
  st = mstro_subscription_poll(p->seals, &ev);
  for (mstro_pool_event e = ev; e != NULL; e = e->next)
    if (strcmp(e->payload.seal.cdo_name, mstro_cdo_name(cdo)) == 0)
      *match = true;
  if (ev != NULL)
    mstro_pool_event_dispose(ev);
  return st;
}

void mstro__comp_probe_close(struct mstro__comp_probe *p)
{
  if (p->seals != NULL)
    mstro_subscription_dispose(p->seals);
  p->seals = NULL;
}
