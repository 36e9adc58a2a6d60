/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging engine shared by every library of the stack (internal).
 *
 * Each library owns one mmb__log_domain (its name, the prefix of its
 * environment variables and its module table) and wraps MMB__LOG in its own
 * macros (MMB_LOG_*, MSTRO_LOG_*, ...). A disabled message costs one acquire
 * load and a compare: the arguments are not evaluated.
 *
 * Environment (PREFIX is the domain's env_prefix, e.g. MSTRO or MMB):
 *   PREFIX_LOG_LEVEL    err|warn|info|debug or 0-3 (default warn)
 *   PREFIX_LOG_MODULES  comma list; "all", "name", "^name" (default all).
 *                       A name matches a module equal to it or below it
 *                       ("core" matches "core.cdo"). A list that starts
 *                       with "^name" starts from all.
 *   PREFIX_LOG_DST      stderr|stdout|syslog|<file path> (default stderr)
 *   PREFIX_LOG_TIME     utc (ISO 8601 UTC with milliseconds, default) or
 *                       epoch (seconds.microseconds since 1970)
 * A line reads: TIME HOST COMPONENT:INDEX LIB:MODULE LEVEL [PID:TID] FUNC:LINE: text
 * (COMPONENT is "-" until the library's init names it, mmb__log_set_component).
 * A bad value is reported under the variable it was read from.
 * A domain with a fallback_prefix reads PREFIX_... first, then the
 * fallback's variables (libmamba inherits MSTRO_LOG_* this way).
 *
 * Thread safety: emitting is thread safe; mmb__log_configure must not race
 * with itself (it is called from the libraries' init functions).
 */
#ifndef MMB_COMMON_LOG_H
#define MMB_COMMON_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef enum {
  MMB__LOG_ERR = 0,
  MMB__LOG_WARN = 1,
  MMB__LOG_INFO = 2,
  MMB__LOG_DEBUG = 3,
} mmb__log_level;

#define MMB__LOG_MAX_MODULES 64

struct mmb__log_domain {
  const char *lib;             /* printed in every line */
  const char *env_prefix;      /* PREFIX of PREFIX_LOG_LEVEL, ... */
  const char *fallback_prefix; /* NULL or a second prefix */
  const char *const *modules;  /* module names, index = module id */
  int n_modules;
  /* state, filled by mmb__log_configure() */
  atomic_int ready;
  int level[MMB__LOG_MAX_MODULES]; /* highest level shown, -1: module off */
  FILE *dst;
  bool own_dst;
  bool use_syslog;
  bool epoch_time; /* PREFIX_LOG_TIME=epoch */
  pthread_mutex_t lock;
};

#define MMB__LOG_DOMAIN_INIT(lib_, prefix_, fallback_, modules_, n_)                               \
  {                                                                                                \
    .lib = (lib_), .env_prefix = (prefix_), .fallback_prefix = (fallback_), .modules = (modules_), \
    .n_modules = (n_), .lock = PTHREAD_MUTEX_INITIALIZER                                           \
  }

/* Parse a level name or digit. Returns 0, or -1 for a bad value. */
int mmb__log_parse_level(const char *text, int *level);

/* Parse a module list into a mask over `modules`. Returns 0, or -1 with a
 * message in err for a syntax error (empty item, bad character). Names that
 * match no module are accepted: the variable is shared by all libraries. */
int mmb__log_parse_modules(const char *text, const char *const *modules, int n_modules,
                           uint64_t *mask, char *err, size_t errlen);

/* (Re)read the environment. Returns 0, or -1 with a message in err when a
 * variable has a bad value; the domain is then left with defaults for the
 * bad setting and remains usable. */
int mmb__log_configure(struct mmb__log_domain *d, char *err, size_t errlen);

/* The component this process is in its workflow, shown in every line of
 * this library's copy of the engine: a hook for the library that knows it
 * (libmaestro's mstro_init); NULL clears it (mstro_finalize). */
void mmb__log_set_component(const char *name, long long index);

/* A line's time stamp into buf: ISO 8601 UTC with milliseconds
 * ("2026-12-02T05:20:01.123Z"), or with epoch "seconds.microseconds".
 * Returns 0, or -1 when buf is too small. */
int mmb__log_format_time(const struct timespec *ts, bool epoch, char *buf, size_t len);

/* Close a file destination and return to the unconfigured state. */
void mmb__log_reset(struct mmb__log_domain *d);

/* Slow path of MMB__LOG_ON: configure from the environment on first use. */
bool mmb__log_enabled_slow(struct mmb__log_domain *d, int module, int level);

void mmb__log_emit(struct mmb__log_domain *d, int module, int level, const char *func, int line,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static inline bool mmb__log_on(struct mmb__log_domain *d, int module, int level)
{
  if (__builtin_expect(atomic_load_explicit(&d->ready, memory_order_acquire), 1))
    return level <= d->level[module];
  return mmb__log_enabled_slow(d, module, level);
}

#define MMB__LOG(dom, mod, lvl, ...)                                                               \
  do {                                                                                             \
    if (__builtin_expect(mmb__log_on((dom), (mod), (lvl)), 0))                                     \
      mmb__log_emit((dom), (mod), (lvl), __func__, __LINE__, __VA_ARGS__);                         \
  } while (0)

#endif
