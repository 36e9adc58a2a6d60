/* What the component programs share: see comp_prog.h. */
#include "comp_prog.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maestro.h"

volatile sig_atomic_t mstro__prog_stop;

static void on_signal(int sig)
{
  (void)sig;
  mstro__prog_stop = 1;
}

void mstro__prog_signals(void)
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

bool mstro__prog_count(const char *t, long *out)
{
  char *end = NULL;
  errno = 0;
  long v = strtol(t, &end, 10);
  if (errno != 0 || end == t || *end != '\0' || v < 0)
    return false;
  *out = v;
  return true;
}

bool mstro__prog_bytes(const char *t, uint64_t *out)
{
  char *end = NULL;
  if (!isdigit((unsigned char)*t))
    return false;
  errno = 0;
  unsigned long long v = strtoull(t, &end, 10);
  int shift = 0;
  switch (toupper((unsigned char)*end)) {
  case 'K':
    shift = 10;
    break;
  case 'M':
    shift = 20;
    break;
  case 'G':
    shift = 30;
    break;
  default:
    break;
  }
  if (shift != 0) {
    end++;
    if (toupper((unsigned char)*end) == 'I')
      end++;
    if (toupper((unsigned char)*end) == 'B')
      end++;
  }
  if (errno != 0 || *end != '\0' || v > (UINT64_MAX >> shift))
    return false;
  *out = (uint64_t)v << shift;
  return true;
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
