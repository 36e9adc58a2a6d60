/* SPDX-License-Identifier: BSD-3-Clause */
/* MIO: values as objects of a Ceph RADOS pool, through librados.
 *
 * Configuration: MSTRO_MIO_CONF (a ceph.conf; required), MSTRO_MIO_POOL (the
 * pool, default "maestro"; it must exist), MSTRO_MIO_TIMEOUT (seconds bounding
 * connect and every operation, default 30).
 *
 * A value lives in a head object "mtr.h.<key>" that starts with a 32-byte
 * header (magic, version, flags, total length, chunk size, generation).
 * A value that fits in one chunk follows the header in the same object and is
 * written with one atomic compound operation. A larger one is split into chunk
 * objects "mtr.c.<generation>.<i>.<key>" of at most `chunk` bytes, where chunk =
 * min(osd_max_object_size, osd_max_write_size) of the cluster configuration
 * (or the store configuration's chunk_size); the chunks are written first and
 * the head last, so a reader sees the old or the new value, and the previous
 * generation's chunks are removed afterwards (one writer per key at a time).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rados/librados.h>

#include "mtr_internal.h"

#define MIO_MAGIC   0x4f52544du /* "MTRO" */
#define MIO_VERSION 1u
#define MIO_INLINE  1u
#define MIO_HDR     32u
#define MIO_OID_MAX (MTR_KEY_MAX + 64)

struct mio_store {
  struct mtr_store_ base;
  rados_t cluster;
  rados_ioctx_t io;
  size_t chunk;
  char pool[128];
};

struct mio_hdr {
  uint32_t flags;
  uint64_t total, chunk, gen;
};

static mtr_status mio_err(int rc)
{
  switch (-rc) {
  case 0:
    return MTR_OK;
  case ENOENT:
    return MTR_NOT_FOUND;
  case ETIMEDOUT:
    return MTR_TIMEOUT;
  case ENOMEM:
    return MTR_NOMEM;
  case EINVAL:
  case ENAMETOOLONG:
    return MTR_INVALID_ARG;
  default:
    return MTR_IO;
  }
}

static void mio_head_oid(const char *key, char *oid)
{
  snprintf(oid, MIO_OID_MAX, "mtr.h.%s", key);
}

static void mio_chunk_oid(const char *key, uint64_t gen, uint64_t i, char *oid)
{
  snprintf(oid, MIO_OID_MAX, "mtr.c.%016llx.%llu.%s", (unsigned long long)gen,
           (unsigned long long)i, key);
}

static void mio_hdr_pack(const struct mio_hdr *h, unsigned char *b)
{
  uint32_t magic = htole32(MIO_MAGIC);
  uint16_t ver = htole16(MIO_VERSION), flags = htole16((uint16_t)h->flags);
  uint64_t total = htole64(h->total), chunk = htole64(h->chunk), gen = htole64(h->gen);
  memcpy(b, &magic, 4);
  memcpy(b + 4, &ver, 2);
  memcpy(b + 6, &flags, 2);
  memcpy(b + 8, &total, 8);
  memcpy(b + 16, &chunk, 8);
  memcpy(b + 24, &gen, 8);
}

static bool mio_hdr_unpack(const unsigned char *b, struct mio_hdr *h)
{
  uint32_t magic;
  uint16_t ver, flags;
  memcpy(&magic, b, 4);
  memcpy(&ver, b + 4, 2);
  memcpy(&flags, b + 6, 2);
  memcpy(&h->total, b + 8, 8);
  memcpy(&h->chunk, b + 16, 8);
  memcpy(&h->gen, b + 24, 8);
  h->flags = le16toh(flags);
  h->total = le64toh(h->total);
  h->chunk = le64toh(h->chunk);
  h->gen = le64toh(h->gen);
  return le32toh(magic) == MIO_MAGIC && le16toh(ver) == MIO_VERSION && h->chunk >= 4096 &&
         (h->flags & ~MIO_INLINE) == 0 && (!(h->flags & MIO_INLINE) || h->total <= h->chunk);
}

