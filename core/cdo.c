/* SPDX-License-Identifier: BSD-3-Clause */
/* CDO handles: declaration, the lifecycle operations (checked against the
 * state machine of cdo_state.c), attributes (delegated to the dictionary of
 * core/attr.h) and data access.
 *
 * Disposed handles are kept, marked dead, in a FIFO quarantine of
 * MSTRO__QUARANTINE handles before their memory is reused, so that a double
 * dispose or a call on a disposed handle is reported (MSTRO_INVSTATE, with
 * the CDO's name) instead of touching freed memory. After that many later
 * disposals the handle's memory is freed and such a call is undefined.
 */
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "core.h"
#include "events.h"
#include "mem.h"
#include "pool_backend.h"
#include "schema.h"
#include "telemetry.h"

#define MSTRO__QUARANTINE 16384

static pthread_mutex_t cdo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mstro_cdo_ *all_cdos;
static size_t n_live;
static atomic_uint_fast64_t next_id;

static struct mstro_cdo_ *quarantine[MSTRO__QUARANTINE];
static size_t q_head, q_len;

size_t mstro__cdo_live_count(void)
{
  size_t n;
  pthread_mutex_lock(&cdo_lock);
  n = n_live;
  pthread_mutex_unlock(&cdo_lock);
  return n;
}

static const char *short_name(const struct mstro_cdo_ *c)
{
  return c->name ? c->name : "(unnamed)";
}

mstro_status mstro__cdo_validate(mstro_cdo cdo, mstro__cdo_op op, const char *func)
{
  if (cdo == NULL) {
    MSTRO_LOG_ERR(CDO, "%s: NULL CDO handle", func);
    return MSTRO_INVARG;
  }
  if (cdo->magic == MSTRO__CDO_DEAD_MAGIC) {
    MSTRO_LOG_ERR(CDO, "%s: CDO '%.200s' is DISPOSED (%s of a disposed handle)", func,
                  short_name(cdo), mstro__cdo_op_name(op));
    return MSTRO_INVSTATE;
  }
  if (cdo->magic != MSTRO__CDO_MAGIC) {
    MSTRO_LOG_ERR(CDO, "%s: %p is not a CDO handle", func, (void *)cdo);
    return MSTRO_INVARG;
  }
  return MSTRO_OK;
}

/* Validate the handle and the transition of op; *to gets the next state. */
static mstro_status enter(mstro_cdo cdo, mstro__cdo_op op, const char *func, mstro__cdo_state *to)
{
  mstro_status st;
  MSTRO__REQUIRE_INIT();
  st = mstro__cdo_validate(cdo, op, func);
  if (st != MSTRO_OK)
    return st;
  return mstro__cdo_check(op, cdo->state, cdo->name, to);
}

mstro_status mstro__cdo_create(const char *name, mstro_cdo *result)
{
  mstro_status st = MSTRO_OK;
  struct mstro_cdo_ *c = calloc(1, sizeof *c);
  MSTRO_CHECK(CDO, c != NULL, st, MSTRO_NOMEM, "declare: out of memory");
  c->name = strdup(name);
  MSTRO_CHECK(CDO, c->name != NULL, st, MSTRO_NOMEM, "declare: out of memory");
  MSTRO_CHECK_CALL(CDO, st, mstro__attr_dict_create(&c->attrs),
                   "declare of '%.200s': cannot create its attributes", name);
  if (mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_NAME) != NULL)
    MSTRO_CHECK_CALL(
        CDO, st, mstro__attr_dict_set(c->attrs, MSTRO_ATTR_CORE_CDO_NAME, &c->name, true, false),
        "declare of '%.200s': cannot record its name", name);
  c->magic = MSTRO__CDO_MAGIC;
  c->state = MSTRO__CDO_DECLARED;
  c->id = atomic_fetch_add(&next_id, 1) + 1;
  pthread_mutex_lock(&cdo_lock);
  c->all_next = all_cdos;
  if (all_cdos)
    all_cdos->all_prev = c;
  all_cdos = c;
  n_live++;
  pthread_mutex_unlock(&cdo_lock);
  *result = c;
  c = NULL;
cleanup:
  if (c != NULL) {
    mstro__attr_dict_destroy(c->attrs);
    free(c->name);
    free(c);
  }
  return st;
}

