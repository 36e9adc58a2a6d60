/* SPDX-License-Identifier: BSD-3-Clause */
/* The librarian: stages CDOs of a simple_archiver directory back into the
 * pool when a consumer asks for them (include/maestro_components.h).
 *
 * It subscribes to other components' REQUIRE and DEMAND events with
 * _REQUIRE_ACK: the consumer's require (or demand) waits until the
 * librarian has offered the CDO or found that it does not hold it, so the
 * consumer never races the staging. Its own selector is evaluated on the
 * archived attributes (the sealed copy, comp_common.h's probe), not on the
 * consumer's. Archive files are only ever opened for reading. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "comp_common.h"

/* One "key: value" line of a sidecar. */
struct sidecar_attr {
  char *key, *value;
  int line;
};

/* One archived CDO, and its staged copy while offered. */
struct entry {
  char *name, *data_path, *yaml_path;
  struct sidecar_attr *attrs;
  size_t n_attrs;
  int64_t size;
  bool unusable; /* its attributes were refused or the selector does not match */
  mstro_cdo cdo; /* staged: offered */
  void *buf;
  double staged_at;
  bool demanded;
};

struct library {
  const struct mstro_librarian_opts *o;
  struct entry *e;
  size_t n, cap;
  struct mstro__comp_probe probe;
  long served;
};

void mstro_librarian_opts_init(struct mstro_librarian_opts *o)
{
  if (o != NULL)
    *o = (struct mstro_librarian_opts){0};
}

static void entry_free(struct entry *e)
{
  for (size_t i = 0; i < e->n_attrs; i++) {
    free(e->attrs[i].key);
    free(e->attrs[i].value);
  }
  free(e->attrs);
  free(e->name);
  free(e->data_path);
  free(e->yaml_path);
}

static char *trim(char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
  return s;
}

static bool key_ok(const char *k)
{
  if (*k == '\0')
    return false;
  for (; *k; k++)
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
          *k == '.' || *k == '-' || *k == '_'))
      return false;
  return true;
}

/* Parse a sidecar into e (name, attributes, declared size). A line that does
 * not parse makes the whole sidecar unusable: reported as FILE:LINE. */
static mstro_status sidecar_parse(const char *path, struct entry *e)
{
  mstro_status st = MSTRO_OK;
  char line[8192];
  int lineno = 0;
  FILE *f = fopen(path, "r");
  COMP_CHECK(LIBRARIAN, f != NULL, st, MSTRO_INVARG, "%s: cannot open: %s", path, strerror(errno));
  e->size = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    lineno++;
    COMP_CHECK(LIBRARIAN, strchr(line, '\n') != NULL || feof(f), st, MSTRO_INVARG,
               "%s:%d: line longer than %zu bytes: sidecar skipped", path, lineno, sizeof line - 2);
    char *t = trim(line);
    if (*t == '\0' || *t == '#')
      continue;
    char *colon = strstr(t, ": ");
    if (colon == NULL && t[strlen(t) - 1] == ':')
      colon = t + strlen(t) - 1;
    COMP_CHECK(LIBRARIAN, colon != NULL, st, MSTRO_INVARG,
               "%s:%d: expected 'key: value': sidecar skipped", path, lineno);
    *colon = '\0';
    char *key = trim(t), *val = trim(colon + 1);
    COMP_CHECK(LIBRARIAN, key_ok(key), st, MSTRO_INVARG,
               "%s:%d: '%.80s' is not an attribute key: sidecar skipped", path, lineno, key);
    if (strcmp(key, "name") == 0) {
      size_t vl = strlen(val);
      COMP_CHECK(LIBRARIAN, e->name == NULL, st, MSTRO_INVARG,
                 "%s:%d: a second name: sidecar skipped", path, lineno);
      COMP_CHECK(LIBRARIAN, vl >= 3 && val[0] == '"' && val[vl - 1] == '"', st, MSTRO_INVARG,
                 "%s:%d: the name must be a non-empty quoted string: sidecar skipped", path,
                 lineno);
      val[vl - 1] = '\0';
      e->name = strdup(val + 1);
      COMP_CHECK(LIBRARIAN, e->name != NULL, st, MSTRO_NOMEM, "out of memory");
      continue;
    }
    if (strcmp(key, "scope.local-size") == 0) {
      char *end = NULL;
      errno = 0;
      long long v = strtoll(val, &end, 10);
      COMP_CHECK(LIBRARIAN, errno == 0 && end != val && *end == '\0' && v >= 0, st, MSTRO_INVARG,
                 "%s:%d: scope.local-size '%.40s' is not a size: sidecar skipped", path, lineno,
                 val);
      e->size = v;
      continue;
    }
    for (size_t i = 0; i < e->n_attrs; i++)
      COMP_CHECK(LIBRARIAN, strcmp(e->attrs[i].key, key) != 0, st, MSTRO_INVARG,
                 "%s:%d: '%.80s' given twice: sidecar skipped", path, lineno, key);
    struct sidecar_attr *na = realloc(e->attrs, (e->n_attrs + 1) * sizeof *na);
    COMP_CHECK(LIBRARIAN, na != NULL, st, MSTRO_NOMEM, "out of memory");
    e->attrs = na;
    na[e->n_attrs] = (struct sidecar_attr){strdup(key), strdup(val), lineno};
    e->n_attrs++;
    COMP_CHECK(LIBRARIAN, na[e->n_attrs - 1].key && na[e->n_attrs - 1].value, st, MSTRO_NOMEM,
               "out of memory");
  }
  COMP_CHECK(LIBRARIAN, !ferror(f), st, MSTRO_INVARG, "%s: read error: sidecar skipped", path);
  COMP_CHECK(LIBRARIAN, e->name != NULL, st, MSTRO_INVARG, "%s:%d: no name: sidecar skipped", path,
             lineno);
  COMP_CHECK(LIBRARIAN, e->size >= 0, st, MSTRO_INVARG,
             "%s:%d: no scope.local-size: sidecar skipped", path, lineno);