static int mio_timeout_s(const struct mtr_store_config *cfg)
{
  if (cfg != NULL && cfg->timeout_ms > 0)
    return cfg->timeout_ms < 1000 ? 1 : cfg->timeout_ms / 1000;
  struct mtr__env env;
  mtr__env_load(&env);
  return (int)env.mio_timeout_s;
}

/* Connects; on failure writes why and returns a status. */
static mtr_status mio_connect(const char *conf, const char *pool, int timeout_s, rados_t *cl,
                              rados_ioctx_t *io, char *why, size_t whylen)
{
  int rc;
  char t[16];
  *cl = NULL;
  *io = NULL;
  if (conf == NULL || *conf == '\0') {
    mtr__why(why, whylen, "MSTRO_MIO_CONF is not set");
    return MTR_UNAVAILABLE;
  }
  if (access(conf, R_OK) != 0) {
    mtr__why(why, whylen, "Ceph configuration '%s': %s", conf, strerror(errno));
    return MTR_UNAVAILABLE;
  }
  rc = rados_create(cl, NULL);
  if (rc < 0) {
    mtr__why(why, whylen, "rados_create: %s", strerror(-rc));
    *cl = NULL;
    return MTR_UNAVAILABLE;
  }
  rc = rados_conf_read_file(*cl, conf);
  if (rc < 0) {
    mtr__why(why, whylen, "reading Ceph configuration '%s': %s", conf, strerror(-rc));
    goto fail;
  }
  snprintf(t, sizeof t, "%d", timeout_s);
  rados_conf_set(*cl, "client_mount_timeout", t);
  rados_conf_set(*cl, "rados_mon_op_timeout", t);
  rados_conf_set(*cl, "rados_osd_op_timeout", t);
  rados_conf_set(*cl, "log_to_stderr", "false");
  rados_conf_set(*cl, "err_to_stderr", "false");
  rc = rados_connect(*cl);
  if (rc < 0) {
    mtr__why(why, whylen, "connecting to the Ceph cluster of '%s': %s", conf, strerror(-rc));
    goto fail;
  }
  rc = rados_ioctx_create(*cl, pool, io);
  if (rc < 0) {
    mtr__why(why, whylen, "Ceph pool '%s' (MSTRO_MIO_POOL): %s", pool, strerror(-rc));
    *io = NULL;
    goto fail;
  }
  return MTR_OK;
fail:
  rados_shutdown(*cl);
  *cl = NULL;
  return rc == -ETIMEDOUT ? MTR_TIMEOUT : MTR_UNAVAILABLE;
}

static const char *mio_pool_name(const struct mtr_store_config *cfg)
{
  if (cfg != NULL && cfg->pool != NULL && *cfg->pool != '\0')
    return cfg->pool;
  struct mtr__env env;
  mtr__env_load(&env);
  return env.mio_pool;
}

/* MSTRO_MIO_CONF, through the transport layer's one table (mtr_env.c). */
static const char *mio_env_conf(void)
{
  struct mtr__env env;
  mtr__env_load(&env);
  return env.mio_conf;
}

static mtr_status mio_probe(char *why, size_t whylen)
{
  rados_t cl;
  rados_ioctx_t io;
  const char *conf = mio_env_conf();
  int t = mio_timeout_s(NULL);
  mtr_status st = mio_connect(conf, mio_pool_name(NULL), t < 5 ? t : 5, &cl, &io, why, whylen);
  if (st != MTR_OK)
    return MTR_UNAVAILABLE;
  rados_ioctx_destroy(io);
  rados_shutdown(cl);
  return MTR_OK;
}

static size_t mio_conf_size(rados_t cl, const char *name, size_t unit, size_t dflt)
{
  char buf[64];
  if (rados_conf_get(cl, name, buf, sizeof buf) != 0)
    return dflt;
  char *end = NULL;
  unsigned long long v = strtoull(buf, &end, 10);
  return end != buf && v > 0 ? (size_t)v * unit : dflt;
}

