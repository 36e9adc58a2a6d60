/* SPDX-License-Identifier: BSD-3-Clause */
/* The keep-alive proxy: keeps offered CDOs in the pool past their
 * producer's withdraw (include/maestro_components.h).
 *
 * Two subscriptions, both without this component's own events: OFFER events
 * matching the selector with _REQUIRE_ACK (the producer's offer returns only
 * once the copy is offered, so its withdraw can no longer take the data out
 * of the pool), and every DEMAND and OFFER without ack, which count uses and
 * carry the release CDO. The PM forwards events in the order it handled the
 * operations, so an OFFER precedes the DEMANDs it serves: a DEMAND of a name
 * not kept yet first drains the pending OFFERs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp_common.h"

struct kept {
  char *name;
  mstro_cdo src;  /* the demanded handle: owns the bytes */
  mstro_cdo copy; /* our offer, sharing src's bytes */
  uint64_t size;
  double kept_at;
  long uses;
  struct kept *next; /* oldest first */
};

struct keeper {
  const struct mstro_keepalive_opts *o;
  mstro_subscription offers, events;
  struct kept *head;
  uint64_t bytes;
  long released;
};

/* Layout keys a consumer of the copy needs as the producer gave them. */
static const char *const layout_keys[] = {
    MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS,
    MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE,    MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER,
    MSTRO_ATTR_CORE_CDO_LAYOUT_DISTRIBUTION, NULL};

void mstro_keepalive_opts_init(struct mstro_keepalive_opts *o)
{
  if (o != NULL)
    *o = (struct mstro_keepalive_opts){.uses = 1};
}

static struct kept *find(struct keeper *k, const char *name)
{
  for (struct kept *x = k->head; x != NULL; x = x->next)
    if (strcmp(x->name, name) == 0)
      return x;
  return NULL;
}

static mstro_status release(struct keeper *k, struct kept *x, const char *why)
{
  mstro_status st = MSTRO_OK;
  for (struct kept **pp = &k->head; *pp != NULL; pp = &(*pp)->next)
    if (*pp == x) {
      *pp = x->next;
      break;
    }
  if (x->copy != NULL && (st = mstro_cdo_withdraw(x->copy)) == MSTRO_OK)
    st = mstro_cdo_dispose(x->copy);
  mstro_status ds = x->src != NULL ? mstro_cdo_dispose(x->src) : MSTRO_OK;
  if (st == MSTRO_OK)
    st = ds;
  k->bytes -= x->size;
  k->released++;
  if (!k->o->quiet)
    printf("maestro-keepalive: released %s after %ld use(s) (%s)\n", x->name, x->uses, why);
  free(x->name);
  free(x);
  return st;
}

