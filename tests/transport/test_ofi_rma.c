/* SPDX-License-Identifier: BSD-3-Clause */
/* OFI one-sided reads between two processes: the child exposes 64 MiB (and a
 * second, small region), sends the descriptors as control messages and
 * serves reads until told to stop; the parent reads 1 B .. 64 MiB at several
 * offsets, including sizes that are not multiples of the chunk, with the
 * default pipeline and with a small chunk (many chunks in flight), and
 * verifies every byte. Bad descriptors and ranges are refused. argv[1]:
 * provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ofi_pair.h"

#define BIG      (64u << 20)
#define SMALL    5000u
#define TAG_DESC 1u
#define TAG_STOP 2u

static struct pair P;
static unsigned char desc_big[MTR_REGION_DESC_SIZE], desc_small[MTR_REGION_DESC_SIZE];
static unsigned char *dst;

static int serve(struct pair *p)
{
  unsigned char *big = malloc(BIG), *small = malloc(SMALL);
  mtr_region *rb = NULL, *rs = NULL;
  unsigned char d[2 * MTR_REGION_DESC_SIZE];
  if (big == NULL || small == NULL)
    return 3;
  for (size_t i = 0; i < BIG; i++)
    big[i] = pair_byte(i, 1);
  for (size_t i = 0; i < SMALL; i++)
    small[i] = pair_byte(i, 2);
  if (mtr_region_expose(p->ep, big, BIG, &rb) != MTR_OK ||
      mtr_region_expose(p->ep, small, SMALL, &rs) != MTR_OK)
    return 4;
  if (mtr_region_desc(rb, d, MTR_REGION_DESC_SIZE) != MTR_OK ||
      mtr_region_desc(rs, d + MTR_REGION_DESC_SIZE, MTR_REGION_DESC_SIZE) != MTR_OK)
    return 5;
  if (mtr_ep_send(p->ep, p->peer, TAG_DESC, d, sizeof d, 20000) != MTR_OK)
    return 6;
  /* serve reads (progress) while waiting for the stop message */
  for (;;) {
    size_t len;
    uint64_t tag = 0;
    mtr_status st = mtr_ep_recv(p->ep, NULL, &tag, d, sizeof d, &len, 60000);
    if (st != MTR_OK)
      return 7;
    if (tag == TAG_STOP)
      break;
  }
  if (mtr_region_release(rb) != MTR_OK || mtr_region_release(rs) != MTR_OK)
    return 8;
  if (mtr_ep_invalidate(p->ep, big, BIG) != MTR_OK ||
      mtr_ep_invalidate(p->ep, small, SMALL) != MTR_OK)
    return 9;
  free(big);
  free(small);
  return 0;
}

static int start(const struct mtr_ep_config *cfg)
{
  if (pair_start(&P, cfg) != 0) {
    if (P.child == 0)
      _exit(2);
    return -1;
  }
  if (P.child == 0) {
    int rc = serve(&P);
    pair_close(&P);
    _exit(rc);
  }
  unsigned char d[2 * MTR_REGION_DESC_SIZE];
  size_t len = 0;
  uint64_t tag = 0;
  if (mtr_ep_recv(P.ep, NULL, &tag, d, sizeof d, &len, 30000) != MTR_OK || tag != TAG_DESC ||
      len != sizeof d)
    return -1;
  memcpy(desc_big, d, MTR_REGION_DESC_SIZE);
  memcpy(desc_small, d + MTR_REGION_DESC_SIZE, MTR_REGION_DESC_SIZE);
  dst = malloc(BIG);
  return dst == NULL ? -1 : 0;
}

static int setup_default(void **state)
{
  return start(NULL);
}

static int setup_small_chunks(void **state)
{
  struct mtr_ep_config cfg = {.size = sizeof cfg, .chunk_size = 256u << 10, .max_inflight = 4};
  return start(&cfg);
}

static int teardown(void **state)
{
  mtr_ep_send(P.ep, P.peer, TAG_STOP, NULL, 0, 5000);
  int rc = pair_wait_child(&P, 30);
  mtr_ep_invalidate(P.ep, dst, BIG);
  pair_close(&P);
  free(dst);
  dst = NULL;
  if (rc != 0)
    fprintf(stderr, "serving child exited with %d\n", rc);
  return rc == 0 ? 0 : -1;
}

