/* SPDX-License-Identifier: BSD-3-Clause */
/* OFI: libfabric RDM endpoints with bounded control messages and pipelined
 * one-sided RMA reads of exposed regions.
 *
 * One endpoint = one fabric, domain, address vector, completion queue and RDM
 * endpoint. Every libfabric call on it is made under the endpoint's lock;
 * waits drop the lock between polls, so several threads can wait at once and
 * whoever polls the completion queue dispatches every completion:
 *  - receive buffers (rx_depth of them, each header + msg_max bytes) are posted
 *    at open; a completed one is queued until mtr_ep_recv() copies it out and
 *    reposts it;
 *  - sends copy into one of OFI_TX_SLOTS bounce buffers and wait for the send
 *    completion;
 *  - reads post up to max_inflight chunks of at most chunk_size bytes and keep
 *    the pipeline full until the range has arrived.
 * Operations abandoned by a timeout keep their context (and registration)
 * alive until their completion arrives or the endpoint closes.
 *
 * Memory is registered through libmamba's registration cache with this
 * endpoint's domain as registrar (FI_MR_LOCAL, FI_MR_VIRT_ADDR, FI_MR_PROV_KEY
 * and FI_MR_ENDPOINT handled); without the cache (MTR_HAVE_MMB_REGCACHE
 * undefined) each registration goes to fi_mr_reg directly.
 *
 * Message wire format: struct ofi_hdr (magic, payload length, tag), then the
 * payload. A region descriptor is MTR_REGION_DESC_SIZE bytes, little endian:
 * magic u32, version u16, flags u16, addr u64, len u64, key u64, check u64.
 */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_rma.h>

#ifdef MTR_HAVE_MMB_REGCACHE
#include "mamba.h"
#include "mamba/mmb_regcache.h"
#endif

#include "mtr_internal.h"

#define OFI_API_VERSION  FI_VERSION(1, 9)
#define OFI_HDR_MAGIC    0x3152544du /* "MTR1" */
#define OFI_DESC_MAGIC   0x5252544du /* "MTRR" */
#define OFI_DESC_VERSION 1u
#define OFI_DESC_VIRT    1u
#define OFI_TX_SLOTS     16u
#define OFI_CQ_BATCH     16
#define OFI_MAX_ADDRLEN  256

struct ofi_hdr {
  uint32_t magic;
  uint32_t len;
  uint64_t tag;
};

enum ofi_op_kind { OFI_OP_RX, OFI_OP_TX, OFI_OP_READ };

struct ofi_op {
  struct fi_context2 fctx; /* first: libfabric's context is the op */
  enum ofi_op_kind kind;
  uint32_t idx;
  struct ofi_rreq *req;
  size_t len;
};

struct ofi_mr {
#ifdef MTR_HAVE_MMB_REGCACHE
  mmbRegEntry *entry;
#endif
  struct fid_mr *mr;
  void *desc;
  uint64_t key;
  char *base; /* start of the registered range */
  size_t len;
};

struct ofi_rx_slot {
  struct ofi_op op;
  char *buf;
  size_t len;
  size_t olen; /* bytes lost to truncation */
  fi_addr_t src;
  int err;
};

/* TX_POSTED: sent by ofi_try_send, nobody waits; like TX_ABANDONED its
 * completion frees it, but close gives it time to leave first. */
enum { TX_FREE, TX_BUSY, TX_ABANDONED, TX_POSTED };
/* How long close drives progress for messages ofi_try_send posted. */
#define OFI_CLOSE_DRAIN_NS (1000ull * 1000000ull)
struct ofi_tx_slot {
  struct ofi_op op;
  char *buf;
  int state;
  bool done;
  int err;
};

/* A read in progress: its chunk contexts and their free list. */
struct ofi_rreq {
  struct ofi_rreq *next; /* in the zombie list once abandoned */
  size_t outstanding;
  int err;
  bool abandoned;
  bool have_mr;
  struct ofi_mr mr;
  uint32_t nfree;
  uint32_t *free;
  struct ofi_op *ops;
};

struct ofi_region {
  struct mtr_region_ base;
  struct ofi_ep *ep;
  struct ofi_region *prev, *next;
  struct ofi_mr mr;
  uint64_t raddr; /* what a peer passes as the remote address of byte 0 */
  uint64_t len;
};

struct ofi_ep {
  struct mtr_ep_ base;
  pthread_mutex_t lock;
  struct fi_info *info;
  struct fid_fabric *fabric;
  struct fid_domain *domain;
  struct fid_av *av;
  struct fid_cq *cq;
  struct fid_ep *ep;
  uint64_t mr_mode;
  bool have_source;
  bool mmb_inited;
  char prov[64]; /* provider name with ';' as '+' */
  size_t msg_max, slot_size, chunk;
  unsigned rx_depth, inflight;
  char *rx_mem, *tx_mem;
  struct ofi_mr rx_mr, tx_mr;
  bool rx_mr_ok, tx_mr_ok;
  struct ofi_rx_slot *rx;
  uint32_t *rxq; /* ring of completed receive slots */
  unsigned rxq_head, rxq_count;
  struct ofi_tx_slot tx[OFI_TX_SLOTS];
  struct ofi_rreq *zombies;
  struct ofi_rreq *spare; /* reused by the next read */
  struct ofi_region *regions;
  atomic_uint_fast64_t next_key; /* requested keys (without FI_MR_PROV_KEY): random start */
  uint64_t key_mask;
#ifdef MTR_HAVE_MMB_REGCACHE
  mmbRegCache *cache;
#endif
  atomic_uint_fast64_t last_activity; /* read without the lock by waiters */
  uint64_t spin_ns;                   /* MSTRO_OFI_SPIN_US: the longest spin */
  atomic_uint_fast64_t spin_cur_ns;   /* the adaptive spin (blocking waits) */
  atomic_uint_fast64_t nap_start_ns;  /* the last nap's start (no wait object) */
  bool blocking;                      /* MSTRO_OFI_BLOCK */
  int wait_fd;                        /* the CQ's wait object; -1: none (naps) */
  pthread_t thread;
  bool thread_running;
  atomic_bool stop;
};

/* ---- helpers ----------------------------------------------------------- */

static mtr_status ofi_errstatus(int err)
{
  switch (err) {
  case 0:
    return MTR_OK;
  case FI_ETRUNC:
  case FI_EMSGSIZE:
    return MTR_TRUNCATED;
  case FI_ETIMEDOUT:
    return MTR_TIMEOUT;
  case FI_ENOMEM:
    return MTR_NOMEM;
  default:
    return MTR_PEER;
  }
}

/* Waiting between polls. Spin (yield) while there was recent activity;
 * then, when the CQ has a wait object (MSTRO_OFI_BLOCK), block on its file
 * descriptor after fi_trywait says nothing is pending, else nap 50 us. A
 * block is bounded (OFI_BLOCK_MS), so a wake-up the provider does not signal
 * (a target-side read some providers only see when progressed) costs at most
 * that. The spin adapts between OFI_SPIN_MIN_NS and MSTRO_OFI_SPIN_US: it
 * doubles when a block ended soon (a spin of at most MSTRO_OFI_SPIN_US would
 * have caught it) and halves
 * when a block was long (spinning would have been wasted), so that waiters
 * on a shared core soon stop taking it from the processes they wait for. */
#define OFI_BLOCK_MS    20
#define OFI_SPIN_MIN_NS 2000u

/* The spin after a wait of `waited` ns: doubled (and at least twice the
 * wait) when a spin of at most MSTRO_OFI_SPIN_US would have covered it,
 * halved when not. */
