/* SPDX-License-Identifier: BSD-3-Clause */
/* OFI control messages between two processes: sizes 0 .. msg_max with byte
 * verification, tags, the sender's identity, bursts, bounds (oversized sends,
 * too small receive buffers), polling with timeout 0. argv[1]: provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ofi_pair.h"

#define TAG_STOP 0xdeadull
#define MSG_MAX  8192

/* The child echoes every message back with tag + 1 until TAG_STOP. */
static int echo_server(struct pair *p)
{
  static char buf[MSG_MAX];
  for (;;) {
    size_t len = 0;
    uint64_t tag = 0;
    mtr_peer from = MTR_PEER_UNKNOWN;
    mtr_status st = mtr_ep_recv(p->ep, &from, &tag, buf, sizeof buf, &len, 20000);
    if (st != MTR_OK)
      return 10 + (int)st;
    if (tag == TAG_STOP)
      return 0;
    if (mtr_ep_send(p->ep, p->peer, tag + 1, buf, len, 20000) != MTR_OK)
      return 30;
  }
}

static struct pair P;
static bool have_source; /* the provider tells who sent a message */

static int setup(void **state)
{
  struct mtr_ep_config cfg = {.size = sizeof cfg, .msg_max = MSG_MAX};
  if (pair_start(&P, &cfg) != 0) {
    if (P.child == 0)
      _exit(2);
    return -1;
  }
  if (P.child == 0) {
    int rc = echo_server(&P);
    pair_close(&P);
    _exit(rc);
  }
  return 0;
}

static int teardown(void **state)
{
  mtr_ep_send(P.ep, P.peer, TAG_STOP, NULL, 0, 5000);
  int rc = pair_wait_child(&P, 30);
  pair_close(&P);
  if (rc != 0)
    fprintf(stderr, "echo child exited with %d\n", rc);
  return rc == 0 ? 0 : -1;
}

static void round_trip(size_t n, uint64_t tag)
{
  static unsigned char out[MSG_MAX], in[MSG_MAX];
  for (size_t i = 0; i < n; i++)
    out[i] = pair_byte(i, (unsigned)tag);
  assert_int_equal(mtr_ep_send(P.ep, P.peer, tag, n ? out : NULL, n, 10000), MTR_OK);
  size_t len = 12345;
  uint64_t rtag = 0;
  mtr_peer from = 42;
  assert_int_equal(mtr_ep_recv(P.ep, &from, &rtag, in, sizeof in, &len, 10000), MTR_OK);
  assert_int_equal(len, n);
  assert_int_equal(rtag, tag + 1);
  assert_memory_equal(in, out, n);
  if (have_source)
    assert_true(from == P.peer);
  else
    assert_true(from == P.peer || from == MTR_PEER_UNKNOWN);
}

static void test_sizes(void **state)
{
  const size_t sizes[] = {0, 1, 2, 15, 16, 17, 100, 1000, 4095, 4096, 4097, MSG_MAX - 1, MSG_MAX};
  char info[512];
  assert_int_equal(mtr_ep_info(P.ep, info, sizeof info), MTR_OK);
  print_message("%s\n", info);
  have_source = strstr(info, "FI_SOURCE yes") != NULL;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    round_trip(sizes[i], 1000 + 2 * i);
}

static void test_burst(void **state)
{
  enum { N = 300 };
  unsigned char buf[64];
  for (unsigned i = 0; i < N; i++) {
    memset(buf, (int)(i & 0xff), sizeof buf);
    assert_int_equal(mtr_ep_send(P.ep, P.peer, 2 * i, buf, 1 + i % 64, 10000), MTR_OK);
  }
  unsigned seen = 0;
  for (unsigned i = 0; i < N; i++) {
    size_t len = 0;
    uint64_t tag = 0;
    assert_int_equal(mtr_ep_recv(P.ep, NULL, &tag, buf, sizeof buf, &len, 10000), MTR_OK);
    unsigned k = (unsigned)(tag - 1) / 2;
    assert_true(k < N);
    assert_int_equal(len, 1 + k % 64);
    for (size_t j = 0; j < len; j++)
      assert_int_equal(buf[j], k & 0xff);
    seen++;
  }
  assert_int_equal(seen, N);
}