cleanup:
  if (f != NULL)
    fclose(f);
  return st;
}

static char *path_join(const char *dir, const char *file, size_t stem_len, const char *ext)
{
  size_t n = strlen(dir) + 1 + stem_len + strlen(ext) + 1;
  char *p = malloc(n);
  if (p != NULL)
    snprintf(p, n, "%s/%.*s%s", dir, (int)stem_len, file, ext);
  return p;
}

/* Index the archive: every <stem>.yaml with its <stem>.data. */
static mstro_status scan(struct library *lib)
{
  mstro_status st = MSTRO_OK;
  const char *dir = lib->o->dir;
  struct entry e = {0};
  DIR *d = opendir(dir);
  COMP_CHECK(LIBRARIAN, d != NULL, st, MSTRO_INVARG, "cannot read the archive %s: %s", dir,
             strerror(errno));
  for (struct dirent *de; (de = readdir(d)) != NULL;) {
    size_t l = strlen(de->d_name);
    struct stat sb;
    if (l <= 5 || strcmp(de->d_name + l - 5, ".yaml") != 0)
      continue;
    e = (struct entry){0};
    e.yaml_path = path_join(dir, de->d_name, l - 5, ".yaml");
    e.data_path = path_join(dir, de->d_name, l - 5, ".data");
    COMP_CHECK(LIBRARIAN, e.yaml_path && e.data_path, st, MSTRO_NOMEM, "out of memory");
    mstro_status ps = sidecar_parse(e.yaml_path, &e);
    COMP_CHECK(LIBRARIAN, ps != MSTRO_NOMEM, st, MSTRO_NOMEM, "out of memory");
    if (ps == MSTRO_OK && stat(e.data_path, &sb) != 0) {
      COMP_WARN(LIBRARIAN, "%s: no data file %s: sidecar skipped", e.yaml_path, e.data_path);
      ps = MSTRO_NOENT;
    } else if (ps == MSTRO_OK && (int64_t)sb.st_size != e.size) {
      COMP_WARN(LIBRARIAN, "%s: scope.local-size is %lld but %s holds %lld bytes: sidecar skipped",
                e.yaml_path, (long long)e.size, e.data_path, (long long)sb.st_size);
      ps = MSTRO_INVARG;
    }
    for (size_t i = 0; ps == MSTRO_OK && i < lib->n; i++)
      if (strcmp(lib->e[i].name, e.name) == 0) {
        COMP_WARN(LIBRARIAN, "%s: '%.200s' is archived in %s already: sidecar skipped", e.yaml_path,
                  e.name, lib->e[i].yaml_path);
        ps = MSTRO_NOT_TWICE;
      }
    if (ps != MSTRO_OK) {
      entry_free(&e);
      e = (struct entry){0};
      continue;
    }
    if (lib->n == lib->cap) {
      size_t ncap = lib->cap ? 2 * lib->cap : 16;
      struct entry *ne = realloc(lib->e, ncap * sizeof *ne);
      COMP_CHECK(LIBRARIAN, ne != NULL, st, MSTRO_NOMEM, "out of memory");
      lib->e = ne;
      lib->cap = ncap;
    }
    lib->e[lib->n++] = e;
    e = (struct entry){0};
  }
cleanup:
  entry_free(&e);
  if (d != NULL)
    closedir(d);
  return st;
}