/* Demand an offered CDO and offer our own copy of it. */
static mstro_status keep(struct keeper *k, const char *name)
{
  mstro_status st = MSTRO_OK;
  struct kept *x = calloc(1, sizeof *x);
  void *data = NULL;
  int64_t len = 0;
  COMP_CHECK(KEEPALIVE, x != NULL && (x->name = strdup(name)) != NULL, st, MSTRO_NOMEM,
             "out of memory");
  COMP_CHECK_CALL(KEEPALIVE, st, mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &x->src),
                  "cannot declare '%.200s'", name);
  COMP_CHECK_CALL(KEEPALIVE, st, mstro_cdo_demand(x->src), "cannot demand '%.200s'", name);
  st = mstro_cdo_access_ptr(x->src, &data, &len);
  COMP_CHECK(KEEPALIVE, st == MSTRO_OK || st == MSTRO_NOENT, st, st,
             "'%.200s': no access to its data", name);
  st = MSTRO_OK;
  if (k->o->max_bytes > 0 && (uint64_t)len > k->o->max_bytes) {
    COMP_WARN(KEEPALIVE, "'%.200s' (%lld bytes) is larger than the bound of %llu bytes: not kept",
              name, (long long)len, (unsigned long long)k->o->max_bytes);
    if (!k->o->quiet)
      printf("maestro-keepalive: refused %s (%lld bytes > --max-bytes %llu)\n", name,
             (long long)len, (unsigned long long)k->o->max_bytes);
    goto cleanup;
  }
  while (k->o->max_bytes > 0 && k->head != NULL && k->bytes + (uint64_t)len > k->o->max_bytes) {
    COMP_WARN(KEEPALIVE, "the bound of %llu bytes is reached: '%.200s' released early for '%.200s'",
              (unsigned long long)k->o->max_bytes, k->head->name, name);
    COMP_CHECK_CALL(KEEPALIVE, st, release(k, k->head, "memory bound"), "cannot release");
  }
  COMP_CHECK_CALL(KEEPALIVE, st, mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &x->copy),
                  "cannot declare the copy of '%.200s'", name);
  for (const char *const *key = layout_keys; *key != NULL; key++)
    COMP_CHECK_CALL(KEEPALIVE, st, mstro__comp_copy_attr(x->src, x->copy, *key),
                    "'%.200s': cannot copy %s", name, *key);
  for (const char *const *key = k->o->attrs; key != NULL && *key != NULL; key++)
    COMP_CHECK_CALL(KEEPALIVE, st, mstro__comp_copy_attr(x->src, x->copy, *key),
                    "'%.200s': cannot copy %s", name, *key);
  COMP_CHECK_CALL(
      KEEPALIVE, st,
      mstro_cdo_attribute_set(x->copy, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false),
      "'%.200s': size refused", name);
  if (data != NULL)
    COMP_CHECK_CALL(
        KEEPALIVE, st,
        mstro_cdo_attribute_set(x->copy, MSTRO_ATTR_CORE_CDO_RAW_PTR, &data, true, false),
        "'%.200s': buffer refused", name);
  COMP_CHECK_CALL(KEEPALIVE, st, mstro_cdo_offer(x->copy), "cannot offer the copy of '%.200s'",
                  name);
  x->size = (uint64_t)len;
  x->kept_at = mstro__comp_now();
  struct kept **pp = &k->head;
  while (*pp != NULL)
    pp = &(*pp)->next;
  *pp = x;
  k->bytes += x->size;
  if (!k->o->quiet)
    printf("maestro-keepalive: keeping %s (%lld bytes)\n", name, (long long)len);
  x = NULL;
cleanup:
  if (x != NULL) {
    if (x->copy != NULL)
      mstro_cdo_dispose(x->copy);
    if (x->src != NULL)
      mstro_cdo_dispose(x->src);
    free(x->name);
    free(x);
  }
  return st;
}

/* Take the OFFER events waiting, keep what they offer, ack them. */
static mstro_status drain_offers(struct keeper *k, mstro_pool_event ev)
{
  mstro_status st = MSTRO_OK;
  if (ev == NULL && (st = mstro_subscription_poll(k->offers, &ev)) != MSTRO_OK)
    return st;
  for (mstro_pool_event x = ev; x != NULL && st == MSTRO_OK; x = x->next)
    if (x->kind == MSTRO_POOL_EVENT_OFFER && find(k, x->offer.cdo_name) == NULL)
      st = keep(k, x->offer.cdo_name);
  if (ev != NULL) {
    mstro_subscription_ack(k->offers, ev); /* the producers' offers return */
    mstro_pool_event_dispose(ev);
  }
  return st;
}

static mstro_status release_all(struct keeper *k, const char *why)
{
  mstro_status st = MSTRO_OK;
  while (k->head != NULL) {
    mstro_status rs = release(k, k->head, why);
    if (st == MSTRO_OK)
      st = rs;
  }
  return st;
}

static mstro_status count_uses(struct keeper *k)
{
  mstro_status st = MSTRO_OK;
  mstro_pool_event ev = NULL;
  if ((st = mstro_subscription_poll(k->events, &ev)) != MSTRO_OK)
    return st;
  for (mstro_pool_event x = ev; x != NULL && st == MSTRO_OK; x = x->next) {
    const char *name = x->demand.cdo_name;
    if (x->kind == MSTRO_POOL_EVENT_OFFER) {
      if (k->o->release_name != NULL && strcmp(name, k->o->release_name) == 0)
        st = release_all(k, "release CDO");
      continue;
    }
    struct kept *c = find(k, name);
    if (c == NULL && (st = drain_offers(k, NULL)) == MSTRO_OK)
      c = find(k, name);
    if (c != NULL && ++c->uses >= k->o->uses && k->o->uses > 0)
      st = release(k, c, "uses");
  }
  if (ev != NULL)
    mstro_pool_event_dispose(ev);
  return st;
}

