/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging of libmaestro (internal): modules and level macros.
 * Configured by MSTRO_LOG_LEVEL, MSTRO_LOG_MODULES, MSTRO_LOG_DST.
 */
#ifndef MSTRO_LOG_H
#define MSTRO_LOG_H

#include "check.h"
#include "log.h"

#define MSTRO__LOG_MODULE_LIST(X)                                                                  \
  X(CORE, "core")                                                                                  \
  X(CDO, "core.cdo")                                                                               \
  X(ATTR, "core.attr")                                                                             \
  X(SCHEMA, "core.schema")                                                                         \
  X(SELECTOR, "core.selector")                                                                     \
  X(POOL, "core.pool")                                                                             \
  X(EVENT, "core.event")                                                                           \
  X(GROUP, "core.group")                                                                           \
  X(TELEMETRY, "core.telemetry")                                                                   \
  X(PROTO, "core.proto")                                                                           \
  X(PM, "pm")

#define MSTRO__MOD_ENUM(id, name) MSTRO__MOD_##id,
enum mstro__log_module { MSTRO__LOG_MODULE_LIST(MSTRO__MOD_ENUM) MSTRO__MOD_COUNT };
#undef MSTRO__MOD_ENUM

extern struct mmb__log_domain mstro__log_domain;

#define MSTRO_LOG_ERR(mod, ...)                                                                    \
  MMB__LOG(&mstro__log_domain, MSTRO__MOD_##mod, MMB__LOG_ERR, __VA_ARGS__)
#define MSTRO_LOG_WARN(mod, ...)                                                                   \
  MMB__LOG(&mstro__log_domain, MSTRO__MOD_##mod, MMB__LOG_WARN, __VA_ARGS__)
#define MSTRO_LOG_INFO(mod, ...)                                                                   \
  MMB__LOG(&mstro__log_domain, MSTRO__MOD_##mod, MMB__LOG_INFO, __VA_ARGS__)
#define MSTRO_LOG_DEBUG(mod, ...)                                                                  \
  MMB__LOG(&mstro__log_domain, MSTRO__MOD_##mod, MMB__LOG_DEBUG, __VA_ARGS__)

/* MSTRO_CHECK(MODULE, cond, status_var, code, fmt, ...): log, set, goto cleanup. */
#define MSTRO_CHECK(mod, cond, st, code, ...)                                                      \
  MMB__CHECK_DOM(&mstro__log_domain, MSTRO__MOD_##mod, cond, st, code, __VA_ARGS__)
#define MSTRO_CHECK_CALL(mod, st, expr, ...)                                                       \
  MMB__CHECK_CALL_DOM(&mstro__log_domain, MSTRO__MOD_##mod, st, MSTRO_OK, expr, __VA_ARGS__)

#endif
