/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging of mamba (internal): modules and level macros.
 * Configured by MMB_LOG_LEVEL, MMB_LOG_MODULES, MMB_LOG_DST (falling back to MSTRO_LOG_*).
 */
#ifndef MMB_LOG_H
#define MMB_LOG_H

#include "check.h"
#include "log.h"

enum mmb__log_module {
  MMB__MOD_GENERAL,
  MMB__MOD_LAYER,
  MMB__MOD_SPACE,
  MMB__MOD_POOL,
  MMB__MOD_REG,
  MMB__MOD_ARRAY,
  MMB__MOD_COPY,
  MMB__MOD_NUMA,
  MMB__MOD_CUDA,
  MMB__MOD_COUNT
};

extern struct mmb__log_domain mmb__log_domain;

#define MMB_LOG_ERR(mod, ...) MMB__LOG(&mmb__log_domain, MMB__MOD_##mod, MMB__LOG_ERR, __VA_ARGS__)
#define MMB_LOG_WARN(mod, ...)                                                                     \
  MMB__LOG(&mmb__log_domain, MMB__MOD_##mod, MMB__LOG_WARN, __VA_ARGS__)
#define MMB_LOG_INFO(mod, ...)                                                                     \
  MMB__LOG(&mmb__log_domain, MMB__MOD_##mod, MMB__LOG_INFO, __VA_ARGS__)
#define MMB_LOG_DEBUG(mod, ...)                                                                    \
  MMB__LOG(&mmb__log_domain, MMB__MOD_##mod, MMB__LOG_DEBUG, __VA_ARGS__)

/* MMB_CHECK(MODULE, cond, status_var, code, fmt, ...): log, set, goto cleanup. */
#define MMB_CHECK(mod, cond, st, code, ...)                                                        \
  MMB__CHECK_DOM(&mmb__log_domain, MMB__MOD_##mod, cond, st, code, __VA_ARGS__)
#define MMB_CHECK_CALL(mod, st, expr, ...)                                                         \
  MMB__CHECK_CALL_DOM(&mmb__log_domain, MMB__MOD_##mod, st, MMB_OK, expr, __VA_ARGS__)

#endif
