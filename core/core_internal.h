/* Internal state of libmaestro's in-process core: the CDO handle, the
 * library-wide state, and the functions the modules of the pool area
 * (init, cdo, pool, events, groups, telemetry, memory) call in each other.
 */
#ifndef MSTRO_CORE_INTERNAL_H
#define MSTRO_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "attr.h"
#include "cdo_state.h"
#include "maestro.h"
#include "mstro_log.h"

#define MSTRO__CDO_MAGIC      UINT32_C(0x4d43444f) /* "MCDO" */
#define MSTRO__CDO_DEAD_MAGIC UINT32_C(0x44454144) /* "DEAD": disposed */
#define MSTRO__GROUP_MAGIC    UINT32_C(0x4d475250) /* "MGRP" */
#define MSTRO__SUB_MAGIC      UINT32_C(0x4d535542) /* "MSUB" */

/* Application id of this component in events (a local pool has one). */
#define MSTRO__LOCAL_APPID ((mstro_app_id)1)

struct mstro__offer; /* pool.c */

struct mstro_cdo_ {
  uint32_t magic;
  mstro__cdo_state state;
  char *name;
  uint64_t id;             /* unique per process */
  mstro__attr_dict *attrs; /* NULL once disposed */

  /* data: valid from seal (producer) or demand (consumer) on */
  void *data;
  int64_t size;         /* bytes; 0: no data */
  bool data_owned;      /* Maestro-allocated: freed at dispose */
  bool has_user_buffer; /* raw-ptr given by the user */
  mmbArray *array;      /* created by access_mamba_array */

  /* producer: the pool record while offered */
  struct mstro__offer *offer;
  /* consumer: zero-copy borrow of a producer's buffer (pool.c) */
  struct mstro__offer *borrow;
  struct mstro_cdo_ *borrow_next; /* in the offer's borrower list */
  pthread_t borrow_thread;
  bool in_pool_require;
  /* consumer: bytes of another process were read (RMA) into the user's
   * buffer, whose registration is cached until dispose (pool_pm.c) */
  bool rma_into_user;

  /* the group that created this handle (disposed with it), or NULL */
  struct mstro_group_ *owner_group;

  /* every live handle, for finalize */
  struct mstro_cdo_ *all_prev, *all_next;
};

/* ---- library state (init.c) ---- */
struct mstro__options {
  const char *workflow_name;
  const char *component_name;
  const char *pm_info;
  const char *telemetry_dst;
  int transport_default; /* index in mstro__transport_names; 0: auto */
  bool drop_unknown;
  long long pm_timeout;
  long long pm_spin_us;
  const char *gfs_dir;
  const char *mio_conf;
  const char *mio_pool;
  const char *ofi_provider;
  const char *schema_path;
  const char *schema_list;
};

struct mstro__core {
  atomic_bool initialized;
  char *workflow_name;
  char *component_name;
  int64_t component_index;
  struct mstro__options opts;
};
extern struct mstro__core mstro__g;

/* MSTRO_UNINIT with a log line unless the library is initialized. */
mstro_status mstro__check_init(const char *func);
#define MSTRO__REQUIRE_INIT()                                                                      \
  do {                                                                                             \
    if (!atomic_load_explicit(&mstro__g.initialized, memory_order_acquire))                        \
      return mstro__check_init(__func__);                                                          \
  } while (0)

/* ---- CDOs (cdo.c) ---- */
/* Validate a handle: MSTRO_INVARG for NULL or a non-CDO; MSTRO_INVSTATE
 * (logged) for a disposed one. */
mstro_status mstro__cdo_validate(mstro_cdo cdo, mstro__cdo_op op, const char *func);
/* A new handle in state DECLARED (no event). */
mstro_status mstro__cdo_create(const char *name, mstro_cdo *result);
/* Free everything at finalize. */
void mstro__cdo_fini(void);
/* Fill a consumer handle's attributes from a producer's (group demand). */
mstro_status mstro__cdo_fill_metadata(mstro_cdo consumer, const mstro__attr_dict *src);
size_t mstro__cdo_live_count(void);

