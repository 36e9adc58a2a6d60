/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry: counters per operation, bytes moved, demand latency; the
 * report written at mstro_finalize (JSON to MSTRO_TELEMETRY_DST, or one
 * info-level log line per item when it is unset or "log"). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "mstro_log.h"
#include "telemetry.h"

#define NBUCKETS 48 /* log2 buckets of nanoseconds: up to ~3 days */

static atomic_uint_fast64_t counts[MSTRO__TM_MAX];
static atomic_uint_fast64_t bytes_copied, bytes_shared, bytes_transformed;
static atomic_uint_fast64_t lat_count, lat_sum, lat_max;
static atomic_uint_fast64_t lat_min;
static atomic_uint_fast64_t lat_hist[NBUCKETS];
static uint64_t t_start;

static const char *const op_names[MSTRO__TM_MAX] = {
    "declare", "seal",        "offer",        "withdraw", "require",   "retract", "demand",
    "dispose", "group_offer", "group_demand", "event",    "subscribe", "error"};

void mstro__tm_reset(void)
{
  for (int i = 0; i < MSTRO__TM_MAX; i++)
    atomic_store(&counts[i], 0);
  atomic_store(&bytes_copied, 0);
  atomic_store(&bytes_shared, 0);
  atomic_store(&bytes_transformed, 0);
  atomic_store(&lat_count, 0);
  atomic_store(&lat_sum, 0);
  atomic_store(&lat_max, 0);
  atomic_store(&lat_min, UINT64_MAX);
  for (int i = 0; i < NBUCKETS; i++)
    atomic_store(&lat_hist[i], 0);
  t_start = mstro_clock();
}

void mstro__tm_count(mstro__tm_op op)
{
  atomic_fetch_add_explicit(&counts[op], 1, memory_order_relaxed);
}

void mstro__tm_bytes(uint64_t copied, uint64_t zero_copy, uint64_t transformed)
{
  if (copied)
    atomic_fetch_add_explicit(&bytes_copied, copied, memory_order_relaxed);
  if (zero_copy)
    atomic_fetch_add_explicit(&bytes_shared, zero_copy, memory_order_relaxed);
  if (transformed)
    atomic_fetch_add_explicit(&bytes_transformed, transformed, memory_order_relaxed);
}

void mstro__tm_demand_latency(uint64_t ns)
{
  int b = 0;
  uint64_t cur;
  atomic_fetch_add_explicit(&lat_count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&lat_sum, ns, memory_order_relaxed);
  cur = atomic_load_explicit(&lat_max, memory_order_relaxed);
  while (ns > cur && !atomic_compare_exchange_weak(&lat_max, &cur, ns))
    ;
  cur = atomic_load_explicit(&lat_min, memory_order_relaxed);
  while (ns < cur && !atomic_compare_exchange_weak(&lat_min, &cur, ns))
    ;
  while (b < NBUCKETS - 1 && (ns >> (b + 1)) != 0)
    b++;
  atomic_fetch_add_explicit(&lat_hist[b], 1, memory_order_relaxed);
}

/* Upper bound of the bucket holding the q-quantile (ns). */
static uint64_t quantile(double q, uint64_t n)
{
  uint64_t seen = 0, want = (uint64_t)(q * (double)n);
  if (n == 0)
    return 0;
  for (int b = 0; b < NBUCKETS; b++) {
    seen += atomic_load(&lat_hist[b]);
    if (seen > want)
      return (UINT64_C(1) << (b + 1)) - 1;
  }
  return atomic_load(&lat_max);
}

static void json_str(FILE *f, const char *s)
{
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

mstro_status mstro__tm_report(const char *dst)
{
  uint64_t n = atomic_load(&lat_count);
  uint64_t mn = n ? atomic_load(&lat_min) : 0;
  double secs = (double)(mstro_clock() - t_start) * 1e-9;
  FILE *f = NULL;
  bool close_it = false;

  if (dst != NULL && strcasecmp(dst, "off") == 0)
    return MSTRO_OK;
  if (dst == NULL || strcasecmp(dst, "log") == 0) {
    char line[1024];
    size_t off = 0;
    for (int i = 0; i < MSTRO__TM_MAX && off < sizeof line; i++)
      off += (size_t)snprintf(line + off, sizeof line - off, "%s%s=%llu", i ? " " : "", op_names[i],
                              (unsigned long long)atomic_load(&counts[i]));
    MSTRO_LOG_INFO(TELEMETRY, "telemetry of '%s' #%lld after %.3f s: %s", mstro__g.component_name,
                   (long long)mstro__g.component_index, secs, line);
    MSTRO_LOG_INFO(TELEMETRY,
                   "telemetry: bytes copied=%llu shared(zero-copy)=%llu transformed=%llu "
                   "transport=LOCAL",
                   (unsigned long long)atomic_load(&bytes_copied),
                   (unsigned long long)atomic_load(&bytes_shared),
                   (unsigned long long)atomic_load(&bytes_transformed));
    MSTRO_LOG_INFO(TELEMETRY,
                   "telemetry: demand latency n=%llu mean=%.0f ns min=%llu max=%llu "
                   "p50<=%llu p99<=%llu ns",
                   (unsigned long long)n, n ? (double)atomic_load(&lat_sum) / (double)n : 0.0,
                   (unsigned long long)mn, (unsigned long long)atomic_load(&lat_max),
                   (unsigned long long)quantile(0.5, n), (unsigned long long)quantile(0.99, n));
    return MSTRO_OK;
  }
  if (strcmp(dst, "stderr") == 0) {
    f = stderr;
  } else if (strcmp(dst, "stdout") == 0) {
    f = stdout;
  } else {
    f = fopen(dst, "w");
    if (f == NULL) {
      MSTRO_LOG_ERR(TELEMETRY, "cannot write the telemetry report to MSTRO_TELEMETRY_DST=%s", dst);
      return MSTRO_INVOUT;
    }
    close_it = true;
  }
  fprintf(f, "{\"maestro_telemetry\":1,\"workflow\":");
  json_str(f, mstro__g.workflow_name);
  fprintf(f, ",\"component\":");
  json_str(f, mstro__g.component_name);
  fprintf(f, ",\"component_index\":%lld,\"seconds\":%.6f,\"operations\":{",
          (long long)mstro__g.component_index, secs);
  for (int i = 0; i < MSTRO__TM_MAX; i++)
    fprintf(f, "%s\"%s\":%llu", i ? "," : "", op_names[i],
            (unsigned long long)atomic_load(&counts[i]));
  fprintf(f,
          "},\"bytes\":{\"LOCAL\":{\"copied\":%llu,\"zero_copy\":%llu,\"transformed\":%llu}},"
          "\"demand_latency_ns\":{\"count\":%llu,\"mean\":%.1f,\"min\":%llu,\"max\":%llu,"
          "\"p50_upper\":%llu,\"p99_upper\":%llu}}\n",
          (unsigned long long)atomic_load(&bytes_copied),
          (unsigned long long)atomic_load(&bytes_shared),
          (unsigned long long)atomic_load(&bytes_transformed), (unsigned long long)n,
          n ? (double)atomic_load(&lat_sum) / (double)n : 0.0, (unsigned long long)mn,
          (unsigned long long)atomic_load(&lat_max), (unsigned long long)quantile(0.5, n),
          (unsigned long long)quantile(0.99, n));
  if (close_it)
    fclose(f);
  else
    fflush(f);
  return MSTRO_OK;
}