/* Release what the handle owns; keep the struct (and name) in quarantine. */
static void cdo_release(struct mstro_cdo_ *c, bool quarantine_it)
{
  struct mstro_cdo_ *evict = NULL;
  mstro__pool->release(c);
  if (c->array != NULL)
    mstro__mem_array_destroy(c->array);
  c->array = NULL;
  if (c->data_owned)
    mstro__mem_free(c->data);
  c->rma_into_user = false;
  c->data = NULL;
  c->size = 0;
  c->data_owned = false;
  mstro__attr_dict_destroy(c->attrs);
  c->attrs = NULL;
  c->state = MSTRO__CDO_DISPOSED;
  c->magic = MSTRO__CDO_DEAD_MAGIC;
  pthread_mutex_lock(&cdo_lock);
  if (c->all_prev)
    c->all_prev->all_next = c->all_next;
  else if (all_cdos == c)
    all_cdos = c->all_next;
  if (c->all_next)
    c->all_next->all_prev = c->all_prev;
  c->all_prev = c->all_next = NULL;
  n_live--;
  if (quarantine_it) {
    if (q_len == MSTRO__QUARANTINE) {
      evict = quarantine[q_head];
      quarantine[q_head] = c;
      q_head = (q_head + 1) % MSTRO__QUARANTINE;
    } else {
      quarantine[(q_head + q_len) % MSTRO__QUARANTINE] = c;
      q_len++;
    }
  } else {
    evict = c;
  }
  pthread_mutex_unlock(&cdo_lock);
  if (evict != NULL) {
    evict->magic = 0;
    free(evict->name);
    free(evict);
  }
}

void mstro__cdo_fini(void)
{
  for (;;) {
    struct mstro_cdo_ *c;
    pthread_mutex_lock(&cdo_lock);
    c = all_cdos;
    pthread_mutex_unlock(&cdo_lock);
    if (c == NULL)
      break;
    c->in_pool_require = false; /* the pool directory is gone already */
    cdo_release(c, false);
  }
  pthread_mutex_lock(&cdo_lock);
  for (size_t i = 0; i < q_len; i++) {
    struct mstro_cdo_ *c = quarantine[(q_head + i) % MSTRO__QUARANTINE];
    c->magic = 0;
    free(c->name);
    free(c);
  }
  q_head = q_len = 0;
  pthread_mutex_unlock(&cdo_lock);
}

static struct mstro__ev_info ev_of(mstro_cdo c)
{
  struct mstro__ev_info ev = {.cdo_name = c->name, .attrs = c->attrs};
  return ev;
}

/* ------------------------------------------------------------------ declare */

mstro_status mstro_cdo_declare(const char *name, mstro_cdo_attributes attr, mstro_cdo *result)
{
  mstro_status st = MSTRO_OK;
  mstro_cdo c = NULL;
  struct mstro__ev_info ev = {.cdo_name = name};
  MSTRO__REQUIRE_INIT();
  MSTRO_CHECK(CDO, result != NULL, st, MSTRO_INVARG, "mstro_cdo_declare: NULL result");
  *result = NULL;
  MSTRO_CHECK(CDO, name != NULL && *name != '\0', st, MSTRO_INVARG,
              "mstro_cdo_declare: NULL or empty name");
  MSTRO_CHECK(CDO, attr == MSTRO_ATTR_DEFAULT, st, MSTRO_INVARG,
              "mstro_cdo_declare of '%.200s': predefined attribute sets are not supported; "
              "pass MSTRO_ATTR_DEFAULT and set attributes with mstro_cdo_attribute_set",
              name);
  mstro__event_raise(MSTRO_POOL_EVENT_DECLARE, MSTRO__EV_BEFORE, &ev);
  MSTRO_CHECK_CALL(CDO, st, mstro__cdo_create(name, &c), "mstro_cdo_declare failed");
  ev.attrs = c->attrs;
  mstro__tm_count(MSTRO__TM_DECLARE);
  /* held by another component's _REQUIRE_ACK subscription: a PM that goes
   * away meanwhile fails the declare */
  if ((st = mstro__pool->declared(c)) != MSTRO_OK) {
    cdo_release(c, false);
    MSTRO_CHECK(CDO, false, st, st, "declare of '%.200s': %s", name, mstro_status_description(st));
  }
  mstro__event_raise(MSTRO_POOL_EVENT_DECLARE, MSTRO__EV_AFTER, &ev);
  *result = c;
cleanup:
  if (st != MSTRO_OK)
    mstro__tm_count(MSTRO__TM_ERROR);
  return st;
}

