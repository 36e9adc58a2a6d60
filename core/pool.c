/* The in-process pool: offers, requires and demands between threads, and
 * the data contract of DESIGN.md section 1.
 *
 * Matching is the pool directory's job (pool_dir.c); this file adds the one
 * mutex (pool_lock) around it, the waiting, and the data movement:
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

#include "core_internal.h"
#include "lyt.h"
#include "mamba.h"
#include "pool_dir.h"

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

mstro_status mstro__pool_init(void)
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

size_t mstro__pool_fini(void)
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
  return left;
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

mstro_status mstro__pool_offer(mstro_cdo cdo)
{
  if (mstro__pm_active())
    return mstro__pm_offer(cdo);
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

mstro_status mstro__pool_withdraw(mstro_cdo cdo)
{
  if (mstro__pm_active())
    return mstro__pm_withdraw(cdo);
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

void mstro__pool_release_borrow(mstro_cdo cdo)
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

mstro_status mstro__pool_pin_offer(const char *name, struct mstro__offer **offer,
                                   const mstro__attr_dict **attrs)
{
  struct mstro__offer *o;
  pthread_mutex_lock(&pool_lock);
  o = mstro__pool_dir_lookup(cdo_dir, name);
  if (o != NULL)
    o->inflight++;
  pthread_mutex_unlock(&pool_lock);
  *offer = o;
  *attrs = o ? o->cdo->attrs : NULL;
  return o ? MSTRO_OK : MSTRO_NOENT;
}

void mstro__pool_unpin(struct mstro__offer *o)
{
  if (o == NULL)
    return;
  pthread_mutex_lock(&pool_lock);
  unpin_locked(o);
  pthread_mutex_unlock(&pool_lock);
}

/* ------------------------------------------------------------ requires */

mstro_status mstro__pool_require(mstro_cdo cdo)
{
  if (mstro__pm_active())
    return mstro__pm_require(cdo, true);
  mstro_status st;
  pthread_mutex_lock(&pool_lock);
  st = mstro__pool_dir_require(cdo_dir, cdo->name, cdo);
  pthread_mutex_unlock(&pool_lock);
  if (st == MSTRO_OK)
    cdo->in_pool_require = true;
  return st;
}

mstro_status mstro__pool_retract(mstro_cdo cdo)
{
  if (mstro__pm_active() && cdo->in_pool_require)
    return mstro__pm_require(cdo, false);
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

/* A layout as the layout.* attributes of a dictionary give it. */
struct layout {
  bool has_elem, has_ndims, has_dims, has_order;
  int64_t elem, ndims, order;
  int64_t dims[LYT_MAX_DIMS];
};

static bool get_i64(const mstro__attr_dict *d, const char *key, bool explicit_only, int64_t *out)
{
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  const struct mstro__attr_def *def = mstro__schema_lookup(NULL, NULL, key);
  if (def == NULL || (explicit_only && !mstro__attr_dict_is_set(d, def)))
    return false;
  if (mstro__attr_dict_get_def(d, def, &t, &v) != MSTRO_OK || v == NULL)
    return false;
  if (t == MSTRO_CDO_ATTR_VALUE_int64)
    *out = *(const int64_t *)v;
  else if (t == MSTRO_CDO_ATTR_VALUE_uint64)
    *out = (int64_t) * (const uint64_t *)v;
  else if (t == MSTRO_CDO_ATTR_VALUE_int32)
    *out = *(const int32_t *)v;
  else if (t == MSTRO_CDO_ATTR_VALUE_uint32)
    *out = *(const uint32_t *)v;
  else
    return false;
  return true;
}

static void read_layout(const mstro__attr_dict *d, struct layout *l)
{
  memset(l, 0, sizeof *l);
  l->has_elem = get_i64(d, MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, true, &l->elem);
  l->has_ndims = get_i64(d, MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS, true, &l->ndims);
  l->has_order = get_i64(d, MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER, true, &l->order);
  if (l->has_ndims && l->ndims >= 1 && l->ndims <= LYT_MAX_DIMS) {
    const struct mstro__attr_def *def =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE);
    enum mstro_cdo_attr_value_type t;
    const void *v = NULL;
    if (def && mstro__attr_dict_is_set(d, def) &&
        mstro__attr_dict_get_def(d, def, &t, &v) == MSTRO_OK && v != NULL &&
        t == MSTRO_CDO_ATTR_VALUE_int64_array) {
      memcpy(l->dims, v, (size_t)l->ndims * sizeof(int64_t));
      l->has_dims = true;
    }
  }
}