static struct entry *find(struct library *lib, const char *name)
{
  for (size_t i = 0; i < lib->n; i++)
    if (strcmp(lib->e[i].name, name) == 0)
      return &lib->e[i];
  return NULL;
}

/* Load an entry and offer it. MSTRO_NOMATCH: the selector does not match
 * (or its attributes were refused: logged with file and line); the entry
 * is not tried again. */
static mstro_status stage(struct library *lib, struct entry *e)
{
  mstro_status st = MSTRO_OK;
  mstro_cdo c = NULL;
  void *buf = NULL;
  FILE *f = NULL;
  bool match = false;
  COMP_CHECK_CALL(LIBRARIAN, st, mstro_cdo_declare(e->name, MSTRO_ATTR_DEFAULT, &c),
                  "cannot declare '%.200s'", e->name);
  for (size_t i = 0; i < e->n_attrs; i++)
    if (mstro_cdo_attribute_set_yaml(c, e->attrs[i].key, e->attrs[i].value) != MSTRO_OK) {
      COMP_WARN(LIBRARIAN, "%s:%d: attribute %.80s: '%.80s' refused: sidecar skipped", e->yaml_path,
                e->attrs[i].line, e->attrs[i].key, e->attrs[i].value);
      e->unusable = true;
      st = MSTRO_NOMATCH;
      goto cleanup;
    }
  if (e->size > 0) {
    buf = malloc((size_t)e->size);
    COMP_CHECK(LIBRARIAN, buf != NULL, st, MSTRO_NOMEM, "'%.200s': no memory for %lld bytes",
               e->name, (long long)e->size);
    f = fopen(e->data_path, "rb");
    COMP_CHECK(LIBRARIAN, f != NULL && fread(buf, 1, (size_t)e->size, f) == (size_t)e->size, st,
               MSTRO_NOENT, "%s: cannot read %lld bytes: not staged", e->data_path,
               (long long)e->size);
  }
  int64_t size = e->size;
  COMP_CHECK_CALL(
      LIBRARIAN, st,
      mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &size, true, false),
      "'%.200s': size refused", e->name);
  if (buf != NULL)
    COMP_CHECK_CALL(LIBRARIAN, st,
                    mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, &buf, true, false),
                    "'%.200s': buffer refused", e->name);
  COMP_CHECK_CALL(LIBRARIAN, st, mstro__comp_probe_seal(&lib->probe, c, &match),
                  "'%.200s': cannot seal", e->name);
  if (!match) {
    COMP_DEBUG(LIBRARIAN, "'%.200s': the selector does not match its attributes", e->name);
    e->unusable = true;
    st = MSTRO_NOMATCH;
    goto cleanup;
  }
  COMP_CHECK_CALL(LIBRARIAN, st, mstro_cdo_offer(c), "cannot offer '%.200s'", e->name);
  e->cdo = c;
  e->buf = buf;
  e->staged_at = mstro__comp_now();
  e->demanded = false;
  c = NULL;
  buf = NULL;
  if (!lib->o->quiet)
    printf("maestro-librarian: staged %s (%lld bytes)\n", e->name, (long long)e->size);
cleanup:
  if (f != NULL)
    fclose(f);
  if (c != NULL)
    mstro_cdo_dispose(c);
  free(buf);
  return st;
}

static mstro_status unstage(struct library *lib, struct entry *e)
{
  mstro_status st = mstro_cdo_withdraw(e->cdo);
  mstro_status ds = mstro_cdo_dispose(e->cdo);
  if (st == MSTRO_OK)
    st = ds;
  e->cdo = NULL;
  free(e->buf);
  e->buf = NULL;
  lib->served++;
  if (!lib->o->quiet)
    printf("maestro-librarian: withdrew %s\n", e->name);
  return st;
}

/* A consumer requires or demands `name`: stage it when we hold it. */
static mstro_status on_request(struct library *lib, mstro_pool_event ev)
{
  mstro_status st = MSTRO_OK;
  struct entry *e = find(lib, mstro__comp_event_cdo(ev));
  if (e == NULL || e->unusable)
    return MSTRO_OK; /* not ours: the ack says so */
  if (e->cdo == NULL)
    st = stage(lib, e);
  if (st == MSTRO_NOMATCH)
    st = MSTRO_OK;
  if (e->cdo != NULL && ev->kind == MSTRO_POOL_EVENT_DEMAND)
    e->demanded = true;
  return st;
}