static uint64_t ofi_spin_adapt(const struct ofi_ep *e, uint64_t spin, uint64_t waited)
{
  if (waited < e->spin_ns) {
    spin = spin * 2 > 2 * waited ? spin * 2 : 2 * waited;
    return spin < e->spin_ns ? spin : e->spin_ns;
  }
  return spin / 2 > OFI_SPIN_MIN_NS ? spin / 2 : OFI_SPIN_MIN_NS;
}

static void ofi_idle(struct ofi_ep *e)
{
  uint64_t now = mtr__now_ns();
  uint64_t spin = atomic_load_explicit(&e->spin_cur_ns, memory_order_relaxed);
  uint64_t last = atomic_load_explicit(&e->last_activity, memory_order_relaxed);
  if (now - last < spin) {
    sched_yield();
    return;
  }
  if (e->wait_fd < 0) {
    /* No wait object (shm has none): naps, adapting the spin by when the
     * activity after the last nap came. */
    uint64_t nap = atomic_exchange_explicit(&e->nap_start_ns, now, memory_order_relaxed);
    if (e->blocking && nap != 0) {
      bool came = last >= nap;
      if (came || now - nap > e->spin_ns)
        atomic_store_explicit(&e->spin_cur_ns,
                              ofi_spin_adapt(e, spin, came ? last - nap : now - nap),
                              memory_order_relaxed);
      else /* still waiting: the next nap is part of this wait */
        atomic_store_explicit(&e->nap_start_ns, nap, memory_order_relaxed);
    }
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
    return;
  }
  struct fid *fids[1] = {&e->cq->fid};
  pthread_mutex_lock(&e->lock);
  int tw = fi_trywait(e->fabric, fids, 1);
  pthread_mutex_unlock(&e->lock);
  if (tw != FI_SUCCESS)
    return; /* something is pending: the caller's next poll takes it */
  struct pollfd pf = {.fd = e->wait_fd, .events = POLLIN};
  int k = poll(&pf, 1, OFI_BLOCK_MS);
  uint64_t slept = mtr__now_ns() - now;
  atomic_store_explicit(&e->spin_cur_ns, ofi_spin_adapt(e, spin, k > 0 ? slept : UINT64_MAX),
                        memory_order_relaxed);
}

/* Unpredictable 64 bits (keys a peer cannot guess easily). */
static uint64_t ofi_random64(void)
{
  uint64_t x = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  if (f != NULL) {
    if (fread(&x, sizeof x, 1, f) != 1)
      x = 0;
    fclose(f);
  }
  x ^= mtr__now_ns() ^ ((uint64_t)getpid() << 32);
  return x;
}

/* ---- registration ------------------------------------------------------ */

static int ofi_reg_cb(void *ctx, void *addr, size_t len, void **handle)
{
  struct ofi_ep *e = ctx;
  struct fid_mr *mr = NULL;
  /* Peers only ever read our memory: no FI_REMOTE_WRITE, so a guessed key
   * cannot be used to write into this process. */
  uint64_t access = FI_SEND | FI_RECV | FI_READ | FI_REMOTE_READ;
  uint64_t key = atomic_fetch_add(&e->next_key, 1) & e->key_mask;
  int rc = fi_mr_reg(e->domain, addr, len, access, 0, key, 0, &mr, NULL);
  if (rc != 0) {
    MTR_LOG_ERR(OFI, "fi_mr_reg(%p, %zu): %s", addr, len, fi_strerror(-rc));
    return rc;
  }
  if (e->mr_mode & FI_MR_ENDPOINT) {
    rc = fi_mr_bind(mr, &e->ep->fid, 0);
    if (rc == 0)
      rc = fi_mr_enable(mr);
    if (rc != 0) {
      MTR_LOG_ERR(OFI, "binding a memory region to the endpoint: %s", fi_strerror(-rc));
      fi_close(&mr->fid);
      return rc;
    }
  }
  *handle = mr;
  return 0;
}

static int ofi_dereg_cb(void *ctx, void *handle)
{
  int rc = fi_close(&((struct fid_mr *)handle)->fid);
  if (rc != 0)
    MTR_LOG_WARN(OFI, "fi_close(mr): %s", fi_strerror(-rc));
  return rc;
}

#ifdef MTR_HAVE_MMB_REGCACHE
static void *ofi_desc_cb(void *ctx, void *handle)
{
  return fi_mr_desc((struct fid_mr *)handle);
}

static uint64_t ofi_key_cb(void *ctx, void *handle)
{
  return fi_mr_key((struct fid_mr *)handle);
}
#endif

/* Registers [addr, addr+len) (through the cache where there is one). */
static mtr_status ofi_mr_get(struct ofi_ep *e, const void *addr, size_t len, struct ofi_mr *m)
{
  memset(m, 0, sizeof *m);
#ifdef MTR_HAVE_MMB_REGCACHE
  mmb_status ms = mmb_regcache_acquire(e->cache, addr, len, &m->entry);
  if (ms != MMB_OK) {
    MTR_LOG_ERR(OFI, "registering %zu bytes at %p: %s", len, addr, mmb_status_description(ms));
    return MTR_ERROR;
  }
  void *base = NULL;
  m->mr = mmb_regentry_handle(m->entry);
  m->desc = mmb_regentry_desc(m->entry);
  m->key = mmb_regentry_key(m->entry);
  mmb_regentry_range(m->entry, &base, &m->len);
  m->base = base;
#else
  void *h = NULL;
  if (ofi_reg_cb(e, (void *)addr, len, &h) != 0)
    return MTR_ERROR;
  m->mr = h;
  m->desc = fi_mr_desc(m->mr);
  m->key = fi_mr_key(m->mr);
  m->base = (char *)addr;
  m->len = len;
#endif
  return MTR_OK;
}

static void ofi_mr_put(struct ofi_ep *e, struct ofi_mr *m)
{
#ifdef MTR_HAVE_MMB_REGCACHE
  if (m->entry != NULL)
    mmb_regcache_release(e->cache, m->entry);
  m->entry = NULL;
#else
  if (m->mr != NULL)
    ofi_dereg_cb(e, m->mr);
#endif
  m->mr = NULL;
}

/* ---- completions ------------------------------------------------------- */

static void ofi_rreq_free(struct ofi_ep *e, struct ofi_rreq *r)
{
  if (r->have_mr)
    ofi_mr_put(e, &r->mr);
  free(r);
}

/* A read context for e->inflight chunks: the spare one or a new one. */
static struct ofi_rreq *ofi_rreq_take(struct ofi_ep *e)
{
  size_t nops = e->inflight;
  struct ofi_rreq *r = e->spare;
  e->spare = NULL;
  if (r == NULL) {
    r = malloc(sizeof *r + nops * (sizeof *r->ops + sizeof *r->free));
    if (r == NULL)
      return NULL;
    r->ops = (struct ofi_op *)(r + 1);
    r->free = (uint32_t *)(r->ops + nops);
    for (uint32_t i = 0; i < nops; i++) {
      memset(&r->ops[i], 0, sizeof r->ops[i]);
      r->ops[i].kind = OFI_OP_READ;
      r->ops[i].idx = i;
      r->ops[i].req = r;
    }
  }
  r->next = NULL;
  r->outstanding = 0;
  r->err = 0;
  r->abandoned = false;
  r->have_mr = false;
  for (uint32_t i = 0; i < nops; i++)
    r->free[i] = (uint32_t)(nops - 1 - i);
  r->nfree = (uint32_t)nops;
  return r;
}

