/* What the component programs share: strict number parsing for their
 * options, the stop signals, joining the workflow and --version. */
#ifndef MSTRO_COMP_PROG_H
#define MSTRO_COMP_PROG_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Set by SIGINT, SIGTERM and SIGUSR2 once mstro__prog_signals installed them. */
extern volatile sig_atomic_t mstro__prog_stop;
void mstro__prog_signals(void);

/* "12", "1.5" (seconds); counts; byte sizes with K/M/G[iB]. false on a bad value. */
bool mstro__prog_seconds(const char *t, double *out);
bool mstro__prog_count(const char *t, long *out);
bool mstro__prog_bytes(const char *t, uint64_t *out);

/* Print "PROG (maestro) VERSION" and the licence line. */
void mstro__prog_version(const char *prog);

/* A bad option: the message, a pointer to --help, exit status 2. */
int mstro__prog_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Join the workflow of MSTRO_POOL_MANAGER_INFO as `component`; false (with a
 * message on stderr) when there is no Pool Manager or mstro_init fails. */
bool mstro__prog_join(const char *prog, const char *component);

/* mstro_finalize, and the exit status for a run that ended with st. */
int mstro__prog_finish(const char *prog, int st);

#endif