const char *mstro_cdo_name(mstro_cdo cdo)
{
  if (cdo == NULL || (cdo->magic != MSTRO__CDO_MAGIC && cdo->magic != MSTRO__CDO_DEAD_MAGIC))
    return NULL;
  return cdo->name;
}

/* --------------------------------------------------------------- attributes */

mstro_status mstro_cdo_attribute_set(mstro_cdo cdo, const char *key, void *val, bool copy_value,
                                     bool user_owned_value)
{
  mstro_status st;
  const struct mstro__attr_def *def;
  if ((st = enter(cdo, MSTRO__OP_ATTR_SET, __func__, NULL)) != MSTRO_OK)
    return st;
  if (key == NULL || val == NULL) {
    MSTRO_LOG_ERR(ATTR, "mstro_cdo_attribute_set on '%.200s': NULL %s", cdo->name,
                  key == NULL ? "key" : "value");
    return MSTRO_INVARG;
  }
  def = mstro__schema_lookup(NULL, NULL, key);
  if (def != NULL && def->readonly) {
    MSTRO_LOG_ERR(ATTR, "mstro_cdo_attribute_set on '%.200s': '%s' is read-only", cdo->name,
                  def->key);
    return MSTRO_INVSTATE;
  }
  st = mstro__attr_dict_set(cdo->attrs, key, val, copy_value, user_owned_value);
  if (st != MSTRO_OK)
    MSTRO_LOG_ERR(ATTR, "mstro_cdo_attribute_set on '%.200s' of '%s' refused: %s", cdo->name, key,
                  mstro_status_description(st));
  return st;
}

mstro_status mstro_cdo_attribute_get(mstro_cdo cdo, const char *key,
                                     enum mstro_cdo_attr_value_type *valtype, const void **val_p)
{
  mstro_status st;
  if (valtype)
    *valtype = MSTRO_CDO_ATTR_VALUE_INVALID;
  if (val_p)
    *val_p = NULL;
  if ((st = enter(cdo, MSTRO__OP_ATTR_GET, __func__, NULL)) != MSTRO_OK)
    return st;
  if (key == NULL || valtype == NULL || val_p == NULL) {
    MSTRO_LOG_ERR(ATTR, "mstro_cdo_attribute_get on '%.200s': NULL argument", cdo->name);
    return MSTRO_INVARG;
  }
  return mstro__attr_dict_get(cdo->attrs, key, valtype, val_p);
}

mstro_status mstro_cdo_attribute_set_yaml(mstro_cdo cdo, const char *key, const char *yaml_value)
{
  mstro_status st;
  if ((st = enter(cdo, MSTRO__OP_ATTR_SET, __func__, NULL)) != MSTRO_OK)
    return st;
  if (yaml_value == NULL) {
    MSTRO_LOG_ERR(ATTR, "mstro_cdo_attribute_set_yaml on '%.200s': NULL text", cdo->name);
    return MSTRO_INVARG;
  }
  if (key != NULL) {
    const struct mstro__attr_def *def = mstro__schema_lookup(NULL, NULL, key);
    if (def != NULL && def->readonly) {
      MSTRO_LOG_ERR(ATTR, "mstro_cdo_attribute_set_yaml on '%.200s': '%s' is read-only", cdo->name,
                    def->key);
      return MSTRO_INVSTATE;
    }
  }
  return mstro__attr_dict_set_yaml(cdo->attrs, key, yaml_value);
}

mstro_status mstro_cdo_attributes_print(mstro_cdo cdo)
{
  mstro_status st;
  if ((st = enter(cdo, MSTRO__OP_ATTR_GET, __func__, NULL)) != MSTRO_OK)
    return st;
  return mstro__attr_dict_print(cdo->attrs, cdo->name);
}

mstro_status mstro__cdo_fill_metadata(mstro_cdo c, const mstro__attr_dict *src)
{
  if (src == NULL)
    return MSTRO_OK;
  c->pool_metadata = true;
  return mstro__attr_dict_merge(c->attrs, src, false, false);
}

