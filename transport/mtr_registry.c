/* SPDX-License-Identifier: BSD-3-Clause */
/* The registry of transports and the generic calls that dispatch through
 * their ops tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtr_internal.h"

static const struct mtr_ops *const mtr_builtin[] = {
    &mtr__ofi_ops,
    &mtr__gfs_ops,
#ifdef MSTRO_HAVE_RADOS
    &mtr__mio_ops,
#endif
};
#define MTR_NBUILTIN (sizeof mtr_builtin / sizeof mtr_builtin[0])

void mtr__why(char *why, size_t whylen, const char *fmt, ...)
{
  if (why == NULL || whylen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, whylen, fmt, ap);
  va_end(ap);
}

size_t mtr_transport_count(void)
{
  return MTR_NBUILTIN;
}

const struct mtr_ops *mtr_transport_get(size_t i)
{
  return i < MTR_NBUILTIN ? mtr_builtin[i] : NULL;
}

mtr_status mtr_transport_find(const char *name, const struct mtr_ops **ops)
{
  mtr_status st = MTR_OK;
  MTR_CHECK(GENERAL, name != NULL && ops != NULL, st, MTR_INVALID_ARG,
            "NULL name or result pointer");
  *ops = NULL;
  if (strcasecmp(name, "RDMA") == 0)
    name = "OFI";
  for (size_t i = 0; i < MTR_NBUILTIN; i++)
    if (strcasecmp(name, mtr_builtin[i]->name) == 0) {
      *ops = mtr_builtin[i];
      return MTR_OK;
    }
#ifndef MSTRO_HAVE_RADOS
  MTR_CHECK(GENERAL, strcasecmp(name, "MIO") != 0, st, MTR_UNAVAILABLE,
            "transport MIO is not built in (librados was not found at build time)");
#endif
  MTR_CHECK(GENERAL, 0, st, MTR_NOT_FOUND, "no transport named '%s' (known: OFI/RDMA, GFS, MIO)",
            name);
cleanup:
  return st;
}

/* A table of a version this layer reads: at least the version that has
 * the fields used here (fields are only appended, so a newer one is read as
 * far as this layer knows it), and as long as that version's fields. */
static bool table_ok(const char *what, const char *name, size_t size, uint32_t version,
                     uint32_t min_version, size_t min_size)
{
  if (version >= min_version && size >= min_size)
    return true;
  MTR_LOG_ERR(GENERAL,
              "transport %s: %s of version %u and size %zu; this layer reads version %u and "
              "later, of at least %zu bytes",
              name ? name : "(unnamed)", what, version, size, min_version, min_size);
  return false;
}

#define MTR__TABLE_END(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

/* The common table and its family table are of versions this layer reads
 * (the header fields of version 1 sit where they always did, so a version-1
 * table is named in the log). */
static mtr_status ops_check(const struct mtr_ops *ops)
{
  if (!table_ok("struct mtr_ops", ops->name, ops->size, ops->version, 2,
                MTR__TABLE_END(struct mtr_ops, store)))
    return MTR_INVALID_ARG;
  if (ops->ep != NULL && !table_ok("struct mtr_ep_ops", ops->name, ops->ep->size, ops->ep->version,
                                   1, MTR__TABLE_END(struct mtr_ep_ops, close)))
    return MTR_INVALID_ARG;
  if (ops->store != NULL &&
      !table_ok("struct mtr_store_ops", ops->name, ops->store->size, ops->store->version, 1,
                MTR__TABLE_END(struct mtr_store_ops, close)))
    return MTR_INVALID_ARG;
  return MTR_OK;
}

mtr_status mtr_transport_probe(const struct mtr_ops *ops, char *why, size_t whylen)
{
  char dummy[8];
  if (why == NULL) {
    why = dummy;
    whylen = sizeof dummy;
  }
  if (whylen > 0)
    why[0] = '\0';
  if (ops == NULL) {
    mtr__why(why, whylen, "no transport given");
    return MTR_INVALID_ARG;
  }
  mtr_status st = ops_check(ops);
  if (st != MTR_OK) {
    mtr__why(why, whylen, "an ops table this transport layer cannot read");
    return st;
  }
  if (ops->probe == NULL)
    return MTR_OK;
  return ops->probe(why, whylen);
}

