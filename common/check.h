/* SPDX-License-Identifier: BSD-3-Clause */
/* Check-and-goto-cleanup macros (internal), Mercury style.
 *
 * Every function has one exit path: a `cleanup:` label that releases what was
 * taken and returns the status variable. A failed check logs why at error
 * level through the library's own error-log macro, sets the status and jumps
 * there. Each library binds these to its logger:
 *
 *   #define MSTRO_CHECK(mod, cond, st, code, ...) \
 *     MMB__CHECK_DOM(&mstro__log_domain, MSTRO__MOD_##mod, cond, st, code, __VA_ARGS__)
 */
#ifndef MMB_COMMON_CHECK_H
#define MMB_COMMON_CHECK_H

#include "log.h"

#define MMB__CHECK_DOM(dom, modid, cond, st, code, ...)                                            \
  do {                                                                                             \
    if (__builtin_expect(!(cond), 0)) {                                                            \
      MMB__LOG((dom), (modid), MMB__LOG_ERR, __VA_ARGS__);                                         \
      (st) = (code);                                                                               \
      goto cleanup;                                                                                \
    }                                                                                              \
  } while (0)

/* Propagate a failed call: `st = expr`; on anything but ok_value log the
 * context and jump to cleanup (the callee already logged the cause). */
#define MMB__CHECK_CALL_DOM(dom, modid, st, ok_value, expr, ...)                                   \
  do {                                                                                             \
    (st) = (expr);                                                                                 \
    if (__builtin_expect((st) != (ok_value), 0)) {                                                 \
      MMB__LOG((dom), (modid), MMB__LOG_ERR, __VA_ARGS__);                                         \
      goto cleanup;                                                                                \
    }                                                                                              \
  } while (0)

/* Tiered assertions (mimalloc style): MMB__ASSERT is always on and aborts
 * with a message, for invariants whose failure means memory corruption;
 * MMB__DEBUG_ASSERT only in debug builds, for expensive checks. */
#include <stdio.h>
#include <stdlib.h>
#define MMB__ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (__builtin_expect(!(cond), 0)) {                                                            \
      fprintf(stderr, "%s:%d: %s: internal invariant violated: %s\n", __FILE__, __LINE__,          \
              __func__, #cond);                                                                    \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)
#ifndef NDEBUG
#define MMB__DEBUG_ASSERT(cond) MMB__ASSERT(cond)
#else
#define MMB__DEBUG_ASSERT(cond) ((void)0)
#endif

#endif
