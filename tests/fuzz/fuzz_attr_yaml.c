/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: attribute values set from YAML text (mstro_cdo_attribute_set_yaml). */
#include <string.h>

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
  char *t = malloc(size + 1);
  if (!t)
    return 0;
  memcpy(t, data, size);
  t[size] = 0;
  mstro__attr_dict *d = NULL;
  if (mstro__attr_dict_create(&d) == MSTRO_OK) {
    mstro__attr_dict_set_yaml(d, NULL, t);
    mstro__attr_dict_set_yaml(d, "layout.dims-size", t);
    mstro__attr_dict_set_yaml(d, ".maestro.ecmwf.date", t);
    void *buf;
    size_t len;
    if (mstro__attr_dict_serialize(d, &buf, &len) == MSTRO_OK) {
      mstro__attr_dict *r = NULL;
      if (mstro__attr_dict_deserialize(buf, len, &r) != MSTRO_OK)
        abort(); /* a valid dictionary must round-trip */
      mstro__attr_dict_destroy(r);
      free(buf);
    }
    mstro__attr_dict_destroy(d);
  }
  free(t);
  return 0;
}
