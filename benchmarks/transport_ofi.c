/* SPDX-License-Identifier: BSD-3-Clause */
/* transport_ofi: the OFI transport against raw libfabric between the same two
 * processes in the same run.
 *
 *  - RMA read bandwidth: mtr_ep_read() (pipelined chunks) vs one raw fi_read()
 *    per transfer (split only where the provider's max_msg_size demands), of
 *    4 KiB .. 256 MiB (--quick: up to 16 MiB) from a region the other process
 *    registered;
 *  - small-message round trip: mtr_ep_send()+mtr_ep_recv() vs raw
 *    fi_send()/fi_recv() ping-pong of 64 bytes.
 *
 * Providers: tcp;ofi_rxm and shm (or --provider NAME). The child process is
 * the producer/echo side; it drives progress of both endpoints while idle, so
 * both paths get the same target-side service.
 *
 *   transport_ofi [--quick] [--provider NAME]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_rma.h>

#include "bench.h"
#include "bench_ofi.h"
#include "mtr.h"

#define PING 64

/* ---- raw libfabric ------------------------------------------------------ */

struct raw {
  struct bench_ofi o;
  struct fid_mr *mr_buf, *mr_ping;
  char ping[2][PING];
  struct fi_context2 ctx[4];
};

static void raw_open(struct raw *r, const char *prov)
{
  bench_ofi_open(&r->o, prov, 128);
  BENCH_OFI_CHECK(fi_mr_reg(r->o.domain, r->ping, sizeof r->ping, FI_SEND | FI_RECV, 0, 2, 0,
                            &r->mr_ping, NULL));
}

static void raw_close(struct raw *r)
{
  if (r->mr_buf)
    fi_close(&r->mr_buf->fid);
  fi_close(&r->mr_ping->fid);
  bench_ofi_close(&r->o);
}

static void raw_progress(struct raw *r)
{
  struct fi_cq_entry e[8];
  fi_cq_read(r->o.cq, e, 8);
}

/* ---- plumbing ---------------------------------------------------------- */

struct hello { /* what each side tells the other */
  char mtr_addr[MTR_ADDR_MAX];
  unsigned char raw_addr[256];
  size_t raw_addrlen;
  unsigned char desc[MTR_REGION_DESC_SIZE];
  uint64_t raw_key, raw_base;
};

struct cmd {
  char op; /* 'M': mtr echo, 'R': raw echo, 'Q': quit */
  int n;
};

static void exchange(int rfd, int wfd, struct hello *mine, struct hello *theirs, mtr_ep *ep,
                     mtr_peer *mpeer, struct raw *r)
{
  bench_xwrite(wfd, mine, sizeof *mine);
  bench_xread(rfd, theirs, sizeof *theirs);
  if (mtr_ep_peer_insert(ep, theirs->mtr_addr, mpeer) != MTR_OK)
    exit(5);
  if (fi_av_insert(r->o.av, theirs->raw_addr, 1, &r->o.peer, 0, NULL) != 1)
    exit(5);
}

