/* SPDX-License-Identifier: BSD-3-Clause */
/* The PM-client pool backend (core/pmc_*.c) over the in-process loopback
 * channel: no fabric, no processes. The Pool Manager's server runs in a
 * thread of this test on a loop channel; this process's libmaestro joins it
 * through a loop link (mstro__pmc_use_link), and a raw protocol client
 * ("peer", another member) plays the other component. The workflow's data
 * transport is GFS in a private directory, so bytes move without a fabric.
 *
 * Checked: join and leave, an offer a peer's demand is ticketed for, a
 * withdraw that waits for that transfer, a demand served by a ticket for a
 * peer's offer, a require whose transfer the demand takes over, an offer
 * held until a _REQUIRE_ACK subscriber of the peer acks (held operations),
 * and a group offered, demanded (metadata only, then one member's bytes) and
 * refused once a member's offer is gone. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "attr.h"
#include "maestro.h"
#include "mtr.h"
#include "pm_chan.h"
#include "pm_server.h"
#include "pmc.h"
#include "proto_codec.h"

/* ---- the loop link: libmaestro's control messages over a loop channel ---- */

struct loop_link {
  struct mstro__proto_link base;
  struct mstro__pm_chan *ch;
  mstro__pm_peer pm;
};

static mstro_status loop_addr(struct mstro__proto_link *l, char *buf, size_t len)
{
  struct mstro__pm_chan *ch = ((struct loop_link *)l)->ch;
  return ch->ops->addr(ch, buf, len);
}

static mstro_status loop_connect(struct mstro__proto_link *l, const char *addr)
{
  struct loop_link *k = (struct loop_link *)l;
  return k->ch->ops->peer_insert(k->ch, addr, &k->pm);
}

static mstro_status loop_send(struct mstro__proto_link *l, const void *buf, size_t len,
                              int timeout_ms)
{
  struct loop_link *k = (struct loop_link *)l;
  return k->ch->ops->send(k->ch, k->pm, buf, len, timeout_ms) == MSTRO_OK ? MSTRO_OK : MSTRO_NO_PM;
}

static mstro_status loop_recv(struct mstro__proto_link *l, void *buf, size_t cap, size_t *len,
                              int timeout_ms)
{
  struct loop_link *k = (struct loop_link *)l;
  mstro__pm_peer from;
  mstro_status st = k->ch->ops->recv(k->ch, &from, buf, cap, len, timeout_ms);
  return st == MSTRO_TRANSPORT ? MSTRO_NO_PM : st;
}

static mtr_ep *loop_ep(struct mstro__proto_link *l)
{
  (void)l;
  return NULL; /* data move through the GFS store */
}

static void loop_close(struct mstro__proto_link *l)
{
  struct loop_link *k = (struct loop_link *)l;
  k->ch->ops->close(k->ch);
  free(k);
}

static const struct mstro__proto_link_ops loop_link_ops = {
    .name = "loop",
    .addr = loop_addr,
    .connect = loop_connect,
    .send = loop_send,
    .recv = loop_recv,
    .ep = loop_ep,
    .close = loop_close,
};

static atomic_int links_opened;

static mstro_status loop_link_open(const char *transport, struct mstro__proto_link **link)
{
  (void)transport;
  struct loop_link *k = calloc(1, sizeof *k);
  if (k == NULL)
    return MSTRO_NOMEM;
  k->base.ops = &loop_link_ops;
  if (mstro__pm_chan_loop_open(&k->ch) != MSTRO_OK) {
    free(k);
    return MSTRO_TRANSPORT;
  }
  atomic_fetch_add(&links_opened, 1);
  *link = &k->base;
  return MSTRO_OK;
}

/* ---- the Pool Manager, in a thread ---- */

static struct mstro__pm_server *srv;
static pthread_t srv_thread;
static char *info;
static char gfs_dir[256];

static void *serve_main(void *arg)
{
  (void)arg;
  mstro__pm_server_run(srv, NULL);
  return NULL;
}

/* ---- the peer: a raw member of the protocol ---- */

struct peer {
  struct mstro__pm_chan *ch;
  mstro__pm_peer pm;
  uint64_t seq, appid, session;
};
static struct peer peer;