/* --------------------------------------------------------------- lifecycle */

static bool attr_bool(const mstro__attr_dict *d, const char *key)
{
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  if (mstro__attr_dict_get(d, key, &t, &v) != MSTRO_OK || v == NULL ||
      t != MSTRO_CDO_ATTR_VALUE_bool)
    return false;
  return *(const bool *)v;
}

/* The caller's buffer as the attributes give it: raw-ptr (NULL when unset)
 * and scope.local-size (-1 when unset). */
static void user_buffer(const struct mstro_cdo_ *c, const struct mstro__attr_def *d_ptr,
                        const struct mstro__attr_def *d_size, void **ptr, int64_t *size)
{
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;
  *ptr = NULL;
  *size = -1;
  if (d_ptr != NULL && mstro__attr_dict_is_set(c->attrs, d_ptr) &&
      mstro__attr_dict_get_def(c->attrs, d_ptr, &t, &v) == MSTRO_OK && v != NULL)
    *ptr = *(void *const *)v;
  v = NULL;
  if (d_size != NULL && mstro__attr_dict_is_set(c->attrs, d_size) &&
      mstro__attr_dict_get_def(c->attrs, d_size, &t, &v) == MSTRO_OK && v != NULL)
    *size = *(const int64_t *)v;
}

/* Seal: check the attributes, find the data, allocate when asked.
 * `allocate`: allocate Maestro-provided memory when scope.local-size > 0 and
 * no raw-ptr (explicit seal and offer; require/demand only with allocate-now). */
static mstro_status do_seal(mstro_cdo c, bool allocate)
{
  mstro_status st = MSTRO_OK;
  const struct mstro__attr_def *missing = NULL;
  const struct mstro__attr_def *d_ptr =
      mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_RAW_PTR);
  const struct mstro__attr_def *d_size =
      mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE);
  struct mstro__ev_info ev = ev_of(c);
  bool has_ptr;
  int64_t size = -1;
  void *ptr = NULL;

  MSTRO_CHECK(CDO, d_ptr != NULL && d_size != NULL, st, MSTRO_FAIL,
              "seal of '%.200s': the core schema lacks raw-ptr or scope.local-size", c->name);
  mstro__event_raise(MSTRO_POOL_EVENT_SEAL, MSTRO__EV_BEFORE, &ev);
  st = mstro__attr_dict_check_required(c->attrs, &missing);
  MSTRO_CHECK(CDO, st == MSTRO_OK, st, MSTRO_INVARG,
              "seal of '%.200s': required attribute '%s' has no value", c->name,
              missing ? missing->key : "?");
  user_buffer(c, d_ptr, d_size, &ptr, &size);
  has_ptr = ptr != NULL;
  MSTRO_CHECK(CDO, !has_ptr || size >= 0, st, MSTRO_INVARG,
              "seal of '%.200s': raw-ptr is set but scope.local-size is not (set the size of "
              "the buffer)",
              c->name);
  {
    /* layout and size must agree when both are given */
    int64_t elem = 0, ndims = 0;
    enum mstro_cdo_attr_value_type t;
    const void *v = NULL;
    const struct mstro__attr_def *d_elem =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE);
    const struct mstro__attr_def *d_nd =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS);
    const struct mstro__attr_def *d_dims =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE);
    if (size >= 0 && d_elem && d_nd && d_dims && mstro__attr_dict_is_set(c->attrs, d_elem) &&
        mstro__attr_dict_is_set(c->attrs, d_nd) && mstro__attr_dict_is_set(c->attrs, d_dims)) {
      const void *dv = NULL;
      mstro__attr_dict_get_def(c->attrs, d_elem, &t, &v);
      elem = v ? *(const int64_t *)v : 0;
      mstro__attr_dict_get_def(c->attrs, d_nd, &t, &v);
      ndims = v ? *(const int64_t *)v : 0;
      if (mstro__attr_dict_get_def(c->attrs, d_dims, &t, &dv) == MSTRO_OK && dv != NULL &&
          t == MSTRO_CDO_ATTR_VALUE_int64_array && ndims >= 1) {
        int64_t n = elem;
        for (int64_t i = 0; i < ndims; i++)
          n *= ((const int64_t *)dv)[i];
        MSTRO_CHECK(CDO, n == size, st, MSTRO_INVARG,
                    "seal of '%.200s': layout (element-size %lld x dims) spans %lld bytes but "
                    "scope.local-size is %lld",
                    c->name, (long long)elem, (long long)n, (long long)size);
      }
    }
  }
  if (has_ptr) {
    c->data = ptr;
    c->size = size;
    c->has_user_buffer = true;
  } else if (size > 0 && (allocate || attr_bool(c->attrs, MSTRO_ATTR_CORE_CDO_ALLOCATE_NOW))) {
    const char *layer = NULL;
    enum mstro_cdo_attr_value_type t;
    const void *v = NULL;
    bool yes = true;
    if (mstro__attr_dict_get(c->attrs, MSTRO_ATTR_CORE_CDO_MEM_LAYER, &t, &v) == MSTRO_OK &&
        t == MSTRO_CDO_ATTR_VALUE_cstring && v != NULL)
      layer = *(const char *const *)v;
    MSTRO_CHECK_CALL(CDO, st, mstro__mem_alloc((size_t)size, layer, &ptr),
                     "seal of '%.200s': cannot allocate %lld bytes", c->name, (long long)size);
    c->data = ptr;
    c->size = size;
    c->data_owned = true;
    MSTRO_CHECK_CALL(CDO, st,
                     mstro__attr_dict_set(c->attrs, MSTRO_ATTR_CORE_CDO_RAW_PTR, &ptr, true, false),
                     "seal of '%.200s': cannot record raw-ptr", c->name);
    if (mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE) != NULL)
      mstro__attr_dict_set(c->attrs, MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE, &yes, true,
                           false);
  } else {
    c->size = 0;
  }
  c->state = MSTRO__CDO_SEALED;
  mstro__tm_count(MSTRO__TM_SEAL);
  MSTRO_CHECK_CALL(CDO, st, mstro__pool->sealed(c), "seal of '%.200s': the Pool Manager is gone",
                   c->name);
  mstro__event_raise(MSTRO_POOL_EVENT_SEAL, MSTRO__EV_AFTER, &ev);
