/* SPDX-License-Identifier: BSD-3-Clause */
/* Selector evaluation rate (issue 5, point 10): evaluations per second of
 * typical selectors on a CDO's attribute dictionary, against a hand-written
 * C comparison of the same predicate on a plain struct (the baseline: what a
 * component would write without selectors). ratio = value / baseline.
 *
 *   ./selector_eval [--quick]
 */
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "bench.h"
#include "schema.h"
#include "selector_internal.h"

/* The same metadata as a plain struct, for the hand-written predicates. */
struct plain {
  const char *name;
  int64_t local_size;
  bool has_dims;
  int64_t step;
  const char *param;
  uint64_t levelist;
  bool has_transport;
  int64_t lifetime;
};

static regex_t plain_re;

static bool p_name_eq(const struct plain *p)
{
  return strcmp(p->name, "ecmwf/od/t2m/step-6") == 0;
}
static bool p_size_range(const struct plain *p)
{
  return p->local_size >= 1024 && p->local_size < 1048576;
}
static bool p_ecmwf_and3(const struct plain *p)
{
  return p->step == 6 && strcmp(p->param, "t2m") == 0 && p->levelist > 100;
}
static bool p_has(const struct plain *p)
{
  return p->has_dims;
}
static bool p_or_missing(const struct plain *p)
{
  return (p->has_transport && 0) || p->lifetime > 100;
}
static bool p_regex(const struct plain *p)
{
  return regexec(&plain_re, p->name, 0, NULL, 0) == 0;
}

struct bcase {
  const char *name;
  const char *nspace;
  const char *query;
  bool (*plain)(const struct plain *);
  bool expect;
};

static const struct bcase cases[] = {
    {"name_eq", NULL, "(name = \"ecmwf/od/t2m/step-6\")", p_name_eq, true},
    {"size_range", NULL, "(and (scope.local-size >= 1024) (scope.local-size < 1048576))",
     p_size_range, true},
    {"ecmwf_and3", ".maestro.ecmwf.", "(and (step = 6) (param = \"t2m\") (levelist > 100))",
     p_ecmwf_and3, true},
    {"has", NULL, "(has layout.dims-size)", p_has, true},
    {"or_missing", NULL, "(or (transport = \"GFS\") (lifetime > 100))", p_or_missing, false},
    {"regex", NULL, "(name ~= \"^ecmwf/[a-z]+/[a-z0-9]+/step-[0-9]+$\")", p_regex, true},
};

/* Keep the baseline from being hoisted out of the loop. */
static const struct plain *volatile plain_ptr;

static double rate_selector(mstro_cdo_selector s, const mstro__attr_dict *d, long iters)
{
  long hits = 0;
  double t0 = bench_now();
  for (long i = 0; i < iters; i++) {
    bool m;
    mstro__selector_eval(s, d, &m);
    hits += m;
    bench_consume(d);
  }
  double t = bench_now() - t0;
  bench_consume(&hits);
  return (double)iters / t;
}

static double rate_plain(bool (*fn)(const struct plain *), long iters)
{
  long hits = 0;
  double t0 = bench_now();
  for (long i = 0; i < iters; i++) {
    hits += fn(plain_ptr);
    bench_consume(&hits);
  }
  double t = bench_now() - t0;
  return (double)iters / t;
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv);
  setenv("MSTRO_SCHEMA_LIST", "ecmwf-example.yaml", 0);
  if (mstro__schemas_init() != MSTRO_OK) {
    fprintf(stderr, "selector_eval: cannot load the schemas\n");
    return 1;
  }
  mstro__attr_dict *d = NULL;
  if (mstro__attr_dict_create(&d) != MSTRO_OK ||
      mstro__attr_dict_set_yaml(
          d, NULL,
          "{scope.local-size: 65536, layout.element-size: 8, "
          "layout.ndims: 2, layout.dims-size: [64, 128], layout.order: 1, "
          "mem-layer: DRAM, .maestro.ecmwf.class: od, .maestro.ecmwf.param: t2m, "
          ".maestro.ecmwf.step: 6, .maestro.ecmwf.levelist: 850, .maestro.ecmwf.levtype: pl, "
          ".maestro.ecmwf.date: \"2024-05-01T00:00:00Z\", .maestro.ecmwf.number: 3}") != MSTRO_OK) {
    fprintf(stderr, "selector_eval: cannot build the dictionary\n");
    return 1;
  }
  const char *cdo_name = "ecmwf/od/t2m/step-6";
  if (mstro__attr_dict_set(d, MSTRO_ATTR_CORE_CDO_NAME, &cdo_name, true, false) != MSTRO_OK)
    return 1;
  static const struct plain plain = {"ecmwf/od/t2m/step-6", 65536, true, 6, "t2m", 850, false, 0};
  plain_ptr = &plain;
  regcomp(&plain_re, "^ecmwf/[a-z]+/[a-z0-9]+/step-[0-9]+$", REG_EXTENDED | REG_NOSUB);

  const int reps = quick ? 3 : 7;
  printf("# selector_eval: %zu attributes set; median of %d runs; evaluations per second\n",
         mstro__attr_dict_count(d), reps);
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    mstro_cdo_selector s = NULL;
    if (mstro_cdo_selector_create(NULL, cases[c].nspace, cases[c].query, &s) != MSTRO_OK) {
      fprintf(stderr, "selector_eval: %s does not compile\n", cases[c].query);
      return 1;
    }
    bool m = !cases[c].expect;
    mstro__selector_eval(s, d, &m);
    if (m != cases[c].expect || cases[c].plain(&plain) != cases[c].expect) {
      fprintf(stderr, "selector_eval: %s: wrong result\n", cases[c].name);
      return 1;
    }
    /* calibrate to ~0.1 s (quick: ~0.03 s) per run */
    double target = quick ? 0.03 : 0.1;
    long iters = 1000;
    for (;;) {
      double t0 = bench_now();
      rate_selector(s, d, iters);
      if (bench_now() - t0 > target / 4 || iters > (1L << 34))
        break;
      iters *= 4;
    }
    long biters = iters;
    for (;;) {
      double t0 = bench_now();
      rate_plain(cases[c].plain, biters);
      if (bench_now() - t0 > target / 4 || biters > (1L << 34))
        break;
      biters *= 4;
    }
    double v[16], b[16];
    for (int r = 0; r < reps; r++) {
      v[r] = rate_selector(s, d, iters * 4);
      b[r] = rate_plain(cases[c].plain, biters * 4);
    }
    double vm = bench_median(v, reps), bm = bench_median(b, reps);
    printf("# %-10s %-70s %.3g evals/s (%.1f ns), hand-written C %.3g/s (%.1f ns)\n", cases[c].name,
           cases[c].query, vm, 1e9 / vm, bm, 1e9 / bm);
    bench_report("selector_eval", cases[c].name, vm, "evals/s", bm, BENCH_HIGHER_IS_BETTER);
    mstro_cdo_selector_dispose(s);
  }
  regfree(&plain_re);
  mstro__attr_dict_destroy(d);
  mstro__schemas_fini();
  return 0;
}
