/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Maestro transport layer: byte movers behind one versioned ops table.
 * It knows nothing of CDOs; libmaestro composes it.
 */
#ifndef MTR_H
#define MTR_H

#include "mtr/mtr_export.h"
#include "mtr/mtr_status.h"
#include "mtr/mtr_transport.h"

#endif