cleanup:
  return st;
}

mstro_status mstro_cdo_seal(mstro_cdo cdo)
{
  mstro_status st;
  if ((st = enter(cdo, MSTRO__OP_SEAL, __func__, NULL)) != MSTRO_OK)
    return st;
  return do_seal(cdo, true);
}

/* How an operation treats a CDO that is still only declared. */
enum implicit_seal { NO_SEAL, SEAL_NO_ALLOC, SEAL_ALLOC };

/* The shape of the plain pool operations: enter the state machine, seal
 * implicitly where the operation allows it, raise the event before, ask the
 * pool, commit the new state, count, raise the event after. */
static mstro_status pool_op(mstro_cdo cdo, mstro__cdo_op op, const char *func,
                            enum implicit_seal seal, mstro_pool_event_kind kind, mstro__tm_op tm,
                            mstro_status (*call)(mstro_cdo))
{
  mstro_status st = MSTRO_OK;
  mstro__cdo_state to;
  struct mstro__ev_info ev;
  const char *what = mstro__cdo_op_name(op);
  if ((st = enter(cdo, op, func, &to)) != MSTRO_OK)
    return st;
  if (seal != NO_SEAL && cdo->state == MSTRO__CDO_DECLARED)
    MSTRO_CHECK_CALL(CDO, st, do_seal(cdo, seal == SEAL_ALLOC), "%s of '%.200s': seal failed", what,
                     cdo->name);
  ev = ev_of(cdo);
  mstro__event_raise(kind, MSTRO__EV_BEFORE, &ev);
  MSTRO_CHECK_CALL(CDO, st, call(cdo), "%s of '%.200s' failed", what, cdo->name);
  cdo->state = to;
  mstro__tm_count(tm);
  mstro__event_raise(kind, MSTRO__EV_AFTER, &ev);
cleanup:
  return st;
}

mstro_status mstro_cdo_offer(mstro_cdo cdo)
{
  return pool_op(cdo, MSTRO__OP_OFFER, __func__, SEAL_ALLOC, MSTRO_POOL_EVENT_OFFER,
                 MSTRO__TM_OFFER, mstro__pool->offer);
}

