/* SPDX-License-Identifier: BSD-3-Clause */
/* GFS: values as files in a directory that both sides see (MSTRO_GFS_DIR).
 *
 * put writes a temporary file (a name starting with '.', which no escaped key
 * has), fsyncs it, renames it over the final name and fsyncs the directory:
 * a reader opens either the old file or the new one, never a partial one.
 * Keys are escaped into file names: [A-Za-z0-9_.-] stay, anything else
 * (including '/') becomes %XX, and a leading '.' becomes %2E, so "..", "." and
 * "../x" are plain names inside the directory. An escaped name longer than
 * GFS_NAME_MAX is shortened to a prefix plus a 64-bit hash of the key.
 *
 * MSTRO_GFS_FSYNC=0 skips the fsyncs (faster, still atomic against concurrent
 * readers, but not against a crash of the node).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mtr_internal.h"

#define GFS_NAME_MAX 200 /* escaped name; the temporary name adds < 50 */

struct gfs_store {
  struct mtr_store_ base;
  int dirfd;
  bool do_fsync;
  char *dir;
};

static atomic_uint_fast64_t gfs_tmp_counter;

/* Escapes key into name (capacity GFS_NAME_MAX + 1). */
static void gfs_escape(const char *key, char *name)
{
  static const char hex[] = "0123456789ABCDEF";
  char full[3 * MTR_KEY_MAX + 1];
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
    unsigned c = *p;
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || (c == '.' && p != (const unsigned char *)key);
    if (plain) {
      full[n++] = (char)c;
    } else {
      full[n++] = '%';
      full[n++] = hex[c >> 4];
      full[n++] = hex[c & 15];
    }
  }
  full[n] = '\0';
  if (n <= GFS_NAME_MAX) {
    memcpy(name, full, n + 1);
    return;
  }
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
    h = (h ^ *p) * 1099511628211ull;
  size_t keep = GFS_NAME_MAX - 17;
  memcpy(name, full, keep);
  snprintf(name + keep, 18, "~%016llx", (unsigned long long)h);
}

static mtr_status gfs_dir_check(const char *dir, char *why, size_t whylen)
{
  struct stat sb;
  if (dir == NULL || dir[0] == '\0') {
    mtr__why(why, whylen, "MSTRO_GFS_DIR is not set");
    return MTR_UNAVAILABLE;
  }
  if (stat(dir, &sb) != 0) {
    mtr__why(why, whylen, "GFS directory '%s': %s", dir, strerror(errno));
    return MTR_UNAVAILABLE;
  }
  if (!S_ISDIR(sb.st_mode)) {
    mtr__why(why, whylen, "GFS directory '%s' is not a directory", dir);
    return MTR_UNAVAILABLE;
  }
  if (access(dir, W_OK | X_OK) != 0) {
    mtr__why(why, whylen, "GFS directory '%s' is not writable: %s", dir, strerror(errno));
    return MTR_UNAVAILABLE;
  }
  return MTR_OK;
}

/* MSTRO_GFS_DIR, through the transport layer's one table (mtr_env.c). */
static const char *gfs_env_dir(void)
{
  struct mtr__env env;
  mtr__env_load(&env);
  return env.gfs_dir;
}

static mtr_status gfs_probe(char *why, size_t whylen)
{
  return gfs_dir_check(gfs_env_dir(), why, whylen);
}

static mtr_status gfs_open(const struct mtr_store_config *cfg, mtr_store **store)
{
  mtr_status st = MTR_OK;
  struct gfs_store *g = NULL;
  const char *dir = cfg != NULL && cfg->location != NULL ? cfg->location : gfs_env_dir();
  char why[PATH_MAX + 128];
  st = gfs_dir_check(dir, why, sizeof why);
  MTR_CHECK(GFS, st == MTR_OK, st, st, "cannot open the GFS store: %s", why);
  g = calloc(1, sizeof *g);
  MTR_CHECK(GFS, g != NULL, st, MTR_NOMEM, "out of memory");
  g->base.ops = &mtr__gfs_ops;
  g->dirfd = -1;
  g->dir = strdup(dir);
  MTR_CHECK(GFS, g->dir != NULL, st, MTR_NOMEM, "out of memory");
  g->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  MTR_CHECK(GFS, g->dirfd >= 0, st, MTR_IO, "open('%s'): %s", dir, strerror(errno));
  struct mtr__env env;
  mtr__env_load(&env);
  g->do_fsync = env.gfs_fsync;
  MTR_LOG_INFO(GFS, "GFS store in '%s' (fsync %s)", dir, g->do_fsync ? "on" : "off");
  *store = &g->base;
  g = NULL;
cleanup:
  if (g != NULL) {
    if (g->dirfd >= 0)
      close(g->dirfd);
    free(g->dir);
    free(g);
  }
  return st;
}

static mtr_status gfs_close(mtr_store *store)
{
  struct gfs_store *g = (struct gfs_store *)store;
  mtr_status st = MTR_OK;
  if (close(g->dirfd) != 0) {
    MTR_LOG_ERR(GFS, "close('%s'): %s", g->dir, strerror(errno));
    st = MTR_IO;
  }
  free(g->dir);
  free(g);
  return st;
}

