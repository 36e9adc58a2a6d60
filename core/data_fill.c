/* SPDX-License-Identifier: BSD-3-Clause */
/* Data fill: a producer's metadata and data brought into a consumer handle
 * (data_fill.h), for the local pool and the Pool Manager client alike.
 *
 * Plain copies go through libmamba (memcpy between host spaces, CUDA copies
 * when device memory is involved); a layout change (row-major <->
 * column-major) is done by liblyt during the one copy, in host memory.
 */
#include "data_fill.h"

#include <string.h>

#include "cdo.h"
#include "events.h"
#include "lyt.h"
#include "mamba.h"
#include "mem.h"
#include "mstro_log.h"
#include "schema.h"
#include "telemetry.h"

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
static mstro_status move_bytes(const char *name, const void *src, int64_t size, void *dst,
                               const struct layout *pl, const struct layout *cl, bool transform)
{
  mstro_status st = MSTRO_OK;
  if (!transform) {
    mmb_status ms = mmb_copy(dst, NULL, src, NULL, (size_t)size);
    MSTRO_CHECK(POOL, ms == MMB_OK, st, ms == MMB_NO_DEVICE ? MSTRO_UNIMPL : MSTRO_FAIL,
                "demand of '%.200s': copy of %lld bytes failed: %s", name, (long long)size,
                mmb_status_description(ms));
    mstro__tm_bytes((uint64_t)size, 0, 0);
  } else {
    lyt_status ls;
    MSTRO_CHECK(POOL, !is_device_memory(src) && !is_device_memory(dst), st, MSTRO_UNIMPL,
                "demand of '%.200s': a layout change of device memory is not supported; demand "
                "into host memory (mem-layer DRAM) or keep the producer's layout",
                name);
    ls = lyt_transform_dense((size_t)pl->elem, (int)pl->ndims, pl->dims, to_lyt(pl->order), src,
                             to_lyt(cl->order), dst, NULL);
    MSTRO_CHECK(POOL, ls == LYT_OK, st, MSTRO_FAIL,
                "demand of '%.200s': layout transform failed: %s", name,
                lyt_status_description(ls));
    mstro__tm_bytes((uint64_t)size, 0, (uint64_t)size);
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

mstro_status mstro__data_fill(mstro_cdo c, const mstro__attr_dict *attrs, void *data, int64_t size,
                              void **take, const char *transport, bool *shared)
{
  mstro_status st = MSTRO_OK;
  mstro__attr_dict *merged = NULL;
  struct layout pl, cl;
  bool transform = false;
  bool c_has_buf = c->has_user_buffer;
  int64_t c_size = -1;
  void *c_buf = c->data;
  void *alloc = NULL;
  struct mstro__ev_info ev = {.cdo_name = c->name, .size = (uint64_t)size, .transport = transport};

  if (shared != NULL)
    *shared = false;
  read_layout(attrs, &pl);
  read_layout(c->attrs, &cl);
  if (c_has_buf || c->data_owned)
    get_i64(c->attrs, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, false, &c_size);

  /* Metadata: the producer's (without its pointers), then what only the
   * consumer set, then the consumer's own layout wishes. */
  MSTRO_CHECK_CALL(POOL, st, mstro__attr_dict_create(&merged), "demand of '%.200s': out of memory",
                   c->name);
  MSTRO_CHECK_CALL(POOL, st, mstro__attr_dict_merge(merged, attrs, true, false),
                   "demand of '%.200s': cannot copy the producer's attributes", c->name);
  MSTRO_CHECK_CALL(POOL, st, mstro__attr_dict_merge(merged, c->attrs, false, true),
                   "demand of '%.200s': cannot merge the consumer's attributes", c->name);
  if (cl.has_order)
    MSTRO_CHECK_CALL(
        POOL, st,
        mstro__attr_dict_set(merged, MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER, &cl.order, true, false),
        "demand of '%.200s': cannot keep the consumer's layout order", c->name);

  if (size > 0 && data != NULL) {
    MSTRO_CHECK_CALL(POOL, st, layout_change(c->name, &pl, &cl, size, &transform),
                     "demand of '%.200s': layouts do not agree", c->name);
    ev.size = (uint64_t)size;
    ev.attrs = merged; /* selectors see the metadata the consumer will have */
    mstro__event_raise(MSTRO_POOL_EVENT_TRANSFER_STARTED, MSTRO__EV_AFTER, &ev);
    if (c_buf != NULL) {
      /* one copy into the consumer's buffer */
      MSTRO_CHECK(POOL, c_size >= size, st, MSTRO_INVARG,
                  "demand of '%.200s': the consumer's buffer has %lld bytes, %lld are offered",
                  c->name, (long long)c_size, (long long)size);
      /* bytes from another process may already have landed in place */
      if (data != c_buf)
        MSTRO_CHECK_CALL(POOL, st, move_bytes(c->name, data, size, c_buf, &pl, &cl, transform),
                         "demand of '%.200s' failed", c->name);
      c->size = size;
    } else if (transform) {
      /* one copy into Maestro-provided memory, in the consumer's layout */
      const char *layer = NULL;
      enum mstro_cdo_attr_value_type t;
      const void *v = NULL;
      if (mstro__attr_dict_get(c->attrs, MSTRO_ATTR_CORE_CDO_MEM_LAYER, &t, &v) == MSTRO_OK &&
          t == MSTRO_CDO_ATTR_VALUE_cstring && v != NULL)
        layer = *(const char *const *)v;
      MSTRO_CHECK_CALL(POOL, st, mstro__mem_alloc((size_t)size, layer, &alloc),
                       "demand of '%.200s': cannot allocate %lld bytes", c->name, (long long)size);
      MSTRO_CHECK_CALL(POOL, st, move_bytes(c->name, data, size, alloc, &pl, &cl, transform),
                       "demand of '%.200s' failed", c->name);
      c->data = alloc;
      c->data_owned = true;
      c->size = size;
      alloc = NULL;
    } else if (take != NULL) {
      /* fetched from another process: the consumer owns that buffer */
      c->data = *take;
      c->data_owned = true;
      c->size = size;
      *take = NULL;
      mstro__tm_bytes((uint64_t)size, 0, 0);
    } else {
      /* zero-copy: share the producer's buffer until the consumer disposes
       * (the caller records the borrow) */
      if (shared != NULL)
        *shared = true;
      c->data = data;
      c->size = size;
      mstro__tm_bytes(0, (uint64_t)size, 0);
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

bool mstro__data_wants_layout(const mstro_cdo c)
{
  const struct mstro__attr_def *order =
      mstro__schema_lookup(NULL, NULL, MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER);
  return order != NULL && mstro__attr_dict_is_set(c->attrs, order);
}
