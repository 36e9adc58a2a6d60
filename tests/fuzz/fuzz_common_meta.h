/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared set-up of the metadata fuzzers: schemas loaded once (the core
 * schema and the example ECMWF schema), logging of the core off. */
#ifndef MSTRO_FUZZ_COMMON_META_H
#define MSTRO_FUZZ_COMMON_META_H

#include <stdint.h>
#include <stdlib.h>

#include "attr.h"
#include "schema.h"
#include "selector_internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_meta_init(void)
{
  setenv("MSTRO_LOG_MODULES", "^core", 0);
  setenv("MSTRO_SCHEMA_LIST", "ecmwf-example.yaml", 0);
  if (mstro__schemas_init() != MSTRO_OK)
    abort();
}

#endif