static void ofi_complete(struct ofi_ep *e, struct ofi_op *op, size_t len, fi_addr_t src, int err,
                         size_t olen)
{
  if (op == NULL)
    return;
  switch (op->kind) {
  case OFI_OP_RX: {
    struct ofi_rx_slot *s = &e->rx[op->idx];
    if (err == FI_ECANCELED)
      return;
    s->len = len;
    s->src = src;
    s->err = err;
    s->olen = olen;
    e->rxq[(e->rxq_head + e->rxq_count) % e->rx_depth] = op->idx;
    e->rxq_count++;
    break;
  }
  case OFI_OP_TX: {
    struct ofi_tx_slot *s = &e->tx[op->idx];
    if (s->state == TX_ABANDONED || s->state == TX_POSTED) {
      if (err != 0)
        MTR_LOG_DEBUG(OFI, "a send nobody waited for failed: %s", fi_strerror(err));
      s->state = TX_FREE;
    } else {
      s->err = err;
      s->done = true;
    }
    break;
  }
  case OFI_OP_READ: {
    struct ofi_rreq *r = op->req;
    r->outstanding--;
    if (err != 0 && r->err == 0)
      r->err = err;
    r->free[r->nfree++] = op->idx;
    if (r->abandoned && r->outstanding == 0) {
      for (struct ofi_rreq **pp = &e->zombies; *pp != NULL; pp = &(*pp)->next)
        if (*pp == r) {
          *pp = r->next;
          break;
        }
      ofi_rreq_free(e, r);
    }
    break;
  }
  }
}

/* Reads every available completion; returns how many (negative: CQ failure). */
static int ofi_progress_locked(struct ofi_ep *e)
{
  struct fi_cq_msg_entry ent[OFI_CQ_BATCH];
  fi_addr_t src[OFI_CQ_BATCH];
  int total = 0;
  for (;;) {
    ssize_t n = e->have_source ? fi_cq_readfrom(e->cq, ent, OFI_CQ_BATCH, src)
                               : fi_cq_read(e->cq, ent, OFI_CQ_BATCH);
    if (n > 0) {
      for (ssize_t i = 0; i < n; i++)
        ofi_complete(e, ent[i].op_context, ent[i].len, e->have_source ? src[i] : FI_ADDR_NOTAVAIL,
                     0, 0);
      total += (int)n;
      continue;
    }
    if (n == -FI_EAGAIN)
      break;
    if (n == -FI_EAVAIL) {
      struct fi_cq_err_entry err;
      memset(&err, 0, sizeof err);
      if (fi_cq_readerr(e->cq, &err, 0) > 0) {
        int code = err.err != 0 ? err.err : FI_EIO;
        if (code != FI_ECANCELED)
          MTR_LOG_DEBUG(OFI, "completion error: %s (%s)", fi_strerror(code),
                        fi_cq_strerror(e->cq, err.prov_errno, err.err_data, NULL, 0));
        ofi_complete(e, err.op_context, err.len, FI_ADDR_NOTAVAIL, code, err.olen);
        total++;
      }
      continue;
    }
    MTR_LOG_ERR(OFI, "fi_cq_read: %s", fi_strerror((int)-n));
    return -1;
  }
  if (total > 0)
    atomic_store_explicit(&e->last_activity, mtr__now_ns(), memory_order_relaxed);
  return total;
}

static int ofi_post_rx(struct ofi_ep *e, uint32_t i)
{
  struct ofi_rx_slot *s = &e->rx[i];
  int rc;
  for (int tries = 0; tries < 1000; tries++) {
    rc = (int)fi_recv(e->ep, s->buf, e->slot_size, e->rx_mr_ok ? e->rx_mr.desc : NULL,
                      FI_ADDR_UNSPEC, &s->op.fctx);
    if (rc != -FI_EAGAIN)
      break;
    ofi_progress_locked(e);
  }
  if (rc != 0)
    MTR_LOG_ERR(OFI, "fi_recv: %s", fi_strerror(-rc));
  return rc;
}

static void *ofi_thread_main(void *arg)
{
  struct ofi_ep *e = arg;
  while (!atomic_load(&e->stop)) {
    pthread_mutex_lock(&e->lock);
    ofi_progress_locked(e);
    pthread_mutex_unlock(&e->lock);
    ofi_idle(e);
  }
  return NULL;
}

/* ---- open / close ------------------------------------------------------ */

static const char *ofi_provider_choice(const struct mtr_ep_config *cfg)
{
  if (cfg != NULL && cfg->provider != NULL && cfg->provider[0] != '\0')
    return cfg->provider;
  struct mtr__env env;
  mtr__env_load(&env);
  if (env.ofi_provider != NULL)
    return env.ofi_provider;
  const char *p = getenv("FI_PROVIDER");
  if (p != NULL && *p != '\0' && strchr(p, ',') == NULL && p[0] != '^')
    return p;
  return NULL;
}

static struct fi_info *ofi_hints(const char *prov, bool source)
{
  struct fi_info *h = fi_allocinfo();
  if (h == NULL)
    return NULL;
  h->ep_attr->type = FI_EP_RDM;
  h->caps = FI_MSG | FI_RMA | FI_READ | FI_REMOTE_READ | FI_SEND | FI_RECV;
  if (source)
    h->caps |= FI_SOURCE;
  h->mode = FI_CONTEXT | FI_CONTEXT2;
  h->domain_attr->mr_mode =
      FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY | FI_MR_ENDPOINT;
  h->domain_attr->threading = FI_THREAD_SAFE;
  if (prov != NULL) {
    h->fabric_attr->prov_name = strdup(prov);
    if (h->fabric_attr->prov_name == NULL) {
      fi_freeinfo(h);
      return NULL;
    }
  }
  return h;
}

/* fi_getinfo for our needs; FI_SOURCE is asked for first, then dropped. */
static int ofi_getinfo(const char *prov, struct fi_info **info, bool *source)
{
  int rc = -FI_ENODATA;
  for (int pass = 0; pass < 2; pass++) {
    struct fi_info *h = ofi_hints(prov, pass == 0);
    if (h == NULL)
      return -FI_ENOMEM;
    rc = fi_getinfo(OFI_API_VERSION, NULL, NULL, 0, h, info);
    fi_freeinfo(h);
    if (rc == 0) {
      *source = pass == 0;
      return 0;
    }
  }
  return rc;
}

static mtr_status ofi_probe(char *why, size_t whylen)
{
  struct fi_info *info = NULL;
  bool source;
  const char *prov = ofi_provider_choice(NULL);
  int rc = ofi_getinfo(prov, &info, &source);
  if (rc != 0) {
    mtr__why(why, whylen, "no libfabric provider%s%s offers RDM endpoints with RMA: %s",
             prov ? " matching " : "", prov ? prov : "", fi_strerror(-rc));
    return MTR_UNAVAILABLE;
  }
  fi_freeinfo(info);
  return MTR_OK;
}

static mtr_status ofi_close(mtr_ep *ep);