static void peer_send(Mstro__Proto__Envelope *e)
{
  uint8_t *buf = NULL;
  size_t len = 0;
  e->seq = ++peer.seq;
  e->sender_appid = peer.appid;
  e->session = peer.session;
  assert_int_equal(mstro__proto_encode_alloc(e, &buf, &len), MSTRO_OK);
  assert_int_equal(peer.ch->ops->send(peer.ch, peer.pm, buf, len, 1000), MSTRO_OK);
  free(buf);
}

/* The next message of kind `want` for the peer (others are dropped), or
 * NULL after timeout_ms. */
static Mstro__Proto__Envelope *peer_recv(Mstro__Proto__Envelope__MsgCase want, int timeout_ms)
{
  static uint8_t buf[MSTRO__PROTO_FRAME_MAX];
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    size_t len = 0;
    mstro__pm_peer from;
    if (peer.ch->ops->recv(peer.ch, &from, buf, sizeof buf, &len, 10) != MSTRO_OK)
      continue;
    Mstro__Proto__Envelope *e = NULL;
    assert_int_equal(mstro__proto_decode(buf, len, &e, NULL, 0), MSTRO_OK);
    if (e->msg_case == want)
      return e;
    mstro__proto_free(e);
  }
  return NULL;
}

static void peer_join(void)
{
  struct mstro__proto_pm_info pi;
  char addr[MSTRO__PM_ADDR_MAX];
  Mstro__Proto__Envelope e;
  Mstro__Proto__Join j;
  Mstro__Proto__TransportKind gfs = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS;
  memset(&peer, 0, sizeof peer);
  assert_int_equal(mstro__proto_info_parse(info, &pi, NULL, 0), MSTRO_OK);
  assert_int_equal(mstro__pm_chan_loop_open(&peer.ch), MSTRO_OK);
  assert_int_equal(peer.ch->ops->peer_insert(peer.ch, pi.addrs[0], &peer.pm), MSTRO_OK);
  assert_int_equal(peer.ch->ops->addr(peer.ch, addr, sizeof addr), MSTRO_OK);
  mstro__proto_envelope_init(&e, 0);
  mstro__proto__join__init(&j);
  j.protocol_version = MSTRO__PROTO_VERSION;
  j.workflow_name = "wf";
  j.component_name = "peer";
  j.workflow_secret = (ProtobufCBinaryData){MSTRO__PROTO_SECRET_LEN, pi.secret};
  j.endpoint_address = (ProtobufCBinaryData){strlen(addr), (uint8_t *)addr};
  j.pid = (uint32_t)getpid();
  j.hostname = "testhost";
  j.n_transports = 1;
  j.transports = &gfs;
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_JOIN;
  e.join = &j;
  peer_send(&e);
  Mstro__Proto__Envelope *w = peer_recv(MSTRO__PROTO__ENVELOPE__MSG_WELCOME, 2000);
  assert_non_null(w);
  peer.appid = w->welcome->appid;
  peer.session = w->welcome->session;
  mstro__proto_free(w);
}

/* The store the workflow's data go through (as the peer sees it). */
static mtr_store *gfs_store(void)
{
  const struct mtr_ops *ops = NULL;
  mtr_store *s = NULL;
  assert_int_equal(mtr_transport_find("GFS", &ops), MTR_OK);
  assert_int_equal(mtr_store_open(ops, NULL, &s), MTR_OK);
  return s;
}

static void peer_completed(const Mstro__Proto__TransferTicket *t)
{
  Mstro__Proto__Envelope e;
  Mstro__Proto__TransferCompleted c;
  mstro__proto_envelope_init(&e, 0);
  mstro__proto__transfer_completed__init(&c);
  c.ticket_id = t->ticket_id;
  c.cdo_id = t->cdo_id;
  c.size = t->size;
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED;
  e.transfer_completed = &c;
  peer_send(&e);
}