static lyt_order to_lyt(int64_t order)
{
  return order == MSTRO_CDO_LAYOUT_ORDER_COLMAJOR ? LYT_COL_MAJOR : LYT_ROW_MAJOR;
}

/* Decide whether the consumer (c) wants another layout than the producer
 * (p) gives; MSTRO_INVARG when both describe incompatible shapes. */
static mstro_status layout_change(const char *name, const struct layout *p, const struct layout *c,
                                  int64_t size, bool *transform)
{
  mstro_status st = MSTRO_OK;
  *transform = false;
  if (!c->has_order || !p->has_order || c->order == p->order)
    goto cleanup; /* no change asked (or nothing to change from) */
  MSTRO_CHECK(POOL, p->has_elem && p->has_ndims && p->has_dims, st, MSTRO_INVARG,
              "demand of '%.200s': the consumer asks for layout order %lld, but the producer "
              "did not describe its layout (element-size, ndims, dims-size)",
              name, (long long)c->order);
  MSTRO_CHECK(POOL, !c->has_elem || c->elem == p->elem, st, MSTRO_INVARG,
              "demand of '%.200s': element size %lld (consumer) != %lld (producer)", name,
              (long long)c->elem, (long long)p->elem);
  MSTRO_CHECK(POOL, !c->has_ndims || c->ndims == p->ndims, st, MSTRO_INVARG,
              "demand of '%.200s': %lld dimensions (consumer) != %lld (producer)", name,
              (long long)c->ndims, (long long)p->ndims);
  if (c->has_dims)
    MSTRO_CHECK(POOL, memcmp(c->dims, p->dims, (size_t)p->ndims * sizeof(int64_t)) == 0, st,
                MSTRO_INVARG, "demand of '%.200s': consumer and producer dims differ", name);
  {
    int64_t n = p->elem;
    for (int64_t i = 0; i < p->ndims; i++)
      n *= p->dims[i];
    MSTRO_CHECK(POOL, n == size, st, MSTRO_INVARG,
                "demand of '%.200s': the producer's layout spans %lld bytes but it offers %lld",
                name, (long long)n, (long long)size);
  }
  *transform = true;
cleanup:
  return st;
}

static bool is_device_memory(const void *p)
{
  mmbMemSpace *space = NULL;
  mmb_space_info info;
  if (mmb_ptr_info(p, NULL, &space, NULL) != MMB_OK || space == NULL ||
      mmb_space_get_info(space, &info) != MMB_OK)
    return false;
  return info.exec != MMB_EXEC_CPU;
}

/* Copy the producer's bytes into dst, transforming when asked. Plain copies
 * go through libmamba (memcpy between host spaces, CUDA copies when device
 * memory is involved); layout transforms need host memory on both sides. */
static mstro_status move_bytes(const char *name, const struct mstro_cdo_ *p, void *dst,
                               const struct layout *pl, const struct layout *cl, bool transform)
{
  mstro_status st = MSTRO_OK;
  if (!transform) {
    mmb_status ms = mmb_copy(dst, NULL, p->data, NULL, (size_t)p->size);
    MSTRO_CHECK(POOL, ms == MMB_OK, st, ms == MMB_NO_DEVICE ? MSTRO_UNIMPL : MSTRO_FAIL,
                "demand of '%.200s': copy of %lld bytes failed: %s", name, (long long)p->size,
                mmb_status_description(ms));
    mstro__tm_bytes((uint64_t)p->size, 0, 0);
  } else {
    lyt_status ls;
    MSTRO_CHECK(POOL, !is_device_memory(p->data) && !is_device_memory(dst), st, MSTRO_UNIMPL,
                "demand of '%.200s': a layout change of device memory is not supported; demand "
                "into host memory (mem-layer DRAM) or keep the producer's layout",
                name);
    ls = lyt_transform_dense((size_t)pl->elem, (int)pl->ndims, pl->dims, to_lyt(pl->order), p->data,
                             to_lyt(cl->order), dst, NULL);
    MSTRO_CHECK(POOL, ls == LYT_OK, st, MSTRO_FAIL,
                "demand of '%.200s': layout transform failed: %s", name,
                lyt_status_description(ls));
    mstro__tm_bytes((uint64_t)p->size, 0, (uint64_t)p->size);
  }
cleanup:
  return st;
}