static mtr_status mio_open(const struct mtr_store_config *cfg, mtr_store **store)
{
  mtr_status st = MTR_OK;
  struct mio_store *m = calloc(1, sizeof *m);
  char why[512];
  const char *conf = cfg != NULL && cfg->location != NULL ? cfg->location : mio_env_conf();
  const char *pool = mio_pool_name(cfg);
  MTR_CHECK(MIO, m != NULL, st, MTR_NOMEM, "out of memory");
  m->base.ops = &mtr__mio_ops;
  snprintf(m->pool, sizeof m->pool, "%s", pool);
  st = mio_connect(conf, pool, mio_timeout_s(cfg), &m->cluster, &m->io, why, sizeof why);
  MTR_CHECK(MIO, st == MTR_OK, st, st, "cannot open the MIO store: %s", why);
  size_t max_obj = mio_conf_size(m->cluster, "osd_max_object_size", 1, 128u << 20);
  size_t max_write = mio_conf_size(m->cluster, "osd_max_write_size", 1u << 20, 90u << 20);
  m->chunk = max_obj < max_write ? max_obj : max_write;
  if (cfg != NULL && cfg->chunk_size != 0) {
    MTR_CHECK(MIO, cfg->chunk_size >= 4096 && cfg->chunk_size <= m->chunk, st, MTR_INVALID_ARG,
              "chunk_size %zu is not in [4096, %zu] (osd_max_object_size, osd_max_write_size)",
              cfg->chunk_size, m->chunk);
    m->chunk = cfg->chunk_size;
  }
  MTR_LOG_INFO(MIO, "MIO store: pool '%s' of '%s', chunk %zu bytes", pool, conf, m->chunk);
  *store = &m->base;
  m = NULL;
cleanup:
  if (m != NULL) {
    if (m->io != NULL)
      rados_ioctx_destroy(m->io);
    if (m->cluster != NULL)
      rados_shutdown(m->cluster);
    free(m);
  }
  return st;
}

static mtr_status mio_close(mtr_store *store)
{
  struct mio_store *m = (struct mio_store *)store;
  rados_ioctx_destroy(m->io);
  rados_shutdown(m->cluster);
  free(m);
  return MTR_OK;
}

/* Reads the head's header and up to cap bytes after it into buf. */
static mtr_status mio_read_head(struct mio_store *m, const char *key, struct mio_hdr *h, void *buf,
                                size_t cap, size_t *got)
{
  char oid[MIO_OID_MAX];
  unsigned char hb[MIO_HDR];
  size_t n0 = 0, n1 = 0;
  int rv0 = 0, rv1 = 0;
  mio_head_oid(key, oid);
  rados_read_op_t op = rados_create_read_op();
  if (op == NULL)
    return MTR_NOMEM;
  rados_read_op_read(op, 0, MIO_HDR, (char *)hb, &n0, &rv0);
  if (cap > 0)
    rados_read_op_read(op, MIO_HDR, cap < m->chunk ? cap : m->chunk, buf, &n1, &rv1);
  int rc = rados_read_op_operate(op, m->io, oid, 0);
  rados_release_read_op(op);
  if (rc == 0)
    rc = rv0 < 0 ? rv0 : rv1;
  if (rc < 0) {
    if (rc != -ENOENT)
      MTR_LOG_ERR(MIO, "reading '%s' from pool '%s': %s", oid, m->pool, strerror(-rc));
    return mio_err(rc);
  }
  if (n0 != MIO_HDR || !mio_hdr_unpack(hb, h)) {
    MTR_LOG_ERR(MIO, "object '%s' of pool '%s' is not a maestro value", oid, m->pool);
    return MTR_IO;
  }
  if (got != NULL)
    *got = n1;
  return MTR_OK;
}

static uint64_t mio_nchunks(const struct mio_hdr *h)
{
  return (h->total + h->chunk - 1) / h->chunk;
}

