/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the YAML schema parser (libyaml document + schema rules). */
#include "fuzz_common_meta.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_meta_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static unsigned runs;
  /* accepted inputs are registered: start from a fresh registry regularly */
  if (++runs % 256 == 0) {
    mstro__schemas_fini();
    if (mstro__schemas_init() != MSTRO_OK)
      abort();
  }
  mstro_schema s = NULL;
  mstro__schema_load_buffer((const char *)data, size, "fuzz.yaml", &s);
  return 0;
}