static void child(const char *prov, size_t maxsize, int rfd, int wfd)
{
  const struct mtr_ops *ops;
  mtr_ep *ep;
  mtr_peer peer;
  mtr_region *region;
  struct raw r = {0};
  struct hello mine = {0}, theirs;
  struct mtr_ep_config cfg = {.size = sizeof cfg, .provider = prov};
  if (mtr_transport_find("OFI", &ops) != MTR_OK || mtr_ep_open(ops, &cfg, &ep) != MTR_OK)
    exit(6);
  raw_open(&r, prov);
  char *buf = malloc(maxsize);
  for (size_t i = 0; i < maxsize; i++)
    buf[i] = (char)(i * 7);
  mtr_ep_addr(ep, mine.mtr_addr, sizeof mine.mtr_addr);
  mine.raw_addrlen = sizeof mine.raw_addr;
  BENCH_OFI_CHECK(fi_getname(&r.o.ep->fid, mine.raw_addr, &mine.raw_addrlen));
  if (mtr_region_expose(ep, buf, maxsize, &region) != MTR_OK ||
      mtr_region_desc(region, mine.desc, sizeof mine.desc) != MTR_OK)
    exit(7);
  BENCH_OFI_CHECK(fi_mr_reg(r.o.domain, buf, maxsize, FI_REMOTE_READ, 0, 1, 0, &r.mr_buf, NULL));
  mine.raw_key = fi_mr_key(r.mr_buf);
  mine.raw_base = (r.o.info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) ? (uint64_t)(uintptr_t)buf : 0;
  exchange(rfd, wfd, &mine, &theirs, ep, &peer, &r);
  fcntl(rfd, F_SETFL, O_NONBLOCK);
  for (;;) {
    struct cmd c;
    ssize_t n = read(rfd, &c, sizeof c);
    if (n == sizeof c) {
      if (c.op == 'Q')
        break;
      if (c.op == 'M') {
        char m[PING];
        for (int i = 0; i < c.n; i++) {
          size_t len;
          uint64_t tag;
          if (mtr_ep_recv(ep, NULL, &tag, m, sizeof m, &len, 30000) != MTR_OK ||
              mtr_ep_send(ep, peer, tag, m, len, 30000) != MTR_OK)
            exit(8);
        }
      } else if (c.op == 'R') {
        void *d = fi_mr_desc(r.mr_ping);
        for (int i = 0; i < c.n; i++) {
          BENCH_OFI_CHECK(fi_recv(r.o.ep, r.ping[0], PING, d, FI_ADDR_UNSPEC, &r.ctx[0]));
          bench_ofi_wait_ctx(&r.o, &r.ctx[0], NULL);
          BENCH_OFI_CHECK(fi_send(r.o.ep, r.ping[0], PING, d, r.o.peer, &r.ctx[1]));
          bench_ofi_wait_ctx(&r.o, &r.ctx[1], NULL);
        }
      }
      bench_xwrite(wfd, "k", 1);
      continue;
    }
    /* idle: serve reads of both paths */
    mtr_ep_progress(ep);
    raw_progress(&r);
    sched_yield();
  }
  mtr_region_release(region);
  raw_close(&r);
  mtr_ep_close(ep);
  free(buf);
  exit(0);
}