static mtr_status ofi_open(const struct mtr_ep_config *cfg, mtr_ep **out)
{
  mtr_status st = MTR_OK;
  struct ofi_ep *e = NULL;
  const char *prov = ofi_provider_choice(cfg);
  int rc;

  e = calloc(1, sizeof *e);
  MTR_CHECK(OFI, e != NULL, st, MTR_NOMEM, "out of memory");
  e->base.ops = &mtr__ofi_ops;
  pthread_mutex_init(&e->lock, NULL);
  atomic_init(&e->stop, false);
  struct mtr__env env;
  mtr__env_load(&env);
  e->spin_ns = (uint64_t)env.ofi_spin_us * 1000u;
  e->wait_fd = -1;
  e->blocking = env.ofi_block;
  atomic_init(&e->nap_start_ns, 0);
  atomic_init(&e->spin_cur_ns, env.ofi_block ? OFI_SPIN_MIN_NS * 8 : e->spin_ns);
  if (e->spin_ns < atomic_load(&e->spin_cur_ns))
    atomic_store(&e->spin_cur_ns, e->spin_ns);
  atomic_init(&e->last_activity, mtr__now_ns());

  rc = ofi_getinfo(prov, &e->info, &e->have_source);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE,
            "no libfabric provider%s%s offers RDM endpoints with messages and RMA reads: %s "
            "(see `fi_info -l`; FI_PROVIDER='%s')",
            prov ? " matching " : "", prov ? prov : "", fi_strerror(-rc),
            getenv("FI_PROVIDER") ? getenv("FI_PROVIDER") : "");
  struct fi_info *fi = e->info;
  e->mr_mode = fi->domain_attr->mr_mode;
  MTR_CHECK(OFI, fi->domain_attr->mr_key_size <= 8, st, MTR_UNAVAILABLE,
            "provider %s needs %zu-byte memory keys; at most 8 are supported",
            fi->fabric_attr->prov_name, fi->domain_attr->mr_key_size);
  size_t ksz = fi->domain_attr->mr_key_size;
  e->key_mask = ksz == 0 || ksz >= 8 ? UINT64_MAX : (1ull << (8 * ksz)) - 1;
  atomic_init(&e->next_key, ofi_random64() & (e->key_mask >> 1)); /* room to count up */
  snprintf(e->prov, sizeof e->prov, "%s", fi->fabric_attr->prov_name);
  for (char *p = e->prov; *p; p++)
    if (*p == ';')
      *p = '+';

  e->msg_max = cfg != NULL && cfg->msg_max != 0 ? cfg->msg_max : MTR_MSG_DEFAULT_MAX;
  MTR_CHECK(OFI, e->msg_max <= MTR_MSG_LIMIT, st, MTR_INVALID_ARG,
            "msg_max %zu exceeds the limit of %u bytes", e->msg_max, MTR_MSG_LIMIT);
  e->slot_size = sizeof(struct ofi_hdr) + e->msg_max;
  MTR_CHECK(OFI, e->slot_size <= fi->ep_attr->max_msg_size, st, MTR_INVALID_ARG,
            "msg_max %zu exceeds the provider's max_msg_size %zu", e->msg_max,
            fi->ep_attr->max_msg_size);
  e->rx_depth = cfg != NULL && cfg->rx_depth != 0 ? cfg->rx_depth : 64;
  MTR_CHECK(OFI, e->rx_depth <= 4096, st, MTR_INVALID_ARG, "rx_depth %u exceeds 4096", e->rx_depth);
  if (fi->rx_attr->size != 0 && e->rx_depth > fi->rx_attr->size)
    e->rx_depth = (unsigned)fi->rx_attr->size;
  size_t chunk = cfg != NULL && cfg->chunk_size != 0 ? cfg->chunk_size : (size_t)env.ofi_chunk;
  e->chunk = chunk < fi->ep_attr->max_msg_size ? chunk : fi->ep_attr->max_msg_size;
  unsigned infl =
      cfg != NULL && cfg->max_inflight != 0 ? cfg->max_inflight : (unsigned)env.ofi_inflight;
  if (fi->tx_attr->size != 0 && infl + OFI_TX_SLOTS > fi->tx_attr->size)
    infl = fi->tx_attr->size > OFI_TX_SLOTS ? (unsigned)(fi->tx_attr->size - OFI_TX_SLOTS) : 1;
  e->inflight = infl;

  rc = fi_fabric(fi->fabric_attr, &e->fabric, NULL);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_fabric(%s): %s", fi->fabric_attr->prov_name,
            fi_strerror(-rc));
  rc = fi_domain(e->fabric, fi, &e->domain, NULL);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_domain(%s): %s", fi->domain_attr->name,
            fi_strerror(-rc));
  struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_MSG,
                               .wait_obj = env.ofi_block ? FI_WAIT_FD : FI_WAIT_NONE,
                               .size = e->rx_depth + OFI_TX_SLOTS + 4 * e->inflight + 64};
  rc = fi_cq_open(e->domain, &cq_attr, &e->cq, NULL);
  if (rc != 0 && cq_attr.wait_obj != FI_WAIT_NONE) {
    MTR_LOG_INFO(OFI, "provider %s has no FI_WAIT_FD completion queue (%s): waits nap",
                 fi->fabric_attr->prov_name, fi_strerror(-rc));
    cq_attr.wait_obj = FI_WAIT_NONE;
    rc = fi_cq_open(e->domain, &cq_attr, &e->cq, NULL);
  }
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_cq_open: %s", fi_strerror(-rc));
  if (cq_attr.wait_obj == FI_WAIT_FD && fi_control(&e->cq->fid, FI_GETWAIT, &e->wait_fd) != 0)
    e->wait_fd = -1;
  e->blocking = env.ofi_block;
  atomic_init(&e->nap_start_ns, 0);
  struct fi_av_attr av_attr = {.type = fi->domain_attr->av_type, .count = 64};
  rc = fi_av_open(e->domain, &av_attr, &e->av, NULL);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_av_open: %s", fi_strerror(-rc));
  rc = fi_endpoint(e->domain, fi, &e->ep, NULL);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_endpoint: %s", fi_strerror(-rc));
  rc = fi_ep_bind(e->ep, &e->av->fid, 0);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_ep_bind(av): %s", fi_strerror(-rc));
  rc = fi_ep_bind(e->ep, &e->cq->fid, FI_TRANSMIT | FI_RECV);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_ep_bind(cq): %s", fi_strerror(-rc));
  rc = fi_enable(e->ep);
  MTR_CHECK(OFI, rc == 0, st, MTR_UNAVAILABLE, "fi_enable: %s", fi_strerror(-rc));

#ifdef MTR_HAVE_MMB_REGCACHE
  mmb_status ms = mmb_init();
  MTR_CHECK(OFI, ms == MMB_OK, st, MTR_ERROR, "mmb_init: %s", mmb_status_description(ms));
  e->mmb_inited = true;
  mmb_registrar registrar = {
      .ctx = e, .reg = ofi_reg_cb, .dereg = ofi_dereg_cb, .desc = ofi_desc_cb, .key = ofi_key_cb};
  ms = mmb_regcache_create(&registrar, NULL, &e->cache);
  MTR_CHECK(OFI, ms == MMB_OK, st, MTR_ERROR, "mmb_regcache_create: %s",
            mmb_status_description(ms));
