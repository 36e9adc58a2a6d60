/* SPDX-License-Identifier: BSD-3-Clause */
/* pm_scale: CDOs per second through one Pool Manager as producer/consumer
 * pairs of processes are added (issue 17, point 6).
 *
 *  - pairs_<P> (P = 1, 2, 4, 8): P producer and P consumer processes; each
 *    producer offers N CDOs of 1 KiB, its consumer requires all N, then
 *    demands each (and checks its size and last byte). All 2P processes join
 *    first and start together; the figure is P*N over the time from the start
 *    to the last consumer's last demand (aggregate CDOs/s).
 *  - offer_events: one pair plus a subscriber of every OFFER (no ack); events
 *    per second delivered to it, from the start to its N-th event.
 *
 * Baseline (same run, same provider): the raw one-way fi_send/fi_recv rate
 * of 1 KiB messages between two processes (a window of posted receives, the
 * sender keeps a window of sends in flight; the time runs until the receiver
 * has all and its one-message ack arrived).
 *
 * Providers: tcp;ofi_rxm and shm (or --provider NAME), loopback pinned.
 * Processes: a Pool Manager (mstro_pm_start in a child) per provider, the
 * components as children; the parent prints the BENCH lines.
 *
 *   pm_scale [--quick] [--provider NAME] [-n N]   (N: CDOs per pair; default
 *   2000, --quick 100)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_ofi.h"
#include "bench_pm.h"
#include "maestro.h"
#include "maestro/pool_manager.h"

#define CDO_SIZE  1024
#define RAW_WIN   64
#define MAX_PAIRS 8

static long n_per_pair = 2000;
static double round_limit_s = 300.0;

static void must(mstro_status st, const char *what)
{
  if (st != MSTRO_OK) {
    fprintf(stderr, "pm_scale: %s: %s\n", what, mstro_status_description(st));
    exit(5);
  }
}

/* ---- raw baseline: one-way 1 KiB fi_send/fi_recv rate ---------------------- */

struct addr_msg {
  unsigned char addr[256];
  size_t addrlen;
};

static void raw_open_and_swap(struct bench_ofi *r, const char *prov, int rfd, int wfd)
{
  struct addr_msg mine = {.addrlen = sizeof mine.addr}, theirs;
  bench_ofi_open(r, prov, 4 * RAW_WIN);
  BENCH_OFI_CHECK(fi_getname(&r->ep->fid, mine.addr, &mine.addrlen));
  bench_xwrite(wfd, &mine, sizeof mine);
  bench_xread(rfd, &theirs, sizeof theirs);
  if (fi_av_insert(r->av, theirs.addr, 1, &r->peer, 0, NULL) != 1) {
    fprintf(stderr, "pm_scale: fi_av_insert failed\n");
    exit(3);
  }
}

/* Receives n messages into a window of posted buffers, then acks once. */
static void raw_receiver(const char *prov, int rfd, int wfd, long n)
{
  struct bench_ofi r = {0};
  static char buf[RAW_WIN][CDO_SIZE];
  struct fi_context2 ctx[RAW_WIN + 1];
  raw_open_and_swap(&r, prov, rfd, wfd);
  for (int i = 0; i < RAW_WIN; i++)
    BENCH_OFI_CHECK(fi_recv(r.ep, buf[i], CDO_SIZE, NULL, FI_ADDR_UNSPEC, &ctx[i]));
  bench_xwrite(wfd, "r", 1); /* receives posted */
  long got = 0;
  while (got < n) {
    struct fi_cq_entry e[16];
    size_t k = bench_ofi_poll(&r, e, 16);
    for (size_t j = 0; j < k; j++, got++) {
      int slot = (int)((struct fi_context2 *)e[j].op_context - ctx);
      if (got + RAW_WIN < n)
        BENCH_OFI_CHECK(fi_recv(r.ep, buf[slot], CDO_SIZE, NULL, FI_ADDR_UNSPEC, &ctx[slot]));
    }
  }
  BENCH_OFI_CHECK(fi_send(r.ep, buf[0], 8, NULL, r.peer, &ctx[RAW_WIN]));
  bench_ofi_wait_ctx(&r, &ctx[RAW_WIN], NULL);
  char c;
  bench_xread(rfd, &c, 1); /* the sender has the ack: close after it */
  bench_ofi_close(&r);
}

