/* SPDX-License-Identifier: BSD-3-Clause */
/* Maestro-provided storage (mem.c): the one place the core allocates CDO
 * data. */
#ifndef MSTRO_MEM_H
#define MSTRO_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maestro.h"

mstro_status mstro__mem_init(void);
void mstro__mem_fini(void);
/* Allocate `size` bytes in the memory layer `mem_layer` (NULL: DRAM). */
mstro_status mstro__mem_alloc(size_t size, const char *mem_layer, void **ptr);
void mstro__mem_free(void *ptr);
/* Wrap memory as an mmbArray; MSTRO_UNIMPL without libmamba arrays. */
mstro_status mstro__mem_wrap_array(void *data, size_t elem_size, size_t ndims, const int64_t *dims,
                                   int order, mmbArray **array);
void mstro__mem_array_destroy(mmbArray *array);
/* Whether Maestro memory comes from libmamba (false: malloc fallback). */
bool mstro__mem_uses_mamba(void);

#endif
