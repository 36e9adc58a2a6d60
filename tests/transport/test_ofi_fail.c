/* SPDX-License-Identifier: BSD-3-Clause */
/* OFI failure behaviour between two processes: every wait ends within its
 * timeout when the peer is killed, never started serving, or is silent;
 * malformed addresses and unknown providers are refused; a producer with a
 * progress thread serves reads while it sleeps. argv[1]: provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ofi_pair.h"

#define N (8u << 20)

/* Child: expose N bytes, send the descriptor, then wait (sleeping outside
 * the endpoint if progress_thread, else in recv) until killed or told. */
static int producer(struct pair *p, bool sleep_only)
{
  unsigned char *buf = malloc(N), d[MTR_REGION_DESC_SIZE];
  mtr_region *r = NULL;
  for (size_t i = 0; i < N; i++)
    buf[i] = pair_byte(i, 9);
  if (mtr_region_expose(p->ep, buf, N, &r) != MTR_OK || mtr_region_desc(r, d, sizeof d) != MTR_OK)
    return 4;
  if (mtr_ep_send(p->ep, p->peer, 1, d, sizeof d, 20000) != MTR_OK)
    return 5;
  if (sleep_only) {
    char c;
    /* no call into the endpoint: only the progress thread serves */
    if (read(p->rfd, &c, 1) != 1)
      return 6;
  } else {
    size_t len;
    if (mtr_ep_recv(p->ep, NULL, NULL, d, sizeof d, &len, 60000) != MTR_OK)
      return 7;
  }
  mtr_region_release(r);
  mtr_ep_invalidate(p->ep, buf, N);
  free(buf);
  return 0;
}

static void get_desc(struct pair *p, unsigned char *d)
{
  size_t len = 0;
  assert_int_equal(mtr_ep_recv(p->ep, NULL, NULL, d, MTR_REGION_DESC_SIZE, &len, 30000), MTR_OK);
  assert_int_equal(len, MTR_REGION_DESC_SIZE);
}

static void verify(const unsigned char *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (b[i] != pair_byte(i, 9))
      fail_msg("byte %zu differs", i);
}

static void test_peer_killed(void **state)
{
  struct pair p;
  assert_int_equal(pair_start(&p, NULL), 0);
  if (p.child == 0)
    _exit(producer(&p, false));
  unsigned char d[MTR_REGION_DESC_SIZE], *dst = malloc(N);
  get_desc(&p, d);
  assert_int_equal(mtr_ep_read(p.ep, p.peer, d, sizeof d, 0, dst, N, 20000), MTR_OK);
  verify(dst, N);
  kill(p.child, SIGKILL);
  assert_int_equal(pair_wait_child(&p, 10), -1);
  double t0 = pair_now();
  mtr_status st = mtr_ep_read(p.ep, p.peer, d, sizeof d, 0, dst, N, 2000);
  double dt = pair_now() - t0;
  print_message("read from a killed peer: %s after %.3f s\n", mtr_status_description(st), dt);
  assert_true(st == MTR_PEER || st == MTR_TIMEOUT);
  assert_true(dt < 4.0);
  t0 = pair_now();
  st = mtr_ep_send(p.ep, p.peer, 3, "x", 1, 2000);
  dt = pair_now() - t0;
  print_message("send to a killed peer: %s after %.3f s\n", mtr_status_description(st), dt);
  assert_true(st == MTR_OK || st == MTR_PEER || st == MTR_TIMEOUT);
  assert_true(dt < 4.0);
  size_t len;
  char b[8];
  assert_int_equal(mtr_ep_recv(p.ep, NULL, NULL, b, sizeof b, &len, 50), MTR_TIMEOUT);
  assert_int_equal(mtr_ep_peer_remove(p.ep, p.peer), MTR_OK);
  assert_int_equal(mtr_ep_invalidate(p.ep, dst, N), MTR_OK);
  pair_close(&p); /* also frees reads abandoned in flight */
  free(dst);
}

static void test_peer_exited_before(void **state)
{
  struct pair p;
  assert_int_equal(pair_start(&p, NULL), 0);
  if (p.child == 0) {
    pair_close(&p);
    _exit(0);
  }
  assert_int_equal(pair_wait_child(&p, 10), 0);
  unsigned char d[MTR_REGION_DESC_SIZE] = {0};
  double t0 = pair_now();
  mtr_status st = mtr_ep_send(p.ep, p.peer, 1, "hello", 5, 1500);
  print_message("send to an exited peer: %s after %.3f s\n", mtr_status_description(st),
                pair_now() - t0);
  assert_true(pair_now() - t0 < 3.5);
  size_t len;
  t0 = pair_now();
  assert_int_equal(mtr_ep_recv(p.ep, NULL, NULL, d, sizeof d, &len, 300), MTR_TIMEOUT);
  double dt = pair_now() - t0;
  assert_true(dt >= 0.29 && dt < 2.0);
  pair_close(&p);
}