/* Sends that never wait: each is posted or answered MTR_AGAIN (nothing sent),
 * and every posted one arrives intact while the sender keeps receiving. */
static void test_try_send(void **state)
{
  enum { N = 300 };
  unsigned char buf[64], in[64];
  unsigned sent = 0, got = 0, again = 0;
  bool seen[N] = {false}, blocked = false;
  double t0 = pair_now();
  while (got < N) {
    if (sent < N) {
      memset(buf, (int)(sent & 0xff), sizeof buf);
      mtr_status st = mtr_ep_try_send(P.ep, P.peer, 2 * sent, buf, 1 + sent % 64);
      blocked = st != MTR_OK;
      if (st == MTR_OK)
        sent++;
      else
        assert_int_equal(st, MTR_AGAIN), again++;
    }
    size_t len = 0;
    uint64_t tag = 0;
    mtr_status r = mtr_ep_recv(P.ep, NULL, &tag, in, sizeof in, &len,
                               sent == N ? 10000
                               : blocked ? 1
                                         : 0); /* blocked: let the peer run */
    if (r == MTR_OK) {
      unsigned k = (unsigned)(tag - 1) / 2;
      assert_true(k < sent && !seen[k]);
      seen[k] = true;
      assert_int_equal(len, 1 + k % 64);
      for (size_t j = 0; j < len; j++)
        assert_int_equal(in[j], k & 0xff);
      got++;
    } else {
      assert_int_equal(r, MTR_TIMEOUT);
    }
    assert_true(pair_now() - t0 < 60);
  }
  print_message("try_send: %u messages, %u times MTR_AGAIN\n", N, again);
  static unsigned char big[MSG_MAX + 1];
  assert_int_equal(mtr_ep_try_send(P.ep, P.peer, 7, big, sizeof big), MTR_TRUNCATED);
  assert_int_equal(mtr_ep_try_send(P.ep, MTR_PEER_UNKNOWN, 7, big, 5), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_try_send(NULL, P.peer, 7, big, 5), MTR_INVALID_ARG);
}

static void test_bounds(void **state)
{
  static unsigned char big[MSG_MAX + 1], in[16];
  size_t len = 0;
  /* oversized: refused locally, nothing sent */
  assert_int_equal(mtr_ep_send(P.ep, P.peer, 7, big, sizeof big, 1000), MTR_TRUNCATED);
  assert_int_equal(mtr_ep_send(P.ep, P.peer, 7, NULL, 5, 1000), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_send(P.ep, MTR_PEER_UNKNOWN, 7, big, 5, 1000), MTR_INVALID_ARG);
  /* a reply larger than the receive buffer: dropped, its size reported */
  assert_int_equal(mtr_ep_send(P.ep, P.peer, 8, big, 100, 10000), MTR_OK);
  assert_int_equal(mtr_ep_recv(P.ep, NULL, NULL, in, sizeof in, &len, 10000), MTR_TRUNCATED);
  assert_int_equal(len, 100);
  /* nothing pending: a poll returns at once */
  double t0 = pair_now();
  assert_int_equal(mtr_ep_recv(P.ep, NULL, NULL, in, sizeof in, &len, 0), MTR_TIMEOUT);
  assert_int_equal(mtr_ep_recv(P.ep, NULL, NULL, in, sizeof in, &len, 100), MTR_TIMEOUT);
  double dt = pair_now() - t0;
  assert_true(dt >= 0.09 && dt < 2.0);
  assert_int_equal(mtr_ep_recv(P.ep, NULL, NULL, in, sizeof in, NULL, 0), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_progress(P.ep), MTR_OK);
  /* still healthy */
  round_trip(10, 5000);
}

int main(int argc, char **argv)
{
  pair_require_provider(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_burst),
      cmocka_unit_test(test_try_send),
      cmocka_unit_test(test_bounds),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