mtr_status mtr_transport_list(char *buf, size_t buflen)
{
  if (buf == NULL || buflen == 0)
    return MTR_INVALID_ARG;
  size_t used = 0;
  bool cut = false;
  buf[0] = '\0';
  for (size_t i = 0; i <= MTR_NBUILTIN && !cut; i++) {
    char why[256] = "";
    const char *name;
    mtr_status st;
    if (i < MTR_NBUILTIN) {
      name = mtr_builtin[i]->name;
      st = mtr_transport_probe(mtr_builtin[i], why, sizeof why);
    } else {
#ifdef MSTRO_HAVE_RADOS
      break;
#else
      name = "MIO";
      st = MTR_UNAVAILABLE;
      snprintf(why, sizeof why, "not built in: librados was not found at build time");
#endif
    }
    int n = st == MTR_OK ? snprintf(buf + used, buflen - used, "%s: available\n", name)
                         : snprintf(buf + used, buflen - used, "%s: unavailable (%s)\n", name, why);
    if (n < 0 || (size_t)n >= buflen - used)
      cut = true;
    else
      used += (size_t)n;
  }
  return cut ? MTR_TRUNCATED : MTR_OK;
}

mtr_status mtr_transport_requested(const char **name)
{
  mtr_status st = MTR_OK;
  MTR_CHECK(GENERAL, name != NULL, st, MTR_INVALID_ARG, "NULL result pointer");
  *name = NULL;
  char bad[256];
  MTR_CHECK(GENERAL, mtr_env_check(bad, sizeof bad) == MTR_OK, st, MTR_INVALID_ARG,
            "bad transport environment: %s", bad);
  struct mtr__env env;
  mtr__env_load(&env);
  static const char *const names[] = {"OFI", "OFI" /* RDMA */, "GFS", "MIO", NULL /* AUTO */};
  *name = names[env.transport_default];
cleanup:
  return st;
}

mtr_status mtr_transport_default(const struct mtr_ops **ops)
{
  mtr_status st = MTR_OK;
  MTR_CHECK(GENERAL, ops != NULL, st, MTR_INVALID_ARG, "NULL result pointer");
  *ops = NULL;
  char bad[256];
  MTR_CHECK(GENERAL, mtr_env_check(bad, sizeof bad) == MTR_OK, st, MTR_INVALID_ARG,
            "bad transport environment: %s", bad);
  struct mtr__env env;
  mtr__env_load(&env);
  static const char *const names[] = {"OFI", "RDMA", "GFS", "MIO", "OFI" /* AUTO */};
  const char *want = names[env.transport_default];
  const struct mtr_ops *first = NULL;
  st = mtr_transport_find(want, &first);
  MTR_CHECK(GENERAL, st == MTR_OK || st == MTR_UNAVAILABLE, st, MTR_INVALID_ARG,
            "transport %s unknown", want);
  char why[256] = "not built in";
  if (first != NULL && mtr_transport_probe(first, why, sizeof why) == MTR_OK) {
    *ops = first;
    return MTR_OK;
  }
  for (size_t i = 0; i < MTR_NBUILTIN; i++) {
    char why2[256];
    if (mtr_builtin[i] == first)
      continue;
    if (mtr_transport_probe(mtr_builtin[i], why2, sizeof why2) == MTR_OK) {
      MTR_LOG_WARN(GENERAL, "transport %s is unavailable (%s); falling back to %s", want, why,
                   mtr_builtin[i]->name);
      *ops = mtr_builtin[i];
      return MTR_OK;
    }
  }
  MTR_CHECK(GENERAL, 0, st, MTR_UNAVAILABLE,
            "transport %s is unavailable (%s) and no other transport is usable", want, why);
cleanup:
  return st;
}

/* ---- generic dispatch -------------------------------------------------- */

/* `handle`'s family table `fam` (ep, store) has operation `what`: the table
 * is long enough to hold it (an older table is shorter) and it is set. */
