/* SPDX-License-Identifier: BSD-3-Clause */
/* Status strings, version and the logging domain of transport. */
#include "mtr/mtr_status.h"
#include "mtr_log.h"

static const char *const mtr_module_names[] = {"transport", "transport.ofi", "transport.gfs",
                                               "transport.mio", "transport.local"};

struct mmb__log_domain mtr__log_domain =
    MMB__LOG_DOMAIN_INIT("transport", "MSTRO", NULL, mtr_module_names, MTR__MOD_COUNT);

#define MTR__STATUS_TEXT(name, text) [name] = text,
static const char *const mtr_status_text[] = {MTR_STATUS_LIST(MTR__STATUS_TEXT)};

const char *mtr_status_description(mtr_status s)
{
  const char *text = "unknown status";
  if ((int)s >= 0 && s < MTR_STATUS_MAX && mtr_status_text[s] != NULL)
    text = mtr_status_text[s];
  return text;
}

const char *mtr_version(void)
{
  return MSTRO_VERSION_STRING;
}
