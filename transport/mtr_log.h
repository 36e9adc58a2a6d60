/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging of transport (internal): modules and level macros.
 * Configured by MSTRO_LOG_LEVEL, MSTRO_LOG_MODULES, MSTRO_LOG_DST.
 */
#ifndef MTR_LOG_H
#define MTR_LOG_H

#include "check.h"
#include "log.h"

enum mtr__log_module {
  MTR__MOD_GENERAL,
  MTR__MOD_OFI,
  MTR__MOD_GFS,
  MTR__MOD_MIO,
  MTR__MOD_LOCAL,
  MTR__MOD_COUNT
};

extern struct mmb__log_domain mtr__log_domain;

#define MTR_LOG_ERR(mod, ...) MMB__LOG(&mtr__log_domain, MTR__MOD_##mod, MMB__LOG_ERR, __VA_ARGS__)
#define MTR_LOG_WARN(mod, ...)                                                                     \
  MMB__LOG(&mtr__log_domain, MTR__MOD_##mod, MMB__LOG_WARN, __VA_ARGS__)
#define MTR_LOG_INFO(mod, ...)                                                                     \
  MMB__LOG(&mtr__log_domain, MTR__MOD_##mod, MMB__LOG_INFO, __VA_ARGS__)
#define MTR_LOG_DEBUG(mod, ...)                                                                    \
  MMB__LOG(&mtr__log_domain, MTR__MOD_##mod, MMB__LOG_DEBUG, __VA_ARGS__)

/* MTR_CHECK(MODULE, cond, status_var, code, fmt, ...): log, set, goto cleanup. */
#define MTR_CHECK(mod, cond, st, code, ...)                                                        \
  MMB__CHECK_DOM(&mtr__log_domain, MTR__MOD_##mod, cond, st, code, __VA_ARGS__)
#define MTR_CHECK_CALL(mod, st, expr, ...)                                                         \
  MMB__CHECK_CALL_DOM(&mtr__log_domain, MTR__MOD_##mod, st, MTR_OK, expr, __VA_ARGS__)

#endif