#define MTR__NEED(handle, fam, what)                                                               \
  do {                                                                                             \
    if ((handle) == NULL) {                                                                        \
      MTR_LOG_ERR(GENERAL, "NULL " #handle);                                                       \
      return MTR_INVALID_ARG;                                                                      \
    }                                                                                              \
    const struct mtr_##fam##_ops *t_ = (handle)->ops->fam;                                         \
    if (t_ == NULL || t_->size < offsetof(struct mtr_##fam##_ops, what) + sizeof t_->what ||       \
        t_->what == NULL) {                                                                        \
      MTR_LOG_ERR(GENERAL, "transport %s does not implement " #what, (handle)->ops->name);         \
      return MTR_UNIMPLEMENTED;                                                                    \
    }                                                                                              \
  } while (0)

/* A caller's configuration of `given` bytes (0: the current size) as one of
 * the current size `cur` in `full`: an older caller's smaller struct is
 * copied and the fields it lacks stay zero, which every transport reads as
 * its default (libfabric does the same). Only `given` bytes of `cfg` are
 * read. */
static mtr_status config_widen(const void *cfg, size_t given, void *full, size_t cur,
                               const char *what)
{
  if (given == 0)
    given = cur;
  if (given < sizeof(size_t)) {
    MTR_LOG_ERR(GENERAL, "%s.size %zu cannot even hold the size", what, given);
    return MTR_INVALID_ARG;
  }
  if (given < cur)
    MTR_LOG_DEBUG(GENERAL, "%s of %zu bytes (an older caller): the rest of %zu defaults", what,
                  given, cur);
  memset(full, 0, cur);
  memcpy(full, cfg, given < cur ? given : cur);
  *(size_t *)full = cur;
  return MTR_OK;
}

mtr_status mtr_ep_open(const struct mtr_ops *ops, const struct mtr_ep_config *cfg, mtr_ep **ep)
{
  struct mtr_ep_config full;
  mtr_status st;
  if (ops == NULL || ep == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL ops or result pointer");
    return MTR_INVALID_ARG;
  }
  *ep = NULL;
  if ((st = ops_check(ops)) != MTR_OK)
    return st;
  if (ops->ep == NULL || ops->ep->open == NULL) {
    MTR_LOG_ERR(GENERAL, "transport %s has no endpoints (it is a store)", ops->name);
    return MTR_UNIMPLEMENTED;
  }
  if (cfg != NULL &&
      (st = config_widen(cfg, cfg->size, &full, sizeof full, "mtr_ep_config")) != MTR_OK)
    return st;
  return ops->ep->open(cfg != NULL ? &full : NULL, ep);
}

mtr_status mtr_ep_close(mtr_ep *ep)
{
  if (ep == NULL)
    return MTR_OK;
  return ep->ops->ep->close(ep);
}

mtr_status mtr_ep_addr(mtr_ep *ep, char *buf, size_t buflen)
{
  MTR__NEED(ep, ep, addr);
  return ep->ops->ep->addr(ep, buf, buflen);
}

mtr_status mtr_ep_info(mtr_ep *ep, char *buf, size_t buflen)
{
  MTR__NEED(ep, ep, info);
  return ep->ops->ep->info(ep, buf, buflen);
}

mtr_status mtr_ep_peer_insert(mtr_ep *ep, const char *addr, mtr_peer *peer)
{
  MTR__NEED(ep, ep, peer_insert);
  return ep->ops->ep->peer_insert(ep, addr, peer);
}

mtr_status mtr_ep_peer_remove(mtr_ep *ep, mtr_peer peer)
{
  MTR__NEED(ep, ep, peer_remove);
  return ep->ops->ep->peer_remove(ep, peer);
}

mtr_status mtr_ep_send(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len,
                       int timeout_ms)
{
  MTR__NEED(ep, ep, send);
  return ep->ops->ep->send(ep, peer, tag, buf, len, timeout_ms);
}

mtr_status mtr_ep_try_send(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len)
{
  MTR__NEED(ep, ep, try_send);
  return ep->ops->ep->try_send(ep, peer, tag, buf, len);
}

mtr_status mtr_ep_recv(mtr_ep *ep, mtr_peer *from, uint64_t *tag, void *buf, size_t cap,
                       size_t *len, int timeout_ms)
{
  MTR__NEED(ep, ep, recv);
  return ep->ops->ep->recv(ep, from, tag, buf, cap, len, timeout_ms);
}

mtr_status mtr_ep_progress(mtr_ep *ep)
{
  MTR__NEED(ep, ep, progress);
  return ep->ops->ep->progress(ep);
}

mtr_status mtr_region_expose(mtr_ep *ep, const void *buf, size_t len, mtr_region **region)
{
  MTR__NEED(ep, ep, expose);
  return ep->ops->ep->expose(ep, buf, len, region);
}

mtr_status mtr_region_desc(mtr_region *region, void *desc, size_t desclen)
{
  MTR__NEED(region, ep, region_desc);
  return region->ops->ep->region_desc(region, desc, desclen);
}

mtr_status mtr_region_release(mtr_region *region)
{
  if (region == NULL)
    return MTR_OK;
  return region->ops->ep->unexpose(region);
}

mtr_status mtr_ep_invalidate(mtr_ep *ep, const void *addr, size_t len)
{
  MTR__NEED(ep, ep, invalidate);
  if (addr == NULL || len == 0) {
    MTR_LOG_ERR(GENERAL, "NULL address or zero length");
    return MTR_INVALID_ARG;
  }
  return ep->ops->ep->invalidate(ep, addr, len);
}

mtr_status mtr_ep_read(mtr_ep *ep, mtr_peer peer, const void *desc, size_t desclen, uint64_t offset,
                       void *dst, size_t len, int timeout_ms)
{
  MTR__NEED(ep, ep, read);
  return ep->ops->ep->read(ep, peer, desc, desclen, offset, dst, len, timeout_ms);
}

const struct mtr_ops *mtr_ep_ops(const mtr_ep *ep)
{
  return ep != NULL ? ep->ops : NULL;
}

const struct mtr_ops *mtr_store_ops(const mtr_store *store)
{
  return store != NULL ? store->ops : NULL;
}

mtr_status mtr_store_open(const struct mtr_ops *ops, const struct mtr_store_config *cfg,
                          mtr_store **store)
{
  struct mtr_store_config full;
  mtr_status st;
  if (ops == NULL || store == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL ops or result pointer");
    return MTR_INVALID_ARG;
  }
  *store = NULL;
  if ((st = ops_check(ops)) != MTR_OK)
    return st;
  if (ops->store == NULL || ops->store->open == NULL) {
    MTR_LOG_ERR(GENERAL, "transport %s is not a store", ops->name);
    return MTR_UNIMPLEMENTED;
  }
  if (cfg != NULL &&
      (st = config_widen(cfg, cfg->size, &full, sizeof full, "mtr_store_config")) != MTR_OK)
    return st;
  return ops->store->open(cfg != NULL ? &full : NULL, store);
}

mtr_status mtr_store_close(mtr_store *store)
{
  if (store == NULL)
    return MTR_OK;
  return store->ops->store->close(store);
}

/* Keys: non-empty, at most MTR_KEY_MAX bytes. */
static mtr_status mtr__key_ok(const char *key)
{
  if (key == NULL || key[0] == '\0') {
    MTR_LOG_ERR(GENERAL, "NULL or empty key");
    return MTR_INVALID_ARG;
  }
  if (strnlen(key, MTR_KEY_MAX + 1) > MTR_KEY_MAX) {
    MTR_LOG_ERR(GENERAL, "key longer than %d bytes", MTR_KEY_MAX);
    return MTR_INVALID_ARG;
  }
  return MTR_OK;
}

mtr_status mtr_store_put(mtr_store *store, const char *key, const void *buf, size_t len)
{
  MTR__NEED(store, store, put);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  if (buf == NULL && len > 0) {
    MTR_LOG_ERR(GENERAL, "NULL buffer with length %zu", len);
    return MTR_INVALID_ARG;
  }
  return store->ops->store->put(store, key, buf, len);
}

mtr_status mtr_store_get(mtr_store *store, const char *key, void *buf, size_t cap, size_t *len)
{
  MTR__NEED(store, store, get);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  if ((buf == NULL && cap > 0) || len == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL buffer or length pointer");
    return MTR_INVALID_ARG;
  }
  return store->ops->store->get(store, key, buf, cap, len);
}

mtr_status mtr_store_stat(mtr_store *store, const char *key, size_t *len)
{
  MTR__NEED(store, store, stat);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  if (len == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL length pointer");
    return MTR_INVALID_ARG;
  }
  return store->ops->store->stat(store, key, len);
}

mtr_status mtr_store_remove(mtr_store *store, const char *key)
{
  MTR__NEED(store, store, remove);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  return store->ops->store->remove(store, key);
}