/* Sends n messages, RAW_WIN in flight, and returns messages per second. */
static double raw_sender(const char *prov, int rfd, int wfd, long n)
{
  struct bench_ofi r = {0};
  static char buf[RAW_WIN][CDO_SIZE], ack[64];
  struct fi_context2 ctx[RAW_WIN], actx;
  char c;
  raw_open_and_swap(&r, prov, rfd, wfd);
  BENCH_OFI_CHECK(fi_recv(r.ep, ack, sizeof ack, NULL, FI_ADDR_UNSPEC, &actx));
  bench_xread(rfd, &c, 1);
  double t0 = bench_now();
  long sent = 0, inflight = 0;
  bool acked = false;
  while (!acked) {
    while (sent < n && inflight < RAW_WIN) {
      ssize_t rc = fi_send(r.ep, buf[sent % RAW_WIN], CDO_SIZE, NULL, r.peer, &ctx[sent % RAW_WIN]);
      if (rc == -FI_EAGAIN)
        break;
      BENCH_OFI_CHECK(rc);
      sent++;
      inflight++;
    }
    struct fi_cq_entry e[16];
    size_t k = bench_ofi_poll(&r, e, 16);
    for (size_t j = 0; j < k; j++) {
      if (e[j].op_context == &actx)
        acked = true;
      else
        inflight--;
    }
  }
  double t = bench_now() - t0;
  bench_xwrite(wfd, "q", 1);
  bench_ofi_close(&r);
  return (double)n / t;
}

/* The raw rate between two children (the sender reports it by pipe). */
static double raw_rate(const char *prov, long n)
{
  int ab[2], ba[2], res[2];
  if (pipe(ab) || pipe(ba) || pipe(res))
    exit(1);
  fflush(stdout);
  pid_t rx = fork();
  if (rx == 0) {
    raw_receiver(prov, ab[0], ba[1], n);
    _exit(0);
  }
  pid_t tx = fork();
  if (tx == 0) {
    double rate = raw_sender(prov, ba[0], ab[1], n);
    bench_xwrite(res[1], &rate, sizeof rate);
    _exit(0);
  }
  double rate = 0;
  close(res[1]);
  if (read(res[0], &rate, sizeof rate) != (ssize_t)sizeof rate)
    rate = 0;
  int a = bench_wait_child(rx), b = bench_wait_child(tx);
  close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]), close(res[0]);
  if (a != 0 || b != 0) {
    fprintf(stderr, "pm_scale: raw baseline on %s failed (%d, %d)\n", prov, a, b);
    return 0;
  }
  return rate;
}

/* ---- the components --------------------------------------------------------- */

/* Every component joins, says so on `ready`, waits for the start byte on
 * `go`, works, and writes its finishing time (CLOCK_MONOTONIC) on `ready`. */
struct sync {
  int ready_w, go_r;
};

static void join_and_wait(const char *name, const struct sync *s)
{
  char c;
  must(mstro_init(NULL, name, 0), "mstro_init");
  bench_xwrite(s->ready_w, "j", 1);
  bench_xread(s->go_r, &c, 1);
}

enum role { PRODUCER, CONSUMER, SUBSCRIBER };

struct end_msg {
  enum role role;
  double t;
};

static void report_end(const struct sync *s, enum role r)
{
  struct end_msg m = {.role = r, .t = bench_now()};
  bench_xwrite(s->ready_w, &m, sizeof m);
}

static void cdo_name(char *out, size_t cap, const char *tag, int pair, long k)
{
  snprintf(out, cap, "%s-p%d-%ld", tag, pair, k);
}

static int producer(const char *tag, int pair, const struct sync *s)
{
  char name[96];
  unsigned char *buf = malloc((size_t)n_per_pair * CDO_SIZE);
  mstro_cdo *cdos = calloc((size_t)n_per_pair, sizeof *cdos);
  mstro_cdo done = NULL;
  int64_t len = CDO_SIZE;
  if (buf == NULL || cdos == NULL)
    return 1;
  for (long k = 0; k < n_per_pair; k++)
    memset(buf + k * CDO_SIZE, (int)(k & 0xff), CDO_SIZE);
  snprintf(name, sizeof name, "producer-%s-%d", tag, pair);
  join_and_wait(name, s);
  for (long k = 0; k < n_per_pair; k++) {
    void *p = buf + k * CDO_SIZE;
    cdo_name(name, sizeof name, tag, pair, k);
    must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[k]), "declare");
    mstro_cdo_attribute_set(cdos[k], MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false);
    mstro_cdo_attribute_set(cdos[k], MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false);
    must(mstro_cdo_seal(cdos[k]), "seal");
    must(mstro_cdo_offer(cdos[k]), "offer");
  }
  report_end(s, PRODUCER);
  snprintf(name, sizeof name, "%s-p%d-done", tag, pair);
  must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &done), "declare done");
  must(mstro_cdo_demand(done), "demand done");
  mstro_cdo_dispose(done);
  for (long k = 0; k < n_per_pair; k++) {
    must(mstro_cdo_withdraw(cdos[k]), "withdraw");
    mstro_cdo_dispose(cdos[k]);
  }
  must(mstro_finalize(), "producer finalize");
  free(cdos);
  free(buf);
  return 0;
}

