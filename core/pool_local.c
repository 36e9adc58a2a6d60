/* SPDX-License-Identifier: BSD-3-Clause */
/* The local pool backend (pool_backend.h): offers, requires and demands
 * between the threads of one process.
 *
 * Matching is the pool directory's job (pool_dir.c) and the data contract
 * of DESIGN.md section 1 data_fill.c's; this file adds the one mutex
 * (pool_lock) around the directory, the waiting, and the sharing of
 * buffers:
 *
 *  - zero-copy: a consumer that declared no buffer and asks for no layout
 *    change gets the producer's buffer, read-only, until it disposes its
 *    handle; the producer's withdraw waits for that. (When the thread that
 *    withdraws is the one that demanded, waiting could never end: that
 *    consumer first gets a private copy, logged at info level.)
 *  - one copy: into the consumer's buffer (raw-ptr + scope.local-size), or
 *    into Maestro-provided memory when the layouts differ; a layout change
 *    (row-major <-> column-major) is done by liblyt during that copy.
 *
 * Every offer record counts the demands reading it (inflight) and the
 * consumers sharing its buffer (borrowers); withdraw first takes the offer
 * out of the directory, so that no new demand can find it, then waits until
 * both are zero.
 */
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "data_fill.h"
#include "mamba.h"
#include "mem.h"
#include "mstro_log.h"
#include "pool_backend.h"
#include "pool_dir.h"
#include "telemetry.h"

struct mstro__offer {
  mstro_cdo cdo;       /* the producer's handle (sealed, immutable while offered) */
  int inflight;        /* demands and pins reading it */
  mstro_cdo borrowers; /* consumers sharing the producer's buffer */
  bool withdrawing;
  pthread_cond_t cv; /* signalled when inflight or borrowers drop */
};

struct group_offer {
  struct mstro_group_ *g;
  int inflight;
  bool withdrawing;
  pthread_cond_t cv;
};

struct waiter {
  pthread_cond_t cv;
  void *offer;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static mstro__pool_dir *cdo_dir;
static mstro__pool_dir *group_dir;

static mstro_status local_start(void)
{
  mstro_status st = MSTRO_OK;
  MSTRO_CHECK_CALL(POOL, st, mstro__pool_dir_create(&cdo_dir), "cannot create the pool");
  MSTRO_CHECK_CALL(POOL, st, mstro__pool_dir_create(&group_dir), "cannot create the pool");
cleanup:
  if (st != MSTRO_OK) {
    mstro__pool_dir_destroy(cdo_dir);
    cdo_dir = NULL;
  }
  return st;
}

struct collect {
  void **v;
  const char **names;
  size_t n, cap;
};

static void collect_offer(const char *name, void *offer, void *ctx)
{
  struct collect *c = ctx;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 16;
    void **v = realloc(c->v, cap * sizeof *v);
    const char **nm = realloc(c->names, cap * sizeof *nm);
    if (v)
      c->v = v;
    if (nm)
      c->names = nm;
    if (!v || !nm)
      return;
    c->cap = cap;
  }
  c->v[c->n] = offer;
  c->names[c->n] = name;
  c->n++;
}

static mstro_status local_stop(size_t *left_offered)
{
  struct collect c = {0};
  size_t left;
  pthread_mutex_lock(&pool_lock);
  mstro__pool_dir_foreach_offer(cdo_dir, collect_offer, &c);
  left = c.n;
  for (size_t i = 0; i < c.n; i++) {
    struct mstro__offer *o = c.v[i];
    MSTRO_LOG_WARN(POOL, "CDO '%.200s' still offered at mstro_finalize: withdrawn", o->cdo->name);
    o->cdo->offer = NULL;
    o->cdo->state = MSTRO__CDO_WITHDRAWN;
    for (mstro_cdo b = o->borrowers; b != NULL; b = b->borrow_next)
      b->borrow = NULL;
    pthread_cond_destroy(&o->cv);
    free(o);
  }
  c.n = 0;
  mstro__pool_dir_foreach_offer(group_dir, collect_offer, &c);
  for (size_t i = 0; i < c.n; i++) {
    struct group_offer *go = c.v[i];
    pthread_cond_destroy(&go->cv);
    free(go);
  }
  mstro__pool_dir_destroy(cdo_dir);
  mstro__pool_dir_destroy(group_dir);
  cdo_dir = group_dir = NULL;
  pthread_mutex_unlock(&pool_lock);
  free(c.v);
  free(c.names);
  *left_offered = left;
  return MSTRO_OK;
}

