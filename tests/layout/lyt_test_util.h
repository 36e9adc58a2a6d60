/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers of the layout tests: a seeded generator and buffers. */
#ifndef LYT_TEST_UTIL_H
#define LYT_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t tu_state;

/* Seed from LYT_TEST_SEED or the default; printed so a failure reproduces. */
static inline void tu_seed(uint64_t dflt)
{
  const char *s = getenv("LYT_TEST_SEED");
  tu_state = s ? strtoull(s, NULL, 0) : dflt;
  fprintf(stderr, "# LYT_TEST_SEED=%llu\n", (unsigned long long)tu_state);
}

static inline uint64_t tu_next(void)
{
  uint64_t z = (tu_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* uniform in [lo, hi] */
static inline int64_t tu_range(int64_t lo, int64_t hi)
{
  return lo + (int64_t)(tu_next() % (uint64_t)(hi - lo + 1));
}

static inline void tu_fill(void *p, size_t n)
{
  unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    c[i] = (unsigned char)tu_next();
}

static inline void tu_shuffle(int *v, int n)
{
  for (int i = n - 1; i > 0; i--) {
    int j = (int)tu_range(0, i);
    int t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

#endif