static void check_read(size_t off, size_t n)
{
  memset(dst, 0xee, n + 1 < BIG ? n + 1 : BIG);
  double t0 = pair_now();
  assert_int_equal(mtr_ep_read(P.ep, P.peer, desc_big, sizeof desc_big, off, dst, n, 30000),
                   MTR_OK);
  double dt = pair_now() - t0;
  for (size_t i = 0; i < n; i++)
    if (dst[i] != pair_byte(off + i, 1))
      fail_msg("byte %zu of a %zu-byte read at offset %zu differs", i, n, off);
  if (n < BIG)
    assert_int_equal(dst[n], 0xee); /* nothing written past the end */
  if (n >= (1u << 20))
    print_message("read %8zu bytes at %zu: %.3f ms, %.2f GB/s\n", n, off, dt * 1e3,
                  (double)n / dt / 1e9);
}

static void test_sizes(void **state)
{
  char info[512];
  mtr_ep_info(P.ep, info, sizeof info);
  print_message("%s\n", info);
  const size_t sizes[] = {1,
                          2,
                          4095,
                          4096,
                          4097,
                          65537,
                          1u << 20,
                          (4u << 20) - 1,
                          (4u << 20) + 1,
                          (12u << 20) - 7,
                          16u << 20,
                          33333333u,
                          BIG};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    check_read(0, sizes[i]);
  check_read(3, 1000);
  check_read(BIG - 1, 1);
  check_read(12345, (5u << 20) + 17);
  check_read(BIG - 100, 100);
  /* the small region */
  unsigned char s[SMALL];
  assert_int_equal(mtr_ep_read(P.ep, P.peer, desc_small, sizeof desc_small, 0, s, SMALL, 10000),
                   MTR_OK);
  for (size_t i = 0; i < SMALL; i++)
    assert_int_equal(s[i], pair_byte(i, 2));
}

static void test_bad_reads(void **state)
{
  unsigned char bad[MTR_REGION_DESC_SIZE];
  /* out of range */
  assert_int_equal(
      mtr_ep_read(P.ep, P.peer, desc_small, MTR_REGION_DESC_SIZE, 0, dst, SMALL + 1, 1000),
      MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_read(P.ep, P.peer, desc_small, MTR_REGION_DESC_SIZE, SMALL, dst, 1, 1000),
                   MTR_INVALID_ARG);
  assert_int_equal(
      mtr_ep_read(P.ep, P.peer, desc_small, MTR_REGION_DESC_SIZE, UINT64_MAX, dst, 2, 1000),
      MTR_INVALID_ARG);
  /* zero length: nothing to do */
  assert_int_equal(mtr_ep_read(P.ep, P.peer, desc_small, MTR_REGION_DESC_SIZE, 0, NULL, 0, 1000),
                   MTR_OK);
  /* corrupted descriptors */
  for (size_t i = 0; i < MTR_REGION_DESC_SIZE; i += 3) {
    memcpy(bad, desc_small, sizeof bad);
    bad[i] ^= 0x40;
    assert_int_equal(mtr_ep_read(P.ep, P.peer, bad, sizeof bad, 0, dst, 10, 1000), MTR_INVALID_ARG);
  }
  assert_int_equal(mtr_ep_read(P.ep, P.peer, desc_small, 10, 0, dst, 10, 1000), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_read(P.ep, P.peer, NULL, 40, 0, dst, 10, 1000), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_read(P.ep, MTR_PEER_UNKNOWN, desc_small, 40, 0, dst, 10, 1000),
                   MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_read(P.ep, P.peer, desc_small, 40, 0, NULL, 10, 1000), MTR_INVALID_ARG);
  /* local expose errors */
  mtr_region *r = NULL;
  unsigned char d[MTR_REGION_DESC_SIZE];
  assert_int_equal(mtr_region_expose(P.ep, NULL, 10, &r), MTR_INVALID_ARG);
  assert_int_equal(mtr_region_expose(P.ep, dst, 0, &r), MTR_INVALID_ARG);
  assert_int_equal(mtr_region_expose(P.ep, dst, 10, NULL), MTR_INVALID_ARG);
  assert_int_equal(mtr_region_expose(P.ep, dst, 10, &r), MTR_OK);
  assert_int_equal(mtr_region_desc(r, d, sizeof d - 1), MTR_INVALID_ARG);
  assert_int_equal(mtr_region_desc(r, NULL, sizeof d), MTR_INVALID_ARG);
  assert_int_equal(mtr_region_desc(r, d, sizeof d), MTR_OK);
  assert_int_equal(mtr_region_release(r), MTR_OK);
  /* still healthy afterwards */
  check_read(7, 70000);
}

int main(int argc, char **argv)
{
  pair_require_provider(argc, argv);
  const struct CMUnitTest dflt[] = {
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_bad_reads),
  };
  const struct CMUnitTest small[] = {
      cmocka_unit_test(test_sizes),
  };
  int rc = cmocka_run_group_tests_name("default_pipeline", dflt, setup_default, teardown);
  rc |= cmocka_run_group_tests_name("small_chunks", small, setup_small_chunks, teardown);
  return rc;
}
