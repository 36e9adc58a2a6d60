/* Groups (groups.c): what finalize needs of them. */
#ifndef MSTRO_GROUPS_H
#define MSTRO_GROUPS_H

#define MSTRO__GROUP_MAGIC UINT32_C(0x4d475250) /* "MGRP" */

void mstro__groups_fini(void);

#endif
