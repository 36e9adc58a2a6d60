/* SPDX-License-Identifier: BSD-3-Clause */
/* mamba_pool: allocate+free pairs through libmamba's DRAM pool against
 * malloc+free, for 64 B .. 16 MiB, with 1 and 2 threads.
 *
 * Each pair writes one byte into the block (so that neither side can skip
 * the memory). Both sides are warmed up first, so the figures are steady
 * state: glibc raises its mmap threshold after the first free of an mmapped
 * chunk (up to 32 MiB), so after warm-up its 1 MiB and 16 MiB blocks come
 * from the heap too. The first-call cost of malloc (mmap) is reported
 * separately as "cold". Value: ns per pair per thread (median of runs),
 * baseline: malloc+free, ratio: malloc/pool (higher is better). The runs of
 * the two sides alternate. Each case is reported twice: by the wall clock
 * (<case>) and by the thread's CPU time (<case>_cpu), which leaves out the
 * time a thread waits for a CPU on a loaded machine.
 */
#include <mamba.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef enum { USE_MALLOC, USE_POOL } which;

/* CPU time of the calling thread: unlike the wall clock it does not count
 * the time the thread waits for a CPU, which on this shared 2-core VM is
 * most of a run when other builds are busy. */
static double thread_cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct job {
  which w;
  size_t size;
  long iters;
  mmbMemInterface *iface;
  pthread_barrier_t *bar;
  double secs, cpu;
};

static void *run(void *v)
{
  struct job *j = v;
  void *p = NULL;
  for (int k = 0; k < 64; k++) { /* warm-up */
    if (j->w == USE_MALLOC) {
      p = malloc(j->size);
      *(volatile char *)p = 1;
      free(p);
    } else {
      mmb_alloc(j->iface, j->size, 0, &p);
      *(volatile char *)p = 1;
      mmb_free_in(j->iface, p);
    }
  }
  pthread_barrier_wait(j->bar);
  double t0 = bench_now(), c0 = thread_cpu_now();
  if (j->w == USE_MALLOC) {
    for (long i = 0; i < j->iters; i++) {
      p = malloc(j->size);
      *(volatile char *)p = 1;
      free(p);
    }
  } else {
    for (long i = 0; i < j->iters; i++) {
      mmb_alloc(j->iface, j->size, 0, &p);
      *(volatile char *)p = 1;
      mmb_free_in(j->iface, p);
    }
  }
  j->cpu = thread_cpu_now() - c0;
  j->secs = bench_now() - t0;
  return NULL;
}

/* One run: ns per pair per thread, wall clock and CPU time (slowest thread). */
struct sample {
  double wall, cpu;
};
static struct sample once(which w, size_t size, int nthreads, long iters, mmbMemInterface *iface)
{
  pthread_t t[2];
  struct job j[2];
  pthread_barrier_t bar;
  struct sample s = {0, 0};
  pthread_barrier_init(&bar, NULL, (unsigned)nthreads);
  for (int k = 0; k < nthreads; k++) {
    j[k] = (struct job){.w = w, .size = size, .iters = iters, .iface = iface, .bar = &bar};
    pthread_create(&t[k], NULL, run, &j[k]);
  }
  for (int k = 0; k < nthreads; k++) {
    pthread_join(t[k], NULL);
    if (j[k].secs > s.wall)
      s.wall = j[k].secs;
    if (j[k].cpu > s.cpu)
      s.cpu = j[k].cpu;
  }
  pthread_barrier_destroy(&bar);
  s.wall *= 1e9 / (double)iters;
  s.cpu *= 1e9 / (double)iters;
  return s;
}

/* iterations for about `target` seconds of CPU per run */
static long calibrate(which w, size_t size, int nthreads, double target, mmbMemInterface *iface)
{
  long iters = 1000;
  double t;
  for (;;) {
    t = once(w, size, nthreads, iters, iface).cpu * 1e-9 * (double)iters;
    if (t > target / 4 || iters > 100000000L)
      break;
    iters *= 4;
  }
  if (t > 0)
    iters = (long)((double)iters * target / t) + 1;
  return iters;
}

struct result {
  double wall, cpu; /* medians, ns per pair per thread */
};

/* `reps` runs of each side. The runs alternate (malloc, pool, pool,
 * malloc, ...) so that a change of the machine's load during the
 * measurement weighs on both sides alike. */