#endif

  /* receive and send buffers */
  e->rx = calloc(e->rx_depth, sizeof *e->rx);
  e->rxq = calloc(e->rx_depth, sizeof *e->rxq);
  MTR_CHECK(OFI, e->rx != NULL && e->rxq != NULL, st, MTR_NOMEM, "out of memory");
  MTR_CHECK(OFI, posix_memalign((void **)&e->rx_mem, 4096, e->slot_size * e->rx_depth) == 0, st,
            MTR_NOMEM, "out of memory for %u receive buffers", e->rx_depth);
  MTR_CHECK(OFI, posix_memalign((void **)&e->tx_mem, 4096, e->slot_size * OFI_TX_SLOTS) == 0, st,
            MTR_NOMEM, "out of memory for send buffers");
  if (e->mr_mode & FI_MR_LOCAL) {
    MTR_CHECK_CALL(OFI, st, ofi_mr_get(e, e->rx_mem, e->slot_size * e->rx_depth, &e->rx_mr),
                   "registering receive buffers");
    e->rx_mr_ok = true;
    MTR_CHECK_CALL(OFI, st, ofi_mr_get(e, e->tx_mem, e->slot_size * OFI_TX_SLOTS, &e->tx_mr),
                   "registering send buffers");
    e->tx_mr_ok = true;
  }
  for (unsigned i = 0; i < OFI_TX_SLOTS; i++) {
    e->tx[i].op.kind = OFI_OP_TX;
    e->tx[i].op.idx = i;
    e->tx[i].buf = e->tx_mem + (size_t)i * e->slot_size;
    e->tx[i].state = TX_FREE;
  }
  pthread_mutex_lock(&e->lock);
  for (unsigned i = 0; i < e->rx_depth && st == MTR_OK; i++) {
    e->rx[i].op.kind = OFI_OP_RX;
    e->rx[i].op.idx = i;
    e->rx[i].buf = e->rx_mem + (size_t)i * e->slot_size;
    if (ofi_post_rx(e, i) != 0)
      st = MTR_ERROR;
  }
  pthread_mutex_unlock(&e->lock);
  MTR_CHECK(OFI, st == MTR_OK, st, MTR_ERROR, "posting receive buffers failed");

  if (cfg != NULL && cfg->progress_thread) {
    rc = pthread_create(&e->thread, NULL, ofi_thread_main, e);
    MTR_CHECK(OFI, rc == 0, st, MTR_ERROR, "pthread_create: %s", strerror(rc));
    e->thread_running = true;
  }
  MTR_LOG_INFO(OFI,
               "endpoint open: provider %s, fabric %s, domain %s, chunk %zu, inflight %u, "
               "mr_mode 0x%llx, FI_SOURCE %s",
               fi->fabric_attr->prov_name, fi->fabric_attr->name, fi->domain_attr->name, e->chunk,
               e->inflight, (unsigned long long)e->mr_mode, e->have_source ? "yes" : "no");
  *out = &e->base;
  e = NULL;
cleanup:
  if (e != NULL)
    ofi_close(&e->base);
  return st;
}

static mtr_status ofi_close(mtr_ep *ep)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  if (e->thread_running) {
    atomic_store(&e->stop, true);
    pthread_join(e->thread, NULL);
  }
  pthread_mutex_lock(&e->lock);
  /* Messages posted without waiting (a last BYE) leave before the endpoint
   * goes: with manual progress nothing else would move them. */
  for (uint64_t until = mtr__now_ns() + OFI_CLOSE_DRAIN_NS;;) {
    bool posted = false;
    for (unsigned i = 0; i < OFI_TX_SLOTS; i++)
      posted |= e->tx[i].state == TX_POSTED;
    if (!posted || e->ep == NULL || mtr__now_ns() >= until)
      break;
    if (ofi_progress_locked(e) == 0) {
      pthread_mutex_unlock(&e->lock);
      ofi_idle(e);
      pthread_mutex_lock(&e->lock);
    }
  }
  while (e->regions != NULL) {
    struct ofi_region *r = e->regions;
    MTR_LOG_WARN(OFI, "closing an endpoint with a region still exposed (%p, %llu bytes)", (void *)r,
                 (unsigned long long)r->len);
    e->regions = r->next;
    ofi_mr_put(e, &r->mr);
    r->ep = NULL;
    free(r);
  }
  if (e->ep != NULL)
    fi_close(&e->ep->fid);
  /* Abandoned reads: the endpoint is gone, so nothing will complete them. */
  while (e->zombies != NULL) {
    struct ofi_rreq *r = e->zombies;
    e->zombies = r->next;
    ofi_rreq_free(e, r);
  }
  free(e->spare);
  if (e->rx_mr_ok)
    ofi_mr_put(e, &e->rx_mr);
  if (e->tx_mr_ok)
    ofi_mr_put(e, &e->tx_mr);
#ifdef MTR_HAVE_MMB_REGCACHE
  if (e->cache != NULL)
    mmb_regcache_destroy(e->cache);
#endif
  if (e->av != NULL)
    fi_close(&e->av->fid);
  if (e->cq != NULL)
    fi_close(&e->cq->fid);
  if (e->domain != NULL)
    fi_close(&e->domain->fid);
  if (e->fabric != NULL)
    fi_close(&e->fabric->fid);
  if (e->info != NULL)
    fi_freeinfo(e->info);
#ifdef MTR_HAVE_MMB_REGCACHE
  if (e->mmb_inited)
    mmb_finalize();
#endif
  pthread_mutex_unlock(&e->lock);
  pthread_mutex_destroy(&e->lock);
  free(e->rx_mem);
  free(e->tx_mem);
  free(e->rx);
  free(e->rxq);
  free(e);
  return MTR_OK;
}

/* ---- addresses --------------------------------------------------------- */

static mtr_status ofi_addr(mtr_ep *ep, char *buf, size_t buflen)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  mtr_status st = MTR_OK;
  unsigned char raw[OFI_MAX_ADDRLEN];
  size_t rawlen = sizeof raw;
  MTR_CHECK(OFI, buf != NULL, st, MTR_INVALID_ARG, "NULL buffer");
  pthread_mutex_lock(&e->lock);
  int rc = fi_getname(&e->ep->fid, raw, &rawlen);
  pthread_mutex_unlock(&e->lock);
  MTR_CHECK(OFI, rc == 0, st, MTR_ERROR, "fi_getname: %s", fi_strerror(-rc));
  size_t need = 4 + strlen(e->prov) + 1 + 2 * rawlen + 1;
  MTR_CHECK(OFI, buflen >= need, st, MTR_TRUNCATED, "address needs %zu bytes, %zu given", need,
            buflen);
  int n = snprintf(buf, buflen, "ofi:%s:", e->prov);
  for (size_t i = 0; i < rawlen; i++)
    snprintf(buf + n + 2 * i, 3, "%02x", raw[i]);
cleanup:
  return st;
}

static mtr_status ofi_info_line(mtr_ep *ep, char *buf, size_t buflen)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  if (buf == NULL || buflen == 0)
    return MTR_INVALID_ARG;
  int n = snprintf(buf, buflen,
                   "provider %s, fabric %s, domain %s, msg_max %zu, chunk %zu, inflight %u, "
                   "mr_mode 0x%llx, max_msg_size %zu, FI_SOURCE %s",
                   e->info->fabric_attr->prov_name, e->info->fabric_attr->name,
                   e->info->domain_attr->name, e->msg_max, e->chunk, e->inflight,
                   (unsigned long long)e->mr_mode, e->info->ep_attr->max_msg_size,
                   e->have_source ? "yes" : "no");
  return n >= 0 && (size_t)n < buflen ? MTR_OK : MTR_TRUNCATED;
}

