/* SPDX-License-Identifier: BSD-3-Clause */
/* What the component programs share: strict number parsing for their
 * options, the stop signals, joining the workflow and --version. */
#ifndef MSTRO_COMP_PROG_H
#define MSTRO_COMP_PROG_H

#include <stdbool.h>
#include <stdint.h>

/* True once SIGINT, SIGTERM or SIGUSR2 came (mstro__prog_join installs
 * them): the should_stop of the options. */
bool mstro__prog_should_stop(void *ctx);

/* "12", "1.5" (seconds); counts >= 0; byte sizes with K/M/G/T[iB] (the
 * environment options' parser, common/options.h). false on a bad value. */
bool mstro__prog_seconds(const char *t, double *out);
bool mstro__prog_count(const char *t, long *out);
bool mstro__prog_bytes(const char *t, uint64_t *out);

/* The options every component program has. */
struct mstro__prog_common {
  long count;       /* -n, --count */
  double timeout_s; /* -t, --timeout */
  bool quiet;       /* --quiet */
};
#define MSTRO__PROG_COMMON_SHORTOPTS "n:t:hV"
#define MSTRO__PROG_COMMON_LONGOPTS                                                                \
  {"count", required_argument, NULL, 'n'}, {"timeout", required_argument, NULL, 't'},              \
      {"quiet", no_argument, NULL, 'Q'}, {"help", no_argument, NULL, 'h'},                         \
      {"version", no_argument, NULL, 'V'},                                                         \
  {                                                                                                \
    NULL, 0, NULL, 0                                                                               \
  }
#define MSTRO__PROG_GO_ON (-1)
/* Handle getopt_long's `c` when it is not one of the program's own options:
 * MSTRO__PROG_GO_ON when it was a common one and parsing goes on, otherwise
 * the exit status (0 after --help or --version, 2 for a bad value or an
 * unknown option). */
int mstro__prog_common_opt(const char *prog, int c, const char *arg, void (*usage)(void),
                           struct mstro__prog_common *out);

/* The end of --help: the common options (count_doc: what --count counts),
 * the environment and the exit status. */
void mstro__prog_common_help(const char *count_doc);

/* Print "PROG (maestro) VERSION" and the licence line. */
void mstro__prog_version(const char *prog);

/* A bad option: the message, a pointer to --help, exit status 2. */
int mstro__prog_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Install the stop signals and join the workflow of MSTRO_POOL_MANAGER_INFO
 * as `component`; false (with a message on stderr) when there is no Pool
 * Manager or mstro_init fails. */
bool mstro__prog_join(const char *prog, const char *component);

/* mstro_finalize, and the exit status for a run that ended with st. */
int mstro__prog_finish(const char *prog, int st);

#endif
