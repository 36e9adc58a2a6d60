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

#define MTR__NEED(handle, what)                                                                    \
  do {                                                                                             \
    if ((handle) == NULL) {                                                                        \
      MTR_LOG_ERR(GENERAL, "NULL " #handle);                                                       \
      return MTR_INVALID_ARG;                                                                      \
    }                                                                                              \
    if ((handle)->ops->size <= offsetof(struct mtr_ops, what) || (handle)->ops->what == NULL) {    \
      MTR_LOG_ERR(GENERAL, "transport %s does not implement " #what, (handle)->ops->name);         \
      return MTR_UNIMPLEMENTED;                                                                    \
    }                                                                                              \
  } while (0)

mtr_status mtr_ep_open(const struct mtr_ops *ops, const struct mtr_ep_config *cfg, mtr_ep **ep)
{
  if (ops == NULL || ep == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL ops or result pointer");
    return MTR_INVALID_ARG;
  }
  *ep = NULL;
  if (ops->ep_open == NULL) {
    MTR_LOG_ERR(GENERAL, "transport %s has no endpoints (it is a store)", ops->name);
    return MTR_UNIMPLEMENTED;
  }
  if (cfg != NULL && cfg->size != 0 && cfg->size < sizeof(struct mtr_ep_config)) {
    MTR_LOG_ERR(GENERAL, "mtr_ep_config.size %zu is too small", cfg->size);
    return MTR_INVALID_ARG;
  }
  return ops->ep_open(cfg, ep);
}

mtr_status mtr_ep_close(mtr_ep *ep)
{
  if (ep == NULL)
    return MTR_OK;
  return ep->ops->ep_close(ep);
}

mtr_status mtr_ep_addr(mtr_ep *ep, char *buf, size_t buflen)
{
  MTR__NEED(ep, ep_addr);
  return ep->ops->ep_addr(ep, buf, buflen);
}

mtr_status mtr_ep_info(mtr_ep *ep, char *buf, size_t buflen)
{
  MTR__NEED(ep, ep_info);
  return ep->ops->ep_info(ep, buf, buflen);
}

mtr_status mtr_ep_peer_insert(mtr_ep *ep, const char *addr, mtr_peer *peer)
{
  MTR__NEED(ep, peer_insert);
  return ep->ops->peer_insert(ep, addr, peer);
}

mtr_status mtr_ep_peer_remove(mtr_ep *ep, mtr_peer peer)
{
  MTR__NEED(ep, peer_remove);
  return ep->ops->peer_remove(ep, peer);
}

mtr_status mtr_ep_send(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len,
                       int timeout_ms)
{
  MTR__NEED(ep, send);
  return ep->ops->send(ep, peer, tag, buf, len, timeout_ms);
}

mtr_status mtr_ep_recv(mtr_ep *ep, mtr_peer *from, uint64_t *tag, void *buf, size_t cap,
                       size_t *len, int timeout_ms)
{
  MTR__NEED(ep, recv);
  return ep->ops->recv(ep, from, tag, buf, cap, len, timeout_ms);
}

mtr_status mtr_ep_progress(mtr_ep *ep)
{
  MTR__NEED(ep, progress);
  return ep->ops->progress(ep);
}

mtr_status mtr_region_expose(mtr_ep *ep, const void *buf, size_t len, mtr_region **region)
{
  MTR__NEED(ep, expose);
  return ep->ops->expose(ep, buf, len, region);
}

mtr_status mtr_region_desc(mtr_region *region, void *desc, size_t desclen)
{
  MTR__NEED(region, region_desc);
  return region->ops->region_desc(region, desc, desclen);
}

mtr_status mtr_region_release(mtr_region *region)
{
  if (region == NULL)
    return MTR_OK;
  return region->ops->unexpose(region);
}

mtr_status mtr_ep_invalidate(mtr_ep *ep, const void *addr, size_t len)
{
  MTR__NEED(ep, invalidate);
  if (addr == NULL || len == 0) {
    MTR_LOG_ERR(GENERAL, "NULL address or zero length");
    return MTR_INVALID_ARG;
  }
  return ep->ops->invalidate(ep, addr, len);
}

mtr_status mtr_ep_read(mtr_ep *ep, mtr_peer peer, const void *desc, size_t desclen, uint64_t offset,
                       void *dst, size_t len, int timeout_ms)
{
  MTR__NEED(ep, read);
  return ep->ops->read(ep, peer, desc, desclen, offset, dst, len, timeout_ms);
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
  if (ops == NULL || store == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL ops or result pointer");
    return MTR_INVALID_ARG;
  }
  *store = NULL;
  if (ops->store_open == NULL) {
    MTR_LOG_ERR(GENERAL, "transport %s is not a store", ops->name);
    return MTR_UNIMPLEMENTED;
  }
  if (cfg != NULL && cfg->size != 0 && cfg->size < sizeof(struct mtr_store_config)) {
    MTR_LOG_ERR(GENERAL, "mtr_store_config.size %zu is too small", cfg->size);
    return MTR_INVALID_ARG;
  }
  return ops->store_open(cfg, store);
}

mtr_status mtr_store_close(mtr_store *store)
{
  if (store == NULL)
    return MTR_OK;
  return store->ops->store_close(store);
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
  MTR__NEED(store, put);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  if (buf == NULL && len > 0) {
    MTR_LOG_ERR(GENERAL, "NULL buffer with length %zu", len);
    return MTR_INVALID_ARG;
  }
  return store->ops->put(store, key, buf, len);
}

mtr_status mtr_store_get(mtr_store *store, const char *key, void *buf, size_t cap, size_t *len)
{
  MTR__NEED(store, get);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  if ((buf == NULL && cap > 0) || len == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL buffer or length pointer");
    return MTR_INVALID_ARG;
  }
  return store->ops->get(store, key, buf, cap, len);
}

mtr_status mtr_store_stat(mtr_store *store, const char *key, size_t *len)
{
  MTR__NEED(store, stat);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  if (len == NULL) {
    MTR_LOG_ERR(GENERAL, "NULL length pointer");
    return MTR_INVALID_ARG;
  }
  return store->ops->stat(store, key, len);
}

mtr_status mtr_store_remove(mtr_store *store, const char *key)
{
  MTR__NEED(store, remove);
  mtr_status st = mtr__key_ok(key);
  if (st != MTR_OK)
    return st;
  return store->ops->remove(store, key);
}