static void test_progress_thread(void **state)
{
  struct pair p;
  struct mtr_ep_config cfg = {.size = sizeof cfg, .progress_thread = true};
  assert_int_equal(pair_start(&p, &cfg), 0);
  if (p.child == 0) {
    int rc = producer(&p, true);
    pair_close(&p);
    _exit(rc);
  }
  unsigned char d[MTR_REGION_DESC_SIZE], *dst = malloc(N);
  get_desc(&p, d);
  for (int i = 0; i < 3; i++) {
    memset(dst, 0, N);
    assert_int_equal(mtr_ep_read(p.ep, p.peer, d, sizeof d, 0, dst, N, 20000), MTR_OK);
    verify(dst, N);
  }
  assert_int_equal(write(p.wfd, "x", 1), 1);
  assert_int_equal(pair_wait_child(&p, 20), 0);
  assert_int_equal(mtr_ep_invalidate(p.ep, dst, N), MTR_OK);
  assert_int_equal(mtr_ep_invalidate(p.ep, NULL, N), MTR_INVALID_ARG);
  pair_close(&p);
  free(dst);
}

static void test_bad_addresses(void **state)
{
  const struct mtr_ops *ops = NULL;
  mtr_ep *ep = NULL;
  mtr_peer peer = 0;
  char addr[MTR_ADDR_MAX], bad[MTR_ADDR_MAX + 64];
  assert_int_equal(mtr_transport_find("OFI", &ops), MTR_OK);
  struct mtr_ep_config cfg = {.size = sizeof cfg, .provider = pair_provider};
  assert_int_equal(mtr_ep_open(ops, &cfg, &ep), MTR_OK);
  assert_int_equal(mtr_ep_addr(ep, addr, sizeof addr), MTR_OK);
  print_message("address: %s\n", addr);
  assert_null(strchr(addr, ';'));
  assert_null(strchr(addr, ' '));
  assert_int_equal(mtr_ep_addr(ep, bad, 8), MTR_TRUNCATED);
  assert_int_equal(mtr_ep_addr(ep, NULL, 8), MTR_INVALID_ARG);
  const char *cases[] = {"",         "ofi:",          "ofi:x",
                         "tcp:abc",  "ofi:nope:0011", "ofi:tcp+ofi_rxm:",
                         "ofi:shm:", "ofi:sockets:zz"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    peer = 0;
    assert_int_equal(mtr_ep_peer_insert(ep, cases[i], &peer), MTR_INVALID_ARG);
    assert_int_equal(peer, MTR_PEER_UNKNOWN);
  }
  /* our own address cut short, with an odd length, with garbage, too long */
  size_t n = strlen(addr);
  snprintf(bad, sizeof bad, "%.*s", (int)(n - 2), addr);
  assert_int_equal(mtr_ep_peer_insert(ep, bad, &peer), MTR_INVALID_ARG);
  snprintf(bad, sizeof bad, "%.*s", (int)(n - 1), addr);
  assert_int_equal(mtr_ep_peer_insert(ep, bad, &peer), MTR_INVALID_ARG);
  snprintf(bad, sizeof bad, "%s", addr);
  bad[n - 1] = 'g';
  assert_int_equal(mtr_ep_peer_insert(ep, bad, &peer), MTR_INVALID_ARG);
  memset(bad, 'a', sizeof bad - 1);
  bad[sizeof bad - 1] = '\0';
  memcpy(bad, addr, strchr(addr + 4, ':') + 1 - addr);
  assert_int_equal(mtr_ep_peer_insert(ep, bad, &peer), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_peer_insert(ep, NULL, &peer), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_peer_insert(ep, addr, NULL), MTR_INVALID_ARG);
  /* our own address is fine: a message to ourselves */
  assert_int_equal(mtr_ep_peer_insert(ep, addr, &peer), MTR_OK);
  char b[8];
  size_t len = 0;
  assert_int_equal(mtr_ep_send(ep, peer, 5, "self", 4, 5000), MTR_OK);
  assert_int_equal(mtr_ep_recv(ep, NULL, NULL, b, sizeof b, &len, 5000), MTR_OK);
  assert_int_equal(len, 4);
  assert_memory_equal(b, "self", 4);
  assert_int_equal(mtr_ep_peer_remove(ep, MTR_PEER_UNKNOWN), MTR_INVALID_ARG);
  assert_int_equal(mtr_ep_close(ep), MTR_OK);
}

static void test_bad_config(void **state)
{
  const struct mtr_ops *ops = NULL;
  mtr_ep *ep = NULL;
  assert_int_equal(mtr_transport_find("OFI", &ops), MTR_OK);
  struct mtr_ep_config cfg = {.size = sizeof cfg, .provider = "no-such-provider"};
  assert_int_equal(mtr_ep_open(ops, &cfg, &ep), MTR_UNAVAILABLE);
  assert_null(ep);
  cfg.provider = pair_provider;
  cfg.msg_max = MTR_MSG_LIMIT + 1;
  assert_int_equal(mtr_ep_open(ops, &cfg, &ep), MTR_INVALID_ARG);
  cfg.msg_max = 0;
  cfg.size = 4;
  assert_int_equal(mtr_ep_open(ops, &cfg, &ep), MTR_INVALID_ARG);
  const struct mtr_ops *gfs = NULL;
  mtr_store *s = NULL;
  assert_int_equal(mtr_transport_find("GFS", &gfs), MTR_OK);
  assert_int_equal(mtr_store_open(ops, NULL, &s), MTR_UNIMPLEMENTED);
}

int main(int argc, char **argv)
{
  pair_require_provider(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_config),      cmocka_unit_test(test_bad_addresses),
      cmocka_unit_test(test_progress_thread), cmocka_unit_test(test_peer_exited_before),
      cmocka_unit_test(test_peer_killed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
