/* SPDX-License-Identifier: BSD-3-Clause */
/* Group demand across processes (issue 13): a consumer process demands a
 * group of N metadata-only members offered by a producer process through
 * the Pool Manager (a third process), against the same N members declared
 * and demanded one by one (the baseline, in the same run).
 *
 *   group_demand [--quick] [--provider PROV]   (default tcp;ofi_rxm)
 *
 * BENCH group_demand <N>_members value=<ms> unit=ms baseline=<ms> ratio=<x>
 * (time of one group demand, median of several, against the time of N
 * individual declare + demand; ratio = baseline / value). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_ofi.h"
#include "bench_pm.h"
#include "maestro.h"

static const long counts_full[] = {1000, 10000};
static const long counts_quick[] = {100, 1000};
#define N_COUNTS 2

static void must(mstro_status st, const char *what)
{
  if (st != MSTRO_OK) {
    fprintf(stderr, "group_demand: %s: %s\n", what, mstro_status_description(st));
    _exit(1);
  }
}

static void member_name(char *buf, size_t len, long n, long j)
{
  snprintf(buf, len, "bench-g%ld-m%ld", n, j);
}

/* Offers, for each count, a group of that many metadata-only members, says
 * so on `ready`, and waits for `stop`. */
static int producer(const long *counts, int ready, int stop)
{
  must(mstro_init(NULL, "bench-group-producer", 0), "producer mstro_init");
  mstro_cdo *all[N_COUNTS];
  mstro_group groups[N_COUNTS];
  for (int c = 0; c < N_COUNTS; c++) {
    long n = counts[c];
    char gname[64];
    int64_t esize = 8, ndims = 1, dims[1] = {16};
    snprintf(gname, sizeof gname, "bench-g%ld", n);
    must(mstro_group_declare(gname, &groups[c]), "group declare");
    all[c] = calloc((size_t)n, sizeof *all[c]);
    if (all[c] == NULL)
      _exit(1);
    for (long j = 0; j < n; j++) {
      char name[64];
      member_name(name, sizeof name, n, j);
      must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &all[c][j]), "declare");
      must(mstro_cdo_attribute_set(all[c][j], MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, &esize, true,
                                   false),
           "element size");
      must(
          mstro_cdo_attribute_set(all[c][j], MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS, &ndims, true, false),
          "ndims");
      must(mstro_cdo_attribute_set(all[c][j], MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE, dims, true,
                                   false),
           "dims");
      must(mstro_group_add(groups[c], all[c][j]), "group add");
    }
    must(mstro_group_offer(groups[c]), "group offer");
  }
  char ok = 1, c;
  bench_xwrite(ready, &ok, 1);
  while (read(stop, &c, 1) < 0 && errno == EINTR)
    ;
  for (int k = 0; k < N_COUNTS; k++) {
    must(mstro_group_withdraw(groups[k]), "group withdraw");
    mstro_group_dispose(groups[k]);
    for (long j = 0; j < counts[k]; j++)
      mstro_cdo_dispose(all[k][j]);
    free(all[k]);
  }
  must(mstro_finalize(), "producer mstro_finalize");
  return 0;
}

static double one_group_demand(long n)
{
  char gname[64];
  mstro_group g = NULL;
  size_t count = 0;
  mstro_cdo m = NULL;
  snprintf(gname, sizeof gname, "bench-g%ld", n);
  must(mstro_group_declare(gname, &g), "consumer group declare");
  double t0 = bench_now();
  must(mstro_group_demand(g), "group demand");
  must(mstro_group_size_get(g, &count), "group size");
  for (size_t i = 0; i < count; i++)
    must(mstro_group_next(g, &m), "group next");
  double t = bench_now() - t0;
  if (count != (size_t)n) {
    fprintf(stderr, "group_demand: %zu members, not %ld\n", count, n);
    _exit(1);
  }
  mstro_group_dispose(g);
  return t;
}

/* The baseline: every member declared and demanded on its own. Without its
 * require: a require of a CDO without data followed by its demand waits
 * for a transfer the PM never starts (reported with issue 13), and the
 * require would only add a message, so the baseline is, if anything, too
 * fast. */
static double one_by_one(long n)
{
  mstro_cdo *c = calloc((size_t)n, sizeof *c);
  if (c == NULL)
    _exit(1);
  double t0 = bench_now();
  for (long j = 0; j < n; j++) {
    char name[64];
    member_name(name, sizeof name, n, j);
    must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c[j]), "consumer declare");
    must(mstro_cdo_demand(c[j]), "demand");
  }
  double t = bench_now() - t0;
  for (long j = 0; j < n; j++)
    mstro_cdo_dispose(c[j]);
  free(c);
  return t;
}

static int consumer(const long *counts, bool quick, const char *tag)
{
  must(mstro_init(NULL, "bench-group-consumer", 0), "consumer mstro_init");
  for (int c = 0; c < N_COUNTS; c++) {
    double v[7];
    int reps = quick ? 3 : 7;
    for (int r = 0; r < reps; r++)
      v[r] = one_group_demand(counts[c]);
    double group = bench_median(v, reps);
    double base = one_by_one(counts[c]);
    char casename[64];
    snprintf(casename, sizeof casename, "%ld_members_%s", counts[c], tag);
    bench_report("group_demand", casename, group * 1e3, "ms", base * 1e3, BENCH_LOWER_IS_BETTER);
  }
  must(mstro_finalize(), "consumer mstro_finalize");
  return 0;
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv);
  const char *prov = "tcp;ofi_rxm";
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc)
      prov = argv[++i];
  const long *counts = quick ? counts_quick : counts_full;
  int ready[2], prod_stop[2];
  struct bench_pm pm;
  setenv("FI_PROVIDER", prov, 1);
  setenv("FI_TCP_IFACE", "lo", 1);
  setenv("FI_SOCKETS_IFACE", "lo", 1);
  setenv("MSTRO_WORKFLOW_NAME", "bench-group-demand", 1);
  setenv("MSTRO_LOG_LEVEL", "err", 0);
  if (bench_pm_start(&pm) != 0 || pipe(ready) || pipe(prod_stop))
    return 1;
  pid_t prod = fork();
  if (prod == 0) {
    close(prod_stop[1]);
    close(pm.stop_w);
    _exit(producer(counts, ready[1], prod_stop[0]));
  }
  close(prod_stop[0]);
  close(ready[1]); /* a failed producer is EOF here */
  char ok = 0;
  if (read(ready[0], &ok, 1) != 1) {
    fprintf(stderr, "group_demand: the producer failed\n");
    return 1;
  }
  const char *tag = strcmp(prov, "tcp;ofi_rxm") == 0 ? "tcp_rxm" : prov;
  pid_t cons = fork();
  if (cons == 0) {
    close(prod_stop[1]);
    close(pm.stop_w);
    _exit(consumer(counts, quick, tag));
  }
  int rc = bench_wait_child(cons);
  close(prod_stop[1]);
  int rp = bench_wait_child(prod);
  int rpm = bench_pm_stop(&pm);
  if (rc != 0 || rp != 0 || rpm != 0)
    fprintf(stderr, "group_demand: consumer %d, producer %d, PM %d\n", rc, rp, rpm);
  return rc != 0 ? rc : rp != 0 ? rp : rpm;
}
