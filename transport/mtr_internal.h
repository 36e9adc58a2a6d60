/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the transports: handle bases, the ops tables, time. */
#ifndef MTR_INTERNAL_H
#define MTR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "mtr/mtr_transport.h"
#include "mtr_log.h"

/* Every handle starts with its base, so the generic calls can dispatch. */
struct mtr_ep_ {
  const struct mtr_ops *ops;
};
struct mtr_store_ {
  const struct mtr_ops *ops;
};
struct mtr_region_ {
  const struct mtr_ops *ops;
};

extern const struct mtr_ops mtr__ofi_ops;
extern const struct mtr_ops mtr__gfs_ops;
#ifdef MSTRO_HAVE_RADOS
extern const struct mtr_ops mtr__mio_ops;
#endif

/* Monotonic time in ns. */
static inline uint64_t mtr__now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The environment of the transport layer (mtr_env.c has the table). */
struct mtr__env {
  int transport_default; /* index into OFI, RDMA, GFS, MIO, AUTO */
  long long timeout_s;
  const char *ofi_provider;
  uint64_t ofi_chunk;
  long long ofi_inflight;
  long long ofi_spin_us;
  bool ofi_block;
  const char *gfs_dir;
  bool gfs_fsync;
  const char *mio_conf;
  const char *mio_pool;
  long long mio_timeout_s;
};
/* Reads every variable; a bad value is logged (warning) and replaced by its
 * default (mtr_env_check() makes it an error for callers that want one). */
void mtr__env_load(struct mtr__env *env);

/* Default bound on a wait (MSTRO_TRANSPORT_TIMEOUT seconds, default 60). */
int mtr__default_timeout_ms(void);

/* Deadline in ns for a timeout in ms (negative: the default). */
static inline uint64_t mtr__deadline(int timeout_ms)
{
  if (timeout_ms < 0)
    timeout_ms = mtr__default_timeout_ms();
  return mtr__now_ns() + (uint64_t)timeout_ms * 1000000ull;
}

/* Writes a reason into why (may be NULL). */
void mtr__why(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