static void mio_remove_chunks(struct mio_store *m, const char *key, const struct mio_hdr *h)
{
  char oid[MIO_OID_MAX];
  uint64_t n = mio_nchunks(h);
  for (uint64_t i = 0; i < n; i++) {
    mio_chunk_oid(key, h->gen, i, oid);
    int rc = rados_remove(m->io, oid);
    if (rc < 0 && rc != -ENOENT)
      MTR_LOG_WARN(MIO, "removing '%s': %s", oid, strerror(-rc));
  }
}

static uint64_t mio_random64(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16) ^
               (uint64_t)(uintptr_t)&ts;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x | 1u;
}

static mtr_status mio_put(mtr_store *store, const char *key, const void *buf, size_t len)
{
  struct mio_store *m = (struct mio_store *)store;
  mtr_status st = MTR_OK;
  char oid[MIO_OID_MAX];
  unsigned char hb[MIO_HDR];
  struct mio_hdr old, h = {.total = len, .chunk = m->chunk, .gen = 0};
  bool inline_value = len <= m->chunk - MIO_HDR, had_chunks = false;
  int rc;
  if (inline_value) {
    /* A new key (the usual case) takes one exclusive create; only a key that
     * exists needs its old head read, to remove old chunks afterwards. */
    h.flags = MIO_INLINE;
    mio_hdr_pack(&h, hb);
    mio_head_oid(key, oid);
    for (int exclusive = 1; exclusive >= 0; exclusive--) {
      if (!exclusive)
        had_chunks =
            mio_read_head(m, key, &old, NULL, 0, NULL) == MTR_OK && !(old.flags & MIO_INLINE);
      rados_write_op_t op = rados_create_write_op();
      MTR_CHECK(MIO, op != NULL, st, MTR_NOMEM, "out of memory");
      if (exclusive)
        rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
      rados_write_op_write_full(op, (const char *)hb, MIO_HDR);
      if (len > 0)
        rados_write_op_append(op, buf, len);
      rc = rados_write_op_operate(op, m->io, oid, NULL, 0);
      rados_release_write_op(op);
      if (!(exclusive && rc == -EEXIST))
        break;
    }
    MTR_CHECK(MIO, rc == 0, st, mio_err(rc), "writing '%s' (%zu bytes) to pool '%s': %s", oid, len,
              m->pool, strerror(-rc));
  } else {
    had_chunks = mio_read_head(m, key, &old, NULL, 0, NULL) == MTR_OK && !(old.flags & MIO_INLINE);
    h.gen = mio_random64();
    uint64_t n = mio_nchunks(&h);
    for (uint64_t i = 0; i < n; i++) {
      size_t off = (size_t)(i * h.chunk), cn = len - off < h.chunk ? len - off : h.chunk;
      mio_chunk_oid(key, h.gen, i, oid);
      rc = rados_write_full(m->io, oid, (const char *)buf + off, cn);
      if (rc < 0) {
        MTR_LOG_ERR(MIO, "writing chunk '%s' (%zu bytes) to pool '%s': %s", oid, cn, m->pool,
                    strerror(-rc));
        struct mio_hdr partial = h;
        partial.total = off + cn;
        mio_remove_chunks(m, key, &partial);
        st = mio_err(rc);
        goto cleanup;
      }
    }
    mio_hdr_pack(&h, hb);
    mio_head_oid(key, oid);
    rc = rados_write_full(m->io, oid, (const char *)hb, MIO_HDR);
    if (rc < 0) {
      MTR_LOG_ERR(MIO, "writing '%s' to pool '%s': %s", oid, m->pool, strerror(-rc));
      mio_remove_chunks(m, key, &h);
      st = mio_err(rc);
      goto cleanup;
    }
  }
  if (had_chunks && old.gen != h.gen)
    mio_remove_chunks(m, key, &old);
  MTR_LOG_DEBUG(MIO, "put '%s' (%zu bytes, %s)", key, len, h.flags ? "inline" : "chunked");
cleanup:
  return st;
}