static void measure_pair(size_t size, int nthreads, int reps, double target, mmbMemInterface *iface,
                         struct result *m, struct result *p)
{
  long im = calibrate(USE_MALLOC, size, nthreads, target, NULL);
  long ip = calibrate(USE_POOL, size, nthreads, target, iface);
  double mw[16], mc[16], pw[16], pc[16];
  for (int r = 0; r < reps; r++) {
    struct sample sm, sp;
    if (r % 2 == 0) {
      sm = once(USE_MALLOC, size, nthreads, im, NULL);
      sp = once(USE_POOL, size, nthreads, ip, iface);
    } else {
      sp = once(USE_POOL, size, nthreads, ip, iface);
      sm = once(USE_MALLOC, size, nthreads, im, NULL);
    }
    mw[r] = sm.wall;
    mc[r] = sm.cpu;
    pw[r] = sp.wall;
    pc[r] = sp.cpu;
  }
  m->wall = bench_median(mw, reps);
  m->cpu = bench_median(mc, reps);
  p->wall = bench_median(pw, reps);
  p->cpu = bench_median(pc, reps);
}

static double measure(which w, size_t size, int nthreads, int reps, double target,
                      mmbMemInterface *iface)
{
  long iters = calibrate(w, size, nthreads, target, iface);
  double v[16];
  for (int r = 0; r < reps; r++)
    v[r] = once(w, size, nthreads, iters, iface).wall;
  return bench_median(v, reps);
}

/* the first malloc+free of a size in a fresh arena state cannot be redone
 * in-process; measure a fresh mmap-backed malloc by asking above the
 * (adapted) threshold: a size of 40 MiB is always mmapped by glibc. */
static double cold_mmap_pair(void)
{
  double v[9];
  for (int r = 0; r < 9; r++) {
    double t0 = bench_now();
    void *p = malloc((size_t)40 << 20);
    *(volatile char *)p = 1;
    free(p);
    v[r] = (bench_now() - t0) * 1e9;
  }
  return bench_median(v, 9);
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv);
  int reps = quick ? 3 : 9;
  double target = quick ? 0.02 : 0.2;
  static const size_t sizes[] = {64, 4096, 65536, 1 << 20, 16 << 20};
  static const char *const names[] = {"64B", "4KiB", "64KiB", "1MiB", "16MiB"};
  mmbMemSpace *dram = NULL;
  mmbMemInterface *pool = NULL;
  if (mmb_init() != MMB_OK || mmb_space_default(&dram) != MMB_OK ||
      mmb_space_interface(dram, MMB_STRATEGY_POOL, &pool) != MMB_OK) {
    fprintf(stderr, "mamba_pool: libmamba initialization failed\n");
    return 1;
  }
  printf("# mamba_pool: ns per allocate+free pair per thread (median of %d runs, alternating)\n",
         reps);
  printf("# %-8s %-7s %9s %9s %8s | %9s %9s %8s\n", "size", "threads", "malloc", "mamba", "speedup",
         "malloc", "mamba", "speedup");
  printf("# %-8s %-7s %28s | %28s\n", "", "", "wall clock", "thread CPU time");
  for (int th = 1; th <= 2; th++) {
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      struct result m, p;
      measure_pair(sizes[k], th, reps, target, pool, &m, &p);
      char casename[64];
      printf("# %-8s %-7d %9.1f %9.1f %7.2fx | %9.1f %9.1f %7.2fx\n", names[k], th, m.wall, p.wall,
             m.wall / p.wall, m.cpu, p.cpu, m.cpu / p.cpu);
      snprintf(casename, sizeof casename, "%s_%dthread%s", names[k], th, th > 1 ? "s" : "");
      bench_report("mamba_pool", casename, p.wall, "ns", m.wall, BENCH_LOWER_IS_BETTER);
      snprintf(casename, sizeof casename, "%s_%dthread%s_cpu", names[k], th, th > 1 ? "s" : "");
      bench_report("mamba_pool", casename, p.cpu, "ns", m.cpu, BENCH_LOWER_IS_BETTER);
    }
  }
  /* what a cold (mmap-backed) malloc costs, for reference */
  double cold = cold_mmap_pair();
  double p40 = measure(USE_POOL, (size_t)40 << 20, 1, reps, target, pool);
  printf("# 40MiB (always mmapped by glibc): malloc+free %.1f ns, mamba %.1f ns\n", cold, p40);
  bench_report("mamba_pool", "40MiB_1thread_mmap", p40, "ns", cold, BENCH_LOWER_IS_BETTER);
  mmb_interface_print_stats(pool, stdout);
  mmb_finalize();
  return 0;
}