static mtr_status gfs_put(mtr_store *store, const char *key, const void *buf, size_t len)
{
  struct gfs_store *g = (struct gfs_store *)store;
  mtr_status st = MTR_OK;
  char name[GFS_NAME_MAX + 1], tmp[GFS_NAME_MAX + 64];
  int fd = -1;
  bool linked = false;
  gfs_escape(key, name);
  snprintf(tmp, sizeof tmp, ".mtr-tmp.%ld.%llu.%s", (long)getpid(),
           (unsigned long long)atomic_fetch_add(&gfs_tmp_counter, 1), name);
  fd = openat(g->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  MTR_CHECK(GFS, fd >= 0, st, MTR_IO, "create '%s/%s': %s", g->dir, tmp, strerror(errno));
  linked = true;
  const char *p = buf;
  size_t left = len;
  while (left > 0) {
    size_t n = left > (1u << 30) ? (1u << 30) : left;
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    MTR_CHECK(GFS, w > 0, st, MTR_IO, "write '%s/%s': %s", g->dir, tmp,
              w < 0 ? strerror(errno) : "wrote nothing");
    p += w;
    left -= (size_t)w;
  }
  if (g->do_fsync)
    MTR_CHECK(GFS, fsync(fd) == 0, st, MTR_IO, "fsync '%s/%s': %s", g->dir, tmp, strerror(errno));
  MTR_CHECK(GFS, close(fd) == 0, st, MTR_IO, "close '%s/%s': %s", g->dir, tmp, strerror(errno));
  fd = -1;
  MTR_CHECK(GFS, renameat(g->dirfd, tmp, g->dirfd, name) == 0, st, MTR_IO,
            "rename '%s' to '%s' in '%s': %s", tmp, name, g->dir, strerror(errno));
  linked = false;
  if (g->do_fsync && fsync(g->dirfd) != 0)
    MTR_LOG_WARN(GFS, "fsync of directory '%s': %s", g->dir, strerror(errno));
  MTR_LOG_DEBUG(GFS, "put '%s' (%zu bytes) as '%s'", key, len, name);
cleanup:
  if (fd >= 0)
    close(fd);
  if (linked)
    unlinkat(g->dirfd, tmp, 0);
  return st;
}

/* Opens the file of key; MTR_NOT_FOUND if absent. */
static mtr_status gfs_open_key(struct gfs_store *g, const char *key, int *fd, size_t *size)
{
  char name[GFS_NAME_MAX + 1];
  struct stat sb;
  gfs_escape(key, name);
  *fd = openat(g->dirfd, name, O_RDONLY | O_CLOEXEC);
  if (*fd < 0) {
    if (errno == ENOENT) {
      MTR_LOG_DEBUG(GFS, "no key '%s' in '%s'", key, g->dir);
      return MTR_NOT_FOUND;
    }
    MTR_LOG_ERR(GFS, "open '%s/%s': %s", g->dir, name, strerror(errno));
    return MTR_IO;
  }
  if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    MTR_LOG_ERR(GFS, "'%s/%s' is not a regular file", g->dir, name);
    close(*fd);
    *fd = -1;
    return MTR_IO;
  }
  *size = (size_t)sb.st_size;
  return MTR_OK;
}

static mtr_status gfs_get(mtr_store *store, const char *key, void *buf, size_t cap, size_t *len)
{
  struct gfs_store *g = (struct gfs_store *)store;
  mtr_status st = MTR_OK;
  int fd = -1;
  size_t size = 0;
  st = gfs_open_key(g, key, &fd, &size);
  if (st != MTR_OK)
    return st;
  *len = size;
  MTR_CHECK(GFS, size <= cap, st, MTR_TRUNCATED,
            "value of '%s' has %zu bytes, more than the %zu given", key, size, cap);
  char *p = buf;
  size_t got = 0;
  while (got < size) {
    size_t n = size - got > (1u << 30) ? (1u << 30) : size - got;
    ssize_t r = read(fd, p + got, n);
    if (r < 0 && errno == EINTR)
      continue;
    MTR_CHECK(GFS, r > 0, st, MTR_IO, "read '%s' in '%s': %s", key, g->dir,
              r < 0 ? strerror(errno) : "file shrank while reading");
    got += (size_t)r;
  }
cleanup:
  close(fd);
  return st;
}

static mtr_status gfs_stat(mtr_store *store, const char *key, size_t *len)
{
  int fd = -1;
  mtr_status st = gfs_open_key((struct gfs_store *)store, key, &fd, len);
  if (fd >= 0)
    close(fd);
  return st;
}

static mtr_status gfs_remove(mtr_store *store, const char *key)
{
  struct gfs_store *g = (struct gfs_store *)store;
  char name[GFS_NAME_MAX + 1];
  gfs_escape(key, name);
  if (unlinkat(g->dirfd, name, 0) != 0) {
    if (errno == ENOENT)
      return MTR_NOT_FOUND;
    MTR_LOG_ERR(GFS, "remove '%s/%s': %s", g->dir, name, strerror(errno));
    return MTR_IO;
  }
  return MTR_OK;
}

static const struct mtr_store_ops gfs_store_ops = {
    .size = sizeof(struct mtr_store_ops),
    .version = MTR_STORE_OPS_VERSION,
    .open = gfs_open,
    .close = gfs_close,
    .put = gfs_put,
    .get = gfs_get,
    .stat = gfs_stat,
    .remove = gfs_remove,
};

const struct mtr_ops mtr__gfs_ops = {
    .size = sizeof(struct mtr_ops),
    .version = MTR_OPS_VERSION,
    .caps = MTR_CAP_STORE,
    .name = "GFS",
    .description = "files in a shared directory (MSTRO_GFS_DIR)",
    .probe = gfs_probe,
    .store = &gfs_store_ops,
};