/* The peer offers `name` with `len` bytes put in the GFS store. */
static void peer_offer(const char *name, uint64_t id, const void *bytes, size_t len)
{
  char key[64];
  void *abuf = NULL;
  size_t alen = 0;
  mstro__attr_dict *d = NULL;
  mtr_store *s = gfs_store();
  snprintf(key, sizeof key, "peer-%s", name);
  assert_int_equal(mtr_store_put(s, key, bytes, len), MTR_OK);
  mtr_store_close(s);
  assert_int_equal(mstro__attr_dict_create(&d), MSTRO_OK);
  assert_int_equal(mstro__attr_dict_serialize(d, &abuf, &alen), MSTRO_OK);
  mstro__attr_dict_destroy(d);
  Mstro__Proto__Envelope e;
  Mstro__Proto__Offer o;
  Mstro__Proto__TransportKind gfs = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS;
  mstro__proto_envelope_init(&e, 0);
  mstro__proto__offer__init(&o);
  o.cdo_name = (char *)name;
  o.cdo_id = id;
  o.size = len;
  o.n_transports = 1;
  o.transports = &gfs;
  o.gfs_path = key;
  o.attributes = (ProtobufCBinaryData){alen, abuf};
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER;
  e.offer = &o;
  peer_send(&e);
  free(abuf);
}

/* ---- fixture ---- */

