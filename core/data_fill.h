/* SPDX-License-Identifier: BSD-3-Clause */
/* Bringing a producer's metadata and data into a consumer handle
 * (data_fill.c), the data contract of DESIGN.md section 1, for both pool
 * backends: the layout change a consumer asks for, the byte moves, and the
 * data attributes (raw-ptr, scope.local-size, maestro-provided-storage) the
 * consumer gets. */
#ifndef MSTRO_DATA_FILL_H
#define MSTRO_DATA_FILL_H

#include <stdbool.h>
#include <stdint.h>

#include "attr.h"
#include "maestro.h"

/* Fill consumer c from a producer's attributes and `size` bytes at `data`
 * (NULL or size 0: metadata only), in c's layout:
 *  - into c's own buffer, or Maestro-provided memory when the layouts
 *    differ (one copy; bytes already at c's buffer are not moved);
 *  - with `take` (*take == data, Maestro-provided memory fetched from
 *    another process) c takes that buffer over (*take is then NULL);
 *  - otherwise c shares `data` (zero-copy) and *shared is set: the caller
 *    then records c as a borrower of the producer's buffer.
 * `transport` names the move in the TRANSFER_* events.
 * @return MSTRO_OK; MSTRO_INVARG (layouts or sizes that do not agree, a
 *         consumer buffer too small); MSTRO_UNIMPL (a layout change of
 *         device memory); MSTRO_NOMEM; MSTRO_FAIL. */
mstro_status mstro__data_fill(mstro_cdo c, const mstro__attr_dict *attrs, void *data, int64_t size,
                              void **take, const char *transport, bool *shared);

/* Whether c asks for a layout order of its own (a transform then needs the
 * producer's bytes apart from c's buffer). */
bool mstro__data_wants_layout(const mstro_cdo c);

#endif