static int hexval(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static mtr_status ofi_peer_insert(mtr_ep *ep, const char *addr, mtr_peer *peer)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  mtr_status st = MTR_OK;
  unsigned char raw[OFI_MAX_ADDRLEN];
  size_t rawlen = 0;
  MTR_CHECK(OFI, addr != NULL && peer != NULL, st, MTR_INVALID_ARG, "NULL address or result");
  *peer = MTR_PEER_UNKNOWN;
  MTR_CHECK(OFI, strncmp(addr, "ofi:", 4) == 0, st, MTR_INVALID_ARG,
            "address '%.64s' does not start with 'ofi:'", addr);
  const char *p = addr + 4, *colon = strchr(p, ':');
  MTR_CHECK(OFI, colon != NULL, st, MTR_INVALID_ARG, "address '%.64s' has no provider part", addr);
  MTR_CHECK(OFI,
            (size_t)(colon - p) == strlen(e->prov) && strncmp(p, e->prov, strlen(e->prov)) == 0, st,
            MTR_INVALID_ARG, "address of provider '%.*s' given to an endpoint of provider '%s'",
            (int)(colon - p) > 64 ? 64 : (int)(colon - p), p, e->prov);
  const char *h = colon + 1;
  size_t hl = strnlen(h, 2 * OFI_MAX_ADDRLEN + 1);
  MTR_CHECK(OFI, hl > 0 && hl % 2 == 0 && hl <= 2 * OFI_MAX_ADDRLEN, st, MTR_INVALID_ARG,
            "malformed address '%.80s'", addr);
  for (size_t i = 0; i < hl; i += 2) {
    int a = hexval(h[i]), b = hexval(h[i + 1]);
    MTR_CHECK(OFI, a >= 0 && b >= 0, st, MTR_INVALID_ARG, "malformed address '%.80s'", addr);
    raw[rawlen++] = (unsigned char)(a << 4 | b);
  }
  switch (e->info->addr_format) {
  case FI_SOCKADDR_IN:
    MTR_CHECK(OFI,
              rawlen == sizeof(struct sockaddr_in) &&
                  ((struct sockaddr_in *)(void *)raw)->sin_family == AF_INET,
              st, MTR_INVALID_ARG, "address '%.80s' is not an IPv4 socket address", addr);
    break;
  case FI_SOCKADDR_IN6:
    MTR_CHECK(OFI,
              rawlen == sizeof(struct sockaddr_in6) &&
                  ((struct sockaddr_in6 *)(void *)raw)->sin6_family == AF_INET6,
              st, MTR_INVALID_ARG, "address '%.80s' is not an IPv6 socket address", addr);
    break;
  case FI_ADDR_STR:
    MTR_CHECK(OFI, memchr(raw, '\0', rawlen) != NULL, st, MTR_INVALID_ARG,
              "address '%.80s' is not a string address", addr);
    break;
  default:
    break;
  }
  fi_addr_t fa = FI_ADDR_NOTAVAIL;
  pthread_mutex_lock(&e->lock);
  int rc = fi_av_insert(e->av, raw, 1, &fa, 0, NULL);
  pthread_mutex_unlock(&e->lock);
  MTR_CHECK(OFI, rc == 1 && fa != FI_ADDR_NOTAVAIL, st, MTR_INVALID_ARG,
            "fi_av_insert('%.80s'): %s", addr, rc < 0 ? fi_strerror(-rc) : "not inserted");
  *peer = fa;
cleanup:
  return st;
}

static mtr_status ofi_peer_remove(mtr_ep *ep, mtr_peer peer)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  if (peer == MTR_PEER_UNKNOWN) {
    MTR_LOG_ERR(OFI, "removing an unknown peer");
    return MTR_INVALID_ARG;
  }
  fi_addr_t fa = peer;
  pthread_mutex_lock(&e->lock);
  int rc = fi_av_remove(e->av, &fa, 1, 0);
  pthread_mutex_unlock(&e->lock);
  if (rc != 0) {
    MTR_LOG_ERR(OFI, "fi_av_remove: %s", fi_strerror(-rc));
    return MTR_INVALID_ARG;
  }
  return MTR_OK;
}

/* ---- messages ---------------------------------------------------------- */

static mtr_status ofi_send(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len,
                           int timeout_ms)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  mtr_status st = MTR_OK;
  struct ofi_tx_slot *s = NULL;
  bool locked = false;
  MTR_CHECK(OFI, peer != MTR_PEER_UNKNOWN, st, MTR_INVALID_ARG, "send to an unknown peer");
  MTR_CHECK(OFI, buf != NULL || len == 0, st, MTR_INVALID_ARG, "NULL buffer with length %zu", len);
  MTR_CHECK(OFI, len <= e->msg_max, st, MTR_TRUNCATED,
            "message of %zu bytes exceeds the endpoint's bound of %zu", len, e->msg_max);
  uint64_t deadline = mtr__deadline(timeout_ms);
  /* a completion is due soon: poll without sleeping */
  atomic_store_explicit(&e->last_activity, mtr__now_ns(), memory_order_relaxed);
  pthread_mutex_lock(&e->lock);
  locked = true;
  for (;;) { /* a free slot */
    for (unsigned i = 0; i < OFI_TX_SLOTS && s == NULL; i++)
      if (e->tx[i].state == TX_FREE)
        s = &e->tx[i];
    if (s != NULL)
      break;
    if (ofi_progress_locked(e) > 0)
      continue;
    pthread_mutex_unlock(&e->lock);
    locked = false;
    MTR_CHECK(OFI, mtr__now_ns() < deadline, st, MTR_TIMEOUT,
              "timed out waiting for a free send buffer");
    ofi_idle(e);
    pthread_mutex_lock(&e->lock);
    locked = true;
  }
  s->state = TX_BUSY;
  s->done = false;
  s->err = 0;
  struct ofi_hdr hdr = {
      .magic = htole32(OFI_HDR_MAGIC), .len = htole32((uint32_t)len), .tag = htole64(tag)};
  memcpy(s->buf, &hdr, sizeof hdr);
  if (len > 0)
    memcpy(s->buf + sizeof hdr, buf, len);
  for (;;) {
    ssize_t rc = fi_send(e->ep, s->buf, sizeof hdr + len, e->tx_mr_ok ? e->tx_mr.desc : NULL,
                         (fi_addr_t)peer, &s->op.fctx);
    if (rc == 0)
      break;
    if (rc != -FI_EAGAIN) {
      s->state = TX_FREE;
      MTR_CHECK(OFI, 0, st, rc == -FI_EINVAL ? MTR_INVALID_ARG : MTR_PEER, "fi_send: %s",
                fi_strerror((int)-rc));
    }
    ofi_progress_locked(e);
    if (mtr__now_ns() >= deadline) {
      s->state = TX_FREE;
      MTR_CHECK(OFI, 0, st, MTR_TIMEOUT, "timed out posting a send (peer unreachable?)");
    }
    pthread_mutex_unlock(&e->lock);
    ofi_idle(e);
    pthread_mutex_lock(&e->lock);
  }
  for (;;) {
    if (!s->done)
      ofi_progress_locked(e);
    if (s->done)
      break;
    if (mtr__now_ns() >= deadline) {
      s->state = TX_ABANDONED;
      MTR_CHECK(OFI, 0, st, MTR_TIMEOUT, "timed out waiting for a send to complete");
    }
    pthread_mutex_unlock(&e->lock);
    ofi_idle(e);
    pthread_mutex_lock(&e->lock);
  }
  st = ofi_errstatus(s->err);
  if (st != MTR_OK)
    MTR_LOG_ERR(OFI, "send of %zu bytes failed: %s", len, fi_strerror(s->err));
  s->state = TX_FREE;
cleanup:
  if (locked)
    pthread_mutex_unlock(&e->lock);
  return st;
}

/* A send that does not wait: the message is copied into a free bounce buffer
 * and posted; the buffer is marked abandoned at once, so that its completion
 * (reaped by any later progress) frees it. */
