/* SPDX-License-Identifier: BSD-3-Clause */
/* The CDO handle (cdo.c) as the modules of the pool area see it: its state,
 * metadata and data, and what the pool backend keeps in it. */
#ifndef MSTRO_CDO_H
#define MSTRO_CDO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "attr.h"
#include "cdo_state.h"
#include "maestro.h"

#define MSTRO__CDO_MAGIC      UINT32_C(0x4d43444f) /* "MCDO" */
#define MSTRO__CDO_DEAD_MAGIC UINT32_C(0x44454144) /* "DEAD": disposed */

struct mstro__offer; /* the local backend's offer record (pool_local.c) */

/* Told when the application disposes a handle that `owner` created (a
 * group demand creates its members): cdo.c knows no more of its owner. */
typedef void (*mstro__cdo_owner_forget_fn)(void *owner, mstro_cdo cdo);

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
  bool pool_metadata;   /* attributes filled from a producer's (group member):
                           a raw-ptr among them is not this caller's buffer */

  /* producer: the backend's record while offered (NULL: not offered) */
  void *offer;
  /* consumer: zero-copy borrow of a producer's buffer (pool_local.c) */
  struct mstro__offer *borrow;
  struct mstro_cdo_ *borrow_next; /* in the offer's borrower list */
  pthread_t borrow_thread;
  bool in_pool_require;
  /* consumer: bytes of another process were read (RMA) into the user's
   * buffer, whose registration is cached until dispose (pmc_ops.c) */
  bool rma_into_user;

  /* what created this handle (disposed with it), or NULL */
  void *owner;
  mstro__cdo_owner_forget_fn owner_forget;

  /* every live handle, for finalize */
  struct mstro_cdo_ *all_prev, *all_next;
};

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

#endif