static int consumer(const char *tag, int pair, const struct sync *s)
{
  char name[96];
  mstro_cdo *cdos = calloc((size_t)n_per_pair, sizeof *cdos);
  mstro_cdo done = NULL;
  if (cdos == NULL)
    return 1;
  snprintf(name, sizeof name, "consumer-%s-%d", tag, pair);
  join_and_wait(name, s);
  for (long k = 0; k < n_per_pair; k++) {
    cdo_name(name, sizeof name, tag, pair, k);
    must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &cdos[k]), "declare");
    must(mstro_cdo_require(cdos[k]), "require");
  }
  for (long k = 0; k < n_per_pair; k++) {
    void *data = NULL;
    int64_t got = 0;
    must(mstro_cdo_demand(cdos[k]), "demand");
    must(mstro_cdo_access_ptr(cdos[k], &data, &got), "access_ptr");
    if (got != CDO_SIZE || ((unsigned char *)data)[CDO_SIZE - 1] != (unsigned char)(k & 0xff)) {
      fprintf(stderr, "pm_scale: wrong data in CDO %ld of pair %d\n", k, pair);
      return 6;
    }
    mstro_cdo_dispose(cdos[k]);
  }
  report_end(s, CONSUMER);
  char one = 1;
  void *p = &one;
  int64_t len = 1;
  snprintf(name, sizeof name, "%s-p%d-done", tag, pair);
  must(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &done), "declare done");
  mstro_cdo_attribute_set(done, MSTRO_ATTR_CORE_CDO_RAW_PTR, &p, true, false);
  mstro_cdo_attribute_set(done, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false);
  must(mstro_cdo_seal(done), "seal done");
  must(mstro_cdo_offer(done), "offer done");
  must(mstro_cdo_withdraw(done), "withdraw done");
  mstro_cdo_dispose(done);
  must(mstro_finalize(), "consumer finalize");
  free(cdos);
  return 0;
}

/* Counts the OFFERs of this round's data CDOs until it has `want`. */
static int subscriber(const char *tag, long want, const struct sync *s)
{
  mstro_cdo_selector all = NULL;
  mstro_subscription sub = NULL;
  char name[96], prefix[64];
  snprintf(prefix, sizeof prefix, "%s-p", tag);
  snprintf(name, sizeof name, "subscriber-%s", tag);
  must(mstro_init(NULL, name, 0), "mstro_init");
  must(mstro_cdo_selector_create(NULL, NULL, NULL, &all), "selector");
  must(mstro_subscribe(all, MSTRO_POOL_EVENT_OFFER, MSTRO_SUBSCRIPTION_OPTS_DEFAULT, &sub),
       "subscribe");
  bench_xwrite(s->ready_w, "j", 1);
  char c;
  bench_xread(s->go_r, &c, 1);
  for (long got = 0; got < want;) {
    mstro_pool_event e = NULL;
    must(mstro_subscription_wait(sub, &e), "subscription wait");
    for (mstro_pool_event x = e; x != NULL; x = x->next) {
      const char *n = x->payload.offer.cdo_name;
      if (n != NULL && strncmp(n, prefix, strlen(prefix)) == 0 && strstr(n, "done") == NULL)
        got++;
    }
    mstro_pool_event_dispose(e);
  }
  report_end(s, SUBSCRIBER);
  must(mstro_subscription_dispose(sub), "unsubscribe");
  mstro_cdo_selector_dispose(all);
  must(mstro_finalize(), "subscriber finalize");
  return 0;
}

/* ---- one round: P pairs (and maybe a subscriber) ------------------------------ */

