/* SPDX-License-Identifier: BSD-3-Clause */
/* mstro_pm_start / mstro_pm_getinfo / mstro_pm_terminate
 * (include/maestro/pool_manager.h): the server of pm_dispatch.c (pm_server.h) on a thread of
 * the calling process. */
#include <pthread.h>
#include <stdlib.h>

#include "internal_api.h"
#include "maestro/pool_manager.h"
#include "mstro_log.h"
#include "pm_server.h"

static pthread_mutex_t pm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mstro__pm_server *pm_srv;
static pthread_t pm_thread;

static void *pm_thread_main(void *arg)
{
  mstro__pm_server_run(arg, NULL);
  return NULL;
}

mstro_status mstro__pm_start_with(const struct mstro__pm_config *cfg, struct mstro__pm_chan *chan)
{
  mstro_status st = MSTRO_OK;
  struct mstro__pm_server *srv = NULL;
  pthread_mutex_lock(&pm_lock);
  if (pm_srv != NULL) {
    MSTRO_LOG_ERR(PM, "this process already runs a Pool Manager");
    if (chan != NULL)
      chan->ops->close(chan);
    st = MSTRO_NOT_TWICE;
    goto cleanup;
  }
  MSTRO_CHECK_CALL(PM, st, mstro__pm_server_create(cfg, chan, &srv),
                   "cannot create the Pool Manager");
  int rc = pthread_create(&pm_thread, NULL, pm_thread_main, srv);
  MSTRO_CHECK(PM, rc == 0, st, MSTRO_FAIL, "cannot start the Pool Manager thread (error %d)", rc);
  pm_srv = srv;
  srv = NULL;
  MSTRO_LOG_INFO(PM, "Pool Manager of workflow '%s' started", cfg->workflow_name);
cleanup:
  mstro__pm_server_destroy(srv);
  pthread_mutex_unlock(&pm_lock);
  return st;
}

mstro_status mstro_pm_start(void)
{
  /* The name mstro_init recorded (argument or MSTRO_WORKFLOW_NAME): the PM
   * serves the workflow this process belongs to. A process that only hosts
   * the PM (no mstro_init) names the workflow in the environment. */
  const char *wf = mstro__workflow_name();
  if (wf == NULL)
    wf = getenv("MSTRO_WORKFLOW_NAME");
  if (wf == NULL || wf[0] == '\0') {
    MSTRO_LOG_ERR(PM, "mstro_pm_start: no workflow name: call mstro_init first (or set "
                      "MSTRO_WORKFLOW_NAME in a process that only hosts the Pool Manager)");
    return MSTRO_UNINIT;
  }
  struct mstro__pm_chan *chan = NULL;
  mstro_status st = mstro__pm_chan_mtr_open(NULL, &chan);
  if (st != MSTRO_OK) {
    MSTRO_LOG_ERR(PM, "mstro_pm_start: no fabric endpoint for the Pool Manager");
    return st == MSTRO_NOMEM ? st : MSTRO_TRANSPORT;
  }
  struct mstro__pm_config cfg = {.workflow_name = wf};
  return mstro__pm_start_with(&cfg, chan);
}

mstro_status mstro_pm_getinfo(char **info)
{
  mstro_status st = MSTRO_OK;
  MSTRO_CHECK(PM, info != NULL, st, MSTRO_INVARG, "mstro_pm_getinfo: NULL result");
  pthread_mutex_lock(&pm_lock);
  if (pm_srv == NULL) {
    st = MSTRO_NOENT;
    *info = NULL;
  } else {
    st = mstro__pm_server_info(pm_srv, info);
  }
  pthread_mutex_unlock(&pm_lock);
cleanup:
  return st;
}

mstro_status mstro_pm_terminate(void)
{
  pthread_mutex_lock(&pm_lock);
  struct mstro__pm_server *srv = pm_srv;
  pm_srv = NULL;
  pthread_mutex_unlock(&pm_lock);
  if (srv == NULL)
    return MSTRO_NOENT;
  mstro__pm_server_stop(srv);
  pthread_join(pm_thread, NULL); /* the thread sends PM_LEAVE on its way out */
  mstro__pm_server_destroy(srv);
  MSTRO_LOG_INFO(PM, "Pool Manager terminated");
  return MSTRO_OK;
}
