/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lyt_dist_deserialize (hostile input).
 * Properties: never crash; whatever decodes re-encodes to the same bytes;
 * small decoded distributions survive a plan to themselves with zero remote
 * volume and a scatter/gather round trip.
 *
 *   CC=clang cmake -B build-fuzz -DMSTRO_FUZZ=ON -DMSTRO_SANITIZE=address
 *   cmake --build build-fuzz --target fuzz_lyt_dist
 *   mkdir -p /tmp/lyt-corpus   (new inputs go to the first directory)
 *   ./build-fuzz/tests/layout/fuzz_lyt_dist -max_total_time=60 /tmp/lyt-corpus
 * tests/layout/corpus/dist
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lyt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  lyt_dist *d = NULL;
  if (lyt_dist_deserialize(data, size, &d) != LYT_OK)
    return 0;
  size_t len = 0;
  if (lyt_dist_serialize(d, NULL, 0, &len) != LYT_OK || len != size)
    abort();
  unsigned char *buf = malloc(len);
  if (!buf || lyt_dist_serialize(d, buf, len, &len) != LYT_OK || memcmp(buf, data, size) != 0)
    abort();
  free(buf);
  int64_t dims[LYT_MAX_DIMS], n = 1;
  int nd = lyt_dist_ndims(d);
  lyt_dist_get_dims(d, dims);
  for (int k = 0; k < nd; k++)
    n = dims[k] > (1 << 16) || n > (1 << 16) ? (1 << 30) : n * dims[k];
  size_t e = lyt_dist_elem_size(d);
  if (lyt_dist_nranks(d) <= 16 && n * (int64_t)e <= (1 << 16)) {
    lyt_plan *p = NULL;
    uint64_t rem = 1;
    if (lyt_plan_create(d, d, NULL, &p) != LYT_OK || lyt_plan_volume(p, &rem, NULL) != LYT_OK ||
        rem != 0)
      abort();
    lyt_plan_destroy(p);
    lyt_layout *g = NULL;
    if (lyt_layout_create_dense(e, nd, dims, LYT_ROW_MAJOR, &g) == LYT_OK) {
      size_t gb = (size_t)lyt_layout_span_bytes(g);
      unsigned char *G = malloc(gb), *H = malloc(gb);
      void *loc[16] = {0};
      for (size_t i = 0; i < gb; i++)
        G[i] = (unsigned char)(i * 31 + 7);
      for (int r = 0; r < lyt_dist_nranks(d); r++) {
        size_t b = 0;
        lyt_dist_local_bytes(d, r, &b);
        loc[r] = malloc(b ? b : 1);
      }
      if (lyt_dist_scatter(d, g, G, loc) != LYT_OK ||
          lyt_dist_gather(d, (const void *const *)loc, g, H) != LYT_OK || memcmp(G, H, gb) != 0)
        abort();
      for (int r = 0; r < lyt_dist_nranks(d); r++)
        free(loc[r]);
      free(G);
      free(H);
      lyt_layout_destroy(g);
    }
  }
  lyt_dist_destroy(d);
  return 0;
}
