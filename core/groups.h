/* SPDX-License-Identifier: BSD-3-Clause */
/* Groups (groups.c): what finalize needs of them. */
#ifndef MSTRO_GROUPS_H
#define MSTRO_GROUPS_H

#define MSTRO__GROUP_MAGIC UINT32_C(0x4d475250) /* "MGRP" */

#include <stddef.h>

#include "attr.h"
#include "maestro.h"

struct mstro_group_;

void mstro__groups_fini(void);

/* For the pool backends. The members of a producer's group, in order:
 * name and handle (NULL for a member added by name only). */
size_t mstro__group_count(const struct mstro_group_ *g);
const char *mstro__group_member(const struct mstro_group_ *g, size_t i, mstro_cdo *cdo);
/* A group demand: member `name` (in the producer's order) gets a consumer
 * handle described by `attrs` (NULL: no offer describes it).
 * @return MSTRO_OK; MSTRO_NOMEM. */
mstro_status mstro__group_fill_member(struct mstro_group_ *g, const char *name,
                                      const mstro__attr_dict *attrs);

#endif