static mtr_status ofi_try_send(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  mtr_status st = MTR_OK;
  struct ofi_tx_slot *s = NULL;
  bool locked = false;
  MTR_CHECK(OFI, peer != MTR_PEER_UNKNOWN, st, MTR_INVALID_ARG, "send to an unknown peer");
  MTR_CHECK(OFI, buf != NULL || len == 0, st, MTR_INVALID_ARG, "NULL buffer with length %zu", len);
  MTR_CHECK(OFI, len <= e->msg_max, st, MTR_TRUNCATED,
            "message of %zu bytes exceeds the endpoint's bound of %zu", len, e->msg_max);
  atomic_store_explicit(&e->last_activity, mtr__now_ns(), memory_order_relaxed);
  pthread_mutex_lock(&e->lock);
  locked = true;
  for (int pass = 0; pass < 2 && s == NULL; pass++) {
    for (unsigned i = 0; i < OFI_TX_SLOTS && s == NULL; i++)
      if (e->tx[i].state == TX_FREE)
        s = &e->tx[i];
    if (s == NULL && pass == 0)
      ofi_progress_locked(e);
  }
  if (s == NULL) {
    st = MTR_AGAIN;
    goto cleanup;
  }
  struct ofi_hdr hdr = {
      .magic = htole32(OFI_HDR_MAGIC), .len = htole32((uint32_t)len), .tag = htole64(tag)};
  memcpy(s->buf, &hdr, sizeof hdr);
  if (len > 0)
    memcpy(s->buf + sizeof hdr, buf, len);
  s->state = TX_POSTED;
  s->done = false;
  s->err = 0;
  ssize_t rc = fi_send(e->ep, s->buf, sizeof hdr + len, e->tx_mr_ok ? e->tx_mr.desc : NULL,
                       (fi_addr_t)peer, &s->op.fctx);
  if (rc == -FI_EAGAIN) {
    s->state = TX_FREE;
    ofi_progress_locked(e);
    st = MTR_AGAIN;
  } else if (rc != 0) {
    s->state = TX_FREE;
    MTR_CHECK(OFI, 0, st, rc == -FI_EINVAL ? MTR_INVALID_ARG : MTR_PEER, "fi_send: %s",
              fi_strerror((int)-rc));
  }
cleanup:
  if (locked)
    pthread_mutex_unlock(&e->lock);
  return st;
}

static mtr_status ofi_recv(mtr_ep *ep, mtr_peer *from, uint64_t *tag, void *buf, size_t cap,
                           size_t *len, int timeout_ms)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  mtr_status st = MTR_OK;
  MTR_CHECK(OFI, len != NULL && (buf != NULL || cap == 0), st, MTR_INVALID_ARG,
            "NULL buffer or length pointer");
  uint64_t deadline = mtr__deadline(timeout_ms);
  pthread_mutex_lock(&e->lock);
  for (;;) {
    if (e->rxq_count == 0)
      ofi_progress_locked(e);
    if (e->rxq_count == 0) {
      pthread_mutex_unlock(&e->lock);
      if (mtr__now_ns() >= deadline)
        return MTR_TIMEOUT;
      ofi_idle(e);
      pthread_mutex_lock(&e->lock);
      continue;
    }
    uint32_t i = e->rxq[e->rxq_head];
    e->rxq_head = (e->rxq_head + 1) % e->rx_depth;
    e->rxq_count--;
    struct ofi_rx_slot *s = &e->rx[i];
    struct ofi_hdr hdr;
    bool ok = false;
    if (s->err == FI_ETRUNC) {
      *len = s->len + s->olen > sizeof hdr ? s->len + s->olen - sizeof hdr : 0;
      MTR_LOG_ERR(OFI,
                  "dropped a message of about %zu bytes: larger than this endpoint's bound "
                  "of %zu",
                  *len, e->msg_max);
      st = MTR_TRUNCATED;
    } else if (s->err != 0) {
      MTR_LOG_ERR(OFI, "receive failed: %s", fi_strerror(s->err));
      st = ofi_errstatus(s->err);
    } else if (s->len < sizeof hdr) {
      MTR_LOG_WARN(OFI, "dropped a runt message of %zu bytes", s->len);
    } else {
      memcpy(&hdr, s->buf, sizeof hdr);
      size_t plen = le32toh(hdr.len);
      if (le32toh(hdr.magic) != OFI_HDR_MAGIC || plen != s->len - sizeof hdr) {
        MTR_LOG_WARN(OFI, "dropped a malformed message of %zu bytes", s->len);
      } else if (plen > cap) {
        *len = plen;
        MTR_LOG_ERR(OFI, "dropped a message of %zu bytes: the buffer holds %zu", plen, cap);
        st = MTR_TRUNCATED;
      } else {
        if (plen > 0)
          memcpy(buf, s->buf + sizeof hdr, plen);
        *len = plen;
        if (tag != NULL)
          *tag = le64toh(hdr.tag);
        if (from != NULL)
          *from = s->src == FI_ADDR_NOTAVAIL || s->src == FI_ADDR_UNSPEC ? MTR_PEER_UNKNOWN
                                                                         : (mtr_peer)s->src;
        ok = true;
      }
    }
    if (ofi_post_rx(e, i) != 0)
      MTR_LOG_ERR(OFI, "could not repost a receive buffer; %u remain", e->rx_depth);
    if (ok || st != MTR_OK)
      break;
    /* a dropped runt or malformed message: keep waiting */
  }
  pthread_mutex_unlock(&e->lock);
cleanup:
  return st;
}

static mtr_status ofi_progress(mtr_ep *ep)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  pthread_mutex_lock(&e->lock);
  int n = ofi_progress_locked(e);
  pthread_mutex_unlock(&e->lock);
  return n < 0 ? MTR_ERROR : MTR_OK;
}

/* ---- regions and reads ------------------------------------------------- */

static uint64_t desc_check(const unsigned char *d)
{
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 32; i++)
    h = (h ^ d[i]) * 1099511628211ull;
  return h;
}

static mtr_status ofi_expose(mtr_ep *ep, const void *buf, size_t len, mtr_region **out)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  mtr_status st = MTR_OK;
  struct ofi_region *r = NULL;
  MTR_CHECK(OFI, buf != NULL && len > 0 && out != NULL, st, MTR_INVALID_ARG,
            "NULL buffer, zero length or NULL result");
  *out = NULL;
  r = calloc(1, sizeof *r);
  MTR_CHECK(OFI, r != NULL, st, MTR_NOMEM, "out of memory");
  r->base.ops = &mtr__ofi_ops;
  r->ep = e;
  r->len = len;
  pthread_mutex_lock(&e->lock);
  st = ofi_mr_get(e, buf, len, &r->mr);
  if (st == MTR_OK) {
    r->next = e->regions;
    if (e->regions != NULL)
      e->regions->prev = r;
    e->regions = r;
  }
  pthread_mutex_unlock(&e->lock);
  MTR_CHECK(OFI, st == MTR_OK, st, st, "exposing %zu bytes at %p failed", len, buf);
  r->raddr = (e->mr_mode & FI_MR_VIRT_ADDR) ? (uint64_t)(uintptr_t)buf
                                            : (uint64_t)((const char *)buf - r->mr.base);
  *out = &r->base;
  r = NULL;
cleanup:
  free(r);
  return st;
}

static mtr_status ofi_region_desc(mtr_region *region, void *desc, size_t desclen)
{
  struct ofi_region *r = (struct ofi_region *)region;
  if (desc == NULL || desclen < MTR_REGION_DESC_SIZE) {
    MTR_LOG_ERR(OFI, "descriptor buffer NULL or smaller than %d bytes", MTR_REGION_DESC_SIZE);
    return MTR_INVALID_ARG;
  }
  if (r->ep == NULL) {
    MTR_LOG_ERR(OFI, "region of a closed endpoint");
    return MTR_CLOSED;
  }
  unsigned char *d = desc;
  uint32_t magic = htole32(OFI_DESC_MAGIC);
  uint16_t ver = htole16(OFI_DESC_VERSION);
  uint16_t flags = htole16((r->ep->mr_mode & FI_MR_VIRT_ADDR) ? OFI_DESC_VIRT : 0);
  uint64_t addr = htole64(r->raddr), len = htole64(r->len), key = htole64(r->mr.key);
  memcpy(d, &magic, 4);
  memcpy(d + 4, &ver, 2);
  memcpy(d + 6, &flags, 2);
  memcpy(d + 8, &addr, 8);
  memcpy(d + 16, &len, 8);
  memcpy(d + 24, &key, 8);
  uint64_t chk = htole64(desc_check(d));
  memcpy(d + 32, &chk, 8);
  return MTR_OK;
}

