/* SPDX-License-Identifier: BSD-3-Clause */
/* The CDO lifecycle as an explicit state machine (internal).
 *
 * Every public operation on a CDO looks up its transition in one table
 * (cdo_state.c): the state it may start from and the state it leads to. A
 * call in any other state returns MSTRO_INVSTATE and logs the CDO's name,
 * the operation and the current state; nothing is changed.
 *
 * Producer: DECLARED -seal-> SEALED -offer-> OFFERED -withdraw-> WITHDRAWN
 *           (offer seals implicitly; a withdrawn CDO may be offered again)
 * Consumer: DECLARED|SEALED -require-> REQUIRED -retract-> SEALED
 *           DECLARED|SEALED|REQUIRED -demand-> DEMANDED
 *           (require and demand seal implicitly)
 * Every state but OFFERED and REQUIRED -dispose-> DISPOSED.
 */
#ifndef MSTRO_CDO_STATE_H
#define MSTRO_CDO_STATE_H

#include <stdbool.h>

#include "maestro/status.h"

typedef enum {
  MSTRO__CDO_STATE_INVALID = 0,
  MSTRO__CDO_DECLARED,  /* attributes may be set */
  MSTRO__CDO_SEALED,    /* attributes final */
  MSTRO__CDO_OFFERED,   /* in the pool; the producer must not touch it */
  MSTRO__CDO_WITHDRAWN, /* out of the pool again; data unchanged */
  MSTRO__CDO_REQUIRED,  /* a demand is announced */
  MSTRO__CDO_DEMANDED,  /* data and metadata are local */
  MSTRO__CDO_DISPOSED,  /* the handle is dead */
  MSTRO__CDO_STATE_MAX
} mstro__cdo_state;

typedef enum {
  MSTRO__OP_ATTR_SET = 0,
  MSTRO__OP_ATTR_GET,
  MSTRO__OP_SEAL,
  MSTRO__OP_OFFER,
  MSTRO__OP_WITHDRAW,
  MSTRO__OP_REQUIRE,
  MSTRO__OP_RETRACT,
  MSTRO__OP_DEMAND,
  MSTRO__OP_DISPOSE,
  MSTRO__OP_ACCESS,       /* access_ptr */
  MSTRO__OP_ACCESS_ARRAY, /* access_mamba_array */
  MSTRO__OP_GROUP_ADD,    /* adding the CDO to a group */
  MSTRO__OP_MAX
} mstro__cdo_op;

/* Name of a state / an operation ("OFFERED", "offer"); never NULL. */
const char *mstro__cdo_state_name(mstro__cdo_state s);
const char *mstro__cdo_op_name(mstro__cdo_op op);

/* Whether `op` is allowed in `from`; *to receives the state after it (the
 * same state for operations that do not change it). */
bool mstro__cdo_transition(mstro__cdo_op op, mstro__cdo_state from, mstro__cdo_state *to);

/* Check a transition; on refusal log "<op> of CDO '<name>' in state <S>"
 * (the name shortened for the log) and return MSTRO_INVSTATE. */
mstro_status mstro__cdo_check(mstro__cdo_op op, mstro__cdo_state from, const char *cdo_name,
                              mstro__cdo_state *to);

#endif
