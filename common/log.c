/* Logging engine: environment parsing, destinations, line formatting. */
#include "log.h"

#include <ctype.h>
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

static const char *env2(const struct mmb__log_domain *d, const char *suffix)
{
  char name[96];
  const char *v;
  snprintf(name, sizeof name, "%s_%s", d->env_prefix, suffix);
  v = getenv(name);
  if ((v == NULL || *v == '\0') && d->fallback_prefix != NULL) {
    snprintf(name, sizeof name, "%s_%s", d->fallback_prefix, suffix);
    v = getenv(name);
  }
  return (v != NULL && *v != '\0') ? v : NULL;
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

  if (errlen > 0)
    err[0] = '\0';
  pthread_mutex_lock(&d->lock);
  close_dst(d);
  d->dst = stderr;

  if ((v = env2(d, "LOG_LEVEL")) != NULL && mmb__log_parse_level(v, &level) != 0) {
    append_err(err, errlen, "%s_LOG_LEVEL=\"%s\" is not err, warn, info, debug or 0-3; ",
               d->env_prefix, v);
    level = MMB__LOG_WARN;
    rc = -1;
  }
  if ((v = env2(d, "LOG_MODULES")) != NULL &&
      mmb__log_parse_modules(v, d->modules, d->n_modules, &mask, sub, sizeof sub) != 0) {
    append_err(err, errlen, "%s_LOG_MODULES: %s; ", d->env_prefix, sub);
    mask = ~UINT64_C(0);
    rc = -1;
  }
  if ((v = env2(d, "LOG_DST")) != NULL) {
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
  int off;
  struct timespec ts;
  va_list ap;
  const char *mod = (module >= 0 && module < d->n_modules) ? d->modules[module] : "?";
  int lvl = level < 0 ? 0 : (level > 3 ? 3 : level);

  clock_gettime(CLOCK_REALTIME, &ts);
  off = snprintf(msg, sizeof msg, "%lld.%06ld %s:%s %s [%d:%ld] %s:%d: ", (long long)ts.tv_sec,
                 ts.tv_nsec / 1000, d->lib, mod, level_tags[lvl], (int)getpid(),
                 (long)syscall(SYS_gettid), func, line);
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
