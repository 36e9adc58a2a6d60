/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * libmamba: memory spaces, pools, RDMA-registered regions and arrays.
 * The umbrella header; usable without the rest of Maestro (link maestro::mamba
 * or `pkg-config mamba`). See docs/mamba.md.
 */
#ifndef MAMBA_H
#define MAMBA_H

#include "mamba/mmb_export.h"
#include "mamba/mmb_status.h"
#include "mamba/mmb_memory.h"
#include "mamba/mmb_regcache.h"
#include "mamba/mmb_array.h"

#endif
