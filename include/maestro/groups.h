/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Groups: CDOs offered and demanded together.
 *
 * A group demand moves only the members' metadata: the consumer iterates the
 * members with mstro_group_next and demands the ones it wants.
 * Thread safety: one group handle must not be used by two threads at once.
 */
#ifndef MAESTRO_GROUPS_H
#define MAESTRO_GROUPS_H

#include <stddef.h>

#include "maestro/attributes.h"
#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A group of CDOs. */
typedef struct mstro_group_ *mstro_group;

/** Declare a group.
 * @param name group name, non-empty
 * @param[out] result the new group handle (release with mstro_group_dispose)
 * @return MSTRO_OK; MSTRO_INVARG for NULL or empty name or
 * NULL result; MSTRO_UNINIT; MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_group_declare(const char *name, mstro_group *result);
/** Add a declared CDO.
 * @param g   the group (not sealed)
 * @param cdo a declared CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL or a CDO already
 * in the group; MSTRO_INVSTATE after seal. */
MSTRO_API mstro_status mstro_group_add(mstro_group g, mstro_cdo cdo);
/** Add a member by name (no local declaration needed).
 * @param g        the group (not sealed)
 * @param cdo_name the member CDO's name
 * @return as mstro_group_add. */
MSTRO_API mstro_status mstro_group_add_by_name(mstro_group g, const char *cdo_name);
/** Seal the membership.
 * @param g the group
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_INVSTATE if sealed. */
MSTRO_API mstro_status mstro_group_seal(mstro_group g);
/** Offer every member (sealing the group first).
 * @param g the group
 * @return MSTRO_OK; MSTRO_INVARG;
 * MSTRO_INVSTATE if offered already or a member cannot be offered. */
MSTRO_API mstro_status mstro_group_offer(mstro_group g);
/** Require the group.
 * @param g the group
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_INVSTATE. */
MSTRO_API mstro_status mstro_group_require(mstro_group g);
/** Demand the group: waits until it is offered and fills the member list with
 * declared (not demanded) CDOs carrying their metadata.
 * @param g the group
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_INVSTATE; MSTRO_NO_PM. */
MSTRO_API mstro_status mstro_group_demand(mstro_group g);
/** Withdraw every member.
 * @param g the group
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_INVSTATE if not offered. */
MSTRO_API mstro_status mstro_group_withdraw(mstro_group g);
/** Retract a require.
 * @param g the group
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_INVSTATE if not required. */
MSTRO_API mstro_status mstro_group_retract(mstro_group g);
/** Number of members.
 * @param g the group
 * @param[out] count receives the number of members
 * @return MSTRO_OK; MSTRO_INVARG for NULL. */
MSTRO_API mstro_status mstro_group_size_get(mstro_group g, size_t *count);
/** Next member, NULL after the last (then the iteration starts again).
 * @param g the group
 * @param[out] member receives the next member, or NULL after the last
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVSTATE before demand on the consumer side. */
MSTRO_API mstro_status mstro_group_next(mstro_group g, mstro_cdo *member);
/** Dispose the group handle (and the member handles it created).
 * @param g the group
 * @return MSTRO_OK; MSTRO_INVARG; MSTRO_INVSTATE while offered or required. */
MSTRO_API mstro_status mstro_group_dispose(mstro_group g);

#ifdef __cplusplus
}
#endif
#endif
