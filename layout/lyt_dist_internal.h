/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal helpers shared by distributions and plans. */
#ifndef LYT_DIST_INTERNAL_H
#define LYT_DIST_INTERNAL_H

#include "lyt_internal.h"

/* A box of the global index space stored in one rank's buffer: element
 * off + i lives at local byte loff + sum i_k * lstr[k]. */
typedef struct {
  int64_t off[LYT_MAX_DIMS];
  int64_t ext[LYT_MAX_DIMS];
  int64_t lstr[LYT_MAX_DIMS];
  int64_t loff;
} lyt__piece;

/* All pieces of rank (malloc'ed array, *n entries; NULL when none). */
lyt_status lyt__dist_pieces(const lyt_dist *d, int rank, lyt__piece **out, size_t *n);

/* Dense strides of ext in order (extents of 0 count as 1). */
void lyt__local_strides(size_t e, int ndims, const int64_t *ext, lyt_order order, int64_t *str);

#endif
