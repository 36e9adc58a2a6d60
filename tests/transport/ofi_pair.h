/* SPDX-License-Identifier: BSD-3-Clause */
/* Two-process harness of the OFI tests (header-only): the test binary takes
 * the provider as argv[1], forks a child, and both open an endpoint of that
 * provider and exchange their addresses through pipes before any message.
 * A provider that `fi_info` does not offer here makes the test exit 77
 * (ctest SKIP_RETURN_CODE) with a message saying so. */
#ifndef MTR_OFI_PAIR_H
#define MTR_OFI_PAIR_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mtr.h"

#define PAIR_SKIP 77

struct pair {
  const char *provider;
  const struct mtr_ops *ops;
  mtr_ep *ep;
  mtr_peer peer;
  pid_t child; /* in the parent: the child's pid; in the child: 0 */
  int rfd, wfd;
};

static const char *pair_provider = "tcp;ofi_rxm";

/* Exits 77 when the provider is not available on this machine. */
static inline void pair_require_provider(int argc, char **argv)
{
  if (argc > 1)
    pair_provider = argv[1];
  signal(SIGPIPE, SIG_IGN); /* a dead peer must be an error status, not a signal */
  const struct mtr_ops *ops = NULL;
  char why[512];
  if (mtr_transport_find("OFI", &ops) != MTR_OK) {
    fprintf(stderr, "OFI transport missing\n");
    exit(1);
  }
  setenv("MSTRO_OFI_PROVIDER", pair_provider, 1);
  if (mtr_transport_probe(ops, why, sizeof why) != MTR_OK) {
    printf("SKIP: libfabric provider '%s' is not available on this machine: %s\n", pair_provider,
           why);
    exit(PAIR_SKIP);
  }
}

static inline double pair_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int pair_write_all(int fd, const void *buf, size_t n)
{
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static inline int pair_read_all(int fd, void *buf, size_t n)
{
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* Sends a length-prefixed string over the pipe. */
static inline int pair_send_str(struct pair *p, const char *s)
{
  uint32_t n = (uint32_t)strlen(s);
  return pair_write_all(p->wfd, &n, 4) || pair_write_all(p->wfd, s, n) ? -1 : 0;
}

static inline int pair_recv_str(struct pair *p, char *s, size_t cap)
{
  uint32_t n = 0;
  if (pair_read_all(p->rfd, &n, 4) || n >= cap || pair_read_all(p->rfd, s, n))
    return -1;
  s[n] = '\0';
  return 0;
}

/* Forks; both sides open an endpoint with cfg and insert each other.
 * Returns 0 in both processes (p->child tells which one), -1 on failure. */
static inline int pair_start(struct pair *p, const struct mtr_ep_config *cfg)
{
  int p2c[2], c2p[2];
  memset(p, 0, sizeof *p);
  p->provider = pair_provider;
  p->peer = MTR_PEER_UNKNOWN;
  if (pipe(p2c) || pipe(c2p))
    return -1;
  fflush(NULL);
  p->child = fork();
  if (p->child < 0)
    return -1;
  if (p->child == 0) {
    p->rfd = p2c[0];
    p->wfd = c2p[1];
    close(p2c[1]);
    close(c2p[0]);
  } else {
    p->rfd = c2p[0];
    p->wfd = p2c[1];
    close(c2p[1]);
    close(p2c[0]);
  }
  struct mtr_ep_config c = {.size = sizeof c};
  if (cfg != NULL)
    c = *cfg;
  c.provider = pair_provider;
  char mine[MTR_ADDR_MAX], theirs[MTR_ADDR_MAX];
  if (mtr_transport_find("OFI", &p->ops) != MTR_OK || mtr_ep_open(p->ops, &c, &p->ep) != MTR_OK ||
      mtr_ep_addr(p->ep, mine, sizeof mine) != MTR_OK)
    return -1;
  if (pair_send_str(p, mine) || pair_recv_str(p, theirs, sizeof theirs))
    return -1;
  if (mtr_ep_peer_insert(p->ep, theirs, &p->peer) != MTR_OK)
    return -1;
  return 0;
}

/* Parent: waits for the child (at most timeout_s) and returns its exit code,
 * or -1 if it had to be killed or died of a signal. */
static inline int pair_wait_child(struct pair *p, double timeout_s)
{
  int status = 0;
  double t0 = pair_now();
  for (;;) {
    pid_t r = waitpid(p->child, &status, WNOHANG);
    if (r == p->child)
      break;
    if (pair_now() - t0 > timeout_s) {
      kill(p->child, SIGKILL);
      waitpid(p->child, &status, 0);
      return -1;
    }
    usleep(2000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline void pair_close(struct pair *p)
{
  mtr_ep_close(p->ep);
  p->ep = NULL;
  close(p->rfd);
  close(p->wfd);
}

/* Deterministic byte pattern of a position. */
static inline unsigned char pair_byte(size_t i, unsigned seed)
{
  uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull + seed;
  return (unsigned char)(x >> 56);
}

#endif
