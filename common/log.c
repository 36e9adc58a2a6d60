/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging engine: environment parsing, destinations, line formatting. */
#include "log.h"

#include <ctype.h>
#include <strings.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *const level_tags[] = {"ERR  ", "WARN ", "INFO ", "DEBUG"};

int mmb__log_parse_level(const char *text, int *level)
{
  static const struct {
    const char *name;
    int level;
  } names[] = {{"err", 0},   {"error", 0}, {"warn", 1}, {"warning", 1}, {"info", 2},
               {"debug", 3}, {"0", 0},     {"1", 1},    {"2", 2},       {"3", 3}};
  int rc = -1;
  if (text == NULL || level == NULL)
    goto cleanup;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcasecmp(text, names[i].name) == 0) {
      *level = names[i].level;
      rc = 0;
      break;
    }
  }
cleanup:
  return rc;
}

/* "core" matches "core" and "core.cdo", not "corex". */
static bool module_matches(const char *item, size_t len, const char *module)
{
  return strncmp(item, module, len) == 0 && (module[len] == '\0' || module[len] == '.');
}

int mmb__log_parse_modules(const char *text, const char *const *modules, int n_modules,
                           uint64_t *mask, char *err, size_t errlen)
{
  int rc = -1;
  uint64_t m = 0;
  uint64_t all = n_modules >= 64 ? ~UINT64_C(0) : ((UINT64_C(1) << n_modules) - 1);
  const char *p = text;
  bool first = true;

  if (text == NULL || mask == NULL) {
    snprintf(err, errlen, "no module list");
    goto cleanup;
  }
  if (*text == '\0') {
    snprintf(err, errlen, "empty module list");
    goto cleanup;
  }
  while (*p != '\0') {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    bool negate = len > 0 && p[0] == '^';
    const char *name = negate ? p + 1 : p;
    size_t nlen = negate ? len - 1 : len;

    if (nlen == 0) {
      snprintf(err, errlen, "empty item at offset %zu of module list \"%s\"", (size_t)(p - text),
               text);
      goto cleanup;
    }
    for (size_t i = 0; i < nlen; i++) {
      unsigned char c = (unsigned char)name[i];
      if (!isalnum(c) && c != '_' && c != '.' && c != '-') {
        snprintf(err, errlen, "bad character '%c' at offset %zu of module list \"%s\"", c,
                 (size_t)(name + i - text), text);
        goto cleanup;
      }
    }
    if (first && negate)
      m = all;
    first = false;
    if (nlen == 3 && strncmp(name, "all", 3) == 0) {
      m = negate ? 0 : all;
    } else {
      for (int i = 0; i < n_modules && i < 64; i++) {
        if (module_matches(name, nlen, modules[i]))
          m = negate ? (m & ~(UINT64_C(1) << i)) : (m | (UINT64_C(1) << i));
      }
    }
    p += len;
    if (*p == ',') {
      p++;
      if (*p == '\0') {
        snprintf(err, errlen, "module list \"%s\" ends with a comma", text);
        goto cleanup;
      }
    }
  }
  *mask = m;
  rc = 0;
cleanup:
  return rc;
}

/* PREFIX_suffix, else the fallback's; *name is the variable the value came
 * from, so that a bad value is reported under the name the user set. */
static const char *env2(const struct mmb__log_domain *d, const char *suffix, char *name,
                        size_t namelen)
{
  const char *v;
  snprintf(name, namelen, "%s_%s", d->env_prefix, suffix);
  v = getenv(name);
  if ((v == NULL || *v == '\0') && d->fallback_prefix != NULL) {
    snprintf(name, namelen, "%s_%s", d->fallback_prefix, suffix);
    v = getenv(name);
  }
  return (v != NULL && *v != '\0') ? v : NULL;
}

/* Who this process is in its workflow (mmb__log_set_component): one per copy
 * of this file, that is, per library; copied out under the lock per line. */
static pthread_mutex_t ident_lock = PTHREAD_MUTEX_INITIALIZER;
static char ident_component[64];
static long long ident_index = -1;

void mmb__log_set_component(const char *name, long long index)
{
  pthread_mutex_lock(&ident_lock);
  snprintf(ident_component, sizeof ident_component, "%s", name != NULL ? name : "");
  ident_index = name != NULL ? index : -1;
  pthread_mutex_unlock(&ident_lock);
}

/* "name:index", or "-" before the library knows its component. */
static void component_tag(char *buf, size_t len)
{
  pthread_mutex_lock(&ident_lock);
  if (ident_component[0] == '\0')
    snprintf(buf, len, "-");
  else if (ident_index < 0)
    snprintf(buf, len, "%s", ident_component);
  else
    snprintf(buf, len, "%s:%lld", ident_component, ident_index);
  pthread_mutex_unlock(&ident_lock);
}

static pthread_once_t host_once = PTHREAD_ONCE_INIT;
static char host_name[64] = "?";

static void read_host(void)
{
  char h[sizeof host_name];
  if (gethostname(h, sizeof h) == 0) {
    h[sizeof h - 1] = '\0';
    char *dot = strchr(h, '.'); /* the short name, as srun prints it */
    if (dot != NULL && dot != h)
      *dot = '\0';
    memcpy(host_name, h, sizeof host_name);
  }
}

int mmb__log_format_time(const struct timespec *ts, bool epoch, char *buf, size_t len)
{
  int n;
  if (epoch) {
    n = snprintf(buf, len, "%lld.%06ld", (long long)ts->tv_sec, ts->tv_nsec / 1000);
  } else {
    struct tm tm;
    time_t t = ts->tv_sec;
    if (gmtime_r(&t, &tm) == NULL)
      return -1;
    n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000);
  }
  return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static void append_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
  size_t used = strnlen(err, errlen);
  if (used + 1 < errlen)
    snprintf(err + used, errlen - used, fmt, a, b);
}