/* ------------------------------------------------------------ offers */

static void match_waiter(void *waiter, void *offer, void *ctx)
{
  struct waiter *w = waiter;
  struct mstro__offer *o = offer;
  (void)ctx;
  o->inflight++; /* the waiter reads it once it wakes up */
  w->offer = o;
  pthread_cond_signal(&w->cv);
}

static mstro_status local_offer(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  struct mstro__offer *o = calloc(1, sizeof *o);
  MSTRO_CHECK(POOL, o != NULL, st, MSTRO_NOMEM, "offer of '%.200s': out of memory", cdo->name);
  o->cdo = cdo;
  pthread_cond_init(&o->cv, NULL);
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_offer(cdo_dir, cdo->name, o, match_waiter, NULL);
  pthread_mutex_unlock(&pool_lock);
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "offer of '%.200s' failed", cdo->name);
  cdo->offer = o;
  o = NULL;
cleanup:
  if (o != NULL) {
    pthread_cond_destroy(&o->cv);
    free(o);
  }
  return st;
}

/* Give a consumer that shares the producer's buffer its own copy (the
 * consumer is used by the calling thread, so its fields are ours). */
static void detach_borrower(mstro_cdo b)
{
  void *copy = NULL;
  if (b->size > 0 && mstro__mem_alloc((size_t)b->size, NULL, &copy) == MSTRO_OK &&
      mmb_copy(copy, NULL, b->data, NULL, (size_t)b->size) == MMB_OK) {
    b->data = copy;
    b->data_owned = true;
    mstro__tm_bytes((uint64_t)b->size, 0, 0);
  } else if (b->size > 0) {
    MSTRO_LOG_ERR(POOL,
                  "withdraw: no memory for a private copy of '%.200s'; the consumer "
                  "handle loses its data",
                  b->name);
    b->data = NULL;
    b->size = 0;
  }
  if (b->array != NULL) {
    mstro__mem_array_destroy(b->array);
    b->array = NULL;
  }
  b->borrow = NULL;
  b->borrow_next = NULL;
}

static mstro_status local_withdraw(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  struct mstro__offer *o = cdo->offer;
  mstro_cdo mine = NULL;
  pthread_t self = pthread_self();

  MSTRO_CHECK(POOL, o != NULL, st, MSTRO_INVSTATE, "withdraw of '%.200s': not in the pool",
              cdo->name);
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_withdraw(cdo_dir, cdo->name, o);
  o->withdrawing = true;
  /* Borrowers in this thread would never dispose while we wait. */
  for (mstro_cdo *pp = &o->borrowers; *pp != NULL;) {
    mstro_cdo b = *pp;
    if (pthread_equal(b->borrow_thread, self)) {
      *pp = b->borrow_next;
      b->borrow_next = mine;
      mine = b;
    } else {
      pp = &b->borrow_next;
    }
  }
  pthread_mutex_unlock(&pool_lock);
  for (mstro_cdo b = mine, next; b != NULL; b = next) {
    next = b->borrow_next;
    MSTRO_LOG_INFO(POOL,
                   "withdraw of '%.200s' in the thread that demanded it without disposing: "
                   "that consumer handle gets a private copy of the data",
                   cdo->name);
    detach_borrower(b);
  }
  pthread_mutex_lock(&pool_lock);
  while (o->inflight > 0 || o->borrowers != NULL)
    pthread_cond_wait(&o->cv, &pool_lock);
  pthread_mutex_unlock(&pool_lock);
  pthread_cond_destroy(&o->cv);
  free(o);
  cdo->offer = NULL;
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "withdraw of '%.200s': directory inconsistent",
              cdo->name);
cleanup:
  return st;
}

static void release_borrow(mstro_cdo cdo)
{
  struct mstro__offer *o;
  pthread_mutex_lock(&pool_lock);
  o = cdo->borrow;
  if (o != NULL) {
    for (mstro_cdo *pp = &o->borrowers; *pp != NULL; pp = &(*pp)->borrow_next) {
      if (*pp == cdo) {
        *pp = cdo->borrow_next;
        break;
      }
    }
    if (o->borrowers == NULL && o->withdrawing)
      pthread_cond_broadcast(&o->cv);
  }
  cdo->borrow = NULL;
  cdo->borrow_next = NULL;
  pthread_mutex_unlock(&pool_lock);
}

