/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the in-process demonstrators: argument parsing, a data
 * pattern every byte of which can be checked, timing. Header only. */
#ifndef MSTRO_DEMO_COMMON_H
#define MSTRO_DEMO_COMMON_H

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double demo_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "1048576", "64K", "1M", "2GiB" -> bytes; -1 on error. */
static inline long long demo_parse_size(const char *t)
{
  char *end = NULL;
  unsigned long long v;
  int shift = 0;
  if (t == NULL || !isdigit((unsigned char)*t))
    return -1;
  errno = 0;
  v = strtoull(t, &end, 10);
  if (errno)
    return -1;
  switch (toupper((unsigned char)*end)) {
  case '\0':
    break;
  case 'K':
    shift = 10;
    end++;
    break;
  case 'M':
    shift = 20;
    end++;
    break;
  case 'G':
    shift = 30;
    end++;
    break;
  default:
    return -1;
  }
  if (shift && toupper((unsigned char)*end) == 'I')
    end++;
  if (shift && toupper((unsigned char)*end) == 'B')
    end++;
  if (*end != '\0' || v > (1ULL << (62 - shift)))
    return -1;
  return (long long)(v << shift);
}

static inline long demo_parse_count(const char *t, long min, long max)
{
  char *end = NULL;
  long v;
  if (t == NULL)
    return -1;
  errno = 0;
  v = strtol(t, &end, 10);
  if (errno || end == t || *end != '\0' || v < min || v > max)
    return -1;
  return v;
}

/* The byte at offset k of the CDO with the given seed. */
static inline uint64_t demo_word(uint64_t seed, uint64_t k)
{
  uint64_t x = (seed + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ (k * UINT64_C(0xBF58476D1CE4E5B9));
  return x ^ (x >> 29);
}

static inline void demo_fill(unsigned char *p, size_t n, uint64_t seed)
{
  size_t w = n / 8;
  for (size_t k = 0; k < w; k++) {
    uint64_t v = demo_word(seed, k);
    memcpy(p + 8 * k, &v, 8);
  }
  for (size_t k = 8 * w; k < n; k++)
    p[k] = (unsigned char)demo_word(seed, k);
}

/* Number of bytes that differ from the pattern (0: all verified). */
static inline size_t demo_check(const unsigned char *p, size_t n, uint64_t seed)
{
  size_t bad = 0, w = n / 8;
  for (size_t k = 0; k < w; k++) {
    uint64_t v = demo_word(seed, k), have;
    memcpy(&have, p + 8 * k, 8);
    if (have != v)
      for (int b = 0; b < 8; b++)
        bad += ((have >> (8 * b)) & 0xff) != ((v >> (8 * b)) & 0xff);
  }
  for (size_t k = 8 * w; k < n; k++)
    bad += p[k] != (unsigned char)demo_word(seed, k);
  return bad;
}

static inline const char *demo_bytes(double b, char *buf, size_t len)
{
  static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (b >= 1024.0 && i < 4) {
    b /= 1024.0;
    i++;
  }
  snprintf(buf, len, "%.1f %s", b, u[i]);
  return buf;
}

#endif
