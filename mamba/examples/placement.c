/* SPDX-License-Identifier: BSD-3-Clause */
/* Place arrays in the fastest memory available, with a fallback, using only
 * libmamba (quoted in docs/mamba.md).
 *
 *   cc placement.c $(pkg-config --cflags --libs mamba)
 *   ./a.out [elements]
 */
#include <mamba.h>
#include <stdio.h>
#include <stdlib.h>

/* The best space able to hold `bytes`: the fastest host memory with room,
 * else any host memory (DRAM), else NULL. */
static mmbMemSpace *pick_space(size_t bytes)
{
  mmbMemSpace *s = NULL;
  if (mmb_space_fastest(MMB_EXEC_CPU, bytes, &s) == MMB_OK)
    return s;
  if (mmb_space_find("DRAM", &s) == MMB_OK)
    return s;
  return NULL;
}

/* Create a 2-D array there; if that space is full (or limited), fall back to
 * plain DRAM. */
static mmbArray *place(size_t rows, size_t cols)
{
  size_t dims[2] = {rows, cols};
  mmbArray *a = NULL;
  mmbMemSpace *s = pick_space(rows * cols * sizeof(double));
  mmb_status st =
      s ? mmb_array_create(s, sizeof(double), 2, dims, MMB_LAYOUT_ROW_MAJOR, &a) : MMB_NOT_FOUND;
  if (st != MMB_OK) {
    fprintf(stderr, "fastest space %s refused (%s), falling back to DRAM\n", mmb_space_name(s),
            mmb_status_description(st));
    mmb_space_find("DRAM", &s);
    st = mmb_array_create(s, sizeof(double), 2, dims, MMB_LAYOUT_ROW_MAJOR, &a);
  }
  return st == MMB_OK ? a : NULL;
}

int main(int argc, char **argv)
{
  size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
  size_t rows = 1000, cols = n / 1000 ? n / 1000 : 1;
  int rc = 1;

  if (mmb_init() != MMB_OK)
    return 1;
  mmb_print_all(stdout); /* what discovery found */

  mmbArray *a = place(rows, cols);
  if (a == NULL)
    goto out;
  printf("placed %zu x %zu doubles in %s\n", rows, cols, mmb_space_name(mmb_array_space(a)));

  double *d = mmb_array_data(a);
  for (size_t i = 0; i < rows * cols; i++)
    d[i] = (double)i;

  /* A small space with a limit: the placement must fall back. */
  mmb_space_config cfg = {
      .name = "scratch", .layer = MMB_LAYER_DRAM, .numa_node = -1, .limit = 1 << 20};
  mmbMemSpace *scratch = NULL;
  mmbArray *b = NULL;
  size_t dims[2] = {rows, cols};
  if (mmb_space_register(&cfg, &scratch) == MMB_OK &&
      mmb_array_create(scratch, sizeof(double), 2, dims, MMB_LAYOUT_ROW_MAJOR, &b) != MMB_OK) {
    printf("scratch space too small, as expected: using %s\n", mmb_space_name(mmb_array_space(a)));
  }

  /* Work on tiles of the array. */
  size_t tile[2] = {256, 256};
  mmbTileIterator *it = NULL;
  mmbArray *t = NULL;
  double sum = 0;
  mmb_array_tile(a, tile);
  mmb_tile_iterator_create(a, &it);
  while (mmb_tile_iterator_next(it, &t)) {
    const size_t *td = mmb_array_dims(t);
    for (size_t i = 0; i < td[0]; i++)
      for (size_t j = 0; j < td[1]; j++)
        sum += *(double *)mmb_array_element(t, (size_t[]){i, j});
  }
  mmb_tile_iterator_destroy(it);
  double expect = (double)(rows * cols) * (double)(rows * cols - 1) / 2;
  printf("sum over tiles %.0f (expected %.0f)\n", sum, expect);
  if (sum == expect && b == NULL)
    rc = 0;
  mmb_array_destroy(b);
  mmb_array_destroy(a);
out:
  mmb_finalize();
  printf("placement example: %s\n", rc == 0 ? "ok" : "FAILED");
  return rc;
}
