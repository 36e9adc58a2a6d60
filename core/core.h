/* SPDX-License-Identifier: BSD-3-Clause */
/* The library-wide state of libmaestro (init.c): the options read from the
 * environment at mstro_init and the names given to it. */
#ifndef MSTRO_CORE_H
#define MSTRO_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "maestro.h"
#include "mstro_log.h"

/* Application id of this component in events (a local pool has one). */
#define MSTRO__LOCAL_APPID ((mstro_app_id)1)

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

#endif