static mtr_status ofi_unexpose(mtr_region *region)
{
  struct ofi_region *r = (struct ofi_region *)region;
  struct ofi_ep *e = r->ep;
  pthread_mutex_lock(&e->lock);
  if (r->prev != NULL)
    r->prev->next = r->next;
  else
    e->regions = r->next;
  if (r->next != NULL)
    r->next->prev = r->prev;
  ofi_mr_put(e, &r->mr);
  pthread_mutex_unlock(&e->lock);
  free(r);
  return MTR_OK;
}

static mtr_status ofi_read(mtr_ep *ep, mtr_peer peer, const void *desc, size_t desclen,
                           uint64_t offset, void *dst, size_t len, int timeout_ms)
{
  struct ofi_ep *e = (struct ofi_ep *)ep;
  mtr_status st = MTR_OK;
  struct ofi_rreq *r = NULL;
  bool locked = false;
  MTR_CHECK(OFI, peer != MTR_PEER_UNKNOWN, st, MTR_INVALID_ARG, "read from an unknown peer");
  MTR_CHECK(OFI, desc != NULL && desclen == MTR_REGION_DESC_SIZE, st, MTR_INVALID_ARG,
            "descriptor NULL or not %d bytes", MTR_REGION_DESC_SIZE);
  if (len == 0)
    return MTR_OK;
  MTR_CHECK(OFI, dst != NULL, st, MTR_INVALID_ARG, "NULL destination");
  const unsigned char *d = desc;
  uint32_t magic;
  uint16_t ver;
  uint64_t raddr, rlen, key, chk;
  memcpy(&magic, d, 4);
  memcpy(&ver, d + 4, 2);
  memcpy(&raddr, d + 8, 8);
  memcpy(&rlen, d + 16, 8);
  memcpy(&key, d + 24, 8);
  memcpy(&chk, d + 32, 8);
  MTR_CHECK(OFI,
            le32toh(magic) == OFI_DESC_MAGIC && le16toh(ver) == OFI_DESC_VERSION &&
                le64toh(chk) == desc_check(d),
            st, MTR_INVALID_ARG, "malformed region descriptor");
  raddr = le64toh(raddr);
  rlen = le64toh(rlen);
  key = le64toh(key);
  MTR_CHECK(OFI, offset <= rlen && len <= rlen - offset, st, MTR_INVALID_ARG,
            "read of %zu bytes at offset %llu exceeds the region's %llu bytes", len,
            (unsigned long long)offset, (unsigned long long)rlen);

  uint64_t deadline = mtr__deadline(timeout_ms);
  pthread_mutex_lock(&e->lock);
  locked = true;
  r = ofi_rreq_take(e);
  MTR_CHECK(OFI, r != NULL, st, MTR_NOMEM, "out of memory");
  atomic_store_explicit(&e->last_activity, mtr__now_ns(), memory_order_relaxed);
  if (e->mr_mode & FI_MR_LOCAL) {
    MTR_CHECK_CALL(OFI, st, ofi_mr_get(e, dst, len, &r->mr), "registering the destination");
    r->have_mr = true;
  }
  void *ldesc = r->have_mr ? r->mr.desc : NULL;
  size_t posted = 0;
  while (posted < len || r->outstanding > 0) {
    while (posted < len && r->nfree > 0 && r->err == 0) {
      size_t n = len - posted < e->chunk ? len - posted : e->chunk;
      struct ofi_op *op = &r->ops[r->free[r->nfree - 1]];
      op->len = n;
      ssize_t rc = fi_read(e->ep, (char *)dst + posted, n, ldesc, (fi_addr_t)peer,
                           raddr + offset + posted, key, &op->fctx);
      if (rc == -FI_EAGAIN)
        break;
      if (rc != 0) {
        r->err = (int)-rc;
        MTR_LOG_ERR(OFI, "fi_read: %s", fi_strerror((int)-rc));
        break;
      }
      r->nfree--;
      r->outstanding++;
      posted += n;
    }
    if (r->err != 0 && r->outstanding == 0)
      break;
    if (r->err != 0 && posted < len)
      posted = len; /* post nothing more; drain what is in flight */
    if (ofi_progress_locked(e) > 0)
      continue;
    if (mtr__now_ns() >= deadline) {
      st = MTR_TIMEOUT;
      MTR_LOG_ERR(OFI, "read of %zu bytes timed out with %zu chunks in flight", len,
                  r->outstanding);
      break;
    }
    pthread_mutex_unlock(&e->lock);
    ofi_idle(e);
    pthread_mutex_lock(&e->lock);
  }
  if (st == MTR_OK && r->err != 0) {
    st = ofi_errstatus(r->err);
    MTR_LOG_ERR(OFI, "read of %zu bytes failed: %s", len, fi_strerror(r->err));
  }
  if (r->outstanding > 0) { /* abandoned: completes (or dies) with the endpoint */
    r->abandoned = true;
    r->next = e->zombies;
    e->zombies = r;
    r = NULL;
  }
cleanup:
  if (r != NULL) {
    if (r->have_mr)
      ofi_mr_put(e, &r->mr);
    if (e->spare == NULL) { /* keep one for the next read */
      e->spare = r;
      r = NULL;
    }
  }
  if (locked)
    pthread_mutex_unlock(&e->lock);
  free(r);
  return st;
}

static mtr_status ofi_invalidate(mtr_ep *ep, const void *addr, size_t len)
{
#ifdef MTR_HAVE_MMB_REGCACHE
  struct ofi_ep *e = (struct ofi_ep *)ep;
  pthread_mutex_lock(&e->lock);
  mmb_status ms = mmb_regcache_invalidate(e->cache, addr, len);
  pthread_mutex_unlock(&e->lock);
  if (ms != MMB_OK) {
    MTR_LOG_ERR(OFI, "invalidating %zu bytes at %p: %s", len, addr, mmb_status_description(ms));
    return MTR_ERROR;
  }
#endif
  return MTR_OK; /* without the cache nothing outlives its region or transfer */
}

static const struct mtr_ep_ops ofi_ep_ops = {
    .size = sizeof(struct mtr_ep_ops),
    .version = MTR_EP_OPS_VERSION,
    .open = ofi_open,
    .close = ofi_close,
    .addr = ofi_addr,
    .info = ofi_info_line,
    .peer_insert = ofi_peer_insert,
    .peer_remove = ofi_peer_remove,
    .send = ofi_send,
    .recv = ofi_recv,
    .progress = ofi_progress,
    .expose = ofi_expose,
    .region_desc = ofi_region_desc,
    .unexpose = ofi_unexpose,
    .read = ofi_read,
    .invalidate = ofi_invalidate,
    .try_send = ofi_try_send,
};

const struct mtr_ops mtr__ofi_ops = {
    .size = sizeof(struct mtr_ops),
    .version = MTR_OPS_VERSION,
    .caps = MTR_CAP_MSG | MTR_CAP_RMA,
    .name = "OFI",
    .description = "libfabric RDM endpoints: control messages and one-sided RMA reads",
    .probe = ofi_probe,
    .ep = &ofi_ep_ops,
};
