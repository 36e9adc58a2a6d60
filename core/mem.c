/* SPDX-License-Identifier: BSD-3-Clause */
/* Maestro-provided storage: the one place the core allocates CDO data.
 *
 * Data memory comes from libmamba (mmb_alloc_in in the CDO's mem-layer, the
 * space's pool interface); arrays for mstro_cdo_access_mamba_array are
 * libmamba arrays wrapping the CDO's data.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "mem.h"
#include "mstro_log.h"
#include "telemetry.h"

/* Define MSTRO_MEM_USE_MALLOC to build the core with plain malloc (for
 * debugging allocator problems only). */
#if !defined(MSTRO_MEM_USE_MALLOC)
#define MSTRO_USE_MAMBA_MEMORY 1
#endif

#if defined(MSTRO_USE_MAMBA_MEMORY)
#include "mamba/mmb_array.h"
#include "mamba/mmb_memory.h"
#endif

#if defined(MSTRO_USE_MAMBA_MEMORY)
static bool mamba_inited = false;
#endif

mstro_status mstro__mem_init(void)
{
#if defined(MSTRO_USE_MAMBA_MEMORY)
  mmb_status ms = mmb_init();
  if (ms != MMB_OK) {
    MSTRO_LOG_ERR(CORE, "libmamba initialization failed: %s", mmb_status_description(ms));
    return ms == MMB_INVALID_ARG ? MSTRO_INVARG : MSTRO_FAIL;
  }
  mamba_inited = true;
#endif
  return MSTRO_OK;
}

void mstro__mem_fini(void)
{
#if defined(MSTRO_USE_MAMBA_MEMORY)
  if (mamba_inited)
    mmb_finalize();
  mamba_inited = false;
#endif
}

bool mstro__mem_uses_mamba(void)
{
#if defined(MSTRO_USE_MAMBA_MEMORY)
  return true;
#else
  return false;
#endif
}

mstro_status mstro__mem_alloc(size_t size, const char *mem_layer, void **ptr)
{
  mstro_status st = MSTRO_OK;
  MSTRO_CHECK(CORE, ptr != NULL && size > 0, st, MSTRO_INVARG, "bad allocation request (%zu bytes)",
              size);
  *ptr = NULL;
#if defined(MSTRO_USE_MAMBA_MEMORY)
  {
    mmb_status ms = mmb_alloc_in(mem_layer, size, ptr);
    MSTRO_CHECK(CORE, ms == MMB_OK, st,
                ms == MMB_INVALID_ARG || ms == MMB_NOT_FOUND ? MSTRO_INVARG : MSTRO_NOMEM,
                "cannot allocate %zu bytes in memory layer '%s': %s", size,
                mem_layer ? mem_layer : "DRAM", mmb_status_description(ms));
  }
#else
  (void)mem_layer;
  MSTRO_CHECK(CORE, posix_memalign(ptr, 64, size) == 0, st, MSTRO_NOMEM,
              "cannot allocate %zu bytes", size);
#endif
cleanup:
  return st;
}

void mstro__mem_free(void *ptr)
{
  if (ptr == NULL)
    return;
#if defined(MSTRO_USE_MAMBA_MEMORY)
  mmb_status ms = mmb_free(ptr);
  if (ms != MMB_OK)
    MSTRO_LOG_ERR(CORE, "freeing Maestro-provided memory %p failed: %s", ptr,
                  mmb_status_description(ms));
#else
  free(ptr);
#endif
}

mstro_status mstro__mem_wrap_array(void *data, size_t elem_size, size_t ndims, const int64_t *dims,
                                   int order, mmbArray **array)
{
#if defined(MSTRO_USE_MAMBA_MEMORY)
  mstro_status st = MSTRO_OK;
  size_t d[MMB_MAX_DIMS];
  mmb_status ms;
  MSTRO_CHECK(CDO, ndims >= 1 && ndims <= MMB_MAX_DIMS, st, MSTRO_INVARG,
              "a libmamba array has 1 to %d dimensions, not %zu", MMB_MAX_DIMS, ndims);
  for (size_t i = 0; i < ndims; i++)
    d[i] = (size_t)dims[i];
  ms = mmb_array_wrap(data, NULL, elem_size, ndims, d,
                      order == MSTRO_CDO_LAYOUT_ORDER_COLMAJOR ? MMB_LAYOUT_COL_MAJOR
                                                               : MMB_LAYOUT_ROW_MAJOR,
                      array);
  MSTRO_CHECK(CDO, ms == MMB_OK, st, ms == MMB_OUT_OF_MEMORY ? MSTRO_NOMEM : MSTRO_INVARG,
              "cannot wrap the data as a libmamba array: %s", mmb_status_description(ms));
cleanup:
  return st;
#else
  (void)data, (void)elem_size, (void)ndims, (void)dims, (void)order;
  *array = NULL;
  MSTRO_LOG_ERR(CDO, "mstro_cdo_access_mamba_array: this build has no libmamba arrays");
  return MSTRO_UNIMPL;
#endif
}

void mstro__mem_array_destroy(mmbArray *array)
{
#if defined(MSTRO_USE_MAMBA_MEMORY)
  if (array != NULL)
    mmb_array_destroy(array);
#else
  (void)array;
#endif
}
