/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the attribute dictionary decoder (metadata shipped between
 * processes): hostile input must give MSTRO_INVMSG, never a crash. */
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
  mstro__attr_dict *d = NULL;
  if (mstro__attr_dict_deserialize(data, size, &d) == MSTRO_OK) {
    void *buf;
    size_t len;
    if (mstro__attr_dict_serialize(d, &buf, &len) == MSTRO_OK)
      free(buf);
    mstro__attr_dict_destroy(d);
  }
  return 0;
}
