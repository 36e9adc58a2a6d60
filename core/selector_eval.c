/* SPDX-License-Identifier: BSD-3-Clause */
/* CDO selectors: the evaluator (a parsed selector against a dictionary). */
#include "selector_internal.h"
#include "selector_tree.h"

#include <math.h>
#include <string.h>

#include "mstro_log.h"

/* ------------------------------------------------------------- evaluator */

/* -1, 0, 1, or 2 when unordered (NaN). */
static int cmp_id(int64_t a, double b)
{
  if (isnan(b))
    return 2;
  if (b >= 9223372036854775808.0)
    return -1;
  if (b < -9223372036854775808.0)
    return 1;
  int64_t ti = (int64_t)b; /* truncation; |b| < 2^63 here */
  double t = (double)ti;
  if (a != ti)
    return a < ti ? -1 : 1;
  double frac = b - t;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int cmp_ud(uint64_t a, double b)
{
  if (isnan(b))
    return 2;
  if (b < 0)
    return 1;
  if (b >= 18446744073709551616.0)
    return -1;
  uint64_t tu = (uint64_t)b; /* truncation; 0 <= b < 2^64 here */
  double t = (double)tu;
  if (a != tu)
    return a < tu ? -1 : 1;
  return b - t > 0 ? -1 : 0;
}

struct num {
  enum sel_class c;
  union {
    int64_t i;
    uint64_t u;
    double d;
  } v;
};

static int cmp_num(struct num a, struct num b)
{
  if (a.c == C_I && b.c == C_I)
    return (a.v.i > b.v.i) - (a.v.i < b.v.i);
  if (a.c == C_U && b.c == C_U)
    return (a.v.u > b.v.u) - (a.v.u < b.v.u);
  if (a.c == C_D && b.c == C_D) {
    if (isnan(a.v.d) || isnan(b.v.d))
      return 2;
    return (a.v.d > b.v.d) - (a.v.d < b.v.d);
  }
  if (a.c == C_I && b.c == C_U)
    return a.v.i < 0 ? -1 : ((uint64_t)a.v.i > b.v.u) - ((uint64_t)a.v.i < b.v.u);
  if (a.c == C_U && b.c == C_I)
    return b.v.i < 0 ? 1 : (a.v.u > (uint64_t)b.v.i) - (a.v.u < (uint64_t)b.v.i);
  if (a.c == C_I && b.c == C_D)
    return cmp_id(a.v.i, b.v.d);
  if (a.c == C_D && b.c == C_I) {
    int r = cmp_id(b.v.i, a.v.d);
    return r == 2 ? 2 : -r;
  }
  if (a.c == C_U && b.c == C_D)
    return cmp_ud(a.v.u, b.v.d);
  /* D vs U */
  int r = cmp_ud(b.v.u, a.v.d);
  return r == 2 ? 2 : -r;
}

static bool op_holds(enum sel_op op, int r)
{
  switch (op) {
  case OP_EQ:
    return r == 0;
  case OP_NE:
    return r != 0;
  case OP_LT:
    return r == -1;
  case OP_LE:
    return r == -1 || r == 0;
  case OP_GT:
    return r == 1;
  case OP_GE:
    return r == 1 || r == 0;
  }
  return false;
}

static bool eval(const struct node *n, const mstro__attr_dict *d)
{
  mstro__attr_value v;
  switch (n->kind) {
  case K_TRUE:
    return true;
  case K_AND:
    for (size_t i = 0; i < n->nkids; i++)
      if (!eval(n->kids[i], d))
        return false;
    return true;
  case K_OR:
    for (size_t i = 0; i < n->nkids; i++)
      if (eval(n->kids[i], d))
        return true;
    return false;
  case K_NOT:
    return !eval(n->kids[0], d);
  case K_HAS:
    return mstro__attr_dict_value_load(d, n->def, &v, NULL);
  case K_REGEX:
    if (!mstro__attr_dict_value_load(d, n->def, &v, NULL) || !v.s)
      return false;
    return regexec(&n->re, v.s, 0, NULL, 0) == 0;
  case K_CMP:
    break;
  }
  if (!mstro__attr_dict_value_load(d, n->def, &v, NULL))
    return false;
  int r;
  if (n->lc == C_STR) {
    if (!v.s)
      return false;
    r = strcmp(v.s, n->lit.s);
    r = (r > 0) - (r < 0);
  } else if (n->lc == C_TS) {
    r = v.ts.sec != n->lit.ts.sec ? (v.ts.sec < n->lit.ts.sec ? -1 : 1)
                                  : (v.ts.nsec > n->lit.ts.nsec) - (v.ts.nsec < n->lit.ts.nsec);
  } else {
    struct num a, b;
    switch (n->def->type) {
    case MSTRO_CDO_ATTR_VALUE_bool:
      a.c = C_I;
      a.v.i = v.b;
      break;
    case MSTRO_CDO_ATTR_VALUE_int32:
      a.c = C_I;
      a.v.i = v.i32;
      break;
    case MSTRO_CDO_ATTR_VALUE_int64:
      a.c = C_I;
      a.v.i = v.i64;
      break;
    case MSTRO_CDO_ATTR_VALUE_uint32:
      a.c = C_U;
      a.v.u = v.u32;
      break;
    case MSTRO_CDO_ATTR_VALUE_uint64:
      a.c = C_U;
      a.v.u = v.u64;
      break;
    case MSTRO_CDO_ATTR_VALUE_float:
      a.c = C_D;
      a.v.d = v.f;
      break;
    case MSTRO_CDO_ATTR_VALUE_double:
      a.c = C_D;
      a.v.d = v.d;
      break;
    default:
      return false;
    }
    b.c = n->lc;
    if (b.c == C_I)
      b.v.i = n->lit.i;
    else if (b.c == C_U)
      b.v.u = n->lit.u;
    else
      b.v.d = n->lit.d;
    r = cmp_num(a, b);
  }
  return op_holds(n->op, r);
}

mstro_status mstro__selector_eval(mstro_cdo_selector s, const mstro__attr_dict *d, bool *match)
{
  if (!match) {
    MSTRO_LOG_ERR(SELECTOR, "NULL match");
    return MSTRO_INVARG;
  }
  *match = !s || !s->root || eval(s->root, d);
  return MSTRO_OK;
}
