/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's choice of the workflow's data transport. The PM probes
 * once at start; a component that cannot use the PM's choice itself (a store
 * it cannot open) still falls back on its own, and any component can read an
 * offer made through any store it can open (core/pmc_data.c). */
#include "pm_transport.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mstro_log.h"
#include "mtr.h"
#include "proto_codec.h"

mstro_status mstro__pm_transport_choose(Mstro__Proto__TransportKind *kind)
{
  mstro_status st = MSTRO_OK;
  const struct mtr_ops *ops = NULL;
  mtr_store *store = NULL;
  MSTRO_CHECK(PM, kind != NULL, st, MSTRO_INVARG, "NULL result pointer");
  /* the PM says itself why the workflow does not get what was asked for (the
   * transport layer's own warning may be filtered by MSTRO_LOG_MODULES) */
  const char *want = NULL; /* NULL: AUTO, the transport layer's own order */
  MSTRO_CHECK(PM, mtr_transport_requested(&want) == MTR_OK, st, MSTRO_INVARG,
              "bad MSTRO_TRANSPORT_DEFAULT");
  const struct mtr_ops *wanted = NULL;
  char why[256] = "not built in";
  if (want != NULL && mtr_transport_find(want, &wanted) == MTR_OK)
    mtr_transport_probe(wanted, why, sizeof why);
  mtr_status ms = mtr_transport_default(&ops);
  MSTRO_CHECK(PM, ms == MTR_OK, st, MSTRO_TRANSPORT, "no transport for CDO data: %s",
              mtr_status_description(ms));
  if (want != NULL && ops != wanted)
    MSTRO_LOG_WARN(PM,
                   "MSTRO_TRANSPORT_DEFAULT=%s is unavailable (%s): the workflow falls back to %s",
                   want, why, ops->name);
  if (ops->caps & MTR_CAP_STORE) {
    /* a store must also open: a missing MSTRO_GFS_DIR or an unreachable
     * cluster is found here, once, not by every component */
    ms = mtr_store_open(ops, NULL, &store);
    if (ms != MTR_OK) {
      MSTRO_LOG_WARN(PM, "transport %s cannot be used (%s): the workflow falls back to OFI",
                     ops->name, mtr_status_description(ms));
      MSTRO_CHECK(PM, mtr_transport_find("OFI", &ops) == MTR_OK, st, MSTRO_TRANSPORT,
                  "no OFI transport to fall back to");
    }
  }
  *kind = mstro__proto_transport_kind(ops->name);
  MSTRO_LOG_INFO(PM, "CDO data of this workflow moves by %s", ops->name);
cleanup:
  if (store != NULL)
    mtr_store_close(store);
  return st;
}

Mstro__Proto__TransportKind mstro__pm_transport_for_member(Mstro__Proto__TransportKind workflow,
                                                           const Mstro__Proto__TransportKind *has,
                                                           size_t n_has, const char *member)
{
  if (workflow == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI)
    return workflow;
  for (size_t i = 0; i < n_has; i++)
    if (has[i] == workflow)
      return workflow;
  MSTRO_LOG_WARN(PM, "component '%s' has no %s transport built in: it moves data by OFI",
                 member != NULL ? member : "?", mstro__proto_transport_name(workflow));
  return MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
}
