/* SPDX-License-Identifier: BSD-3-Clause */
/* Table-driven reader for environment options (internal).
 *
 * A library lists its variables once, in a table of mmb__opt_def, with a type,
 * a default, bounds or choices and one line of documentation; mmb__opt_load
 * reads them all into a struct and rejects a bad value with a message that
 * names the variable, the value and what was expected. The same table prints
 * the documentation (mmb__opt_print).
 */
#ifndef MMB_COMMON_OPTIONS_H
#define MMB_COMMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
  MMB__OPT_STRING, /* const char *; NULL when unset without default */
  MMB__OPT_BOOL,   /* bool: 1/0, yes/no, true/false, on/off */
  MMB__OPT_INT,    /* long long, decimal, within [min, max] */
  MMB__OPT_SIZE,   /* uint64_t bytes, suffix K/M/G/T (powers of 1024), within [min, max] */
  MMB__OPT_ENUM,   /* int: index into choices (case-insensitive) */
  MMB__OPT_CUSTOM, /* validate() parses and stores */
} mmb__opt_kind;

typedef int (*mmb__opt_validate_fn)(const char *text, void *out, char *err, size_t errlen);

struct mmb__opt_def {
  const char *name;           /* environment variable */
  mmb__opt_kind kind;         /* how to parse */
  const char *default_text;   /* parsed when unset; NULL: leave the field zeroed */
  long long min, max;         /* INT and SIZE bounds; min == max == 0: unbounded */
  const char *const *choices; /* ENUM: NULL-terminated list */
  mmb__opt_validate_fn validate;
  size_t offset;   /* where the value goes in the caller's struct */
  const char *doc; /* one line */
};

/* Parse one value into base+def->offset. Returns 0, or -1 with err set. */
int mmb__opt_parse(const struct mmb__opt_def *def, const char *text, void *base, char *err,
                   size_t errlen);

/* Read every variable of the table from the environment (unset: default).
 * Returns 0, or -1 with err naming the first bad variable. */
int mmb__opt_load(const struct mmb__opt_def *defs, size_t n, void *base, char *err, size_t errlen);

/* Print "NAME (type, default X): doc" for each entry. */
void mmb__opt_print(const struct mmb__opt_def *defs, size_t n, FILE *out);

#endif