mstro_status mstro_keepalive_run(const struct mstro_keepalive_opts *o)
{
  mstro_status st = MSTRO_OK;
  struct keeper k = {.o = o};
  mstro_cdo_selector all = NULL, sel = NULL;
  bool stopped = false;
  double t0 = mstro__comp_now();
  COMP_CHECK(KEEPALIVE, o != NULL, st, MSTRO_INVARG, "mstro_keepalive_run: NULL options");
  COMP_CHECK(KEEPALIVE, o->uses > 0 || o->for_s > 0 || o->release_name != NULL, st, MSTRO_INVARG,
             "mstro_keepalive_run: no release condition (uses, for_s, release_name)");
  COMP_CHECK(KEEPALIVE, getenv("MSTRO_POOL_MANAGER_INFO") != NULL, st, MSTRO_NO_PM,
             "mstro_keepalive_run: it keeps CDOs for other components of a workflow: no Pool "
             "Manager (MSTRO_POOL_MANAGER_INFO)");
  COMP_CHECK_CALL(KEEPALIVE, st, mstro_cdo_selector_create(NULL, NULL, NULL, &all),
                  "mstro_keepalive_run: no selector (mstro_init called?)");
  COMP_CHECK_CALL(KEEPALIVE, st, mstro_cdo_selector_create(NULL, NULL, o->selector, &sel),
                  "mstro_keepalive_run: the selector '%.200s' does not compile",
                  o->selector ? o->selector : "");
  COMP_CHECK_CALL(
      KEEPALIVE, st,
      mstro_subscribe(sel, MSTRO_POOL_EVENT_OFFER,
                      MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK | MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS,
                      &k.offers),
      "mstro_keepalive_run: cannot subscribe to offers");
  COMP_CHECK_CALL(KEEPALIVE, st,
                  mstro_subscribe(all, MSTRO_POOL_EVENT_DEMAND | MSTRO_POOL_EVENT_OFFER,
                                  MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS, &k.events),
                  "mstro_keepalive_run: cannot subscribe to demands");
  if (!o->quiet) {
    printf("maestro-keepalive: subscribed\n");
    fflush(stdout);
  }
  if (o->on_ready != NULL)
    o->on_ready(o->ready_ctx);
  while (!stopped && (o->max_kept <= 0 || k.released < o->max_kept)) {
    mstro_pool_event ev = NULL;
    COMP_CHECK_CALL(KEEPALIVE, st, mstro__comp_wait_slice(k.offers, &ev),
                    "mstro_keepalive_run: waiting for events failed");
    COMP_CHECK_CALL(KEEPALIVE, st, drain_offers(&k, ev), "mstro_keepalive_run: keeping failed");
    COMP_CHECK_CALL(KEEPALIVE, st, count_uses(&k), "mstro_keepalive_run: releasing failed");
    double now = mstro__comp_now();
    for (struct kept *x = k.head, *next; o->for_s > 0 && x != NULL; x = next) {
      next = x->next;
      if (now - x->kept_at >= o->for_s)
        COMP_CHECK_CALL(KEEPALIVE, st, release(&k, x, "time"), "mstro_keepalive_run: release");
    }
    if (!o->quiet)
      fflush(stdout);
    st = mstro__comp_should_stop(o->should_stop, o->stop_ctx, t0, o->timeout_s, &stopped);
  }
cleanup:
  if (k.offers != NULL)
    mstro_subscription_dispose(k.offers);
  if (k.events != NULL)
    mstro_subscription_dispose(k.events);
  mstro_status rs = release_all(&k, "stopping");
  if (st == MSTRO_OK)
    st = rs;
  if (sel != NULL)
    mstro_cdo_selector_dispose(sel);
  if (all != NULL)
    mstro_cdo_selector_dispose(all);
  if (o != NULL && !o->quiet)
    fflush(stdout);
  return st;
}
