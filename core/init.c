/* mstro_init / mstro_finalize and the environment options of the core. */
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cdo.h"
#include "core.h"
#include "events.h"
#include "groups.h"
#include "mem.h"
#include "options.h"
#include "pool_backend.h"
#include "schema.h"
#include "telemetry.h"

struct mstro__core mstro__g;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

/* Index 0 is "no override"; RDMA is an alias of OFI. */
static const char *const transport_names[] = {"AUTO", "OFI", "RDMA", "GFS", "MIO", NULL};

/* MSTRO_TELEMETRY_DST: log, stderr, stdout, off, or a file we can write. */
static int validate_telemetry_dst(const char *text, void *out, char *err, size_t errlen)
{
  static const char *const words[] = {"log", "stderr", "stdout", "off"};
  char *copy;
  int ok;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcasecmp(text, words[i]) == 0) {
      *(const char **)out = text;
      return 0;
    }
  if (access(text, F_OK) == 0) {
    ok = access(text, W_OK) == 0;
  } else {
    copy = strdup(text);
    ok = copy != NULL && access(dirname(copy), W_OK | X_OK) == 0;
    free(copy);
  }
  if (!ok) {
    snprintf(err, errlen, "not log, stderr, stdout, off or a file path that can be written");
    return -1;
  }
  *(const char **)out = text;
  return 0;
}

/* Every MSTRO_* variable the core reads (docs/environment.md lists them all;
 * MSTRO_LOG_* are read by the logging engine, MSTRO_SCHEMA_* also by the
 * schema registry). */
#define OPT(f) offsetof(struct mstro__options, f)
static const struct mmb__opt_def core_opts[] = {
    {.name = "MSTRO_WORKFLOW_NAME",
     .kind = MMB__OPT_STRING,
     .offset = OPT(workflow_name),
     .doc = "workflow name when mstro_init gets NULL"},
    {.name = "MSTRO_COMPONENT_NAME",
     .kind = MMB__OPT_STRING,
     .offset = OPT(component_name),
     .doc = "component name when mstro_init gets NULL"},
    {.name = "MSTRO_POOL_MANAGER_INFO",
     .kind = MMB__OPT_STRING,
     .offset = OPT(pm_info),
     .doc = "contact string of the Pool Manager to join (unset: local pool only)"},
    {.name = "MSTRO_TRANSPORT_DEFAULT",
     .kind = MMB__OPT_ENUM,
     .choices = transport_names,
     .default_text = "AUTO",
     .offset = OPT(transport_default),
     .doc = "transport for data between components: AUTO, OFI (alias RDMA), GFS or MIO"},
    {.name = "MSTRO_DROP_UNKNOWN_ATTRIBUTES",
     .kind = MMB__OPT_BOOL,
     .default_text = "0",
     .offset = OPT(drop_unknown),
     .doc = "drop attributes no schema defines (with a warning)"},
    {.name = "MSTRO_PM_TIMEOUT",
     .kind = MMB__OPT_INT,
     .default_text = "30",
     .min = 1,
     .max = 86400,
     .offset = OPT(pm_timeout),
     .doc = "seconds before a call blocked on a silent Pool Manager returns MSTRO_NO_PM"},
    {.name = "MSTRO_PM_SPIN_US",
     .kind = MMB__OPT_INT,
     .default_text = "10000",
     .min = 0,
     .max = 10000000,
     .offset = OPT(pm_spin_us),
     .doc = "microseconds a call waiting for the Pool Manager polls for its answer before it "
            "sleeps (0: sleeps at once)"},
    {.name = "MSTRO_TELEMETRY_DST",
     .kind = MMB__OPT_CUSTOM,
     .validate = validate_telemetry_dst,
     .offset = OPT(telemetry_dst),
     .doc = "where mstro_finalize writes the telemetry report: log, stderr, stdout, off or a "
            "file path (JSON)"},
    {.name = "MSTRO_SCHEMA_PATH",
     .kind = MMB__OPT_STRING,
     .offset = OPT(schema_path),
     .doc = "':'-separated directories searched for schema files"},
    {.name = "MSTRO_SCHEMA_LIST",
     .kind = MMB__OPT_STRING,
     .offset = OPT(schema_list),
     .doc = "';'-separated user schema files to load"},
};
#undef OPT

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
  MSTRO_CHECK(CORE,
              mmb__opt_load(core_opts, sizeof core_opts / sizeof core_opts[0], &mstro__g.opts, err,
                            sizeof err) == 0,
              st, MSTRO_INVARG, "mstro_init: bad environment: %s", err);

  if (workflow_name == NULL)
    workflow_name = mstro__g.opts.workflow_name;
  if (component_name == NULL)
    component_name = mstro__g.opts.component_name;
  MSTRO_CHECK(CORE, workflow_name != NULL && *workflow_name != '\0', st, MSTRO_INVARG,
              "mstro_init: no workflow name (argument NULL and MSTRO_WORKFLOW_NAME unset)");
  MSTRO_CHECK(CORE, component_name != NULL && *component_name != '\0', st, MSTRO_INVARG,
              "mstro_init: no component name (argument NULL and MSTRO_COMPONENT_NAME unset)");
  MSTRO_CHECK(CORE, component_index >= 0, st, MSTRO_INVARG,
              "mstro_init: negative component index %lld", (long long)component_index);

  if (mstro__g.opts.transport_default != 0 && mstro__g.opts.pm_info == NULL)
    MSTRO_LOG_INFO(CORE, "MSTRO_TRANSPORT_DEFAULT=%s noted; a local pool moves data in memory",
                   transport_names[mstro__g.opts.transport_default]);

  mstro__g.workflow_name = strdup(workflow_name);
  mstro__g.component_name = strdup(component_name);
  MSTRO_CHECK(CORE, mstro__g.workflow_name && mstro__g.component_name, st, MSTRO_NOMEM,
              "mstro_init: out of memory");
  mstro__g.component_index = component_index;

  MSTRO_CHECK_CALL(CORE, st, mstro__schemas_init(), "mstro_init: cannot load the schemas");
  schemas = true;
  MSTRO_CHECK_CALL(CORE, st, mstro__mem_init(), "mstro_init: cannot initialize memory");
  mem = true;
  MSTRO_CHECK_CALL(CORE, st, mstro__events_init(), "mstro_init: cannot initialize events");
  events = true;
  /* The one place that decides which pool serves this component. */
  mstro__pool = mstro__g.opts.pm_info != NULL ? &mstro__pool_pm : &mstro__pool_local;
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