/* ---- memory (mem.c): Maestro-provided storage ---- */
mstro_status mstro__mem_init(void);
void mstro__mem_fini(void);
/* Allocate `size` bytes in the memory layer `mem_layer` (NULL: DRAM). */
mstro_status mstro__mem_alloc(size_t size, const char *mem_layer, void **ptr);
void mstro__mem_free(void *ptr);
/* Wrap memory as an mmbArray; MSTRO_UNIMPL without libmamba arrays. */
mstro_status mstro__mem_wrap_array(void *data, size_t elem_size, size_t ndims, const int64_t *dims,
                                   int order, mmbArray **array);
void mstro__mem_array_destroy(mmbArray *array);
/* Whether Maestro memory comes from libmamba (false: malloc fallback). */
bool mstro__mem_uses_mamba(void);

/* ---- the in-process pool (pool.c) ---- */
mstro_status mstro__pool_init(void);
/* Withdraws what is still offered (logged); returns how many. */
size_t mstro__pool_fini(void);
mstro_status mstro__pool_offer(mstro_cdo cdo);
mstro_status mstro__pool_withdraw(mstro_cdo cdo);
mstro_status mstro__pool_require(mstro_cdo cdo);
mstro_status mstro__pool_retract(mstro_cdo cdo);
/* Blocks until an offer exists, then brings metadata and data into cdo. */
mstro_status mstro__pool_demand(mstro_cdo cdo);
/* Ends a zero-copy borrow (consumer dispose). */
void mstro__pool_release_borrow(mstro_cdo cdo);
/* Group records. */
struct mstro_group_;
mstro_status mstro__pool_group_offer(struct mstro_group_ *g, const char *name);
mstro_status mstro__pool_group_withdraw(struct mstro_group_ *g, const char *name);
mstro_status mstro__pool_group_require(struct mstro_group_ *g, const char *name, bool require);
/* Waits until a group named `name` is offered; calls fill(dst, producer)
 * while that offer is pinned (the producer's group is sealed and immutable,
 * its members are offered). */
typedef mstro_status (*mstro__group_fill_fn)(struct mstro_group_ *dst,
                                             const struct mstro_group_ *producer);
mstro_status mstro__pool_group_demand(struct mstro_group_ *g, const char *name,
                                      mstro__group_fill_fn fill);
/* Offer records needed by groups: metadata of the oldest offer of `name`
 * pinned (MSTRO_NOENT if none); unpin with mstro__pool_unpin. */
mstro_status mstro__pool_pin_offer(const char *name, struct mstro__offer **offer,
                                   const mstro__attr_dict **attrs);
void mstro__pool_unpin(struct mstro__offer *offer);

/* Bring a producer's metadata (attrs) and data (*data, `size` bytes of
 * Maestro-provided memory fetched from another process; NULL: none) into
 * consumer c, in c's layout; c may take *data over (then *data is NULL). */
mstro_status mstro__pool_satisfy_from(mstro_cdo c, const mstro__attr_dict *attrs, void **data,
                                      int64_t size, const char *transport);

/* ---- the cross-process pool (pool_pm.c) ---- */
/* Whether mstro_init joined a Pool Manager (the pool operations then go
 * through it). */
bool mstro__pm_active(void);
uint64_t mstro__pm_appid(void);
/* Join the PM of MSTRO_POOL_MANAGER_INFO: MSTRO_OK; MSTRO_AUTH (refused);
 * MSTRO_NO_PM (unreachable); MSTRO_INVARG (malformed info); MSTRO_TRANSPORT. */
mstro_status mstro__pm_join(void);
/* Leave (MSTRO_NO_PM when the PM had gone); offers still listed are dropped. */
mstro_status mstro__pm_leave(void);
mstro_status mstro__pm_offer(mstro_cdo cdo);
mstro_status mstro__pm_withdraw(mstro_cdo cdo);
mstro_status mstro__pm_require(mstro_cdo cdo, bool require);
mstro_status mstro__pm_demand(mstro_cdo cdo);
struct mstro__ev_info;
/* Announce (subscribe true) or cancel a subscription at the PM, which then
 * forwards the events of the other components (kind mask, options). */
mstro_status mstro__pm_subscribe(uint64_t remote_id, unsigned mask, unsigned opts, bool subscribe);
/* An event of another component for subscription `remote_id` (pm_rx thread).
 * `ack_event_id` != 0: the causing operation waits (REQUIRE_ACK) until
 * mstro__pm_event_ack(remote_id, ack_event_id); an event the subscription
 * does not take is acked at once. */