/* Reads n bytes unless `deadline` passes first (false then, or at EOF). */
static bool read_by(int fd, void *b, size_t n, double deadline)
{
  char *p = b;
  while (n > 0) {
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    int ms = (int)((deadline - bench_now()) * 1000);
    if (ms <= 0)
      return false;
    int k = poll(&pf, 1, ms);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return false;
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

/* Runs one round and returns its rate: CDOs/s (the consumers' last demand)
 * or, with a subscriber, its events/s (its last event); 0 when the round
 * failed or ran past round_limit_s. */
static double round_run(const char *tag, int pairs, bool with_subscriber)
{
  int ready[2], go[2];
  pid_t kids[2 * MAX_PAIRS + 1];
  int nk = 0;
  if (pipe(ready) || pipe(go))
    exit(1);
  struct sync s = {.ready_w = ready[1], .go_r = go[0]};
  for (int i = 0; i < 2 * pairs + (with_subscriber ? 1 : 0); i++) {
    enum role r = i == 2 * pairs ? SUBSCRIBER : i % 2 ? CONSUMER : PRODUCER;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
      close(ready[0]);
      close(go[1]);
      _exit(r == SUBSCRIBER ? subscriber(tag, (long)pairs * n_per_pair, &s)
            : r == CONSUMER ? consumer(tag, i / 2, &s)
                            : producer(tag, i / 2, &s));
    }
    kids[nk++] = p;
  }
  close(ready[1]);
  close(go[0]);
  double t0 = bench_now(), deadline = t0 + round_limit_s, last_cons = 0, last_sub = 0;
  bool ok = true;
  char c;
  for (int i = 0; ok && i < nk; i++)
    ok = read_by(ready[0], &c, 1, deadline);
  t0 = bench_now();
  for (int i = 0; ok && i < nk; i++)
    bench_xwrite(go[1], "g", 1);
  for (int i = 0; ok && i < nk; i++) {
    struct end_msg m;
    ok = read_by(ready[0], &m, sizeof m, deadline);
    if (ok && m.role == CONSUMER && m.t > last_cons)
      last_cons = m.t;
    if (ok && m.role == SUBSCRIBER)
      last_sub = m.t;
  }
  int bad = 0;
  for (int i = 0; i < nk; i++) {
    int ws = 0;
    pid_t w;
    while ((w = waitpid(kids[i], &ws, WNOHANG)) == 0 && ok && bench_now() < deadline)
      usleep(10000);
    if (w == 0) {
      kill(kids[i], SIGKILL);
      waitpid(kids[i], &ws, 0);
    }
    if (w <= 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
      bad++;
  }
  close(ready[0]);
  close(go[1]);
  if (!ok || bad > 0) {
    fprintf(stderr, "pm_scale %s: %d of %d processes failed%s\n", tag, bad, nk,
            ok ? "" : " (or the round ran out of time)");
    return 0;
  }
  double end = with_subscriber ? last_sub : last_cons;
  return (double)pairs * (double)n_per_pair / (end - t0);
}

/* ---- one provider: a PM, the raw baseline, the rounds ----------------------- */

static int run(const char *prov, const char *ptag)
{
  int rc = 0;
  setenv("FI_PROVIDER", prov, 1);
  setenv("MSTRO_WORKFLOW_NAME", "bench-pm-scale", 1);
  double raw = raw_rate(prov, n_per_pair * 10 > 20000 ? n_per_pair * 10 : 20000);
  printf("# %s: raw 1 KiB fi_send/fi_recv rate %.0f msgs/s\n", ptag, raw);
  fflush(stdout);
  struct bench_pm pm;
  if (bench_pm_start(&pm) != 0)
    return 1;
  static const int counts[] = {1, 2, 4, 8};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    char tag[64], cname[64];
    snprintf(tag, sizeof tag, "%s-%d", ptag, counts[i]);
    double v = round_run(tag, counts[i], false);
    snprintf(cname, sizeof cname, "%s_pairs_%d", ptag, counts[i]);
    if (v > 0)
      bench_report("pm_scale", cname, v, "CDOs/s", raw, BENCH_HIGHER_IS_BETTER);
    else
      rc = 1;
  }
  char tag[64], cname[64];
  snprintf(tag, sizeof tag, "%s-ev", ptag);
  double v = round_run(tag, 1, true);
  snprintf(cname, sizeof cname, "%s_offer_events", ptag);
  if (v > 0)
    bench_report("pm_scale", cname, v, "events/s", raw, BENCH_HIGHER_IS_BETTER);
  else
    rc = 1;
  int rpm = bench_pm_stop(&pm);
  if (rpm != 0)
    fprintf(stderr, "pm_scale (%s): PM exited with %d\n", prov, rpm);
  return rc != 0 ? rc : rpm;
}

int main(int argc, char **argv)
{
  bool quick = bench_quick(argc, argv);
  const char *only = NULL;
  n_per_pair = quick ? 100 : 2000;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc)
      only = argv[++i];
    else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      n_per_pair = strtol(argv[++i], NULL, 10);
  if (n_per_pair < 1) {
    fprintf(stderr, "pm_scale: -n wants a positive count\n");
    return 2;
  }
  round_limit_s = quick ? 120.0 : 600.0;
  setenv("FI_TCP_IFACE", "lo", 1);
  setenv("FI_SOCKETS_IFACE", "lo", 1);
  setenv("MSTRO_LOG_LEVEL", "err", 0);
  signal(SIGPIPE, SIG_IGN);
  int rc = 0;
  if (only != NULL) {
    char ptag[64];
    snprintf(ptag, sizeof ptag, "%s", only);
    for (char *q = ptag; *q; q++)
      if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
        *q = '_';
    rc = run(only, ptag);
  } else {
    rc |= run("tcp;ofi_rxm", "tcp_rxm");
    rc |= run("shm", "shm");
  }
  return rc;
}