mstro_status mstro_cdo_withdraw(mstro_cdo cdo)
{
  return pool_op(cdo, MSTRO__OP_WITHDRAW, __func__, NO_SEAL, MSTRO_POOL_EVENT_WITHDRAW,
                 MSTRO__TM_WITHDRAW, mstro__pool->withdraw);
}

mstro_status mstro_cdo_require(mstro_cdo cdo)
{
  return pool_op(cdo, MSTRO__OP_REQUIRE, __func__, SEAL_NO_ALLOC, MSTRO_POOL_EVENT_REQUIRE,
                 MSTRO__TM_REQUIRE, mstro__pool->require);
}

mstro_status mstro_cdo_retract(mstro_cdo cdo)
{
  return pool_op(cdo, MSTRO__OP_RETRACT, __func__, NO_SEAL, MSTRO_POOL_EVENT_RETRACT,
                 MSTRO__TM_RETRACT, mstro__pool->retract);
}

mstro_status mstro_cdo_demand(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  mstro__cdo_state to;
  struct mstro__ev_info ev;
  uint64_t t0;
  if ((st = enter(cdo, MSTRO__OP_DEMAND, __func__, &to)) != MSTRO_OK)
    return st;
  t0 = mstro_clock();
  if (cdo->state == MSTRO__CDO_DECLARED)
    MSTRO_CHECK_CALL(CDO, st, do_seal(cdo, false), "demand of '%.200s': seal failed", cdo->name);
  if (cdo->state == MSTRO__CDO_REQUIRED)
    mstro__pool->demand_prepare(cdo);
  ev = ev_of(cdo);
  mstro__event_raise(MSTRO_POOL_EVENT_DEMAND, MSTRO__EV_BEFORE, &ev);
  st = mstro__pool->demand(cdo);
  if (st != MSTRO_OK) {
    /* the handle stays usable: back to sealed (its require is gone) */
    cdo->state = MSTRO__CDO_SEALED;
    MSTRO_LOG_ERR(CDO, "demand of '%.200s' failed: %s", cdo->name, mstro_status_description(st));
    goto cleanup;
  }
  cdo->state = to;
  mstro__tm_count(MSTRO__TM_DEMAND);
  mstro__tm_demand_latency(mstro_clock() - t0);
  ev = ev_of(cdo); /* the attributes are the merged ones now */
  mstro__event_raise(MSTRO_POOL_EVENT_DEMAND, MSTRO__EV_AFTER, &ev);
cleanup:
  return st;
}

mstro_status mstro_cdo_dispose(mstro_cdo cdo)
{
  mstro_status st = MSTRO_OK;
  struct mstro__ev_info ev;
  if ((st = enter(cdo, MSTRO__OP_DISPOSE, __func__, NULL)) != MSTRO_OK)
    return st;
  ev = ev_of(cdo);
  mstro__event_raise(MSTRO_POOL_EVENT_DISPOSE, MSTRO__EV_BEFORE, &ev);
  if (cdo->owner != NULL)
    cdo->owner_forget(cdo->owner, cdo);
  cdo->state = MSTRO__CDO_DISPOSED;
  mstro__tm_count(MSTRO__TM_DISPOSE);
  /* held like the declare; the handle is disposed all the same */
  st = mstro__pool->disposed(cdo);
  if (mstro__events_wanted(MSTRO_POOL_EVENT_DISPOSE, MSTRO__EV_AFTER)) {
    /* the event carries the attributes as they were */
    mstro__event_raise(MSTRO_POOL_EVENT_DISPOSE, MSTRO__EV_AFTER, &ev);
  }
  cdo_release(cdo, true);
  return st;
}

/* --------------------------------------------------------------- data */

