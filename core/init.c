/* SPDX-License-Identifier: BSD-3-Clause */
/* mstro_init / mstro_finalize: the environment (env.c), the modules in
 * order, and the one choice of the pool backend. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "core.h"
#include "env.h"
#include "events.h"
#include "groups.h"
#include "launcher_env.h"
#include "mem.h"
#include "pool_backend.h"
#include "schema.h"
#include "telemetry.h"
#include "mtr.h"

struct mstro__core mstro__g;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

mstro_status mstro__check_init(const char *func)
{
  if (atomic_load_explicit(&mstro__g.initialized, memory_order_acquire))
    return MSTRO_OK;
  MSTRO_LOG_ERR(CORE, "%s called before mstro_init (or after mstro_finalize)", func);
  return MSTRO_UNINIT;
}

static void free_names(void)
{
  free(mstro__g.workflow_name);
  free(mstro__g.component_name);
  mstro__g.workflow_name = mstro__g.component_name = NULL;
  mmb__log_set_component(NULL, -1);
}

mstro_status mstro_init(const char *workflow_name, const char *component_name,
                        int64_t component_index)
{
  mstro_status st = MSTRO_OK;
  char err[512] = "";
  bool schemas = false, mem = false, events = false, pool = false;

  pthread_mutex_lock(&init_lock);
  if (atomic_load(&mstro__g.initialized)) {
    MSTRO_LOG_ERR(CORE, "mstro_init called twice without mstro_finalize");
    pthread_mutex_unlock(&init_lock);
    return MSTRO_NOT_TWICE;
  }

  if (mmb__log_configure(&mstro__log_domain, err, sizeof err) != 0) {
    /* the logger fell back to defaults for the bad setting and still works */
    MSTRO_LOG_ERR(CORE, "mstro_init: bad logging setting: %s", err);
    st = MSTRO_INVARG;
    goto cleanup;
  }
  memset(&mstro__g.opts, 0, sizeof mstro__g.opts);
  MSTRO_CHECK(CORE, mstro__env_load(&mstro__g.opts, err, sizeof err) == MSTRO_OK, st, MSTRO_INVARG,
              "mstro_init: bad environment: %s", err);

  if (workflow_name == NULL)
    workflow_name = mstro__g.opts.workflow_name;
  if (component_name == NULL)
    component_name = mstro__g.opts.component_name;
  MSTRO_CHECK(CORE, workflow_name != NULL && *workflow_name != '\0', st, MSTRO_INVARG,
              "mstro_init: no workflow name (argument NULL and MSTRO_WORKFLOW_NAME unset)");
  MSTRO_CHECK(CORE, component_name != NULL && *component_name != '\0', st, MSTRO_INVARG,
              "mstro_init: no component name (argument NULL and MSTRO_COMPONENT_NAME unset)");
  MSTRO_CHECK(CORE,
              component_index >= 0 ||
                  mstro__component_index_from_env(&component_index, err, sizeof err) == MSTRO_OK,
              st, MSTRO_INVARG, "mstro_init: %s", err);

  /* the transport layer's variables are refused here too, pool or no PM */
  MSTRO_CHECK(CORE, mtr_env_check(err, sizeof err) == MTR_OK, st, MSTRO_INVARG,
              "mstro_init: bad transport setting: %s", err);
  const char *requested = NULL;
  if (mtr_transport_requested(&requested) == MTR_OK && requested != NULL &&
      mstro__g.opts.pm_info == NULL)
    MSTRO_LOG_INFO(CORE, "MSTRO_TRANSPORT_DEFAULT=%s noted; a local pool moves data in memory",
                   requested);

  mstro__g.workflow_name = strdup(workflow_name);
  mstro__g.component_name = strdup(component_name);
  MSTRO_CHECK(CORE, mstro__g.workflow_name && mstro__g.component_name, st, MSTRO_NOMEM,
              "mstro_init: out of memory");
  mstro__g.component_index = component_index;
  mmb__log_set_component(component_name, component_index); /* in every log line from now */

  MSTRO_CHECK_CALL(CORE, st, mstro__schemas_init(), "mstro_init: cannot load the schemas");
  schemas = true;
  MSTRO_CHECK_CALL(CORE, st, mstro__mem_init(), "mstro_init: cannot initialize memory");
  mem = true;
  MSTRO_CHECK_CALL(CORE, st, mstro__events_init(), "mstro_init: cannot initialize events");
  events = true;
  /* The one place that decides which pool serves this component. */
  mstro__pool = mstro__g.opts.pm_info != NULL ? &mstro__pool_pm : &mstro__pool_local;
  MSTRO_CHECK(CORE,
              mstro__pool->version == MSTRO__POOL_BACKEND_VERSION &&
                  mstro__pool->size == sizeof(struct mstro__pool_backend),
              st, MSTRO_FAIL, "mstro_init: the %s backend was built for another pool table",
              mstro__pool->name);
  MSTRO_CHECK_CALL(CORE, st, mstro__pool->start(), "mstro_init: cannot start the %s",
                   mstro__pool->description);
  pool = true;
  mstro__tm_reset();

  atomic_store_explicit(&mstro__g.initialized, true, memory_order_release);
  MSTRO_LOG_INFO(CORE, "maestro %s initialized: workflow '%s', component '%s' #%lld, %s",
                 mstro_version(), mstro__g.workflow_name, mstro__g.component_name,
                 (long long)component_index, mstro__pool->description);
cleanup:
  if (st != MSTRO_OK) {
    if (pool) {
      size_t left = 0;
      mstro__pool->stop(&left);
    }
    mstro__pool = &mstro__pool_local;
    if (events)
      mstro__events_fini();
    if (mem)
      mstro__mem_fini();
    if (schemas)
      mstro__schemas_fini();
    free_names();
  }
  pthread_mutex_unlock(&init_lock);
  return st;
}

mstro_status mstro_finalize(void)
{
  mstro_status st = MSTRO_OK;
  size_t left;

  pthread_mutex_lock(&init_lock);
  if (!atomic_load(&mstro__g.initialized)) {
    MSTRO_LOG_ERR(CORE, "mstro_finalize called without mstro_init");
    pthread_mutex_unlock(&init_lock);
    return MSTRO_UNINIT;
  }
  mstro__groups_fini();
  {
    mstro_status ls = mstro__pool->stop(&left);
    if (ls != MSTRO_OK) {
      MSTRO_LOG_ERR(CORE, "mstro_finalize: stopping the %s: %s", mstro__pool->description,
                    mstro_status_description(ls));
      st = ls;
    }
  }
  if (left > 0) {
    MSTRO_LOG_ERR(CORE, "mstro_finalize: %zu CDO(s) were still offered; withdrawn now", left);
    st = MSTRO_FAIL;
  }
  if (mstro__cdo_live_count() > 0)
    MSTRO_LOG_INFO(CORE, "mstro_finalize: disposing %zu CDO handle(s) the application left",
                   mstro__cdo_live_count());
  mstro__cdo_fini();
  mstro__events_fini();
  mstro__tm_report(mstro__g.opts.telemetry_dst);
  atomic_store_explicit(&mstro__g.initialized, false, memory_order_release);
  mstro__mem_fini();
  mstro__schemas_fini();
  free_names();
  pthread_mutex_unlock(&init_lock);
  return st;
}
