/* SPDX-License-Identifier: BSD-3-Clause */
/* Status strings, version and the logging domain of mamba. */
#include "mamba/mmb_status.h"
#include "mmb_log.h"

static const char *const mmb_module_names[] = {"mamba",      "mamba.layer", "mamba.space",
                                               "mamba.pool", "mamba.reg",   "mamba.array",
                                               "mamba.copy", "mamba.numa",  "mamba.cuda"};

struct mmb__log_domain mmb__log_domain =
    MMB__LOG_DOMAIN_INIT("mamba", "MMB", "MSTRO", mmb_module_names, MMB__MOD_COUNT);

#define MMB__STATUS_TEXT(name, text) [name] = text,
static const char *const mmb_status_text[] = {MMB_STATUS_LIST(MMB__STATUS_TEXT)};

const char *mmb_status_description(mmb_status s)
{
  const char *text = "unknown status";
  if ((int)s >= 0 && s < MMB_STATUS_MAX && mmb_status_text[s] != NULL)
    text = mmb_status_text[s];
  return text;
}

const char *mmb_version(void)
{
  return MSTRO_VERSION_STRING;
}