mstro_status mstro_cdo_access_ptr(mstro_cdo cdo, void **data, int64_t *data_len)
{
  mstro_status st;
  if (data)
    *data = NULL;
  if (data_len)
    *data_len = 0;
  if ((st = enter(cdo, MSTRO__OP_ACCESS, __func__, NULL)) != MSTRO_OK)
    return st;
  if (data == NULL || data_len == NULL) {
    MSTRO_LOG_ERR(CDO, "mstro_cdo_access_ptr on '%.200s': NULL %s", cdo->name,
                  data == NULL ? "data pointer" : "length pointer");
    return MSTRO_INVARG;
  }
  void *ptr = cdo->data;
  int64_t size = cdo->size;
  if (cdo->state == MSTRO__CDO_DECLARED && cdo->pool_metadata) {
    MSTRO_LOG_ERR(CDO,
                  "mstro_cdo_access_ptr on '%.200s': only its metadata are here (demand it "
                  "first)",
                  cdo->name);
    return MSTRO_INVSTATE;
  }
  if (cdo->state == MSTRO__CDO_DECLARED) /* not sealed: the buffer the attributes name */
    user_buffer(cdo, mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_RAW_PTR),
                mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE), &ptr,
                &size);
  if (ptr == NULL || size <= 0) {
    MSTRO_LOG_INFO(CDO, "mstro_cdo_access_ptr on '%.200s': the CDO has no data%s", cdo->name,
                   cdo->state == MSTRO__CDO_DECLARED ? " (set raw-ptr and scope.local-size)" : "");
    return MSTRO_NOENT;
  }
  *data = ptr;
  *data_len = size;
  return MSTRO_OK;
}

mstro_status mstro_cdo_access_mamba_array(mstro_cdo cdo, mmbArray **array)
{
  mstro_status st;
  int64_t elem = 1, ndims = 1, order = MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR;
  int64_t dims1[1];
  const int64_t *dims = dims1;
  enum mstro_cdo_attr_value_type t;
  const void *v = NULL;

  if (array)
    *array = NULL;
  if ((st = enter(cdo, MSTRO__OP_ACCESS_ARRAY, __func__, NULL)) != MSTRO_OK)
    return st;
  if (array == NULL) {
    MSTRO_LOG_ERR(CDO, "mstro_cdo_access_mamba_array on '%.200s': NULL result", cdo->name);
    return MSTRO_INVARG;
  }
  if (cdo->data == NULL || cdo->size <= 0) {
    MSTRO_LOG_INFO(CDO, "mstro_cdo_access_mamba_array on '%.200s': the CDO has no data", cdo->name);
    return MSTRO_NOENT;
  }
  if (cdo->array != NULL) {
    *array = cdo->array;
    return MSTRO_OK;
  }
  dims1[0] = cdo->size;
  {
    const struct mstro__attr_def *d_elem =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE);
    const struct mstro__attr_def *d_nd =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS);
    const struct mstro__attr_def *d_dims =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE);
    const struct mstro__attr_def *d_ord =
        mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER);
    const void *dv = NULL;
    if (d_elem && d_nd && d_dims && mstro__attr_dict_is_set(cdo->attrs, d_elem) &&
        mstro__attr_dict_is_set(cdo->attrs, d_nd) && mstro__attr_dict_is_set(cdo->attrs, d_dims) &&
        mstro__attr_dict_get_def(cdo->attrs, d_dims, &t, &dv) == MSTRO_OK && dv != NULL) {
      mstro__attr_dict_get_def(cdo->attrs, d_elem, &t, &v);
      elem = v ? *(const int64_t *)v : 1;
      mstro__attr_dict_get_def(cdo->attrs, d_nd, &t, &v);
      ndims = v ? *(const int64_t *)v : 1;
      if (ndims >= 1) {
        int64_t n = elem;
        dims = dv;
        for (int64_t i = 0; i < ndims; i++)
          n *= dims[i];
        if (n != cdo->size) {
          MSTRO_LOG_ERR(CDO,
                        "mstro_cdo_access_mamba_array on '%.200s': the layout spans %lld bytes, "
                        "the data have %lld",
                        cdo->name, (long long)n, (long long)cdo->size);
          return MSTRO_INVARG;
        }
      } else {
        elem = 1;
        ndims = 1;
        dims = dims1;
      }
      if (d_ord && mstro__attr_dict_get_def(cdo->attrs, d_ord, &t, &v) == MSTRO_OK && v)
        order = *(const int64_t *)v;
    }
  }
  st = mstro__mem_wrap_array(cdo->data, (size_t)elem, (size_t)ndims, dims, (int)order, &cdo->array);
  if (st == MSTRO_OK)
    *array = cdo->array;
  return st;
}