static void run_provider(const char *prov, bool quick)
{
  const struct mtr_ops *ops;
  char why[256];
  size_t maxsize = quick ? (16u << 20) : (256u << 20);
  setenv("MSTRO_OFI_PROVIDER", prov, 1);
  if (mtr_transport_find("OFI", &ops) != MTR_OK ||
      mtr_transport_probe(ops, why, sizeof why) != MTR_OK) {
    printf("# provider %s unavailable here: %s (skipped)\n", prov, why);
    return;
  }
  int p2c[2], c2p[2];
  if (pipe(p2c) || pipe(c2p))
    exit(2);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(p2c[1]);
    close(c2p[0]);
    child(prov, maxsize, p2c[0], c2p[1]);
  }
  close(p2c[0]);
  close(c2p[1]);
  int rfd = c2p[0], wfd = p2c[1];

  mtr_ep *ep;
  mtr_peer peer;
  struct raw r = {0};
  struct hello mine = {0}, theirs;
  struct mtr_ep_config cfg = {.size = sizeof cfg, .provider = prov};
  if (mtr_ep_open(ops, &cfg, &ep) != MTR_OK)
    exit(6);
  raw_open(&r, prov);
  mtr_ep_addr(ep, mine.mtr_addr, sizeof mine.mtr_addr);
  mine.raw_addrlen = sizeof mine.raw_addr;
  BENCH_OFI_CHECK(fi_getname(&r.o.ep->fid, mine.raw_addr, &mine.raw_addrlen));
  exchange(rfd, wfd, &mine, &theirs, ep, &peer, &r);
  char info[512];
  mtr_ep_info(ep, info, sizeof info);
  printf("# %s\n", info);

  char *dst = malloc(maxsize);
  memset(dst, 0, maxsize);
  struct fid_mr *dmr = NULL;
  BENCH_OFI_CHECK(fi_mr_reg(r.o.domain, dst, maxsize, FI_READ, 0, 3, 0, &dmr, NULL));
  void *ddesc = fi_mr_desc(dmr);
  size_t rawmax = r.o.info->ep_attr->max_msg_size;
  char ptag[32];
  snprintf(ptag, sizeof ptag, "%s", prov);
  for (char *c = ptag; *c; c++)
    if (*c == ';')
      *c = '+';

  for (size_t size = 4096; size <= maxsize; size *= quick ? 16 : 4) {
    int reps = size <= (1u << 20) ? 50 : size <= (16u << 20) ? 10 : quick ? 3 : 5;
    double tm[64], tr[64];
    for (int k = -1; k < reps; k++) { /* k = -1: warm-up */
      double t0 = bench_now();
      if (mtr_ep_read(ep, peer, theirs.desc, sizeof theirs.desc, 0, dst, size, 60000) != MTR_OK) {
        fprintf(stderr, "mtr_ep_read failed\n");
        exit(9);
      }
      double t1 = bench_now();
      for (size_t off = 0; off < size;) { /* raw: one fi_read unless max_msg_size forbids */
        size_t n = size - off < rawmax ? size - off : rawmax;
        ssize_t rc;
        while ((rc = fi_read(r.o.ep, dst + off, n, ddesc, r.o.peer, theirs.raw_base + off,
                             theirs.raw_key, &r.ctx[2])) == -FI_EAGAIN)
          raw_progress(&r);
        BENCH_OFI_CHECK(rc);
        bench_ofi_wait_ctx(&r.o, &r.ctx[2], NULL);
        off += n;
      }
      double t2 = bench_now();
      if (k >= 0) {
        tm[k] = t1 - t0;
        tr[k] = t2 - t1;
      }
    }
    for (size_t i = 0; i < size; i += 4093)
      if (dst[i] != (char)(i * 7)) {
        fprintf(stderr, "data mismatch at %zu\n", i);
        exit(10);
      }
    double gm = (double)size / bench_median(tm, reps) / 1e9;
    double gr = (double)size / bench_median(tr, reps) / 1e9;
    char cname[64];
    if (size >= (1u << 20))
      snprintf(cname, sizeof cname, "read_%s_%zuMiB", ptag, size >> 20);
    else
      snprintf(cname, sizeof cname, "read_%s_%zuKiB", ptag, size >> 10);
    bench_report("transport_ofi", cname, gm, "GB/s", gr, BENCH_HIGHER_IS_BETTER);
  }

  /* round trips */
  int n = quick ? 200 : 2000;
  struct cmd c = {'M', n + 20};
  char m[PING] = {0}, k;
  double t[2];
  bench_xwrite(wfd, &c, sizeof c);
  double t0 = 0;
  for (int i = 0; i < n + 20; i++) {
    if (i == 20)
      t0 = bench_now();
    size_t len;
    if (mtr_ep_send(ep, peer, (uint64_t)i, m, sizeof m, 30000) != MTR_OK ||
        mtr_ep_recv(ep, NULL, NULL, m, sizeof m, &len, 30000) != MTR_OK)
      exit(11);
  }
  t[0] = (bench_now() - t0) / n;
  bench_xread(rfd, &k, 1);
  c.op = 'R';
  bench_xwrite(wfd, &c, sizeof c);
  void *pd = fi_mr_desc(r.mr_ping);
  for (int i = 0; i < n + 20; i++) {
    if (i == 20)
      t0 = bench_now();
    BENCH_OFI_CHECK(fi_recv(r.o.ep, r.ping[1], PING, pd, FI_ADDR_UNSPEC, &r.ctx[0]));
    BENCH_OFI_CHECK(fi_send(r.o.ep, r.ping[0], PING, pd, r.o.peer, &r.ctx[1]));
    bench_ofi_wait_ctx(&r.o, &r.ctx[0], &r.ctx[1]);
  }
  t[1] = (bench_now() - t0) / n;
  bench_xread(rfd, &k, 1);
  char cname[64];
  snprintf(cname, sizeof cname, "rtt_%s_%dB", ptag, PING);
  bench_report("transport_ofi", cname, t[0] * 1e6, "us", t[1] * 1e6, BENCH_LOWER_IS_BETTER);

  c.op = 'Q';
  bench_xwrite(wfd, &c, sizeof c);
  int status;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "child failed (status %d)\n", status);
  fi_close(&dmr->fid);
  raw_close(&r);
  mtr_ep_close(ep);
  free(dst);
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv);
  const char *only = NULL;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--provider") == 0)
      only = argv[i + 1];
  printf("# transport_ofi: mtr_ep_read vs raw fi_read, mtr send/recv vs raw ping-pong%s\n",
         quick ? " (quick)" : "");
  if (only != NULL) {
    run_provider(only, quick);
  } else {
    run_provider("tcp;ofi_rxm", quick);
    run_provider("shm", quick);
  }
  return 0;
}
