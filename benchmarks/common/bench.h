/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers of the benchmarks (header-only): a monotonic clock, medians
 * of repeated runs, --quick parsing and the BENCH line of DESIGN.md section 7:
 *
 *   BENCH <benchmark> <case> value=<v> unit=<u> baseline=<b> ratio=<r>
 *
 * where ratio is value/baseline when higher is better (bandwidth, rates) and
 * baseline/value when lower is better (times), so that ratio > 1 always means
 * "better than the baseline".
 */
#ifndef MSTRO_BENCH_H
#define MSTRO_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench__cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of n samples (the array is sorted in place). */
static inline double bench_median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, bench__cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* True when argv holds --quick (a run of a few seconds). */
static inline bool bench_quick(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--quick") == 0)
      return true;
  return false;
}

typedef enum { BENCH_HIGHER_IS_BETTER, BENCH_LOWER_IS_BETTER } bench_sense;

static inline void bench_report(const char *bench, const char *casename, double value,
                                const char *unit, double baseline, bench_sense sense)
{
  double ratio = 0.0;
  if (sense == BENCH_HIGHER_IS_BETTER && baseline > 0)
    ratio = value / baseline;
  else if (sense == BENCH_LOWER_IS_BETTER && value > 0)
    ratio = baseline / value;
  printf("BENCH %s %s value=%.6g unit=%s baseline=%.6g ratio=%.4g\n", bench, casename, value, unit,
         baseline, ratio);
  fflush(stdout);
}

/* Keeps the compiler from discarding a computed value. */
static inline void bench_consume(const void *p)
{
  __asm__ volatile("" : : "r"(p) : "memory");
}

#endif