static void fflush_progress(const struct mstro_librarian_opts *o)
{
  if (!o->quiet)
    fflush(stdout);
}

mstro_status mstro_librarian_run(const struct mstro_librarian_opts *o)
{
  mstro_status st = MSTRO_OK;
  struct library lib = {.o = o};
  mstro_cdo_selector all = NULL, sel = NULL;
  mstro_subscription sub = NULL;
  bool stopped = false;
  double t0 = mstro__comp_now();
  COMP_CHECK(LIBRARIAN, o != NULL && o->dir != NULL, st, MSTRO_INVARG,
             "mstro_librarian_run: no options or no archive directory");
  COMP_CHECK_CALL(LIBRARIAN, st, mstro_cdo_selector_create(NULL, NULL, NULL, &all),
                  "mstro_librarian_run: no selector (mstro_init called?)");
  if (o->selector != NULL)
    COMP_CHECK_CALL(LIBRARIAN, st, mstro_cdo_selector_create(NULL, NULL, o->selector, &sel),
                    "mstro_librarian_run: the selector '%.200s' does not compile", o->selector);
  COMP_CHECK_CALL(LIBRARIAN, st, mstro__comp_probe_open(&lib.probe, sel),
                  "mstro_librarian_run: cannot evaluate the selector");
  COMP_CHECK_CALL(LIBRARIAN, st, scan(&lib), "mstro_librarian_run: cannot index %s", o->dir);
  /* Our own operations never match: the librarian neither requires nor demands. */
  COMP_CHECK_CALL(LIBRARIAN, st,
                  mstro_subscribe(all, MSTRO_POOL_EVENT_REQUIRE | MSTRO_POOL_EVENT_DEMAND,
                                  MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK, &sub),
                  "mstro_librarian_run: cannot subscribe");
  for (size_t i = 0; o->eager && i < lib.n; i++) {
    mstro_status s2 = stage(&lib, &lib.e[i]);
    COMP_CHECK(LIBRARIAN, s2 == MSTRO_OK || s2 == MSTRO_NOMATCH || s2 == MSTRO_NOENT, st, s2,
               "mstro_librarian_run: staging failed");
  }
  if (!o->quiet)
    printf("maestro-librarian: serving %zu CDO(s) from %s\n", lib.n, o->dir);
  fflush_progress(o);
  if (o->on_ready != NULL)
    o->on_ready(o->ready_ctx);
  while (!stopped && (o->max_served <= 0 || lib.served < o->max_served)) {
    mstro_pool_event ev = NULL;
    COMP_CHECK_CALL(LIBRARIAN, st, mstro__comp_wait_slice(sub, &ev),
                    "mstro_librarian_run: waiting for events failed");
    for (mstro_pool_event x = ev; x != NULL && st == MSTRO_OK; x = x->next)
      st = on_request(&lib, x);
    if (ev != NULL) {
      mstro_subscription_ack(sub, ev); /* the consumers' operations resume */
      mstro_pool_event_dispose(ev);
    }
    COMP_CHECK(LIBRARIAN, st == MSTRO_OK, st, st, "mstro_librarian_run: staging failed");
    /* withdrawn only after the ack: the demand it answers already holds its
     * transfer at the PM, and the withdraw waits for that */
    double now = mstro__comp_now();
    for (size_t i = 0; i < lib.n; i++) {
      struct entry *e = &lib.e[i];
      if (e->cdo != NULL && (o->linger_s > 0 ? now - e->staged_at >= o->linger_s : e->demanded))
        COMP_CHECK_CALL(LIBRARIAN, st, unstage(&lib, e), "cannot withdraw '%.200s'", e->name);
    }
    fflush_progress(o);
    st = mstro__comp_should_stop(o->should_stop, o->stop_ctx, t0, o->timeout_s, &stopped);
  }
cleanup:
  if (sub != NULL)
    mstro_subscription_dispose(sub);
  for (size_t i = 0; i < lib.n; i++) {
    if (lib.e[i].cdo != NULL) {
      mstro_status us = unstage(&lib, &lib.e[i]);
      if (st == MSTRO_OK)
        st = us;
    }
    entry_free(&lib.e[i]);
  }
  free(lib.e);
  mstro__comp_probe_close(&lib.probe);
  if (sel != NULL)
    mstro_cdo_selector_dispose(sel);
  if (all != NULL)
    mstro_cdo_selector_dispose(all);
  if (o != NULL)
    fflush_progress(o);
  return st;
}
