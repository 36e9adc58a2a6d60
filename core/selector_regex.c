/* SPDX-License-Identifier: BSD-3-Clause */
/* The limits of `~=` patterns: a pre-scan that bounds what regcomp will
 * allocate (a pattern is user input, and glibc's regcomp is not bounded). */
#include "selector_regex.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Bounds on `~=` patterns (docs/selectors.md, "Limits"). glibc's regcomp
 * copies the operand of a bounded repetition once per count, so nested
 * bounds multiply: `((a{1,100}){1,100}){1,100}` is a million nodes and
 * takes gigabytes. The pre-scan estimates the size of the expanded pattern
 * before regcomp sees it; regcomp needs up to a few KiB per node. */
#define SEL_RE_MAX_LEN    256
#define SEL_RE_MAX_BOUND  255
#define SEL_RE_MAX_GROUPS 16   /* nesting of ( ) */
#define SEL_RE_MAX_SIZE   2000 /* nodes after expansion of repetitions */

/* Length of the bracket expression at re[i] == '[' (up to and with its
 * ']'), or the rest of the pattern when it is not closed. */
static size_t re_bracket_len(const char *re, size_t len, size_t i)
{
  size_t j = i + 1;
  if (j < len && re[j] == '^')
    j++;
  if (j < len && re[j] == ']')
    j++; /* a leading ']' is a member */
  while (j < len && re[j] != ']') {
    if (re[j] == '[' && j + 1 < len && (re[j + 1] == ':' || re[j + 1] == '=' || re[j + 1] == '.')) {
      char end = re[j + 1];
      size_t k = j + 2;
      while (k + 1 < len && !(re[k] == end && re[k + 1] == ']'))
        k++;
      j = k + 1 < len ? k + 2 : len;
    } else {
      j++;
    }
  }
  return (j < len ? j + 1 : len) - i;
}

/* `{m}`, `{m,}` or `{m,n}` at re[i] == '{': its length, with its bounds
 * (*open for `{m,}`); 0 when it is no interval (regcomp judges the brace). */
static size_t re_interval(const char *re, size_t len, size_t i, uint64_t *lo, uint64_t *hi,
                          bool *open)
{
  size_t j = i + 1;
  uint64_t v[2] = {0, 0};
  int nv = 0;
  bool comma = false;
  for (; j < len && re[j] != '}'; j++) {
    if (re[j] >= '0' && re[j] <= '9') {
      if (v[nv] < 100000)
        v[nv] = v[nv] * 10 + (uint64_t)(re[j] - '0');
    } else if (re[j] == ',' && !comma) {
      comma = true;
      nv = 1;
    } else {
      return 0;
    }
  }
  if (j >= len || j == i + 1)
    return 0;
  *lo = v[0];
  *open = comma && re[j - 1] == ',';
  *hi = comma ? v[1] : v[0];
  return j - i + 1;
}

/* Refuses a `~=` pattern that is longer or more complex than the limits
 * above, before regcomp allocates for it: the size of the pattern once
 * every repetition is expanded as glibc does (an atom or a bracket 1, a
 * group the sum of its parts, `|` 1, `*` and `?` one more than the operand,
 * `+` and `{m,n}` a copy of the operand and a node per count: 2, n, m + 1
 * for `{m,}`), the nesting of groups, the bounds and back-references
 * (whose matching is exponential). */
bool mstro__selector_regex_ok(const char *re, char *why, size_t whylen)
{
  size_t len = strlen(re);
  if (len > SEL_RE_MAX_LEN) {
    snprintf(why, whylen, "regular expression of %zu bytes; the limit is %d", len, SEL_RE_MAX_LEN);
    return false;
  }
  uint64_t sum[SEL_RE_MAX_GROUPS + 1] = {0}, last[SEL_RE_MAX_GROUPS + 1] = {0};
  int d = 0;
  bool after_postfix = false;
  for (size_t i = 0; i < len;) {
    uint64_t w = 1; /* weight of the atom at i; 0: an operator */
    size_t n = 1;
    bool postfix = false;
    uint64_t lo = 0, hi = 0;
    bool open = false;
    switch (re[i]) {
    case '\\':
      if (i + 1 < len && re[i + 1] >= '1' && re[i + 1] <= '9') {
        snprintf(why, whylen,
                 "regular expression: back-reference \\%c at pattern byte %zu is not allowed",
                 re[i + 1], i);
        return false;
      }
      n = i + 1 < len ? 2 : 1;
      break;
    case '[':
      n = re_bracket_len(re, len, i); /* one node, shared by its copies */
      break;
    case '(':
      if (d == SEL_RE_MAX_GROUPS) {
        snprintf(why, whylen,
                 "regular expression: groups nested deeper than %d at pattern byte %zu",
                 SEL_RE_MAX_GROUPS, i);
        return false;
      }
      d++;
      sum[d] = last[d] = 0;
      w = 0;
      break;
    case ')':
      if (d > 0) {
        w = sum[d] + 1;
        d--;
      }
      break;
    case '|':
      w = 0;
      last[d] = 0;
      sum[d]++;
      break;
    case '*':
    case '?':
    case '+':
      postfix = true;
      lo = re[i] == '+' ? 1 : 0;
      hi = re[i] == '?' ? 1 : lo;
      open = re[i] != '?';
      break;
    case '{':
      n = re_interval(re, len, i, &lo, &hi, &open);
      postfix = n > 0;
      if (!n)
        n = 1;
      else if (lo > SEL_RE_MAX_BOUND || hi > SEL_RE_MAX_BOUND) {
        snprintf(why, whylen,
                 "regular expression: repetition bound %" PRIu64
                 " at pattern byte %zu; the limit is %d",
                 lo > hi ? lo : hi, i, SEL_RE_MAX_BOUND);
        return false;
      }
      break;
    default:
      break;
    }
    /* Stacked repetitions (`a**`, `a+*`, `a{2}*`) are undefined in POSIX
     * EREs, and glibc's matcher takes time exponential in their count (a
     * 179-byte pattern of stars ran for half a minute, found by fuzz_selector). */
    if (postfix && after_postfix) {
      snprintf(why, whylen,
               "regular expression: repetition operator '%c' at pattern byte %zu follows another "
               "repetition (undefined in POSIX EREs, and exponential in glibc)",
               re[i], i);
      return false;
    }
    after_postfix = postfix;
    if (postfix) {
      /* regcomp's copies of the operand, each with a node around it */
      uint64_t copies = open ? lo + 1 : (hi > 0 ? hi : 1);
      uint64_t grown = copies * (last[d] + 1);
      sum[d] = sum[d] - last[d] + grown;
      last[d] = grown;
    } else if (w > 0) {
      sum[d] += w;
      last[d] = w;
    }
    uint64_t total = 0;
    for (int k = 0; k <= d; k++)
      total += sum[k];
    if (total > SEL_RE_MAX_SIZE) {
      snprintf(why, whylen,
               "regular expression too complex at pattern byte %zu: its repetitions expand to more "
               "than %d nodes (the limit)",
               i, SEL_RE_MAX_SIZE);
      return false;
    }
    i += n;
  }
  return true;
}