static void unpin_locked(struct mstro__offer *o)
{
  if (--o->inflight == 0 && o->withdrawing)
    pthread_cond_broadcast(&o->cv);
}

static mstro_status local_offer_attrs(const char *name, mstro__offer_attrs_fn fn, void *ctx)
{
  mstro_status st;
  struct mstro__offer *o;
  pthread_mutex_lock(&pool_lock);
  o = mstro__pool_dir_lookup(cdo_dir, name);
  if (o != NULL)
    o->inflight++;
  pthread_mutex_unlock(&pool_lock);
  if (o == NULL)
    return MSTRO_NOENT;
  st = fn(ctx, o->cdo->attrs);
  pthread_mutex_lock(&pool_lock);
  unpin_locked(o);
  pthread_mutex_unlock(&pool_lock);
  return st;
}

/* ------------------------------------------------------------ requires */

static mstro_status local_require(mstro_cdo cdo)
{
  mstro_status st;
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_require(cdo_dir, cdo->name, cdo);
  pthread_mutex_unlock(&pool_lock);
  if (st == MSTRO_OK)
    cdo->in_pool_require = true;
  return st;
}

static mstro_status local_retract(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  if (!cdo->in_pool_require)
    return MSTRO_OK;
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_retract(cdo_dir, cdo->name, cdo);
  pthread_mutex_unlock(&pool_lock);
  cdo->in_pool_require = false;
  return st;
}

/* ------------------------------------------------------------ demand */

static mstro_status local_demand(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  struct waiter w = {.offer = NULL};
  void *found = NULL;
  struct mstro__offer *o;

  pthread_cond_init(&w.cv, NULL);
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_demand(cdo_dir, cdo->name, &w, &found);
  if (st == MSTRO_OK && found != NULL) {
    o = found;
    o->inflight++;
  } else if (st == MSTRO_OK) {
    while (w.offer == NULL)
      pthread_cond_wait(&w.cv, &pool_lock);
    o = w.offer;
  }
  pthread_mutex_unlock(&pool_lock);
  pthread_cond_destroy(&w.cv);
  MSTRO_CHECK(POOL, st == MSTRO_OK, st, st, "demand of '%.200s' failed", cdo->name);

  {
    const struct mstro_cdo_ *p = o->cdo;
    bool shared = false;
    st = mstro__data_fill(cdo, p->attrs, p->data, p->data != NULL ? p->size : 0, NULL, "LOCAL",
                          &shared);
    pthread_mutex_lock(&pool_lock);
    if (shared) {
      /* the offer is pinned until here: no withdraw can miss the borrow */
      cdo->borrow = o;
      cdo->borrow_thread = pthread_self();
      cdo->borrow_next = o->borrowers;
      o->borrowers = cdo;
    }
    unpin_locked(o);
    pthread_mutex_unlock(&pool_lock);
  }
cleanup:
  return st;
}

/* ------------------------------------------------------------ groups */

static void match_group_waiter(void *waiter, void *offer, void *ctx)
{
  struct waiter *w = waiter;
  struct group_offer *go = offer;
  (void)ctx;
  go->inflight++;
  w->offer = go;
  pthread_cond_signal(&w->cv);
}

static mstro_status local_group_offer(struct mstro_group_ *g, const char *name)
{
  mstro_status st = MSTRO_OK;
  struct group_offer *go = calloc(1, sizeof *go);
  MSTRO_CHECK(GROUP, go != NULL, st, MSTRO_NOMEM, "group offer of '%.200s': out of memory", name);
  go->g = g;
  pthread_cond_init(&go->cv, NULL);
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_offer(group_dir, name, go, match_group_waiter, NULL);
  pthread_mutex_unlock(&pool_lock);
  MSTRO_CHECK(GROUP, st == MSTRO_OK, st, st, "group offer of '%.200s' failed", name);
  go = NULL;
cleanup:
  if (go != NULL) {
    pthread_cond_destroy(&go->cv);
    free(go);
  }
  return st;
}

struct find_go {
  struct mstro_group_ *g;
  struct group_offer *found;
};

