/* SPDX-License-Identifier: BSD-3-Clause */
/* Copies between spaces: memcpy between host spaces (any NUMA pair), the
 * CUDA driver for anything that involves device memory. */
#include <string.h>

#include "mmb_internal.h"

/* The space of a pointer: given, looked up, or host. *device: 1 if device memory. */
static mmb_status side_of(const void *p, mmbMemSpace *given, bool *device)
{
  mmb_status st = MMB_OK;
  mmbMemSpace *s = given;
  if (s == NULL)
    mmb_ptr_info(p, NULL, &s, NULL);
  if (s != NULL) {
    *device = s->info.exec == MMB_EXEC_CUDA;
    MMB_CHECK(COPY, !*device || mmb__cuda_available() || s->has_provider, st, MMB_NO_DEVICE,
              "space %s is device memory and CUDA is not available", s->info.name);
    goto cleanup;
  }
  *device = mmb__cuda_available() && mmb__cuda_is_device_ptr(p, NULL);
cleanup:
  return st;
}

mmb_status mmb_copy(void *dst, mmbMemSpace *dst_space, const void *src, mmbMemSpace *src_space,
                    size_t n)
{
  mmb_status st = MMB_OK;
  bool ddev = false, sdev = false;
  if (n == 0)
    goto cleanup;
  MMB_CHECK(COPY, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(COPY, dst != NULL && src != NULL, st, MMB_INVALID_ARG, "dst or src is NULL");
  MMB_CHECK(COPY,
            (const char *)dst + n <= (const char *)src ||
                (const char *)src + n <= (const char *)dst,
            st, MMB_INVALID_ARG, "overlapping copy %p <- %p (%zu bytes)", dst, src, n);
  MMB_CHECK_CALL(COPY, st, side_of(dst, dst_space, &ddev), "copy destination");
  MMB_CHECK_CALL(COPY, st, side_of(src, src_space, &sdev), "copy source");
  if (!ddev && !sdev) {
    memcpy(dst, src, n);
  } else {
    MMB_CHECK(COPY, mmb__cuda_available(), st, MMB_NO_DEVICE,
              "copy involving device memory without a CUDA device");
    MMB_CHECK_CALL(COPY, st, mmb__cuda_memcpy(dst, src, n), "device copy");
  }
cleanup:
  return st;
}

mmb_status mmb_memset(void *dst, mmbMemSpace *space, int value, size_t n)
{
  mmb_status st = MMB_OK;
  bool dev = false;
  if (n == 0)
    goto cleanup;
  MMB_CHECK(COPY, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(COPY, dst != NULL, st, MMB_INVALID_ARG, "dst is NULL");
  MMB_CHECK_CALL(COPY, st, side_of(dst, space, &dev), "memset");
  if (!dev) {
    memset(dst, value, n);
  } else {
    int d = 0;
    if (space == NULL)
      mmb_ptr_info(dst, NULL, &space, NULL);
    if (space)
      d = space->info.device;
    else
      mmb__cuda_is_device_ptr(dst, &d);
    MMB_CHECK_CALL(COPY, st, mmb__cuda_memset(d, dst, value, n), "device memset");
  }
cleanup:
  return st;
}