void mstro__event_deliver_remote(uint64_t remote_id, mstro_pool_event_kind kind, uint64_t appid,
                                 uint64_t src_appid, uint64_t ack_event_id,
                                 const struct mstro__ev_info *info);
/* Release an operation of another component held for our ack (EVENT_ACK). */
mstro_status mstro__pm_event_ack(uint64_t remote_id, uint64_t event_id);
/* A consumer handle goes away: drop what was fetched for it ahead. */
void mstro__pm_forget_cdo(mstro_cdo cdo);
/* Drop cached RMA registrations of a user buffer (before the user may free
 * it: at dispose of a consumer, after withdraw of a producer). */
void mstro__pm_forget_buffer(const void *buf, size_t len);
/* Tell the PM of a declare (true) or dispose (false); waits only for the
 * release when another member holds the kind (_REQUIRE_ACK): MSTRO_NO_PM
 * when the PM went away meanwhile, MSTRO_OK otherwise. */
mstro_status mstro__pm_notify(mstro_cdo cdo, bool declare);
/* A sealed CDO: told to the PM when another member subscribes to SEAL (and
 * held until acked when one holds it, _REQUIRE_ACK). */
mstro_status mstro__pm_seal(mstro_cdo cdo);
/* Whether another member holds (_REQUIRE_ACK) / watches this kind of this
 * component's operations (the PM's ACK_MASK). */
bool mstro__pm_holds(mstro_pool_event_kind kind);
bool mstro__pm_watched(mstro_pool_event_kind kind);

/* ---- groups (groups.c) ---- */
void mstro__groups_fini(void);
/* A handle a group created was disposed by the application. */
void mstro__group_forget_member(struct mstro_group_ *g, mstro_cdo cdo);

/* ---- events (events.c) ---- */
mstro_status mstro__events_init(void);
void mstro__events_fini(void);

typedef enum { MSTRO__EV_BEFORE = 0, MSTRO__EV_AFTER = 1 } mstro__ev_phase;

/* What an event is about (fields as apply to the kind). */
struct mstro__ev_info {
  const char *cdo_name;
  const mstro__attr_dict *attrs; /* for the selectors; NULL: empty */
  const char *group_name;
  uint64_t size;
  const char *transport;
  const char *component_name;
  int64_t component_index;
};

/* Nonzero when some subscription wants `kind` in `phase` (lock-free). */
extern atomic_uint mstro__ev_wanted[2];
static inline bool mstro__events_wanted(mstro_pool_event_kind kind, mstro__ev_phase phase)
{
  return (atomic_load_explicit(&mstro__ev_wanted[phase], memory_order_acquire) & (unsigned)kind) !=
         0;
}
/* Deliver an event to the subscriptions of that phase and wait for the acks
 * they require. Never called with a lock of the pool held. */
mstro_status mstro__event_raise_slow(mstro_pool_event_kind kind, mstro__ev_phase phase,
                                     const struct mstro__ev_info *info);
static inline mstro_status mstro__event_raise(mstro_pool_event_kind kind, mstro__ev_phase phase,
                                              const struct mstro__ev_info *info)
{
  if (!mstro__events_wanted(kind, phase))
    return MSTRO_OK;
  return mstro__event_raise_slow(kind, phase, info);
}

/* ---- telemetry (telemetry.c) ---- */
typedef enum {
  MSTRO__TM_DECLARE = 0,
  MSTRO__TM_SEAL,
  MSTRO__TM_OFFER,
  MSTRO__TM_WITHDRAW,
  MSTRO__TM_REQUIRE,
  MSTRO__TM_RETRACT,
  MSTRO__TM_DEMAND,
  MSTRO__TM_DISPOSE,
  MSTRO__TM_GROUP_OFFER,
  MSTRO__TM_GROUP_DEMAND,
  MSTRO__TM_EVENT,
  MSTRO__TM_SUBSCRIBE,
  MSTRO__TM_ERROR,
  MSTRO__TM_MAX
} mstro__tm_op;
void mstro__tm_reset(void);
void mstro__tm_count(mstro__tm_op op);
/* Bytes brought to a consumer: copied (possibly transformed) or shared. */
void mstro__tm_bytes(uint64_t copied, uint64_t zero_copy, uint64_t transformed);
void mstro__tm_demand_latency(uint64_t ns);
/* Write the report (JSON to MSTRO_TELEMETRY_DST, or the log). */
mstro_status mstro__tm_report(const char *dst);

#endif
