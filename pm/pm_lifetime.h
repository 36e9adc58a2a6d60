/* SPDX-License-Identifier: BSD-3-Clause */
/* Offer lifetimes at the Pool Manager (.maestro.core.cdo.lifetime): a
 * min-heap of deadlines with an index from the offer to its heap slot, so
 * that adding, removing and popping what expired are O(log n).
 *
 * The heap knows nothing of offers: it stores opaque pointers. The server
 * adds an offer when it lists one with a lifetime, removes it when it frees
 * the offer, pops what expired in its step loop and bounds its poll timeout
 * by the next deadline. Not thread-safe: the server thread owns it. */
#ifndef MSTRO_PM_LIFETIME_H
#define MSTRO_PM_LIFETIME_H

#include <stddef.h>
#include <stdint.h>

#include "maestro/status.h"

typedef struct mstro__pm_lifetimes mstro__pm_lifetimes;

/** @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_NOMEM. */
mstro_status mstro__pm_lifetimes_create(mstro__pm_lifetimes **result);
/** Free the heap (not the items). NULL is ignored. */
void mstro__pm_lifetimes_destroy(mstro__pm_lifetimes *lt);

/** Add `item` (not NULL, not yet in) with its deadline (mstro_clock() ns).
 * @return MSTRO_OK; MSTRO_INVARG for NULL or an item already in; MSTRO_NOMEM. */
mstro_status mstro__pm_lifetimes_add(mstro__pm_lifetimes *lt, void *item, uint64_t deadline_ns);

/** Remove `item` if it is in (a no-op otherwise: every offer the server
 * frees is passed here, with a lifetime or not). */
void mstro__pm_lifetimes_remove(mstro__pm_lifetimes *lt, void *item);

/** Take one item whose deadline is <= now_ns, earliest first.
 * @return the item, or NULL when none has expired. */
void *mstro__pm_lifetimes_pop_expired(mstro__pm_lifetimes *lt, uint64_t now_ns);

/** The poll timeout for a loop that must wake at the next deadline:
 * max_ms, or less when a deadline comes sooner (0 when one has passed); a
 * negative max_ms (wait without bound) becomes the time to the next deadline. */
int mstro__pm_lifetimes_timeout_ms(const mstro__pm_lifetimes *lt, uint64_t now_ns, int max_ms);

/** Items in the heap. */
size_t mstro__pm_lifetimes_count(const mstro__pm_lifetimes *lt);

#endif
