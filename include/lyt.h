/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * liblyt: data layouts, local transforms and N-to-M redistribution plans.
 * The umbrella header; usable with libmamba alone.
 *
 * Simple case (C row-major to Fortran column-major):
 *
 *     lyt_layout *a, *b;
 *     int64_t dims[2] = {rows, cols};
 *     lyt_layout_create_dense(sizeof(double), 2, dims, LYT_ROW_MAJOR, &a);
 *     lyt_layout_create_dense(sizeof(double), 2, dims, LYT_COL_MAJOR, &b);
 *     lyt_transform(a, src, b, dst, NULL);
 *     lyt_layout_destroy(a); lyt_layout_destroy(b);
 *
 * See docs/layout.md.
 */
#ifndef LYT_H
#define LYT_H

#include "lyt/lyt_export.h"
#include "lyt/lyt_status.h"
#include "lyt/lyt_layout.h"
#include "lyt/lyt_dist.h"

#endif
