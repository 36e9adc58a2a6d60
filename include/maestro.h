/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Maestro: multi-threaded, cross-application data transfer and inspection.
 * The umbrella header of libmaestro; the API is fixed by DESIGN.md section 3.
 */
#ifndef MAESTRO_H
#define MAESTRO_H

#include "maestro/export.h"
#include "maestro/status.h"
#include "maestro/core.h"
#include "maestro/attributes.h"
#include "maestro/cdo.h"
#include "maestro/selector.h"
#include "maestro/pool_events.h"
#include "maestro/groups.h"
#include "maestro/pool_manager.h"

#endif
