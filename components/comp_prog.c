/* SPDX-License-Identifier: BSD-3-Clause */
/* What the component programs share: see comp_prog.h. */
#include "comp_prog.h"

#include <limits.h>
#include <signal.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maestro.h"
#include "options.h"

static volatile sig_atomic_t prog_stop;

static void on_signal(int sig)
{
  (void)sig;
  prog_stop = 1;
}

bool mstro__prog_should_stop(void *ctx)
{
  (void)ctx;
  return prog_stop != 0;
}

static void prog_signals(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
}

bool mstro__prog_seconds(const char *t, double *out)
{
  char *end = NULL;
  errno = 0;
  double v = strtod(t, &end);
  if (errno != 0 || end == t || *end != '\0' || !isfinite(v) || v < 0 || v > 1e9)
    return false;
  *out = v;
  return true;
}

/* One value through the environment options' parser. */
static bool opt_value(mmb__opt_kind kind, const char *t, void *out)
{
  const struct mmb__opt_def def = {.name = "option", .kind = kind};
  char err[128];
  return mmb__opt_parse(&def, t, out, err, sizeof err) == 0;
}

bool mstro__prog_count(const char *t, long *out)
{
  long long v;
  if (!opt_value(MMB__OPT_INT, t, &v) || v < 0 || v > LONG_MAX)
    return false;
  *out = (long)v;
  return true;
}

bool mstro__prog_bytes(const char *t, uint64_t *out)
{
  return opt_value(MMB__OPT_SIZE, t, out);
}

int mstro__prog_common_opt(const char *prog, int c, const char *arg, void (*usage)(void),
                           struct mstro__prog_common *out)
{
  switch (c) {
  case 'n':
    if (!mstro__prog_count(arg, &out->count))
      return mstro__prog_usage_error(prog, "bad --count '%s'", arg);
    return MSTRO__PROG_GO_ON;
  case 't':
    if (!mstro__prog_seconds(arg, &out->timeout_s))
      return mstro__prog_usage_error(prog, "bad --timeout '%s' (seconds)", arg);
    return MSTRO__PROG_GO_ON;
  case 'Q':
    out->quiet = true;
    return MSTRO__PROG_GO_ON;
  case 'h':
    usage();
    return 0;
  case 'V':
    mstro__prog_version(prog);
    return 0;
  default:
    return mstro__prog_usage_error(prog, "%s", "unknown option");
  }
}

void mstro__prog_common_help(const char *count_doc)
{
  printf("  -n, --count=N         %s\n"
         "  -t, --timeout=S       stop after S seconds (exit status 1 if --count was not\n"
         "                        reached)\n"
         "      --quiet           no progress lines\n"
         "  -h, --help            show this help and exit\n"
         "  -V, --version         show the version and exit\n"
         "\n"
         "Environment: MSTRO_POOL_MANAGER_INFO (required), MSTRO_WORKFLOW_NAME,\n"
         "MSTRO_LOG_LEVEL and the other variables of docs/environment.md.\n"
         "\n"
         "Exit status: 0 when stopped normally, 1 on a failure or a timeout, 2 for bad\n"
         "options.\n",
         count_doc);
}

void mstro__prog_version(const char *prog)
{
  printf("%s (maestro) %s\nLicence BSD-3-Clause: see the LICENSE file of the sources.\n", prog,
         mstro_version());
}

int mstro__prog_usage_error(const char *prog, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '%s --help'.\n", prog);
  return 2;
}

bool mstro__prog_join(const char *prog, const char *component)
{
  prog_signals();
  if (getenv("MSTRO_POOL_MANAGER_INFO") == NULL) {
    fprintf(stderr, "%s: MSTRO_POOL_MANAGER_INFO is not set: start maestro-pm first\n", prog);
    return false;
  }
  mstro_status st = mstro_init(NULL, component, 0);
  if (st != MSTRO_OK) {
    fprintf(stderr, "%s: mstro_init: %s\n", prog, mstro_status_description(st));
    return false;
  }
  return true;
}

int mstro__prog_finish(const char *prog, int st)
{
  mstro_status fs = mstro_finalize();
  if (st != MSTRO_OK)
    fprintf(stderr, "%s: %s\n", prog, mstro_status_description((mstro_status)st));
  else if (fs != MSTRO_OK)
    fprintf(stderr, "%s: mstro_finalize: %s\n", prog, mstro_status_description(fs));
  return st == MSTRO_OK && fs == MSTRO_OK ? 0 : 1;
}