static void find_group_offer(const char *name, void *offer, void *ctx)
{
  struct find_go *f = ctx;
  struct group_offer *go = offer;
  (void)name;
  if (go->g == f->g)
    f->found = go;
}

static mstro_status local_group_withdraw(struct mstro_group_ *g, const char *name)
{
  mstro_status st = MSTRO_OK;
  struct find_go f = {.g = g, .found = NULL};
  pthread_mutex_lock(&pool_lock);
  mstro__pool_dir_foreach_offer(group_dir, find_group_offer, &f);
  if (f.found != NULL) {
    mstro__pool_dir_withdraw(group_dir, name, f.found);
    f.found->withdrawing = true;
    while (f.found->inflight > 0)
      pthread_cond_wait(&f.found->cv, &pool_lock);
  }
  pthread_mutex_unlock(&pool_lock);
  MSTRO_CHECK(GROUP, f.found != NULL, st, MSTRO_INVSTATE,
              "group withdraw of '%.200s': not in the pool", name);
  pthread_cond_destroy(&f.found->cv);
  free(f.found);
cleanup:
  return st;
}

static mstro_status local_group_require(struct mstro_group_ *g, const char *name, bool require)
{
  mstro_status st;
  pthread_mutex_lock(&pool_lock);
  st = require ? mstro__pool_dir_require(group_dir, name, g)
               : mstro__pool_dir_retract(group_dir, name, g);
  pthread_mutex_unlock(&pool_lock);
  return st;
}

static mstro_status local_group_demand(struct mstro_group_ *g, const char *name,
                                       mstro__group_fill_fn fill)
{
  mstro_status st = MSTRO_OK;
  struct waiter w = {.offer = NULL};
  void *found = NULL;
  struct group_offer *go = NULL;

  pthread_cond_init(&w.cv, NULL);
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_demand(group_dir, name, &w, &found);
  if (st == MSTRO_OK && found != NULL) {
    go = found;
    go->inflight++;
  } else if (st == MSTRO_OK) {
    while (w.offer == NULL)
      pthread_cond_wait(&w.cv, &pool_lock);
    go = w.offer; /* match_group_waiter counted it */
  }
  pthread_mutex_unlock(&pool_lock);
  pthread_cond_destroy(&w.cv);
  MSTRO_CHECK(GROUP, st == MSTRO_OK, st, st, "group demand of '%.200s' failed", name);
  st = fill(g, go->g);
  pthread_mutex_lock(&pool_lock);
  if (--go->inflight == 0 && go->withdrawing)
    pthread_cond_broadcast(&go->cv);
  pthread_mutex_unlock(&pool_lock);
cleanup:
  return st;
}

/* Nobody outside this process to tell. */
static mstro_status local_group_sealed(struct mstro_group_ *g, const char *name)
{
  (void)g;
  (void)name;
  return MSTRO_OK;
}

/* ------------------------------------------------------------ hooks */

static mstro_status local_nothing(mstro_cdo cdo)
{
  (void)cdo;
  return MSTRO_OK;
}

static mstro_status local_disposed(mstro_cdo cdo)
{
  if (cdo->borrow != NULL)
    release_borrow(cdo);
  return MSTRO_OK;
}

static void local_release(mstro_cdo cdo)
{
  if (cdo->borrow != NULL)
    release_borrow(cdo);
}

/* The demand takes the require's place. */
static void local_demand_prepare(mstro_cdo cdo)
{
  local_retract(cdo);
}

const struct mstro__pool_backend mstro__pool_local = {
    .version = MSTRO__POOL_BACKEND_VERSION,
    .size = sizeof(struct mstro__pool_backend),
    .name = "local",
    .description = "local pool",
    .start = local_start,
    .stop = local_stop,
    .declared = local_nothing,
    .sealed = local_nothing,
    .disposed = local_disposed,
    .release = local_release,
    .offer = local_offer,
    .withdraw = local_withdraw,
    .require = local_require,
    .retract = local_retract,
    .demand_prepare = local_demand_prepare,
    .demand = local_demand,
    .group_offer = local_group_offer,
    .group_withdraw = local_group_withdraw,
    .group_require = local_group_require,
    .group_demand = local_group_demand,
    .offer_attrs = local_offer_attrs,
    .group_sealed = local_group_sealed,
};

const struct mstro__pool_backend *mstro__pool = &mstro__pool_local;
