/* A Pool Manager as a child process of a benchmark, and waiting for
 * children. Header only; needs bench_ofi.h (bench_xread / bench_xwrite). */
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

/* Fork a Pool Manager and export its MSTRO_POOL_MANAGER_INFO. It stops when
 * *stop (the write end kept here) is closed: close it in every child forked
 * later. The pid, or -1. */
static inline pid_t bench_pm_fork(int *stop)
{
  int info_pipe[2], stop_pipe[2];
  if (pipe(info_pipe) || pipe(stop_pipe))
    return -1;
  fflush(stdout);
  pid_t pm = fork();
  if (pm == 0) {
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
  size_t n = 0;
  bench_xread(info_pipe[0], &n, sizeof n);
  char *info = n > 0 && n <= 8192 ? malloc(n) : NULL;
  if (info != NULL) {
    bench_xread(info_pipe[0], info, n);
    setenv("MSTRO_POOL_MANAGER_INFO", info, 1);
    free(info);
  }
  close(info_pipe[0]);
  *stop = stop_pipe[1];
  return info != NULL ? pm : -1;
}

/* Exit status of a child (128 + signal when killed). */
static inline int bench_wait_child(pid_t p)
{
  int ws = 0;
  while (waitpid(p, &ws, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

#endif