static mtr_status mio_get(mtr_store *store, const char *key, void *buf, size_t cap, size_t *len)
{
  struct mio_store *m = (struct mio_store *)store;
  mtr_status st = MTR_OK;
  for (int attempt = 0; attempt < 3; attempt++) {
    struct mio_hdr h;
    size_t got = 0;
    st = mio_read_head(m, key, &h, buf, cap, &got);
    if (st != MTR_OK)
      return st;
    *len = (size_t)h.total;
    if (h.total > cap) {
      MTR_LOG_ERR(MIO, "value of '%s' has %llu bytes, more than the %zu given", key,
                  (unsigned long long)h.total, cap);
      return MTR_TRUNCATED;
    }
    if (h.flags & MIO_INLINE) {
      if (got != h.total) {
        MTR_LOG_ERR(MIO, "value of '%s' is short: %zu of %llu bytes", key, got,
                    (unsigned long long)h.total);
        return MTR_IO;
      }
      return MTR_OK;
    }
    uint64_t n = mio_nchunks(&h);
    bool replaced = false;
    for (uint64_t i = 0; i < n && st == MTR_OK && !replaced; i++) {
      char oid[MIO_OID_MAX];
      size_t off = (size_t)(i * h.chunk), cn = h.total - off < h.chunk ? h.total - off : h.chunk;
      mio_chunk_oid(key, h.gen, i, oid);
      int rc = rados_read(m->io, oid, (char *)buf + off, cn, 0);
      if (rc == -ENOENT) {
        replaced = true; /* overwritten meanwhile: read the new head */
      } else if (rc < 0) {
        MTR_LOG_ERR(MIO, "reading chunk '%s': %s", oid, strerror(-rc));
        st = mio_err(rc);
      } else if ((size_t)rc != cn) {
        MTR_LOG_ERR(MIO, "chunk '%s' is short: %d of %zu bytes", oid, rc, cn);
        st = MTR_IO;
      }
    }
    if (!replaced)
      return st;
  }
  MTR_LOG_ERR(MIO, "value of '%s' kept changing while being read", key);
  return MTR_AGAIN;
}

static mtr_status mio_stat(mtr_store *store, const char *key, size_t *len)
{
  struct mio_hdr h;
  mtr_status st = mio_read_head((struct mio_store *)store, key, &h, NULL, 0, NULL);
  if (st == MTR_OK)
    *len = (size_t)h.total;
  return st;
}

static mtr_status mio_remove(mtr_store *store, const char *key)
{
  struct mio_store *m = (struct mio_store *)store;
  struct mio_hdr h;
  char oid[MIO_OID_MAX];
  mtr_status st = mio_read_head(m, key, &h, NULL, 0, NULL);
  if (st != MTR_OK)
    return st;
  mio_head_oid(key, oid);
  int rc = rados_remove(m->io, oid);
  if (rc < 0) {
    if (rc != -ENOENT)
      MTR_LOG_ERR(MIO, "removing '%s' from pool '%s': %s", oid, m->pool, strerror(-rc));
    return mio_err(rc);
  }
  if (!(h.flags & MIO_INLINE))
    mio_remove_chunks(m, key, &h);
  return MTR_OK;
}

static const struct mtr_store_ops mio_store_ops = {
    .size = sizeof(struct mtr_store_ops),
    .version = MTR_STORE_OPS_VERSION,
    .open = mio_open,
    .close = mio_close,
    .put = mio_put,
    .get = mio_get,
    .stat = mio_stat,
    .remove = mio_remove,
};

const struct mtr_ops mtr__mio_ops = {
    .size = sizeof(struct mtr_ops),
    .version = MTR_OPS_VERSION,
    .caps = MTR_CAP_STORE,
    .name = "MIO",
    .description = "objects in a Ceph RADOS pool (MSTRO_MIO_CONF, MSTRO_MIO_POOL)",
    .probe = mio_probe,
    .store = &mio_store_ops,
};
