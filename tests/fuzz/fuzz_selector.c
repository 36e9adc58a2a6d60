/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the selector parser, then evaluation and serialization of what
 * it accepts. */
#include <string.h>

#include "fuzz_common_meta.h"

static mstro__attr_dict *dict;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_meta_init();
  if (mstro__attr_dict_create(&dict) != MSTRO_OK ||
      mstro__attr_dict_set_yaml(dict, NULL,
                                "{scope.local-size: 4096, "
                                "layout.ndims: 1, layout.dims-size: [512], "
                                ".maestro.ecmwf.step: 6, .maestro.ecmwf.param: t2m}") != MSTRO_OK)
    abort();
  const char *name = "ecmwf/od/t2m";
  if (mstro__attr_dict_set(dict, "name", &name, true, false) != MSTRO_OK)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *q = malloc(size + 1);
  if (!q)
    return 0;
  memcpy(q, data, size);
  q[size] = 0;
  mstro_cdo_selector s = NULL;
  const char *ns = size > 0 && (data[0] & 1) ? ".maestro.ecmwf." : NULL;
  if (mstro_cdo_selector_create(NULL, ns, q, &s) == MSTRO_OK) {
    bool m;
    mstro__selector_eval(s, dict, &m);
    mstro__selector_eval(s, NULL, &m);
    void *buf;
    size_t len;
    if (mstro__selector_serialize(s, &buf, &len) == MSTRO_OK) {
      mstro_cdo_selector r = NULL;
      if (mstro__selector_deserialize(buf, len, &r) != MSTRO_OK)
        abort(); /* what serializes must come back */
      mstro_cdo_selector_dispose(r);
      free(buf);
    }
    mstro_cdo_selector_dispose(s);
  }
  /* the raw bytes as a serialized selector, too */
  mstro_cdo_selector r = NULL;
  if (mstro__selector_deserialize(data, size, &r) == MSTRO_OK)
    mstro_cdo_selector_dispose(r);
  free(q);
  return 0;
}
