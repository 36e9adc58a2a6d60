/* SPDX-License-Identifier: BSD-3-Clause */
/* Raw libfabric scaffolding shared by the benchmarks that measure against a
 * plain libfabric baseline between two processes (transport_ofi, transfer):
 * an RDM endpoint on one provider, completion polling, and the pipe plumbing
 * by which the two processes exchange addresses and keys. Header-only, like
 * bench.h; every failure exits (a benchmark has nothing to clean up). */
#ifndef MSTRO_BENCH_OFI_H
#define MSTRO_BENCH_OFI_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

struct bench_ofi {
  struct fi_info *info;
  struct fid_fabric *fabric;
  struct fid_domain *domain;
  struct fid_av *av;
  struct fid_cq *cq;
  struct fid_ep *ep;
  fi_addr_t peer;
};

#define BENCH_OFI_CHECK(call)                                                                      \
  do {                                                                                             \
    int rc_ = (int)(call);                                                                         \
    if (rc_ != 0) {                                                                                \
      fprintf(stderr, "%s: %s\n", #call, fi_strerror(-rc_));                                       \
      exit(3);                                                                                     \
    }                                                                                              \
  } while (0)

/* An enabled RDM endpoint with messages and RMA reads on provider `prov`,
 * with the memory-registration mode the transport layer also accepts. */
static inline void bench_ofi_open(struct bench_ofi *r, const char *prov, size_t cq_size)
{
  struct fi_info *h = fi_allocinfo();
  h->ep_attr->type = FI_EP_RDM;
  h->caps = FI_MSG | FI_RMA | FI_READ | FI_REMOTE_READ | FI_SEND | FI_RECV;
  h->mode = FI_CONTEXT | FI_CONTEXT2;
  h->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
  h->fabric_attr->prov_name = strdup(prov);
  BENCH_OFI_CHECK(fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, h, &r->info));
  fi_freeinfo(h);
  BENCH_OFI_CHECK(fi_fabric(r->info->fabric_attr, &r->fabric, NULL));
  BENCH_OFI_CHECK(fi_domain(r->fabric, r->info, &r->domain, NULL));
  struct fi_cq_attr cq = {.format = FI_CQ_FORMAT_CONTEXT, .size = cq_size};
  BENCH_OFI_CHECK(fi_cq_open(r->domain, &cq, &r->cq, NULL));
  struct fi_av_attr av = {.type = r->info->domain_attr->av_type, .count = 4};
  BENCH_OFI_CHECK(fi_av_open(r->domain, &av, &r->av, NULL));
  BENCH_OFI_CHECK(fi_endpoint(r->domain, r->info, &r->ep, NULL));
  BENCH_OFI_CHECK(fi_ep_bind(r->ep, &r->av->fid, 0));
  BENCH_OFI_CHECK(fi_ep_bind(r->ep, &r->cq->fid, FI_TRANSMIT | FI_RECV));
  BENCH_OFI_CHECK(fi_enable(r->ep));
}

/* Closes what bench_ofi_open opened; the caller closes its memory regions
 * first. */
static inline void bench_ofi_close(struct bench_ofi *r)
{
  fi_close(&r->ep->fid);
  fi_close(&r->av->fid);
  fi_close(&r->cq->fid);
  fi_close(&r->domain->fid);
  fi_close(&r->fabric->fid);
  fi_freeinfo(r->info);
}

/* One poll of the completion queue: the number of completions read into e
 * (0 when none; the core is yielded, as the transport's own waits do, which
 * is fair on a shared core); an error completion exits. */
static inline size_t bench_ofi_poll(struct bench_ofi *r, struct fi_cq_entry *e, size_t cap)
{
  ssize_t n = fi_cq_read(r->cq, e, cap);
  if (n > 0)
    return (size_t)n;
  if (n == -FI_EAVAIL) {
    struct fi_cq_err_entry err = {0};
    fi_cq_readerr(r->cq, &err, 0);
    fprintf(stderr, "raw completion error: %s\n", fi_strerror(err.err));
    exit(3);
  }
  sched_yield();
  return 0;
}

/* Waits for n completions, whatever their contexts. */
static inline void bench_ofi_wait_n(struct bench_ofi *r, size_t n)
{
  struct fi_cq_entry e[16];
  while (n > 0) {
    size_t got = bench_ofi_poll(r, e, 16);
    n -= got < n ? got : n;
  }
}

/* Waits until the completions of contexts a and b (b may be NULL) have
 * arrived; others are ignored. */
static inline void bench_ofi_wait_ctx(struct bench_ofi *r, void *a, void *b)
{
  struct fi_cq_entry e[8];
  bool ga = false, gb = b == NULL;
  while (!ga || !gb) {
    size_t n = bench_ofi_poll(r, e, 8);
    for (size_t i = 0; i < n; i++) {
      ga |= e[i].op_context == a;
      gb |= e[i].op_context == b;
    }
  }
}

/* ---- plumbing between the two processes (pipes) ------------------------- */

static inline void bench_xwrite(int fd, const void *b, size_t n)
{
  const char *p = b;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0 && errno != EINTR)
      exit(4);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    }
  }
}

static inline void bench_xread(int fd, void *b, size_t n)
{
  char *p = b;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r <= 0 && errno != EINTR)
      exit(4);
    if (r > 0) {
      p += r;
      n -= (size_t)r;
    }
  }
}

#endif
