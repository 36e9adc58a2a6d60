/* SPDX-License-Identifier: BSD-3-Clause */
/* The pool directory (internal): the one piece of code that matches offers
 * with requires and demands, by name.
 *
 * It is a plain data structure: no locks, no threads, no networking, no
 * knowledge of what an offer or a waiter is (both are opaque pointers). The
 * in-process pool (pool.c) calls it under its own mutex; the Pool Manager
 * (pm/) will call it from its event loop and add networking, scheduling and
 * failure handling around it. A caller must serialize all calls on one
 * directory.
 *
 * Per name the directory keeps: the offers (in offer order), the requires
 * (opaque tokens) and the demands waiting for an offer. When an offer arrives
 * every waiting demand of that name is matched with it (the callback tells
 * the caller, which wakes its waiter); a demand that finds an offer is
 * matched at once with the oldest.
 */
#ifndef MSTRO_POOL_DIR_H
#define MSTRO_POOL_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "maestro/status.h"

typedef struct mstro__pool_dir mstro__pool_dir;

/* Called for each waiting demand matched by a new offer (the waiter is no
 * longer in the directory when it is called). */
typedef void (*mstro__pool_dir_match_fn)(void *waiter, void *offer, void *ctx);

/* Called for each offer by mstro__pool_dir_foreach_offer. */
typedef void (*mstro__pool_dir_offer_fn)(const char *name, void *offer, void *ctx);

mstro_status mstro__pool_dir_create(mstro__pool_dir **dir);
/* Frees the directory (not the offers or waiters it still lists). */
void mstro__pool_dir_destroy(mstro__pool_dir *dir);

/* Add an offer of `name` and match every demand waiting for it.
 * MSTRO_INVARG for NULL arguments or an offer already listed; MSTRO_NOMEM. */
mstro_status mstro__pool_dir_offer(mstro__pool_dir *dir, const char *name, void *offer,
                                   mstro__pool_dir_match_fn match, void *ctx);
/* Remove an offer. MSTRO_NOENT when it is not listed. */
mstro_status mstro__pool_dir_withdraw(mstro__pool_dir *dir, const char *name, void *offer);
/* The oldest offer of `name`, or NULL. */
void *mstro__pool_dir_lookup(const mstro__pool_dir *dir, const char *name);

/* Record a require token; MSTRO_NOT_TWICE when it is already listed. */
mstro_status mstro__pool_dir_require(mstro__pool_dir *dir, const char *name, void *token);
/* Remove a require token; MSTRO_NOENT when not listed. */
mstro_status mstro__pool_dir_retract(mstro__pool_dir *dir, const char *name, void *token);
/* Number of requires of `name` (for scheduling and tests). */
size_t mstro__pool_dir_required_count(const mstro__pool_dir *dir, const char *name);

/* A demand: when an offer of `name` is listed, *offer receives the oldest
 * and the demand is not recorded; otherwise the waiter is recorded (matched
 * later through the offer's callback) and *offer is NULL. */
mstro_status mstro__pool_dir_demand(mstro__pool_dir *dir, const char *name, void *waiter,
                                    void **offer);
/* Forget a waiting demand (cancelled). MSTRO_NOENT when not waiting. */
mstro_status mstro__pool_dir_cancel_demand(mstro__pool_dir *dir, const char *name, void *waiter);

/* Totals, for telemetry and finalize. */
size_t mstro__pool_dir_offer_count(const mstro__pool_dir *dir);
size_t mstro__pool_dir_name_count(const mstro__pool_dir *dir);
/* Visit every offer (the callback must not change the directory). */
void mstro__pool_dir_foreach_offer(const mstro__pool_dir *dir, mstro__pool_dir_offer_fn fn,
                                   void *ctx);

#endif
