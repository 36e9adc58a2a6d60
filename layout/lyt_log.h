/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging of lyt (internal): modules and level macros.
 * Configured by LYT_LOG_LEVEL, LYT_LOG_MODULES, LYT_LOG_DST (falling back to MSTRO_LOG_*).
 */
#ifndef LYT_LOG_H
#define LYT_LOG_H

#include "check.h"
#include "log.h"

enum lyt__log_module {
  LYT__MOD_GENERAL,
  LYT__MOD_DESC,
  LYT__MOD_TRANSFORM,
  LYT__MOD_DIST,
  LYT__MOD_PLAN,
  LYT__MOD_COUNT
};

extern struct mmb__log_domain lyt__log_domain;

#define LYT_LOG_ERR(mod, ...) MMB__LOG(&lyt__log_domain, LYT__MOD_##mod, MMB__LOG_ERR, __VA_ARGS__)
#define LYT_LOG_WARN(mod, ...)                                                                     \
  MMB__LOG(&lyt__log_domain, LYT__MOD_##mod, MMB__LOG_WARN, __VA_ARGS__)
#define LYT_LOG_INFO(mod, ...)                                                                     \
  MMB__LOG(&lyt__log_domain, LYT__MOD_##mod, MMB__LOG_INFO, __VA_ARGS__)
#define LYT_LOG_DEBUG(mod, ...)                                                                    \
  MMB__LOG(&lyt__log_domain, LYT__MOD_##mod, MMB__LOG_DEBUG, __VA_ARGS__)

/* LYT_CHECK(MODULE, cond, status_var, code, fmt, ...): log, set, goto cleanup. */
#define LYT_CHECK(mod, cond, st, code, ...)                                                        \
  MMB__CHECK_DOM(&lyt__log_domain, LYT__MOD_##mod, cond, st, code, __VA_ARGS__)
#define LYT_CHECK_CALL(mod, st, expr, ...)                                                         \
  MMB__CHECK_CALL_DOM(&lyt__log_domain, LYT__MOD_##mod, st, LYT_OK, expr, __VA_ARGS__)

#endif
