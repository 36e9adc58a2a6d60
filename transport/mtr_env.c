/* SPDX-License-Identifier: BSD-3-Clause */
/* The transport layer's environment variables, in one table: their types,
 * defaults, bounds and documentation (mtr_env_print(), docs/transports.md). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mtr_internal.h"
#include "options.h"

/* AUTO last: the indices of the others are used by the registry */
static const char *const mtr_transport_names[] = {"OFI", "RDMA", "GFS", "MIO", "AUTO", NULL};

#define F(field) offsetof(struct mtr__env, field)
static const struct mmb__opt_def mtr_env_defs[] = {
    {"MSTRO_TRANSPORT_DEFAULT", MMB__OPT_ENUM, "AUTO", 0, 0, mtr_transport_names, NULL,
     F(transport_default),
     "transport for CDO data: AUTO (no explicit choice: the Pool Manager's, else OFI first), OFI "
     "(alias RDMA), GFS or MIO; falls back if unavailable"},
    {"MSTRO_TRANSPORT_TIMEOUT", MMB__OPT_INT, "60", 1, 86400, NULL, NULL, F(timeout_s),
     "seconds a transport call waits when given no timeout of its own"},
    {"MSTRO_OFI_PROVIDER", MMB__OPT_STRING, NULL, 0, 0, NULL, NULL, F(ofi_provider),
     "libfabric provider (tcp;ofi_rxm, sockets, shm, ...); unset: FI_PROVIDER, then automatic"},
    {"MSTRO_OFI_CHUNK_SIZE", MMB__OPT_SIZE, "4M", 4096, 1ll << 30, NULL, NULL, F(ofi_chunk),
     "bytes per RMA read in a pipelined transfer (capped by the provider's max_msg_size)"},
    {"MSTRO_OFI_INFLIGHT", MMB__OPT_INT, "8", 1, 256, NULL, NULL, F(ofi_inflight),
     "RMA reads in flight per transfer (capped by the provider's tx queue)"},
    {"MSTRO_OFI_SPIN_US", MMB__OPT_INT, "10000", 0, 10000000, NULL, NULL, F(ofi_spin_us),
     "microseconds a wait keeps polling without sleeping after the last completion (with "
     "MSTRO_OFI_BLOCK: the most the adaptive spin grows to)"},
    {"MSTRO_OFI_BLOCK", MMB__OPT_BOOL, "1", 0, 0, NULL, NULL, F(ofi_block),
     "1: after a short adaptive spin a wait blocks on the completion queue's file descriptor; 0: "
     "it spins for MSTRO_OFI_SPIN_US, then naps 50 us between polls (dedicated cores)"},
    {"MSTRO_GFS_DIR", MMB__OPT_STRING, NULL, 0, 0, NULL, NULL, F(gfs_dir),
     "directory of the GFS transport, visible to all components (no default: GFS unavailable)"},
    {"MSTRO_GFS_FSYNC", MMB__OPT_BOOL, "1", 0, 0, NULL, NULL, F(gfs_fsync),
     "fsync files and the directory on put (0: atomic for readers, not against a node crash)"},
    {"MSTRO_MIO_CONF", MMB__OPT_STRING, NULL, 0, 0, NULL, NULL, F(mio_conf),
     "ceph.conf of the MIO transport's cluster (no default: MIO unavailable)"},
    {"MSTRO_MIO_POOL", MMB__OPT_STRING, "maestro", 0, 0, NULL, NULL, F(mio_pool),
     "RADOS pool of the MIO transport (must exist)"},
    {"MSTRO_MIO_TIMEOUT", MMB__OPT_INT, "30", 1, 3600, NULL, NULL, F(mio_timeout_s),
     "seconds bounding the MIO connect and every MIO operation"},
};
#undef F
#define MTR_NENV (sizeof mtr_env_defs / sizeof mtr_env_defs[0])

/* One variable into its field of env: its default, then its value (a bad
 * one is logged and the default kept). */
static void load_def(const struct mmb__opt_def *d, struct mtr__env *env)
{
  char err[256];
  if (d->default_text != NULL)
    mmb__opt_parse(d, d->default_text, env, err, sizeof err);
  const char *v = getenv(d->name);
  if (v != NULL && mmb__opt_parse(d, v, env, err, sizeof err) != 0) {
    MTR_LOG_WARN(GENERAL, "%s; using the default (%s)", err,
                 d->default_text ? d->default_text : "unset");
    if (d->default_text != NULL)
      mmb__opt_parse(d, d->default_text, env, err, sizeof err);
    else
      memset((char *)env + d->offset, 0, sizeof(const char *));
  }
}

void mtr__env_load(struct mtr__env *env)
{
  memset(env, 0, sizeof *env);
  for (size_t i = 0; i < MTR_NENV; i++)
    load_def(&mtr_env_defs[i], env);
}

/* Every wait without a timeout of its own asks: only its variable is read
 * (not the whole table), so that a changed environment still applies. */
int mtr__default_timeout_ms(void)
{
  struct mtr__env env;
  memset(&env, 0, sizeof env);
  for (size_t i = 0; i < MTR_NENV; i++)
    if (strcmp(mtr_env_defs[i].name, "MSTRO_TRANSPORT_TIMEOUT") == 0)
      load_def(&mtr_env_defs[i], &env);
  return (int)(env.timeout_s * 1000);
}

mtr_status mtr_env_check(char *why, size_t whylen)
{
  struct mtr__env env;
  char err[256];
  for (size_t i = 0; i < MTR_NENV; i++) {
    const char *v = getenv(mtr_env_defs[i].name);
    if (v != NULL && mmb__opt_parse(&mtr_env_defs[i], v, &env, err, sizeof err) != 0) {
      MTR_LOG_ERR(GENERAL, "%s", err);
      mtr__why(why, whylen, "%s", err);
      return MTR_INVALID_ARG;
    }
  }
  return MTR_OK;
}

void mtr_env_print(FILE *out)
{
  if (out != NULL)
    mmb__opt_print(mtr_env_defs, MTR_NENV, out);
}