static void close_dst(struct mmb__log_domain *d)
{
  if (d->own_dst && d->dst != NULL)
    fclose(d->dst);
  d->dst = NULL;
  d->own_dst = false;
  d->use_syslog = false;
}

int mmb__log_configure(struct mmb__log_domain *d, char *err, size_t errlen)
{
  int rc = 0;
  int level = MMB__LOG_WARN;
  uint64_t mask = ~UINT64_C(0);
  const char *v;
  char sub[256] = "";
  char name[96];

  if (errlen > 0)
    err[0] = '\0';
  pthread_mutex_lock(&d->lock);
  close_dst(d);
  d->dst = stderr;

  if ((v = env2(d, "LOG_LEVEL", name, sizeof name)) != NULL &&
      mmb__log_parse_level(v, &level) != 0) {
    append_err(err, errlen, "%s=\"%s\" is not err, warn, info, debug or 0-3; ", name, v);
    level = MMB__LOG_WARN;
    rc = -1;
  }
  if ((v = env2(d, "LOG_MODULES", name, sizeof name)) != NULL &&
      mmb__log_parse_modules(v, d->modules, d->n_modules, &mask, sub, sizeof sub) != 0) {
    append_err(err, errlen, "%s: %s; ", name, sub);
    mask = ~UINT64_C(0);
    rc = -1;
  }
  d->epoch_time = false;
  if ((v = env2(d, "LOG_TIME", name, sizeof name)) != NULL) {
    if (strcasecmp(v, "epoch") == 0) {
      d->epoch_time = true;
    } else if (strcasecmp(v, "utc") != 0) {
      append_err(err, errlen, "%s=\"%s\" is not utc or epoch; ", name, v);
      rc = -1;
    }
  }
  if ((v = env2(d, "LOG_DST", name, sizeof name)) != NULL) {
    if (strcmp(v, "stderr") == 0) {
      d->dst = stderr;
    } else if (strcmp(v, "stdout") == 0) {
      d->dst = stdout;
    } else if (strcmp(v, "syslog") == 0) {
      d->use_syslog = true;
    } else {
      FILE *f = fopen(v, "a");
      if (f == NULL) {
        snprintf(sub, sizeof sub, "%s", strerror(errno));
        append_err(err, errlen, "cannot open log destination \"%s\": %s; ", v, sub);
        rc = -1;
      } else {
        setvbuf(f, NULL, _IOLBF, 0);
        d->dst = f;
        d->own_dst = true;
      }
    }
  }
  for (int i = 0; i < d->n_modules && i < MMB__LOG_MAX_MODULES; i++)
    d->level[i] = (mask >> i) & 1 ? level : -1;
  atomic_store_explicit(&d->ready, 1, memory_order_release);
  pthread_mutex_unlock(&d->lock);
  return rc;
}

void mmb__log_reset(struct mmb__log_domain *d)
{
  pthread_mutex_lock(&d->lock);
  atomic_store_explicit(&d->ready, 0, memory_order_release);
  close_dst(d);
  pthread_mutex_unlock(&d->lock);
}

bool mmb__log_enabled_slow(struct mmb__log_domain *d, int module, int level)
{
  char err[512];
  bool ready;
  /* The first message of a process configures the domain; a bad variable is
   * reported once here and again, as an error status, by the library's init. */
  pthread_mutex_lock(&d->lock);
  ready = atomic_load_explicit(&d->ready, memory_order_acquire);
  pthread_mutex_unlock(&d->lock);
  if (!ready && mmb__log_configure(d, err, sizeof err) != 0)
    fprintf(stderr, "%s: bad logging configuration: %s\n", d->lib, err);
  return level <= d->level[module];
}

void mmb__log_emit(struct mmb__log_domain *d, int module, int level, const char *func, int line,
                   const char *fmt, ...)
{
  char msg[2048];
  char when[40] = "?";
  char comp[96];
  int off;
  struct timespec ts;
  va_list ap;
  const char *mod = (module >= 0 && module < d->n_modules) ? d->modules[module] : "?";
  int lvl = level < 0 ? 0 : (level > 3 ? 3 : level);

  /* Readable in merged srun output: when (UTC), where, who, then what. */
  clock_gettime(CLOCK_REALTIME, &ts);
  (void)mmb__log_format_time(&ts, d->epoch_time, when, sizeof when);
  pthread_once(&host_once, read_host);
  component_tag(comp, sizeof comp);
  off =
      snprintf(msg, sizeof msg, "%s %s %s %s:%s %s [%d:%ld] %s:%d: ", when, host_name, comp, d->lib,
               mod, level_tags[lvl], (int)getpid(), (long)syscall(SYS_gettid), func, line);
  if (off < 0 || (size_t)off >= sizeof msg)
    off = 0;
  va_start(ap, fmt);
  vsnprintf(msg + off, sizeof msg - (size_t)off, fmt, ap);
  va_end(ap);

  if (d->use_syslog) {
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    syslog(prio[lvl], "%s", msg + off);
  } else {
    /* One fputs per line keeps lines of concurrent threads whole. */
    size_t len = strnlen(msg, sizeof msg - 1);
    msg[len] = '\n';
    pthread_mutex_lock(&d->lock);
    fwrite(msg, 1, len + 1, d->dst ? d->dst : stderr);
    pthread_mutex_unlock(&d->lock);
  }
}