static int setup(void **state)
{
  (void)state;
  struct mstro__pm_config cfg = {.workflow_name = "wf",
                                 .heartbeat_grace = 1000, /* the peer sends no heartbeats */
                                 .transport = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS};
  struct mstro__pm_chan *ch = NULL;
  snprintf(gfs_dir, sizeof gfs_dir, "/tmp/test_pm_backend.%d.XXXXXX", (int)getpid());
  assert_non_null(mkdtemp(gfs_dir));
  setenv("MSTRO_GFS_DIR", gfs_dir, 1);
  assert_int_equal(mstro__pm_chan_loop_open(&ch), MSTRO_OK);
  assert_int_equal(mstro__pm_server_create(&cfg, ch, &srv), MSTRO_OK);
  assert_int_equal(mstro__pm_server_info(srv, &info), MSTRO_OK);
  assert_int_equal(pthread_create(&srv_thread, NULL, serve_main, NULL), 0);
  setenv("MSTRO_POOL_MANAGER_INFO", info, 1);
  mstro__pmc_use_link(loop_link_open);
  int opened = atomic_load(&links_opened);
  assert_int_equal(mstro_init("wf", "backend", 0), MSTRO_OK);
  assert_int_equal(atomic_load(&links_opened), opened + 1); /* joined by the loop link */
  peer_join();
  /* the server counts a member once it sent the WELCOME */
  for (int i = 0; i < 200 && mstro__pm_server_member_count(srv) < 2; i++)
    usleep(10000);
  assert_int_equal(mstro__pm_server_member_count(srv), 2);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  assert_int_equal(mstro_finalize(), MSTRO_OK); /* a LEAVE answered with BYE */
  for (int i = 0; i < 200 && mstro__pm_server_member_count(srv) > 1; i++)
    usleep(10000);
  assert_int_equal(mstro__pm_server_member_count(srv), 1);
  mstro__pm_server_stop(srv); /* tells the peer (PM_LEAVE) */
  pthread_join(srv_thread, NULL);
  peer.ch->ops->close(peer.ch);
  mstro__pm_server_destroy(srv);
  free(info);
  info = NULL;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gfs_dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

/* ---- the backend's operations in threads, to see them wait ---- */

struct op {
  mstro_cdo cdo;
  mstro_status (*fn)(mstro_cdo);
  atomic_bool done;
  mstro_status st;
  pthread_t th;
};

static void *op_main(void *arg)
{
  struct op *o = arg;
  o->st = o->fn(o->cdo);
  atomic_store(&o->done, true);
  return NULL;
}

static void op_start(struct op *o, mstro_cdo cdo, mstro_status (*fn)(mstro_cdo))
{
  o->cdo = cdo;
  o->fn = fn;
  atomic_store(&o->done, false);
  assert_int_equal(pthread_create(&o->th, NULL, op_main, o), 0);
}

static mstro_status op_finish(struct op *o)
{
  pthread_join(o->th, NULL);
  return o->st;
}

static mstro_cdo producer(const char *name, void *buf, int64_t len)
{
  mstro_cdo c = NULL;
  assert_int_equal(mstro_cdo_declare(name, MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_RAW_PTR, buf, false, true),
                   MSTRO_OK);
  assert_int_equal(
      mstro_cdo_attribute_set(c, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &len, true, false),
      MSTRO_OK);
  return c;
}

/* The consumer got exactly `len` bytes equal to `want`; then disposed. */
static void expect_data_and_dispose(mstro_cdo c, const void *want, size_t len)
{
  void *p = NULL;
  int64_t n = 0;
  assert_int_equal(mstro_cdo_access_ptr(c, &p, &n), MSTRO_OK);
  assert_int_equal(n, (int64_t)len);
  assert_memory_equal(p, want, len);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

/* ---- tests ---- */

/* An offer of the backend is ticketed for the peer's demand (its bytes in
 * the store), and its withdraw waits until the peer completes the
 * transfer. */
static void test_offer_withdraw_waits(void **state)
{
  (void)state;
  char data[256], got[256];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (char)(i * 7);
  mstro_cdo c = producer("a", data, sizeof data);
  assert_int_equal(mstro_cdo_offer(c), MSTRO_OK);

  Mstro__Proto__Envelope e;
  Mstro__Proto__Demand d;
  mstro__proto_envelope_init(&e, 0);
  mstro__proto__demand__init(&d);
  d.cdo_name = "a";
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND;
  e.demand = &d;
  peer_send(&e);
  Mstro__Proto__Envelope *t = peer_recv(MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET, 2000);
  assert_non_null(t);
  assert_int_equal(t->transfer_ticket->size, sizeof data);
  assert_int_equal(t->transfer_ticket->transport, MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS);
  assert_non_null(t->transfer_ticket->gfs_path);
  mtr_store *s = gfs_store();
  size_t len = 0;
  assert_int_equal(mtr_store_get(s, t->transfer_ticket->gfs_path, got, sizeof got, &len), MTR_OK);
  mtr_store_close(s);
  assert_int_equal(len, sizeof data);
  assert_memory_equal(got, data, sizeof data);

  struct op w;
  op_start(&w, c, mstro_cdo_withdraw);
  usleep(200000);
  assert_false(atomic_load(&w.done)); /* the transfer is in flight */
  peer_completed(t->transfer_ticket);
  mstro__proto_free(t);
  assert_int_equal(op_finish(&w), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

/* A demand of the backend is answered with a ticket for the peer's offer,
 * and its bytes reach the consumer through the store. */
static void test_demand_with_ticket(void **state)
{
  (void)state;
  uint32_t data[64];
  for (size_t i = 0; i < 64; i++)
    data[i] = 0xc0de0000u + (uint32_t)i;
  mstro_cdo c = NULL;
  assert_int_equal(mstro_cdo_declare("b", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  struct op dm;
  op_start(&dm, c, mstro_cdo_demand);
  usleep(100000);
  assert_false(atomic_load(&dm.done)); /* no offer yet */
  peer_offer("b", 41, data, sizeof data);
  assert_int_equal(op_finish(&dm), MSTRO_OK);
  expect_data_and_dispose(c, data, sizeof data);
}

/* A require's ticket comes with the offer; the demand takes over the
 * transfer the require started instead of asking again. */
static void test_require_then_demand(void **state)
{
  (void)state;
  char data[100];
  memset(data, 'r', sizeof data);
  mstro_cdo c = NULL;
  assert_int_equal(mstro_cdo_declare("r", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(c), MSTRO_OK);
  peer_offer("r", 42, data, sizeof data);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  expect_data_and_dispose(c, data, sizeof data);
}

/* The peer holds OFFER (_REQUIRE_ACK): the backend's offer returns only
 * after the peer acked its event. */
static void test_held_offer(void **state)
{
  (void)state;
  Mstro__Proto__Envelope e, *r;
  Mstro__Proto__Subscribe s;
  mstro__proto_envelope_init(&e, 0);
  mstro__proto__subscribe__init(&s);
  s.subscription_id = 3;
  s.kind_mask = MSTRO_POOL_EVENT_OFFER;
  s.options = MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK;
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE;
  e.subscribe = &s;
  peer_send(&e);
  /* answered once the backend applied the mask (its receiver confirms) */
  r = peer_recv(MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK, 2000);
  assert_non_null(r);
  assert_int_equal(r->in_reply_to, peer.seq);
  mstro__proto_free(r);

  char data[16] = "held";
  mstro_cdo c = producer("h", data, sizeof data);
  struct op o;
  op_start(&o, c, mstro_cdo_offer);
  r = peer_recv(MSTRO__PROTO__ENVELOPE__MSG_EVENT, 2000);
  assert_non_null(r);
  assert_int_equal(r->event->kind, MSTRO_POOL_EVENT_OFFER);
  assert_string_equal(r->event->cdo_name, "h");
  assert_true(r->event->needs_ack);
  usleep(200000);
  assert_false(atomic_load(&o.done)); /* held until the ack */
  Mstro__Proto__EventAck a;
  mstro__proto_envelope_init(&e, 0);
  mstro__proto__event_ack__init(&a);
  a.subscription_id = 3;
  a.event_id = r->event->event_id;
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK;
  e.event_ack = &a;
  mstro__proto_free(r);
  peer_send(&e);
  assert_int_equal(op_finish(&o), MSTRO_OK);

  Mstro__Proto__Unsubscribe u;
  mstro__proto_envelope_init(&e, 0);
  mstro__proto__unsubscribe__init(&u);
  u.subscription_id = 3;
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE;
  e.unsubscribe = &u;
  peer_send(&e);
  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

/* A group through the Pool Manager: offered (member by handle, member by
 * name without an offer), demanded by another handle of the same name with
 * the members' metadata only, a member then demanded for its bytes; a
 * member's withdrawn offer fails the next group demand with MSTRO_NOENT. */
static void test_group_through_pm(void **state)
{
  (void)state;
  mstro_group pg = NULL, cg = NULL, cg2 = NULL;
  mstro_cdo c = NULL, m = NULL;
  char data[8] = "gdata";
  size_t n = 0;
  const void *val = NULL;
  enum mstro_cdo_attr_value_type type;
  assert_int_equal(mstro_group_declare("g", &pg), MSTRO_OK);
  c = producer("gm", data, sizeof data);
  assert_int_equal(mstro_group_add(pg, c), MSTRO_OK);
  assert_int_equal(mstro_group_add_by_name(pg, "gx"), MSTRO_OK);
  assert_int_equal(mstro_group_add(pg, c), MSTRO_INVARG); /* twice */
  assert_int_equal(mstro_group_offer(pg), MSTRO_OK);

  assert_int_equal(mstro_group_declare("g", &cg), MSTRO_OK);
  assert_int_equal(mstro_group_demand(cg), MSTRO_OK);
  assert_int_equal(mstro_group_demand(cg), MSTRO_INVSTATE); /* holds one already */
  assert_int_equal(mstro_group_size_get(cg, &n), MSTRO_OK);
  assert_int_equal(n, 2);
  assert_int_equal(mstro_group_next(cg, &m), MSTRO_OK);
  assert_non_null(m);
  assert_int_equal(mstro_cdo_attribute_get(m, MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, &type, &val),
                   MSTRO_OK);
  assert_int_equal(*(const int64_t *)val, (int64_t)sizeof data);
  assert_int_equal(mstro_cdo_demand(m), MSTRO_OK);
  expect_data_and_dispose(m, data, sizeof data);
  assert_int_equal(mstro_group_next(cg, &m), MSTRO_OK);
  assert_non_null(m); /* gx: no offer describes it */
  assert_int_equal(mstro_group_next(cg, &m), MSTRO_OK);
  assert_null(m);
  assert_int_equal(mstro_group_dispose(cg), MSTRO_OK);

  assert_int_equal(mstro_cdo_withdraw(c), MSTRO_OK); /* the member's offer goes */
  assert_int_equal(mstro_group_declare("g", &cg2), MSTRO_OK);
  assert_int_equal(mstro_group_demand(cg2), MSTRO_NOENT);
  assert_int_equal(mstro_group_dispose(cg2), MSTRO_OK);
  assert_int_equal(mstro_group_withdraw(pg), MSTRO_OK);
  assert_int_equal(mstro_group_dispose(pg), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_offer_withdraw_waits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_demand_with_ticket, setup, teardown),
      cmocka_unit_test_setup_teardown(test_require_then_demand, setup, teardown),
      cmocka_unit_test_setup_teardown(test_held_offer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_group_through_pm, setup, teardown),
  };
  return cmocka_run_group_tests_name("pm_backend", tests, NULL, NULL);
}
