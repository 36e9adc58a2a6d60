/* SPDX-License-Identifier: BSD-3-Clause */
/* The workflow's transport for CDO data, decided by the Pool Manager
 * (DESIGN.md section 4: MSTRO_TRANSPORT_DEFAULT picks one; when it is
 * unavailable the PM falls back to another and logs why). */
#ifndef MSTRO_PM_TRANSPORT_H
#define MSTRO_PM_TRANSPORT_H

#include <stddef.h>

#include "maestro/status.h"
#include "proto_codec.h"

/** Decide from the PM's environment: MSTRO_TRANSPORT_DEFAULT if the
 * transport layer finds it usable here and, for a store, if it can be opened
 * (GFS: MSTRO_GFS_DIR; MIO: the cluster of MSTRO_MIO_CONF); otherwise OFI,
 * with a warning naming the reason.
 * @return MSTRO_OK; MSTRO_TRANSPORT when no transport at all is usable. */
mstro_status mstro__pm_transport_choose(Mstro__Proto__TransportKind *kind);

/** The transport a member is told to use: the workflow's, if the member has
 * it built in (its JOIN lists them), else OFI (logged). */
Mstro__Proto__TransportKind mstro__pm_transport_for_member(Mstro__Proto__TransportKind workflow,
                                                           const Mstro__Proto__TransportKind *has,
                                                           size_t n_has, const char *member);

#endif
