/* SPDX-License-Identifier: BSD-3-Clause */
/* CUDA support through the driver API, loaded with dlopen at run time: the
 * build needs no CUDA toolkit and the run needs no GPU. Each device is used
 * through its primary context. */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "mmb_internal.h"

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef unsigned long long CUdeviceptr;
#define CUDA_SUCCESS                        0
#define CU_POINTER_ATTRIBUTE_MEMORY_TYPE    2
#define CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL 9
#define CU_MEMORYTYPE_DEVICE                2
#define CU_MEMORYTYPE_UNIFIED               4
#define MMB__CUDA_MAX_DEV                   64

static struct {
  void *lib;
  int ndev;
  CUcontext ctx[MMB__CUDA_MAX_DEV];
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)(void);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemAllocHost)(void **, size_t);
  CUresult (*cuMemFreeHost)(void *);
  CUresult (*cuMemcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuMemGetInfo)(size_t *, size_t *);
  CUresult (*cuPointerGetAttribute)(void *, int, CUdeviceptr);
  CUresult (*cuGetErrorString)(CUresult, const char **);
} cu;

static const char *cu_err(CUresult r)
{
  const char *s = NULL;
  if (cu.cuGetErrorString && cu.cuGetErrorString(r, &s) == CUDA_SUCCESS && s)
    return s;
  return "CUDA error";
}

static void *sym(const char *a, const char *b)
{
  void *p = dlsym(cu.lib, a);
  if (p == NULL && b)
    p = dlsym(cu.lib, b);
  return p;
}

bool mmb__cuda_available(void)
{
  return cu.lib != NULL && cu.ndev > 0;
}

int mmb__cuda_device_count(void)
{
  return cu.lib ? cu.ndev : 0;
}

mmb_status mmb__cuda_init(void)
{
  mmb_status st = MMB_OK;
  CUresult r;
  int n = 0;
  memset(&cu, 0, sizeof cu);
  cu.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (cu.lib == NULL)
    cu.lib = dlopen("libcuda.so", RTLD_NOW | RTLD_LOCAL);
  if (cu.lib == NULL) {
    MMB_LOG_INFO(CUDA, "no CUDA driver (libcuda.so.1 not loadable): no GPU spaces");
    st = MMB_NO_DEVICE;
    goto cleanup;
  }
#define LOAD(field, a, b)                                                                          \
  do {                                                                                             \
    *(void **)&cu.field = sym(a, b);                                                               \
    MMB_CHECK(CUDA, cu.field != NULL, st, MMB_NO_DEVICE, "CUDA driver lacks %s", a);               \
  } while (0)
  LOAD(cuInit, "cuInit", NULL);
  LOAD(cuDeviceGetCount, "cuDeviceGetCount", NULL);
  LOAD(cuDeviceGet, "cuDeviceGet", NULL);
  LOAD(cuDeviceGetName, "cuDeviceGetName", NULL);
  LOAD(cuDeviceTotalMem, "cuDeviceTotalMem_v2", "cuDeviceTotalMem");
  LOAD(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", NULL);
  LOAD(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
  LOAD(cuCtxSetCurrent, "cuCtxSetCurrent", NULL);
  LOAD(cuCtxSynchronize, "cuCtxSynchronize", NULL);
  LOAD(cuMemAlloc, "cuMemAlloc_v2", "cuMemAlloc");
  LOAD(cuMemFree, "cuMemFree_v2", "cuMemFree");
  LOAD(cuMemAllocHost, "cuMemAllocHost_v2", "cuMemAllocHost");
  LOAD(cuMemFreeHost, "cuMemFreeHost", NULL);
  LOAD(cuMemcpy, "cuMemcpy", NULL);
  LOAD(cuMemsetD8, "cuMemsetD8_v2", "cuMemsetD8");
  LOAD(cuMemGetInfo, "cuMemGetInfo_v2", "cuMemGetInfo");
  LOAD(cuPointerGetAttribute, "cuPointerGetAttribute", NULL);
#undef LOAD
  *(void **)&cu.cuGetErrorString = sym("cuGetErrorString", NULL);
  r = cu.cuInit(0);
  if (r != CUDA_SUCCESS) {
    MMB_LOG_INFO(CUDA, "cuInit failed (%s): no GPU spaces", cu_err(r));
    st = MMB_NO_DEVICE;
    goto cleanup;
  }
  r = cu.cuDeviceGetCount(&n);
  if (r != CUDA_SUCCESS || n <= 0) {
    MMB_LOG_INFO(CUDA, "no CUDA device: no GPU spaces");
    st = MMB_NO_DEVICE;
    goto cleanup;
  }
  if (n > MMB__CUDA_MAX_DEV)
    n = MMB__CUDA_MAX_DEV;
  for (int d = 0; d < n; d++) {
    CUdevice dev;
    r = cu.cuDeviceGet(&dev, d);
    if (r == CUDA_SUCCESS)
      r = cu.cuDevicePrimaryCtxRetain(&cu.ctx[d], dev);
    if (r != CUDA_SUCCESS) {
      MMB_LOG_WARN(CUDA, "device %d unusable: %s", d, cu_err(r));
      n = d;
      break;
    }
  }
  cu.ndev = n;
cleanup:
  if (st != MMB_OK && cu.lib) {
    dlclose(cu.lib);
    memset(&cu, 0, sizeof cu);
  }
  return st;
}

void mmb__cuda_fini(void)
{
  if (cu.lib == NULL)
    return;
  for (int d = 0; d < cu.ndev; d++)
    if (cu.ctx[d])
      cu.cuDevicePrimaryCtxRelease(d);
  /* The driver stays loaded: unloading libcuda is not supported well. */
  memset(&cu, 0, sizeof cu);
}

static mmb_status set_dev(int dev)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(CUDA, cu.lib && dev >= 0 && dev < cu.ndev, st, MMB_NO_DEVICE, "no CUDA device %d", dev);
  CUresult r = cu.cuCtxSetCurrent(cu.ctx[dev]);
  MMB_CHECK(CUDA, r == CUDA_SUCCESS, st, MMB_ERROR, "cuCtxSetCurrent(%d): %s", dev, cu_err(r));
cleanup:
  return st;
}

mmb_status mmb__cuda_device_info(int dev, char *name, size_t namelen, uint64_t *total)
{
  mmb_status st = MMB_OK;
  size_t t = 0;
  MMB_CHECK_CALL(CUDA, st, set_dev(dev), "device info");
  if (cu.cuDeviceGetName(name, (int)namelen, dev) != CUDA_SUCCESS && namelen)
    name[0] = '\0';
  if (cu.cuDeviceTotalMem(&t, dev) == CUDA_SUCCESS)
    *total = t;
cleanup:
  return st;
}

mmb_status mmb__cuda_malloc(int dev, size_t size, void **ptr)
{
  mmb_status st = MMB_OK;
  CUdeviceptr d = 0;
  MMB_CHECK_CALL(CUDA, st, set_dev(dev), "cuMemAlloc");
  CUresult r = cu.cuMemAlloc(&d, size);
  MMB_CHECK(CUDA, r == CUDA_SUCCESS, st, MMB_OUT_OF_MEMORY, "cuMemAlloc(%zu) on GPU:%d: %s", size,
            dev, cu_err(r));
  *ptr = (void *)(uintptr_t)d;
cleanup:
  return st;
}

void mmb__cuda_free(int dev, void *ptr)
{
  if (set_dev(dev) == MMB_OK) {
    CUresult r = cu.cuMemFree((CUdeviceptr)(uintptr_t)ptr);
    if (r != CUDA_SUCCESS)
      MMB_LOG_ERR(CUDA, "cuMemFree(%p): %s", ptr, cu_err(r));
  }
}

mmb_status mmb__cuda_malloc_host(int dev, size_t size, void **ptr)
{
  mmb_status st = MMB_OK;
  MMB_CHECK_CALL(CUDA, st, set_dev(dev), "cuMemAllocHost");
  CUresult r = cu.cuMemAllocHost(ptr, size);
  MMB_CHECK(CUDA, r == CUDA_SUCCESS, st, MMB_OUT_OF_MEMORY, "cuMemAllocHost(%zu): %s", size,
            cu_err(r));
cleanup:
  return st;
}

void mmb__cuda_free_host(int dev, void *ptr)
{
  if (set_dev(dev) == MMB_OK) {
    CUresult r = cu.cuMemFreeHost(ptr);
    if (r != CUDA_SUCCESS)
      MMB_LOG_ERR(CUDA, "cuMemFreeHost(%p): %s", ptr, cu_err(r));
  }
}

mmb_status mmb__cuda_memcpy(void *dst, const void *src, size_t n)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(CUDA, cu.lib && cu.ndev > 0, st, MMB_NO_DEVICE, "device copy without CUDA");
  MMB_CHECK_CALL(CUDA, st, set_dev(0), "cuMemcpy");
  CUresult r = cu.cuMemcpy((CUdeviceptr)(uintptr_t)dst, (CUdeviceptr)(uintptr_t)src, n);
  MMB_CHECK(CUDA, r == CUDA_SUCCESS, st, MMB_ERROR, "cuMemcpy(%p <- %p, %zu): %s", dst, src, n,
            cu_err(r));
cleanup:
  return st;
}

