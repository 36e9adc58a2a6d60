/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Workflow components of libmaestro-components (target maestro::components):
 * the librarian, which stages CDOs an archive holds back into the pool, and
 * the keep-alive proxy, which keeps offered CDOs in the pool past their
 * producer's withdraw. Each is one call that runs until its stop condition;
 * the programs maestro-librarian and maestro-keepalive are thin wrappers.
 *
 * Both are built on the public API of libmaestro only (docs/components.md
 * shows how). Call them between mstro_init and mstro_finalize, from a thread
 * of their own: they block.
 */
#ifndef MAESTRO_COMPONENTS_H
#define MAESTRO_COMPONENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of mstro_librarian_run; fill with mstro_librarian_opts_init first. */
struct mstro_librarian_opts {
  const char *dir;      /**< the archive: NAME.data + NAME.yaml per CDO (simple_archiver) */
  const char *selector; /**< which archived CDOs it offers; NULL: every one */
  bool eager;           /**< offer every matching CDO at start, not only on request */
  double linger_s;      /**< > 0: withdraw a staged CDO this long after staging, not at its
                             first demand */
  long max_served;      /**< stop once this many staged CDOs were withdrawn; 0: no limit */
  double timeout_s;     /**< stop after this long; 0: no limit */
  bool quiet;           /**< no progress lines on stdout */
  bool (*should_stop)(void *ctx); /**< polled every 50 ms: it stops once this returns true
                                       (may be NULL; the caller makes it thread-safe) */
  void *stop_ctx;                 /**< the argument of should_stop */
  void (*on_ready)(void *ctx);    /**< called once it listens (may be NULL): requires made
                                       after this are held until it answered them */
  void *ready_ctx;                /**< the argument of on_ready */
};

/** Default options: no directory, every CDO, on request, withdrawn at the
 * first demand, no limits.
 * @param o the options to fill (NULL is ignored) */
MSTRO_API void mstro_librarian_opts_init(struct mstro_librarian_opts *o);

/** Serve an archive: on a REQUIRE or DEMAND of a CDO it holds (subscribed
 * with _REQUIRE_ACK, so the consumer's operation waits), load data and
 * attributes from disk and offer them, then ack; on one it does not hold (or
 * whose attributes the selector does not match), ack at once. A sidecar that
 * does not parse is reported by file and line (log, warning) and skipped.
 * Files are only read.
 * @param o the options
 * @return MSTRO_OK once stopped (should_stop, max_served reached);
 *         MSTRO_TIMEOUT when timeout_s passed before max_served was reached;
 *         MSTRO_INVARG for NULL options, no dir, a directory that cannot be
 *         read or a selector that does not compile; MSTRO_UNINIT before
 *         mstro_init; MSTRO_NO_PM when the Pool Manager went away;
 *         MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_librarian_run(const struct mstro_librarian_opts *o);

/** Options of mstro_keepalive_run; fill with mstro_keepalive_opts_init first. */
struct mstro_keepalive_opts {
  const char *selector;     /**< which offered CDOs it keeps; NULL: every one */
  long uses;                /**< release after this many demands by other components
                                 (0: not a condition) */
  double for_s;             /**< release this long after it was kept (0: not a condition) */
  const char *release_name; /**< release everything when a CDO of this name is offered
                                 (NULL: not a condition) */
  uint64_t max_bytes;       /**< bytes it keeps at most (0: no bound); the oldest kept CDO is
                                 released first to make room, a CDO larger than the bound is
                                 refused with a warning */
  const char *const *attrs; /**< NULL-terminated list of further attribute keys to copy (user
                                 schemas); the built-in layout keys are always copied */
  long max_kept;            /**< stop once this many CDOs were kept and released; 0: no limit */
  double timeout_s;         /**< stop after this long; 0: no limit */
  bool quiet;               /**< no progress lines on stdout */
  bool (*should_stop)(void *ctx); /**< polled every 50 ms: it stops once this returns true
                                       (may be NULL; the caller makes it thread-safe) */
  void *stop_ctx;                 /**< the argument of should_stop */
  void (*on_ready)(void *ctx);    /**< called once it listens (may be NULL): offers made after
                                       this are kept */
  void *ready_ctx;                /**< the argument of on_ready */
};

/** Default options: every CDO, released after one demand, no bound.
 * @param o the options to fill (NULL is ignored) */
MSTRO_API void mstro_keepalive_opts_init(struct mstro_keepalive_opts *o);

/** Keep CDOs alive: for each offer of another component that the selector
 * matches (subscribed with _REQUIRE_ACK, so that the producer's offer returns
 * only once the copy exists), demand it and offer its own copy; withdraw the
 * copy once a release condition holds. At the end everything kept is
 * withdrawn. It serves other components through a Pool Manager.
 * @param o the options
 * @return MSTRO_OK once stopped (should_stop, max_kept reached); MSTRO_TIMEOUT
 *         when timeout_s passed before max_kept was reached; MSTRO_INVARG for
 *         NULL options, no release condition, or a selector that does not
 *         compile; MSTRO_NO_PM without a Pool Manager (MSTRO_POOL_MANAGER_INFO
 *         unset at mstro_init) or when it went away; MSTRO_UNINIT; MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_keepalive_run(const struct mstro_keepalive_opts *o);

#ifdef __cplusplus
}
#endif
#endif
