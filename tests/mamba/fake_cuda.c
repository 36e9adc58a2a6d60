/* SPDX-License-Identifier: BSD-3-Clause */
/* A stand-in for the CUDA driver (libcuda.so.1) with one "device" whose
 * memory is host memory mapped PROT_NONE: any CPU access to it by libmamba
 * crashes the test, so the tests check that device memory is only ever
 * touched through the driver. Loaded by test_mmb_gpu_fake through
 * LD_LIBRARY_PATH; the real driver is used on machines with a GPU. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define API __attribute__((visibility("default")))
typedef int CUresult;
typedef unsigned long long CUdeviceptr;
enum { OK = 0, ERR_VALUE = 1, ERR_MEMORY = 2, ERR_NOT_INIT = 3 };

#define MAXA 4096
static struct {
  char *p;
  size_t len;
} allocs[MAXA];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int inited;
static size_t used;
static const size_t total = (size_t)8 << 30;

static int find(const void *p)
{
  for (int i = 0; i < MAXA; i++)
    if (allocs[i].p && (const char *)p >= allocs[i].p &&
        (const char *)p < allocs[i].p + allocs[i].len)
      return i;
  return -1;
}

API CUresult cuInit(unsigned f)
{
  (void)f;
  inited = 1;
  return OK;
}
API CUresult cuDeviceGetCount(int *n)
{
  *n = inited ? 1 : 0;
  return inited ? OK : ERR_NOT_INIT;
}
API CUresult cuDeviceGet(int *d, int o)
{
  *d = o;
  return o == 0 ? OK : ERR_VALUE;
}
API CUresult cuDeviceGetName(char *name, int len, int d)
{
  (void)d;
  snprintf(name, (size_t)len, "fake device (PROT_NONE memory)");
  return OK;
}
API CUresult cuDeviceTotalMem_v2(size_t *t, int d)
{
  (void)d;
  *t = total;
  return OK;
}
API CUresult cuDevicePrimaryCtxRetain(void **ctx, int d)
{
  (void)d;
  *ctx = (void *)&inited;
  return OK;
}
API CUresult cuDevicePrimaryCtxRelease_v2(int d)
{
  (void)d;
  return OK;
}
API CUresult cuCtxSetCurrent(void *c)
{
  (void)c;
  return OK;
}
API CUresult cuCtxSynchronize(void)
{
  return OK;
}
API CUresult cuMemAlloc_v2(CUdeviceptr *dp, size_t n)
{
  size_t len = (n + 4095) & ~(size_t)4095;
  void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return ERR_MEMORY;
  pthread_mutex_lock(&lock);
  int i = 0;
  while (i < MAXA && allocs[i].p)
    i++;
  if (i == MAXA || used + len > total) {
    pthread_mutex_unlock(&lock);
    munmap(p, len);
    return ERR_MEMORY;
  }
  allocs[i].p = p;
  allocs[i].len = len;
  used += len;
  pthread_mutex_unlock(&lock);
  *dp = (CUdeviceptr)(uintptr_t)p;
  return OK;
}
API CUresult cuMemFree_v2(CUdeviceptr dp)
{
  pthread_mutex_lock(&lock);
  int i = find((void *)(uintptr_t)dp);
  if (i < 0 || allocs[i].p != (char *)(uintptr_t)dp) {
    pthread_mutex_unlock(&lock);
    return ERR_VALUE;
  }
  munmap(allocs[i].p, allocs[i].len);
  used -= allocs[i].len;
  allocs[i].p = NULL;
  pthread_mutex_unlock(&lock);
  return OK;
}
API CUresult cuMemAllocHost_v2(void **p, size_t n)
{
  return posix_memalign(p, 4096, n) == 0 ? OK : ERR_MEMORY;
}
API CUresult cuMemFreeHost(void *p)
{
  free(p);
  return OK;
}
/* open the device allocations holding [p, p+n) for the CPU, or close them */
static int expose(const void *p, size_t n, int prot)
{
  int i = find(p);
  if (i < 0)
    return 0;
  if ((const char *)p + n > allocs[i].p + allocs[i].len)
    return -1;
  mprotect(allocs[i].p, allocs[i].len, prot);
  return 1;
}
API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
  void *d = (void *)(uintptr_t)dst, *s = (void *)(uintptr_t)src;
  pthread_mutex_lock(&lock);
  int ed = expose(d, n, PROT_READ | PROT_WRITE), es = expose(s, n, PROT_READ | PROT_WRITE);
  CUresult r = OK;
  if (ed < 0 || es < 0)
    r = ERR_VALUE;
  else
    memmove(d, s, n);
  if (ed > 0)
    expose(d, n, PROT_NONE);
  if (es > 0)
    expose(s, n, PROT_NONE);
  pthread_mutex_unlock(&lock);
  return r;
}
API CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char v, size_t n)
{
  void *d = (void *)(uintptr_t)dst;
  pthread_mutex_lock(&lock);
  int e = expose(d, n, PROT_READ | PROT_WRITE);
  if (e > 0) {
    memset(d, v, n);
    expose(d, n, PROT_NONE);
  }
  pthread_mutex_unlock(&lock);
  return e > 0 ? OK : ERR_VALUE;
}
API CUresult cuMemGetInfo_v2(size_t *f, size_t *t)
{
  pthread_mutex_lock(&lock);
  *f = total - used;
  *t = total;
  pthread_mutex_unlock(&lock);
  return OK;
}
API CUresult cuPointerGetAttribute(void *data, int attr, CUdeviceptr p)
{
  pthread_mutex_lock(&lock);
  int i = find((void *)(uintptr_t)p);
  pthread_mutex_unlock(&lock);
  if (i < 0)
    return ERR_VALUE;
  if (attr == 2)
    *(unsigned *)data = 2; /* CU_MEMORYTYPE_DEVICE */
  else if (attr == 9)
    *(int *)data = 0;
  else
    return ERR_VALUE;
  return OK;
}
API CUresult cuGetErrorString(CUresult r, const char **s)
{
  *s = r == OK ? "no error" : "fake CUDA error";
  return OK;
}
