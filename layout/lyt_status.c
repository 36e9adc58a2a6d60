/* SPDX-License-Identifier: BSD-3-Clause */
/* Status strings, version and the logging domain of lyt. */
#include "lyt/lyt_status.h"
#include "lyt_log.h"

static const char *const lyt_module_names[] = {"layout", "layout.desc", "layout.transform",
                                               "layout.dist", "layout.plan"};

struct mmb__log_domain lyt__log_domain =
    MMB__LOG_DOMAIN_INIT("lyt", "LYT", "MSTRO", lyt_module_names, LYT__MOD_COUNT);

#define LYT__STATUS_TEXT(name, text) [name] = text,
static const char *const lyt_status_text[] = {LYT_STATUS_LIST(LYT__STATUS_TEXT)};

const char *lyt_status_description(lyt_status s)
{
  const char *text = "unknown status";
  if ((int)s >= 0 && s < LYT_STATUS_MAX && lyt_status_text[s] != NULL)
    text = lyt_status_text[s];
  return text;
}

const char *lyt_version(void)
{
  return MSTRO_VERSION_STRING;
}
