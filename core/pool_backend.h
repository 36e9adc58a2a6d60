/* SPDX-License-Identifier: BSD-3-Clause */
/* The seam between the CDO and group operations (cdo.c, groups.c) and the
 * pool that serves them: one table of operations per backend, chosen once
 * at mstro_init.
 *
 *  - local (pool_local.c): the in-process pool, between threads;
 *  - pm (pmc_ops.c): the Pool Manager client, when MSTRO_POOL_MANAGER_INFO
 *    names a Pool Manager to join.
 *
 * A new pool operation is one more member here, implemented by both
 * backends; callers never ask which backend serves them. Every member is
 * set (no NULL checks on the way).
 */
#ifndef MSTRO_POOL_BACKEND_H
#define MSTRO_POOL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "maestro.h"

/* The current version of the table; `size` is sizeof the struct the
 * backend was built with (members are only ever appended). */
#define MSTRO__POOL_BACKEND_VERSION 1

struct mstro_group_;

/* Called by a group demand with the producer's group while its offer is
 * pinned (sealed, immutable, its members offered). */
typedef mstro_status (*mstro__group_fill_fn)(struct mstro_group_ *dst,
                                             const struct mstro_group_ *producer);
/* Called with the metadata of an offer while it is pinned. */
typedef mstro_status (*mstro__offer_attrs_fn)(void *ctx, const mstro__attr_dict *attrs);

struct mstro__pool_backend {
  uint32_t version; /* MSTRO__POOL_BACKEND_VERSION */
  size_t size;      /* sizeof (struct mstro__pool_backend) */
  const char *name;
  const char *description; /* for the log line of mstro_init */

  /* mstro_init (after events and memory) and mstro_finalize (before the
   * handles are freed): stop says how many CDOs were still offered. */
  mstro_status (*start)(void);
  mstro_status (*stop)(size_t *left_offered);

  /* Lifecycle hooks: after a handle is created (before its DECLARE event
   * AFTER), after it is sealed, when the application disposes it (state
   * already DISPOSED), and when its storage is about to be freed (dispose
   * or finalize; may come after stop). */
  mstro_status (*declared)(mstro_cdo cdo);
  mstro_status (*sealed)(mstro_cdo cdo);
  mstro_status (*disposed)(mstro_cdo cdo);
  void (*release)(mstro_cdo cdo);

  /* CDO pool operations (the handle is sealed; its state is committed by
   * the caller on MSTRO_OK). */
  mstro_status (*offer)(mstro_cdo cdo);
  mstro_status (*withdraw)(mstro_cdo cdo);
  mstro_status (*require)(mstro_cdo cdo);
  mstro_status (*retract)(mstro_cdo cdo); /* MSTRO_OK when not required */
  /* Before the DEMAND event of a handle in state REQUIRED: what becomes of
   * its require (the local pool retracts it; across processes the demand
   * waits for the transfer the require started). */
  void (*demand_prepare)(mstro_cdo cdo);
  /* Blocks until an offer exists, then brings metadata and data into cdo. */
  mstro_status (*demand)(mstro_cdo cdo);

  /* Group operations. */
  mstro_status (*group_offer)(struct mstro_group_ *g, const char *name);
  mstro_status (*group_withdraw)(struct mstro_group_ *g, const char *name);
  mstro_status (*group_require)(struct mstro_group_ *g, const char *name, bool require);
  mstro_status (*group_demand)(struct mstro_group_ *g, const char *name, mstro__group_fill_fn fill);
  /* fn(ctx, attrs) with the metadata of the oldest offer of `name`, pinned
   * meanwhile; MSTRO_NOENT when there is none (by-name group members). */
  mstro_status (*offer_attrs)(const char *name, mstro__offer_attrs_fn fn, void *ctx);
  /* The group was sealed (before its state changes; an error refuses it). */
  mstro_status (*group_sealed)(struct mstro_group_ *g, const char *name);
};

extern const struct mstro__pool_backend mstro__pool_local;
extern const struct mstro__pool_backend mstro__pool_pm;

/* The backend mstro_init chose (the local one before). */
extern const struct mstro__pool_backend *mstro__pool;

#endif
