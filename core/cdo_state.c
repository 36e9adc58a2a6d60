/* SPDX-License-Identifier: BSD-3-Clause */
/* The one table of allowed CDO transitions (see cdo_state.h). */
#include "cdo_state.h"

#include "mstro_log.h"

#define S(x) MSTRO__CDO_##x
#define NONE MSTRO__CDO_STATE_INVALID

/* next[op][from]: the state after `op` started in `from`; NONE: refused. */
static const mstro__cdo_state next_state[MSTRO__OP_MAX][MSTRO__CDO_STATE_MAX] = {
    /*                     DECLARED       SEALED        OFFERED       WITHDRAWN     REQUIRED
                           DEMANDED       DISPOSED */
    [MSTRO__OP_ATTR_SET] = {[S(DECLARED)] = S(DECLARED)},
    [MSTRO__OP_ATTR_GET] = {[S(DECLARED)] = S(DECLARED),
                            [S(SEALED)] = S(SEALED),
                            [S(OFFERED)] = S(OFFERED),
                            [S(WITHDRAWN)] = S(WITHDRAWN),
                            [S(REQUIRED)] = S(REQUIRED),
                            [S(DEMANDED)] = S(DEMANDED)},
    [MSTRO__OP_SEAL] = {[S(DECLARED)] = S(SEALED)},
    [MSTRO__OP_OFFER] = {[S(DECLARED)] = S(OFFERED),
                         [S(SEALED)] = S(OFFERED),
                         [S(WITHDRAWN)] = S(OFFERED)},
    [MSTRO__OP_WITHDRAW] = {[S(OFFERED)] = S(WITHDRAWN)},
    [MSTRO__OP_REQUIRE] = {[S(DECLARED)] = S(REQUIRED), [S(SEALED)] = S(REQUIRED)},
    [MSTRO__OP_RETRACT] = {[S(REQUIRED)] = S(SEALED)},
    [MSTRO__OP_DEMAND] = {[S(DECLARED)] = S(DEMANDED),
                          [S(SEALED)] = S(DEMANDED),
                          [S(REQUIRED)] = S(DEMANDED)},
    [MSTRO__OP_DISPOSE] = {[S(DECLARED)] = S(DISPOSED),
                           [S(SEALED)] = S(DISPOSED),
                           [S(WITHDRAWN)] = S(DISPOSED),
                           [S(DEMANDED)] = S(DISPOSED)},
    /* The caller owns the data in these states; while offered the pool does. */
    [MSTRO__OP_ACCESS] = {[S(DECLARED)] = S(DECLARED),
                          [S(SEALED)] = S(SEALED),
                          [S(WITHDRAWN)] = S(WITHDRAWN),
                          [S(DEMANDED)] = S(DEMANDED)},
    /* An array view is cached with the layout attributes: after seal only. */
    [MSTRO__OP_ACCESS_ARRAY] = {[S(SEALED)] = S(SEALED),
                                [S(WITHDRAWN)] = S(WITHDRAWN),
                                [S(DEMANDED)] = S(DEMANDED)},
    [MSTRO__OP_GROUP_ADD] = {[S(DECLARED)] = S(DECLARED),
                             [S(SEALED)] = S(SEALED),
                             [S(WITHDRAWN)] = S(WITHDRAWN)},
};

static const char *const state_names[MSTRO__CDO_STATE_MAX] = {
    [NONE] = "INVALID",         [S(DECLARED)] = "DECLARED",   [S(SEALED)] = "SEALED",
    [S(OFFERED)] = "OFFERED",   [S(WITHDRAWN)] = "WITHDRAWN", [S(REQUIRED)] = "REQUIRED",
    [S(DEMANDED)] = "DEMANDED", [S(DISPOSED)] = "DISPOSED",
};

static const char *const op_names[MSTRO__OP_MAX] = {
    [MSTRO__OP_ATTR_SET] = "attribute_set",
    [MSTRO__OP_ATTR_GET] = "attribute_get",
    [MSTRO__OP_SEAL] = "seal",
    [MSTRO__OP_OFFER] = "offer",
    [MSTRO__OP_WITHDRAW] = "withdraw",
    [MSTRO__OP_REQUIRE] = "require",
    [MSTRO__OP_RETRACT] = "retract",
    [MSTRO__OP_DEMAND] = "demand",
    [MSTRO__OP_DISPOSE] = "dispose",
    [MSTRO__OP_ACCESS] = "access",
    [MSTRO__OP_ACCESS_ARRAY] = "access_mamba_array",
    [MSTRO__OP_GROUP_ADD] = "group_add",
};

/* A hint per refused operation, so the log says what to do instead. */
static const char *hint(mstro__cdo_op op, mstro__cdo_state from)
{
  if (from == S(DISPOSED))
    return "the handle was disposed";
  switch (op) {
  case MSTRO__OP_ATTR_SET:
    return "attributes are final after seal";
  case MSTRO__OP_SEAL:
    return "it is sealed already";
  case MSTRO__OP_OFFER:
    return from == S(OFFERED) ? "it is offered already" : "only a producer's CDO can be offered";
  case MSTRO__OP_WITHDRAW:
    return "only an offered CDO can be withdrawn";
  case MSTRO__OP_REQUIRE:
    return "only a declared or sealed consumer CDO can be required";
  case MSTRO__OP_RETRACT:
    return "only a required CDO can be retracted";
  case MSTRO__OP_DEMAND:
    return "only a declared, sealed or required consumer CDO can be demanded";
  case MSTRO__OP_DISPOSE:
    return "withdraw or retract it first";
  case MSTRO__OP_ACCESS:
    return from == S(OFFERED) ? "the pool owns the data while offered: withdraw it first"
                              : "a consumer's data are accessible after demand";
  case MSTRO__OP_ACCESS_ARRAY:
    return from == S(OFFERED) ? "the pool owns the data while offered: withdraw it first"
                              : "the array view needs the final layout: after seal or demand";
  case MSTRO__OP_GROUP_ADD:
    return "an offered, required or demanded CDO cannot join a group";
  default:
    return "";
  }
}

const char *mstro__cdo_state_name(mstro__cdo_state s)
{
  if ((int)s < 0 || s >= MSTRO__CDO_STATE_MAX)
    return "INVALID";
  return state_names[s];
}

const char *mstro__cdo_op_name(mstro__cdo_op op)
{
  if ((int)op < 0 || op >= MSTRO__OP_MAX)
    return "unknown";
  return op_names[op];
}

bool mstro__cdo_transition(mstro__cdo_op op, mstro__cdo_state from, mstro__cdo_state *to)
{
  mstro__cdo_state n;
  if ((int)op < 0 || op >= MSTRO__OP_MAX || (int)from <= 0 || from >= MSTRO__CDO_STATE_MAX)
    return false;
  n = next_state[op][from];
  if (n == NONE)
    return false;
  if (to != NULL)
    *to = n;
  return true;
}

mstro_status mstro__cdo_check(mstro__cdo_op op, mstro__cdo_state from, const char *cdo_name,
                              mstro__cdo_state *to)
{
  if (mstro__cdo_transition(op, from, to))
    return MSTRO_OK;
  MSTRO_LOG_ERR(CDO, "%s of CDO '%.200s%s' refused in state %s: %s", mstro__cdo_op_name(op),
                cdo_name ? cdo_name : "(null)",
                (cdo_name && __builtin_strlen(cdo_name) > 200) ? "..." : "",
                mstro__cdo_state_name(from), hint(op, from));
  return MSTRO_INVSTATE;
}
