/** @file
 * libmamba: memory spaces, pools, RDMA-registered regions and arrays.
 * The umbrella header; usable without the rest of Maestro.
 */
#ifndef MAMBA_H
#define MAMBA_H

#include "mamba/mmb_export.h"
#include "mamba/mmb_status.h"

#endif