static mstro_status set_data_attrs(mstro_cdo c)
{
  mstro_status st = MSTRO_OK;
  bool mps = c->data_owned;
  if (c->data != NULL)
    MSTRO_CHECK_CALL(
        POOL, st,
        mstro__attr_dict_set(c->attrs, MSTRO_ATTR_CORE_CDO_RAW_PTR, &c->data, true, false),
        "demand of '%.200s': cannot record raw-ptr", c->name);
  MSTRO_CHECK_CALL(
      POOL, st,
      mstro__attr_dict_set(c->attrs, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &c->size, true, false),
      "demand of '%.200s': cannot record scope.local-size", c->name);
  if (mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE) != NULL)
    MSTRO_CHECK_CALL(POOL, st,
                     mstro__attr_dict_set(c->attrs, MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE,
                                          &mps, true, false),
                     "demand of '%.200s': cannot record maestro-provided-storage", c->name);
cleanup:
  return st;
}

/* Bring metadata and data of offer o into consumer c. With `take` (data
 * fetched from another process into Maestro-provided memory, o is NULL) the
 * consumer takes the buffer *take over instead of sharing it (*take is then
 * NULL). */
static mstro_status satisfy(mstro_cdo c, struct mstro__offer *o, const struct mstro_cdo_ *p,
                            void **take, const char *transport)
{
  mstro_status st = MSTRO_OK;
  mstro__attr_dict *merged = NULL;
  struct layout pl, cl;
  bool transform = false;
  bool c_has_buf = c->has_user_buffer;
  int64_t c_size = -1;
  void *c_buf = c->data;
  void *alloc = NULL;
  struct mstro__ev_info ev = {
      .cdo_name = c->name, .size = (uint64_t)p->size, .transport = transport};

  read_layout(p->attrs, &pl);
  read_layout(c->attrs, &cl);
  if (c_has_buf || c->data_owned)
    get_i64(c->attrs, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, false, &c_size);

  /* Metadata: the producer's (without its pointers), then what only the
   * consumer set, then the consumer's own layout wishes. */
  MSTRO_CHECK_CALL(POOL, st, mstro__attr_dict_create(&merged), "demand of '%.200s': out of memory",
                   c->name);
  MSTRO_CHECK_CALL(POOL, st, mstro__attr_dict_merge(merged, p->attrs, true, false),
                   "demand of '%.200s': cannot copy the producer's attributes", c->name);
  MSTRO_CHECK_CALL(POOL, st, mstro__attr_dict_merge(merged, c->attrs, false, true),
                   "demand of '%.200s': cannot merge the consumer's attributes", c->name);
  if (cl.has_order)
    MSTRO_CHECK_CALL(
        POOL, st,
        mstro__attr_dict_set(merged, MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER, &cl.order, true, false),
        "demand of '%.200s': cannot keep the consumer's layout order", c->name);

  if (p->size > 0 && p->data != NULL) {
    MSTRO_CHECK_CALL(POOL, st, layout_change(c->name, &pl, &cl, p->size, &transform),
                     "demand of '%.200s': layouts do not agree", c->name);
    ev.size = (uint64_t)p->size;
    ev.attrs = merged; /* selectors see the metadata the consumer will have */
    mstro__event_raise(MSTRO_POOL_EVENT_TRANSFER_STARTED, MSTRO__EV_AFTER, &ev);
    if (c_buf != NULL) {
      /* one copy into the consumer's buffer */
      MSTRO_CHECK(POOL, c_size >= p->size, st, MSTRO_INVARG,
                  "demand of '%.200s': the consumer's buffer has %lld bytes, %lld are offered",
                  c->name, (long long)c_size, (long long)p->size);
      /* bytes from another process may already have landed in place */
      if (p->data != c_buf)
        MSTRO_CHECK_CALL(POOL, st, move_bytes(c->name, p, c_buf, &pl, &cl, transform),
                         "demand of '%.200s' failed", c->name);
      c->size = p->size;
    } else if (transform) {
      /* one copy into Maestro-provided memory, in the consumer's layout */
      const char *layer = NULL;
      enum mstro_cdo_attr_value_type t;
      const void *v = NULL;
      if (mstro__attr_dict_get(c->attrs, MSTRO_ATTR_CORE_CDO_MEM_LAYER, &t, &v) == MSTRO_OK &&
          t == MSTRO_CDO_ATTR_VALUE_cstring && v != NULL)
        layer = *(const char *const *)v;
      MSTRO_CHECK_CALL(POOL, st, mstro__mem_alloc((size_t)p->size, layer, &alloc),
                       "demand of '%.200s': cannot allocate %lld bytes", c->name,
                       (long long)p->size);
      MSTRO_CHECK_CALL(POOL, st, move_bytes(c->name, p, alloc, &pl, &cl, transform),
                       "demand of '%.200s' failed", c->name);
      c->data = alloc;
      c->data_owned = true;
      c->size = p->size;
      alloc = NULL;
    } else if (take != NULL) {
      /* fetched from another process: the consumer owns that buffer */
      c->data = *take;
      c->data_owned = true;
      c->size = p->size;
      *take = NULL;
      mstro__tm_bytes((uint64_t)p->size, 0, 0);
    } else {
      /* zero-copy: share the producer's buffer until the consumer disposes */
      pthread_mutex_lock(&pool_lock);
      c->borrow = o;
      c->borrow_thread = pthread_self();
      c->borrow_next = o->borrowers;
      o->borrowers = c;
      pthread_mutex_unlock(&pool_lock);
      c->data = p->data;
      c->size = p->size;
      mstro__tm_bytes(0, (uint64_t)p->size, 0);
    }
    mstro__event_raise(MSTRO_POOL_EVENT_TRANSFER_COMPLETED, MSTRO__EV_AFTER, &ev);
  } else {
    c->size = 0; /* metadata only; a consumer buffer stays as it was */
    if (!c_has_buf && !c->data_owned)
      c->data = NULL;
  }
  mstro__attr_dict_destroy(c->attrs);
  c->attrs = merged;
  merged = NULL;
  MSTRO_CHECK_CALL(POOL, st, set_data_attrs(c), "demand of '%.200s' failed", c->name);
cleanup:
  if (alloc != NULL)
    mstro__mem_free(alloc);
  mstro__attr_dict_destroy(merged);
  return st;
}

