/* SPDX-License-Identifier: BSD-3-Clause */
/* The parsed form of a CDO selector (internal to selector.c, the parser,
 * and selector_eval.c, the evaluator). */
#ifndef MSTRO_SELECTOR_TREE_H
#define MSTRO_SELECTOR_TREE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "selector_internal.h"

#define SEL_MAX_DEPTH 200
#define SEL_MAX_QUERY (1u << 20)

enum sel_kind { K_TRUE, K_AND, K_OR, K_NOT, K_HAS, K_CMP, K_REGEX };
enum sel_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
/* Class of a value for comparisons. */
enum sel_class { C_I, C_U, C_D, C_STR, C_TS };

struct node {
  enum sel_kind kind;
  enum sel_op op;
  const struct mstro__attr_def *def;
  enum sel_class lc; /* literal class */
  union {
    int64_t i;
    uint64_t u;
    double d;
    char *s;
    mstro_timestamp ts;
  } lit;
  regex_t re;
  bool has_re;
  struct node **kids;
  size_t nkids;
};

struct mstro_cdo_selector_ {
  char *query;  /* NULL: match all */
  char *nspace; /* ends with '.' */
  mstro_schema schema;
  struct node *root; /* NULL: match all */
};

#endif
