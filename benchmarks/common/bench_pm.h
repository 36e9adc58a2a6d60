/* SPDX-License-Identifier: BSD-3-Clause */
/* A Pool Manager for the benchmarks that run components as processes
 * (transfer, pm_scale): mstro_pm_start in a child, its contact string
 * exported as MSTRO_POOL_MANAGER_INFO for the children forked after it.
 * Header-only, like bench.h. */
#ifndef MSTRO_BENCH_PM_H
#define MSTRO_BENCH_PM_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_ofi.h"
#include "maestro.h"
#include "maestro/pool_manager.h"

struct bench_pm {
  pid_t pid;
  int stop_w; /* closing it stops the PM */
};

/* The exit status of child p (128 + the signal when it was killed). */
static inline int bench_wait_child(pid_t p)
{
  int ws = 0;
  while (waitpid(p, &ws, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Starts the PM (the caller has set FI_PROVIDER and MSTRO_WORKFLOW_NAME);
 * 0 when it runs and MSTRO_POOL_MANAGER_INFO is set, else 1. */
static inline int bench_pm_start(struct bench_pm *pm)
{
  int info_pipe[2], stop_pipe[2];
  if (pipe(info_pipe) || pipe(stop_pipe))
    return 1;
  fflush(stdout);
  pm->pid = fork();
  if (pm->pid == 0) {
    char *info = NULL, c;
    close(info_pipe[0]);
    close(stop_pipe[1]);
    if (mstro_pm_start() != MSTRO_OK || mstro_pm_getinfo(&info) != MSTRO_OK)
      _exit(2);
    size_t n = strlen(info) + 1;
    bench_xwrite(info_pipe[1], &n, sizeof n);
    bench_xwrite(info_pipe[1], info, n);
    free(info);
    while (read(stop_pipe[0], &c, 1) < 0 && errno == EINTR)
      ;
    mstro_pm_terminate();
    _exit(0);
  }
  close(info_pipe[1]);
  close(stop_pipe[0]);
  pm->stop_w = stop_pipe[1];
  size_t n = 0;
  bench_xread(info_pipe[0], &n, sizeof n);
  char *info = n > 0 && n <= 8192 ? malloc(n) : NULL;
  if (info == NULL)
    return 1;
  bench_xread(info_pipe[0], info, n);
  close(info_pipe[0]);
  setenv("MSTRO_POOL_MANAGER_INFO", info, 1);
  free(info);
  return 0;
}

/* Stops the PM and returns its exit status. */
static inline int bench_pm_stop(struct bench_pm *pm)
{
  close(pm->stop_w);
  int rc = bench_wait_child(pm->pid);
  unsetenv("MSTRO_POOL_MANAGER_INFO");
  return rc;
}

#endif
