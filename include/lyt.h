/** @file
 * liblyt: data layouts, local transforms and N-to-M redistribution plans.
 * The umbrella header; usable with libmamba alone.
 */
#ifndef LYT_H
#define LYT_H

#include "lyt/lyt_export.h"
#include "lyt/lyt_status.h"

#endif