mstro_status mstro__pool_demand(mstro_cdo cdo)
{
  if (mstro__pm_active())
    return mstro__pm_demand(cdo);
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

  st = satisfy(cdo, o, o->cdo, NULL, "LOCAL");
  pthread_mutex_lock(&pool_lock);
  unpin_locked(o);
  pthread_mutex_unlock(&pool_lock);
cleanup:
  return st;
}

mstro_status mstro__pool_satisfy_from(mstro_cdo c, const mstro__attr_dict *attrs, void **data,
                                      int64_t size, const char *transport)
{
  struct mstro_cdo_ p = {.name = c->name, .attrs = (mstro__attr_dict *)attrs, .size = size};
  p.data = data != NULL ? *data : NULL;
  if (p.data == NULL)
    p.size = 0;
  return satisfy(c, NULL, &p, data, transport);
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

mstro_status mstro__pool_group_offer(struct mstro_group_ *g, const char *name)
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

mstro_status mstro__pool_group_withdraw(struct mstro_group_ *g, const char *name)
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

mstro_status mstro__pool_group_require(struct mstro_group_ *g, const char *name, bool require)
{
  mstro_status st;
  pthread_mutex_lock(&pool_lock);
  st = require ? mstro__pool_dir_require(group_dir, name, g)
               : mstro__pool_dir_retract(group_dir, name, g);
  pthread_mutex_unlock(&pool_lock);
  return st;
}

mstro_status mstro__pool_group_demand(struct mstro_group_ *g, const char *name,
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
