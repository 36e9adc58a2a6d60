/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounds on the patterns of `~=` selectors (docs/selectors.md, "Limits"),
 * checked before regcomp allocates for them. */
#ifndef MSTRO_SELECTOR_REGEX_H
#define MSTRO_SELECTOR_REGEX_H

#include <stdbool.h>
#include <stddef.h>

/* Whether `re` is within the limits; if not, the reason (with the byte of
 * the pattern) in why. */
bool mstro__selector_regex_ok(const char *re, char *why, size_t whylen);

#endif