mmb_status mmb__cuda_memset(int dev, void *dst, int value, size_t n)
{
  mmb_status st = MMB_OK;
  MMB_CHECK_CALL(CUDA, st, set_dev(dev < 0 ? 0 : dev), "cuMemsetD8");
  CUresult r = cu.cuMemsetD8((CUdeviceptr)(uintptr_t)dst, (unsigned char)value, n);
  if (r == CUDA_SUCCESS)
    r = cu.cuCtxSynchronize();
  MMB_CHECK(CUDA, r == CUDA_SUCCESS, st, MMB_ERROR, "cuMemsetD8(%p, %zu): %s", dst, n, cu_err(r));
cleanup:
  return st;
}

mmb_status mmb__cuda_mem_info(int dev, uint64_t *free_b, uint64_t *total_b)
{
  mmb_status st = MMB_OK;
  size_t f = 0, t = 0;
  MMB_CHECK_CALL(CUDA, st, set_dev(dev), "cuMemGetInfo");
  CUresult r = cu.cuMemGetInfo(&f, &t);
  MMB_CHECK(CUDA, r == CUDA_SUCCESS, st, MMB_ERROR, "cuMemGetInfo: %s", cu_err(r));
  *free_b = f;
  *total_b = t;
cleanup:
  return st;
}

int mmb__cuda_is_device_ptr(const void *p, int *dev)
{
  unsigned int type = 0;
  int ord = -1;
  if (cu.lib == NULL || cu.ndev == 0 || set_dev(0) != MMB_OK)
    return 0;
  if (cu.cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                               (CUdeviceptr)(uintptr_t)p) != CUDA_SUCCESS)
    return 0;
  if (type != CU_MEMORYTYPE_DEVICE)
    return 0;
  if (dev && cu.cuPointerGetAttribute(&ord, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                                      (CUdeviceptr)(uintptr_t)p) == CUDA_SUCCESS)
    *dev = ord;
  return 1;
}
